/**
 * The API server's thread of `kubeloop dev`, spawned as the CLI starts (../main.ts), before it
 * loads the extensions and parses the command line: the server's modules load on the second core
 * while the first loads the CLI's, the controllers' and the simulated cluster's (a thread loads
 * its modules itself; ./dev-start.ts starts the server on it). Unused, it does not keep the
 * process alive (`kubeloop dev --help`, a bad option).
 */
import { ApiServerThread } from '../../apiserver/thread.js';

let preloaded: ApiServerThread | undefined;

/** Spawns the thread (once). */
export function preloadApiServer(): void {
  preloaded ??= ApiServerThread.spawn();
}

/** The thread spawned by {@link preloadApiServer}, handed over once; undefined when none was. */
export function takePreloadedApiServer(): ApiServerThread | undefined {
  const t = preloaded;
  preloaded = undefined;
  return t;
}
