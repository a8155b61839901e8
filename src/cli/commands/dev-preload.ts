/**
 * The API server of `kubeloop dev`, on its thread: spawned as the CLI starts (../main.ts), before
 * it loads the extensions and parses the command line, and started by the command's action as
 * soon as the options are parsed, before it loads ./dev-start.ts: the server's modules load and
 * it starts on the second core while the first loads the CLI's, the controllers' and the
 * simulated cluster's (a thread loads its modules itself). Unused, the thread does not keep the
 * process alive (`kubeloop dev --help`, a bad option).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApiServerThread, type ApiServerThreadOptions, type RemoteApiServer } from '../../apiserver/thread.js';

let preloaded: ApiServerThread | undefined;

/** Spawns the thread (once). */
export function preloadApiServer(): void {
  preloaded ??= ApiServerThread.spawn();
}

/** An API server starting on its thread. */
export interface StartingApiServer {
  thread: ApiServerThread;
  server: Promise<RemoteApiServer>;
}

/**
 * The API server's options in `kubeloop dev`: on `port` and `bind`, its data under
 * `<state-dir>/apiserver` (in memory without a state dir), its kubeconfig at `kubeconfigPath`
 * (default `<state-dir or .kubeloop>/kubeconfig`); the folders are made here.
 */
export function devApiServerOptions(o: { stateDir?: string; kubeconfigPath?: string; port?: number; bind?: string }): ApiServerThreadOptions & { kubeconfigPath: string } {
  const base = o.stateDir ?? resolve('.kubeloop');
  mkdirSync(base, { recursive: true });
  if (o.stateDir) mkdirSync(join(o.stateDir, 'apiserver'), { recursive: true });
  return { port: o.port ?? 0, bind: o.bind ?? '127.0.0.1', dataDir: o.stateDir ? join(o.stateDir, 'apiserver') : undefined, kubeconfigPath: resolve(o.kubeconfigPath ?? join(base, 'kubeconfig')) };
}

/** An integer option of `kubeloop dev` between 0 and `max`, else an error naming it. */
export function intOption(name: string, v: string, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > max) throw new Error(`invalid ${name}: ${v} (expected an integer between 0 and ${max})`);
  return n;
}

/** Starts the server on `thread` (the spawned one by default) with `options`. */
export function startApiServerOn(options: ApiServerThreadOptions, thread: ApiServerThread = ApiServerThread.spawn()): StartingApiServer {
  const server = thread.start(options);
  server.catch(() => undefined); // awaited by whoever takes it: not an unhandled rejection meanwhile
  return { thread, server };
}

/**
 * Starts the server on the spawned thread with the parsed options of `kubeloop dev`, unless
 * there is no such thread or the port is not one (the command then says so).
 */
export function startPreloadedApiServer(o: { stateDir?: string; kubeconfig?: string; port: string; bind: string }): StartingApiServer | undefined {
  const thread = preloaded;
  preloaded = undefined;
  if (!thread) return undefined;
  let port: number;
  try {
    port = intOption('--port', o.port, 65535);
  } catch {
    void thread.stop();
    return undefined;
  }
  return startApiServerOn(devApiServerOptions({ stateDir: o.stateDir ? resolve(o.stateDir) : undefined, kubeconfigPath: o.kubeconfig, port, bind: o.bind }), thread);
}
