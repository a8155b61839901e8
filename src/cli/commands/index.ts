import type { Command } from 'commander';
import type { CliExtension } from '../extension.js';

/** A subcommand module registers itself on the root program, seeing the loaded extensions. */
export type RegisterCommand = (program: Command, extensions: readonly CliExtension[]) => void;

// One line per subcommand; keep alphabetical.
export const commands: RegisterCommand[] = [
  (await import('./apiserver.js')).register,
  (await import('./dev.js')).register,
  (await import('./generate.js')).register,
  (await import('./init.js')).register,
  (await import('./run.js')).register,
];
