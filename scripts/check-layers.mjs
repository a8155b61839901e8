#!/usr/bin/env node
// Layering checker (part of `npm test`): fails when a module imports across the
// boundaries drawn in DESIGN.md. Rules:
//  1. A folder may import another top-level folder of src/ only through its index
//     (`../client/index.js`), never a private file inside it.
//  2. Imports follow the allowed direction table below.
// TypeScript 7 has no JavaScript compiler API, so dependency-cruiser cannot parse
// our sources; import statements are simple enough to read with a regular expression.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

// folder -> folders it may import (besides itself). `controllers/*` count as "controllers".
const allowed = {
  api: [],
  client: ['api'],
  queue: ['api', 'observability'],
  informer: ['api', 'client', 'observability'],
  observability: ['api'],
  controller: ['api', 'client', 'informer', 'queue', 'observability'],
  cloud: ['api'],
  cloudsim: ['api'],
  apiserver: ['api'],
  simcluster: ['api', 'client', 'informer', 'queue', 'controller', 'observability', 'cloud'],
  controllers: ['api', 'client', 'informer', 'queue', 'controller', 'observability', 'cloud', 'controllers'],
  // src/index.ts: the package's public surface re-exports the framework layers.
  'index.ts': ['api', 'client', 'informer', 'queue', 'controller', 'observability'],
  cli: ['*'],
  e2e: ['*'],
  bench: ['*'],
  testing: ['*'],
};

const roots = ['src', 'controllers', 'e2e', 'bench'];
const problems = [];

function areaOf(file) {
  const rel = relative('.', file).split(sep);
  if (rel[0] === 'src') return { area: rel[1], top: join('src', rel[1]) };
  return { area: rel[0], top: rel[0] === 'controllers' ? join(rel[0], rel[1]) : rel[0] };
}

function walk(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) check(p);
  }
}

function check(file) {
  const src = readFileSync(file, 'utf8');
  const from = areaOf(file);
  const re = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
  let m;
  while ((m = re.exec(src))) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    const to = areaOf(relative('.', target));
    if (to.top === from.top) continue;
    const isTest = file.endsWith('.test.ts');
    const ok = allowed[from.area];
    if (!ok) { problems.push(`${file}: folder "${from.area}" has no entry in scripts/check-layers.mjs`); continue; }
    if (!isTest && !ok.includes('*') && !ok.includes(to.area)) {
      problems.push(`${file}: ${from.area} must not import ${to.area} (${spec})`);
    }
    // Rule 1: only through index.js (tests, e2e, benches and the CLI may reach in too for wiring)
    const relInside = relative(resolve(to.top), target);
    const viaIndex = relInside === 'index.js' || relInside === 'index.ts' || relInside === 'index';
    if (!viaIndex && !['cli', 'e2e', 'bench'].includes(from.area) && !isTest) {
      problems.push(`${file}: imports ${spec}, a private file of ${to.top}; import ${to.top}/index.js instead`);
    }
  }
}

for (const r of roots) walk(r);
if (problems.length) {
  console.error(`layering check failed (${problems.length}):\n` + problems.map((p) => '  ' + p).join('\n'));
  process.exit(1);
}
console.log('layering check: ok');
