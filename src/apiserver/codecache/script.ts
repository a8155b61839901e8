/**
 * A self-contained CommonJS script (one file, such as the API server's thread as
 * scripts/bundle-packages.mjs builds it) compiled by `vm.Script` with V8's code cache from
 * ./store.ts: what v8-compile-cache does, and Node 22's module compile cache, for a Node (20)
 * that keeps no compiled code of ES modules. The script runs as Node runs a CommonJS module
 * (`exports`, `require` from its own path, `module`, `__filename`, `__dirname`), on one line
 * with its first, so that stack traces keep its lines.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { readEntry, writeEntry } from './store.js';

/**
 * Where the script's compiled code came from: `used` the cache; `missing` there was none for
 * this script (or it was another text's, or damaged); `rejected` V8 refused it; `off` no cache
 * folder was given.
 */
export type CacheState = 'used' | 'missing' | 'rejected' | 'off';

export interface CachedScript {
  readonly cache: CacheState;
  /** Runs the script (once) as a CommonJS module; its `module.exports`. */
  run(): unknown;
  /**
   * Keeps V8's compiled code of the script in the cache folder for the next start (once, and
   * only when the cache did not hold it): called once the script ran and did its first work,
   * the functions compiled meanwhile are in it. False when nothing was written.
   */
  save(): boolean;
}

type Wrapper = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/**
 * Reads and compiles the script at `file` (an absolute path), with the code cache kept in
 * `folder` (from `ownCacheFolder`; undefined: none). Throws when the file cannot be read or
 * does not compile; a cache that cannot be read, does not match or is refused is compiled
 * without.
 */
export function loadCachedScript(file: string, folder: string | undefined): CachedScript {
  const source = { bytes: readFileSync(file) };
  const cachedData = folder ? readEntry(folder, file, source) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source.bytes.toString('utf8')}\n})`, { filename: file, cachedData });
  const cache: CacheState = !folder ? 'off' : !cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used';
  let ran = false;
  let saved = false;
  return {
    cache,
    run() {
      if (ran) throw new Error(`${file} ran already`);
      ran = true;
      const module = { exports: {} as unknown };
      (script.runInThisContext() as Wrapper).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
      return module.exports;
    },
    save() {
      if (saved || !folder || cache === 'used') return false;
      saved = true;
      return writeEntry(folder, file, source, script.createCachedData());
    },
  };
}
