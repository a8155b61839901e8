#!/usr/bin/env node
// The `kubeloop` command. Each subcommand lives in ./commands/<name>.ts and exports
// `register(program)`; this file only assembles them.
import 'reflect-metadata';
import { Command } from 'commander';
import { commands } from './commands/index.js';

const program = new Command();
program
  .name('kubeloop')
  .description('Kubernetes operator framework, controllers, built-in API server and cloud emulator')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

for (const register of commands) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`kubeloop: ${message}\n`);
  process.exit(1);
});
