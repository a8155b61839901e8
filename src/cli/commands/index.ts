import type { Command } from 'commander';
import type { CliExtension } from '../extension.js';
import { register as apiserver } from './apiserver.js';
import { register as dev } from './dev.js';
import { register as generate } from './generate.js';
import { register as init } from './init.js';
import { register as run } from './run.js';

/**
 * A subcommand module registers itself on the root program, seeing the loaded extensions. It
 * only defines the command: its action imports what it runs (`kubeloop --help` and every other
 * command load all definitions, so a definition must stay cheap to import).
 */
export type RegisterCommand = (program: Command, extensions: readonly CliExtension[]) => void;

// One line per subcommand; keep alphabetical.
export const commands: RegisterCommand[] = [
  apiserver,
  dev,
  generate,
  init,
  run,
];
