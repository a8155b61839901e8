/**
 * Where the console's built page lives: `dist/console/` in the package, written by
 * scripts/build-console.mjs from src/console/app. Found from the package's own package.json (a
 * self-reference by name), so it is the same whether this module runs from tsc's dist/src/ or
 * from the bundle in dist/bundle/. The npm package ships it; a checkout has it after `npm run build`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function assetsDir(): string {
  const dir = fileURLToPath(new URL('dist/console', import.meta.resolve('kubeloop/package.json')));
  if (!existsSync(`${dir}/index.html`)) {
    throw new Error(`the console's page is not built (${dir} is missing): run \`npm run build\``);
  }
  return dir;
}
