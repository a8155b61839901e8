#!/usr/bin/env node
// The `kubeloop` command. Each built-in subcommand lives in ./commands/<name>.ts and exports
// `register(program, extensions)`; the project's CLI extensions (./extensions.ts) add
// controllers, commands and `kubeloop dev` hooks. This file only assembles them.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { commands } from './commands/index.js';
import { loadExtensions } from './extensions.js';

const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
// Commands that never use extensions start without importing them (an extension may pull in
// large SDKs: @kubeloop/ack's Alibaba Cloud clients take a few hundred ms to load).
const NO_EXTENSIONS = new Set(['apiserver', 'init']);
const extensions = NO_EXTENSIONS.has(process.argv[2] ?? '')
  ? []
  : await loadExtensions(process.cwd(), (m) => process.stderr.write(`kubeloop: warning: ${m}\n`));

const program = new Command();
program
  .name('kubeloop')
  .description('Kubernetes operator framework: built-in API server, simulated cluster, generators, scaffolding' +
    (extensions.length ? ` (extensions: ${extensions.map((e) => e.name).join(', ')})` : ''))
  .version(version)
  .showHelpAfterError('(run with --help for usage)');

for (const register of commands) register(program, extensions);
for (const e of extensions) e.register?.(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`kubeloop: ${message}\n`);
  process.exit(1);
});
