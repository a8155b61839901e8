import type { Command } from 'commander';

/** A subcommand module registers itself on the root program. */
export type RegisterCommand = (program: Command) => void;

// One line per subcommand; keep alphabetical.
export const commands: RegisterCommand[] = [
  (await import('./apiserver.js')).register,
  (await import('./cloudsim.js')).register,
  (await import('./dev.js')).register,
  (await import('./generate.js')).register,
  (await import('./run.js')).register,
];
