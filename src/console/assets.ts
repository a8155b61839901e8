/**
 * Where the console's built page lives: `dist/console/`, beside `dist/src/` (this module is
 * `dist/src/console/assets.js` once compiled), written by scripts/build-console.mjs from
 * src/console/app. The npm package ships it; a checkout has it after `npm run build`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function assetsDir(): string {
  const dir = fileURLToPath(new URL('../../console', import.meta.url));
  if (!existsSync(`${dir}/index.html`)) {
    throw new Error(`the console's page is not built (${dir} is missing): run \`npm run build\``);
  }
  return dir;
}
