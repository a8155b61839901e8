#!/usr/bin/env node
// The package.json that ships: without the `kubeloop-unbundled` export conditions. Those name
// tsc's per-file modules (dist/src/**/*.js), which only the repository's own tests load
// (scripts/run-tests.mjs runs them with --conditions=kubeloop-unbundled, see
// scripts/bundle-packages.mjs); the tarball carries the bundles (dist/bundle) and tsc's
// declarations only, so a published condition would point at files that are not there (publint:
// "pkg.exports[...]["kubeloop-unbundled"] ... does not exist").
//
// npm packs the package.json on disk after `prepack` and has no hook to rewrite it, so:
//   node scripts/pack-manifest.mjs strip [dir]    (last step of prepack) keeps the file as it is in
//                                                 <dir>/.package.json.unpacked and writes the
//                                                 package.json without the condition;
//   node scripts/pack-manifest.mjs restore [dir]  (postpack) puts the kept file back.
// A strip finding a kept file from a pack that stopped half-way restores it first, so the
// condition is never lost. `dir` defaults to the current directory (npm runs scripts there).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CONDITION = 'kubeloop-unbundled';
const KEPT = '.package.json.unpacked';

/** A copy of an `exports` value without the condition, at any depth (conditions nest). */
function withoutCondition(value) {
  if (Array.isArray(value)) return value.map(withoutCondition);
  if (!value || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) if (k !== CONDITION) out[k] = withoutCondition(v);
  return out;
}

function restore(dir) {
  const kept = join(dir, KEPT);
  if (existsSync(kept)) renameSync(kept, join(dir, 'package.json'));
}

function strip(dir) {
  restore(dir);
  const file = join(dir, 'package.json');
  const text = readFileSync(file, 'utf8');
  const pkg = JSON.parse(text);
  if (!pkg.exports) return;
  const stripped = { ...pkg, exports: withoutCondition(pkg.exports) };
  writeFileSync(join(dir, KEPT), text);
  writeFileSync(file, `${JSON.stringify(stripped, null, 2)}\n`);
}

const [cmd, dir = process.cwd()] = process.argv.slice(2);
if (cmd === 'strip') strip(dir);
else if (cmd === 'restore') restore(dir);
else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore [dir]');
  process.exit(2);
}
