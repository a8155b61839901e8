// The `kubeloop` command, imported by ./main.ts (the bin). Each built-in subcommand lives in
// ./commands/<name>.ts and exports `register(program, extensions)`; the project's CLI extensions
// (./extensions.ts) add controllers, commands and `kubeloop dev` hooks. This file only
// assembles them.
//
// Start-up is what a user waits for on every call, so nothing is imported that the command
// being run does not use: the command modules only define commands (their actions import what
// they run), extensions are imported only for the commands that can use them, and their
// expensive parts (`CliExtension.load`: controllers, cloud SDKs) only for `run`, `dev` (in its
// action) and `generate`.
import '../reflect-metadata.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { commands } from './commands/index.js';
import { loadExtensionParts, loadExtensions } from './extensions.js';

// required, not imported: Node 20 scans an imported CommonJS package for its export names (~6 ms)
const { Command } = createRequire(import.meta.url)('commander') as typeof import('commander');
// the package's own package.json by its name (a self-reference), wherever this module is: tsc's
// dist/src/cli/main.js or the bundle's dist/bundle/cli/main.js (scripts/bundle-packages.mjs)
const version = (JSON.parse(readFileSync(new URL(import.meta.resolve('kubeloop/package.json')), 'utf8')) as { version: string }).version;
const warn = (m: string) => process.stderr.write(`kubeloop: warning: ${m}\n`);

/** The subcommand the arguments name (`help <command>` names `<command>`), or undefined. */
function commandOf(argv: readonly string[]): string | undefined {
  const [first, second] = argv;
  return first === 'help' && second && !second.startsWith('-') ? second : first;
}
const command = commandOf(process.argv.slice(2));
// Commands that never use extensions start without importing them.
const NO_EXTENSIONS = new Set(['apiserver', 'init']);
// Commands that use the extensions' controllers. (`kubeloop dev` loads them in its action, after
// the extensions' preloads began: ./commands/dev-start.ts.)
const USES_EXTENSION_PARTS = new Set(['run', 'generate']);
let extensions = NO_EXTENSIONS.has(command ?? '') ? [] : await loadExtensions(process.cwd(), warn);
if (USES_EXTENSION_PARTS.has(command ?? '')) extensions = await loadExtensionParts(extensions, warn);

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
