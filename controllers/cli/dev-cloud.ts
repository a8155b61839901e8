/**
 * `kubeloop dev`'s cloud emulator, on a thread of its own (../cloudsim/thread.ts), as the cloud
 * is a service of its own beside a cluster. The extension's `preloadDev` (./index.ts) starts it
 * as `kubeloop dev` begins — the thread loads the emulator and starts it beside the API server's
 * start and the loading of the controllers on the CLI's thread — and the dev hook's `prepare`
 * (./dev.ts) takes it over. Part of the extension's light entry: it imports the thread's handle
 * only.
 */
import { join } from 'node:path';
import type { DevEnvironment } from 'kubeloop/cli';
import { CloudSimThread, type CloudSimThreadOptions, type RemoteCloudSim } from '../cloudsim/thread.js';

type DevOptions = Pick<DevEnvironment, 'options' | 'stateDir' | 'bind'>;

/** The emulator's options from `kubeloop dev`'s: --cloud-port, --bind, the state file under --state-dir. */
export function cloudOptions(env: DevOptions): CloudSimThreadOptions {
  const port = Number(env.options.cloudPort ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --cloud-port: ${String(env.options.cloudPort)} (expected an integer between 0 and 65535)`);
  return { port, host: env.bind, stateFile: env.stateDir ? join(env.stateDir, 'cloud.json') : undefined };
}

/** An emulator starting on its thread. */
export interface StartingCloud {
  thread: CloudSimThread;
  sim: Promise<RemoteCloudSim>;
}

/** Spawns the thread and starts the emulator on it. */
export function startCloud(options: CloudSimThreadOptions): StartingCloud {
  const thread = CloudSimThread.spawn();
  const sim = thread.start(options);
  sim.catch(() => undefined); // awaited by whoever takes it: not an unhandled rejection meanwhile
  return { thread, sim };
}

let preloaded: StartingCloud | undefined;

/**
 * Starts the emulator for a `kubeloop dev` beginning (once); returns how to stop it should the
 * dev hook's `prepare` never take it. Invalid options start nothing: `prepare` says what is wrong.
 */
export function preloadCloud(env: DevOptions): (() => Promise<void>) | undefined {
  let options: CloudSimThreadOptions;
  try {
    options = cloudOptions(env);
  } catch {
    return undefined;
  }
  const own = preloaded = startCloud(options);
  // What the controllers' first calls load on this thread — pop-core's RPC client (the route
  // controller's and the autoscaler's cloud calls) and yaml (the ACR helper's and the
  // autoscaler's ConfigMaps), ~20-30 ms of compiling before dev.json — loaded while this thread
  // waits for the API server's to start instead of in the controllers' start.
  setImmediate(() => {
    void import('../cloud/vendor.js').then(({ requireVendored }) => {
      for (const file of ['pop-core-rpc.cjs', 'yaml.cjs']) requireVendored(file);
    }, () => undefined);
  });
  return async () => {
    if (preloaded === own) preloaded = undefined;
    await own.thread.stop().catch(() => undefined);
  };
}

/** The emulator `preloadCloud` started, handed over once. */
export function takePreloadedCloud(): StartingCloud | undefined {
  const p = preloaded;
  preloaded = undefined;
  return p;
}
