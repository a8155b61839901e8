#!/usr/bin/env node
// Replaces dist/src/controller/inversify.js (tsc's re-export of the `inversify` package, see
// src/controller/inversify.ts) with one esbuild bundle of the same exports: inversify is ~250
// ES modules, which cost ~150 ms of CPU in Node's ES module loader on every start of a process
// that imports the framework; the bundle loads in ~15 ms. Run after tsc (npm run build, prepack).
// Usage: node scripts/bundle-inversify.mjs
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'src', 'controller', 'inversify.js');
// the names tsc's output re-exports (types vanish), so the bundle exports exactly those
const tscOutput = readFileSync(out, 'utf8');
const m = /export\s*{([^}]*)}\s*from\s*['"]inversify['"]/.exec(tscOutput);
if (!m) {
  if (tscOutput.includes('bundled by scripts/bundle-inversify.mjs')) process.exit(0); // already bundled, tsc did not re-emit
  throw new Error(`${out}: not tsc's re-export of 'inversify'`);
}
const names = m[1].split(',').map((s) => s.trim()).filter(Boolean);
await build({
  stdin: { contents: `export { ${names.join(', ')} } from 'inversify';`, resolveDir: root, sourcefile: 'inversify-entry.js' },
  bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile: out, logLevel: 'warning',
  // one reflect-metadata per process: its metadata store is what inversify's decorators and the container share
  external: ['reflect-metadata', 'reflect-metadata/*'],
  minifyWhitespace: true, minifySyntax: true, legalComments: 'inline',
  banner: { js: '// inversify (MIT), bundled by scripts/bundle-inversify.mjs from the installed package: see src/controller/inversify.ts' },
});
