/**
 * One-file CommonJS bundles of CommonJS dependencies that `kubeloop dev` and `kubeloop run`
 * load on a start, which scripts/bundle-deps.mjs writes to this package's dist/vendor/ from the
 * installed packages (the same code): Node loads one file where the package has dozens
 * (`yaml`: ~8 instead of ~38 ms of CPU; pop-core's RPC client with httpx, kitx and json-bigint:
 * ~14 instead of ~26 ms).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The bundle `file` of dist/vendor/, found by this package's package.json from tsc's module or the bundle's. */
export function vendoredPath(file: string): string {
  return fileURLToPath(new URL(`dist/vendor/${file}`, import.meta.resolve('@kubeloop/ack/package.json')));
}

/** The bundle's exports, or undefined when there is none (tsc's output alone): the caller then loads the package. */
export function requireVendored<T>(file: string): T | undefined {
  let path: string;
  try {
    path = vendoredPath(file);
  } catch {
    return undefined; // this package's package.json does not resolve (a copy of its modules alone)
  }
  return existsSync(path) ? (createRequire(import.meta.url)(path) as T) : undefined;
}
