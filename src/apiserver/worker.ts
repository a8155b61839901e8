/**
 * The entry of the API server's thread (./thread.ts): loads ./worker-main.ts, the thread's
 * server, with compiled code kept between starts where it can, and nothing else (a static
 * import would be compiled before this runs).
 *
 * - Node 22.1+: its own module compile cache (`module.enableCompileCache()`, per thread), then
 *   the ES modules, as on the starting thread.
 * - Node 20, which keeps no compiled code of ES modules: the build also makes the thread's
 *   server one CommonJS script beside this file (worker-main.cjs, scripts/bundle-packages.mjs),
 *   compiled with V8's code cache in Node's compile cache directory (./codecache); the
 *   starting thread asks for the cache to be written once the start is done
 *   (`ApiServerThread.saveCodeCache`, a `codeCache` message), so that the functions the start
 *   and its first requests compiled are in it. Source maps apply to ES modules only here:
 *   with `--enable-source-maps`, or without a usable cache folder or the script (tsc's
 *   per-file output, which the repository's tests load), the ES modules load.
 *
 * Imported outside a worker thread (by name, as any export), it does nothing.
 */
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { compileCacheDir, loadCachedScript, ownCacheFolder, type CachedScript } from './codecache/index.js';
import type { FromApiServerThread, ToApiServerThread } from './thread.js';

/** What the starting thread may say (`ApiServerThread.spawn`'s options): the script and the cache directory. */
export interface ApiServerWorkerData {
  /**
   * The server as one CommonJS script (default: worker-main.cjs beside this module, on a Node
   * without its own compile cache; a path given here is used on any Node); null: the ES modules.
   */
  script?: string | null;
  /** The compile cache directory (default: Node's, ./codecache's `compileCacheDir`). */
  codeCacheDir?: string;
}

/** The script to run with its cache, or undefined: load the ES modules. */
function cachedScript(given: ApiServerWorkerData): CachedScript | undefined {
  if (given.script === null || (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled) return undefined;
  const script = given.script ?? fileURLToPath(new URL('./worker-main.cjs', import.meta.url));
  if (!existsSync(script)) return undefined; // tsc's output: no script (no cache folder made either)
  const dir = given.codeCacheDir ?? compileCacheDir();
  const folder = dir !== undefined ? ownCacheFolder(dir) : undefined;
  if (!folder) return undefined;
  try {
    return loadCachedScript(script, folder);
  } catch {
    return undefined; // unreadable, or not a script: the ES modules are the same server
  }
}

if (!isMainThread && parentPort) {
  const enableCompileCache = (module as { enableCompileCache?: () => unknown }).enableCompileCache;
  const data = (workerData ?? {}) as ApiServerWorkerData;
  // Node 22.1+ caches the modules' compiled code itself: the script only when it is asked for by path
  const loaded = enableCompileCache && data.script === undefined ? undefined : cachedScript(data);
  const port = parentPort;
  const post = (m: FromApiServerThread) => port.postMessage(m);
  if (loaded) {
    post({ type: 'loaded', from: 'script', cache: loaded.cache });
    port.on('message', (m: ToApiServerThread) => {
      if (m.type === 'codeCache') loaded.save();
    });
    loaded.run();
  } else {
    post({ type: 'loaded', from: 'modules' });
    enableCompileCache?.();
    await import('./worker-main.js');
  }
}
