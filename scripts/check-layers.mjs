#!/usr/bin/env node
// Layering checker (part of `npm test`): fails when a module imports across the boundaries
// drawn in DESIGN.md and the package split. Rules:
//  1. A folder may import another folder only through its index (`../client/index.js`), never
//     a private file inside it (tests, e2e suites, benchmarks and CLIs may reach in for wiring).
//  2. Imports follow the allowed direction table below.
//  3. The framework (src/, the `kubeloop` package) never imports the ACK workspace
//     (controllers/, `@kubeloop/ack`); the ACK workspace reaches the framework only through the
//     package's public entry points (`kubeloop`, `kubeloop/cli`, ...), never by a relative path.
//  4. Every bare import names a dependency of the importing package's own package.json (or a
//     node: builtin), so the framework cannot start needing an ACK dependency (@alicloud/*)
//     without it showing up here and in `npm pack`.
// TypeScript 7 has no JavaScript compiler API, so dependency-cruiser cannot parse our sources;
// import statements are simple enough to read with a regular expression.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve, dirname, sep } from 'node:path';

// area -> areas it may import (besides itself). Areas: src/<folder>, controllers/{cloud,cloudsim,cli},
// the other controllers/<name> folders together as "controllers", e2e, bench.
const allowed = {
  api: [],
  // the RxJS the framework uses, as one module (bundled by scripts/bundle-deps.mjs)
  rx: [],
  // certificates (CA, issued certs): used by the API server and the webhook server alike
  pki: [],
  // the Reflect metadata polyfill, required (src/reflect-metadata.ts): imported first where decorators are
  'reflect-metadata.js': [],
  client: ['api'],
  queue: ['api', 'observability', 'rx'],
  informer: ['api', 'client', 'observability', 'rx'],
  observability: ['api'],
  controller: ['api', 'client', 'informer', 'queue', 'observability', 'pki', 'rx', 'reflect-metadata.js'],
  apiserver: ['api', 'pki'],
  // pki: the simulated metrics-server's serving certificate
  simcluster: ['api', 'client', 'informer', 'queue', 'controller', 'observability', 'pki', 'rx'],
  testing: ['api', 'client', 'informer', 'queue', 'controller', 'observability', 'apiserver', 'simcluster'],
  // src/index.ts: the package's public surface re-exports the framework layers.
  'index.ts': ['api', 'client', 'informer', 'queue', 'controller', 'observability', 'reflect-metadata.js'],
  // the console's server reads the cluster with the client; its page (console/app) is browser code
  console: ['api', 'client'],
  cli: ['api', 'client', 'informer', 'queue', 'controller', 'observability', 'apiserver', 'simcluster', 'testing', 'console', 'reflect-metadata.js'],
  'ack:cloud': [],
  'ack:cloudsim': [],
  'ack:controllers': ['ack:cloud', 'ack:controllers'],
  'ack:index.ts': ['ack:controllers'],
  'ack:cli': ['ack:cloud', 'ack:cloudsim', 'ack:controllers', 'ack:index.ts'],
  'ack:console': [],
  e2e: ['*'],
  bench: ['*'],
};

const packages = {
  src: JSON.parse(readFileSync('package.json', 'utf8')),
  controllers: JSON.parse(readFileSync('controllers/package.json', 'utf8')),
};
// Browser code of the console (its page and extension panels) imports what the page's import
// map provides (src/console/app/index.html), not packages of its own.
const PAGE_PROVIDED = new Set(['preact', 'kubeloop-console']);
const isBrowserCode = (file) => file.split(sep).join('/').includes('/console/app/') || file.split(sep).join('/').startsWith('controllers/console/');
const depsOf = (pkg) => new Set([pkg.name, ...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]);
const roots = ['src', 'controllers', 'e2e', 'bench'];
const problems = [];

function areaOf(file) {
  const rel = relative('.', file).split(sep);
  if (rel[0] === 'src') return { area: rel[1], top: join('src', rel[1]), pkg: 'src' };
  if (rel[0] === 'controllers') {
    const own = ['cloud', 'cloudsim', 'cli', 'console', 'index.ts'].includes(rel[1]) ? rel[1] : 'controllers';
    return { area: `ack:${own}`, top: join('controllers', rel[1]), pkg: 'controllers' };
  }
  return { area: rel[0], top: rel[0], pkg: undefined };
}

function walk(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if ((p.endsWith('.ts') || p.endsWith('.tsx')) && !p.endsWith('.d.ts')) check(p);
  }
}

function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function check(file) {
  const src = readFileSync(file, 'utf8');
  const from = areaOf(file);
  const isTest = file.endsWith('.test.ts');
  const re = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
  let m;
  while ((m = re.exec(src))) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith('.')) {
      if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      const name = packageName(spec);
      if (isBrowserCode(relative('.', file)) && PAGE_PROVIDED.has(name)) continue;
      // Rule 3: the framework never names the ACK package.
      if (from.pkg === 'src' && name === packages.controllers.name) problems.push(`${file}: the framework must not import ${spec}`);
      // Rule 4: bare imports are the importing package's dependencies.
      if (from.pkg && !depsOf(packages[from.pkg]).has(name)) {
        problems.push(`${file}: imports ${spec}, which is not a dependency in ${from.pkg === 'src' ? '' : 'controllers/'}package.json`);
      }
      if (from.pkg === 'src' && name === packages.src.name) problems.push(`${file}: import framework modules by relative path inside src/, not as ${spec}`);
      continue;
    }
    const target = resolve(dirname(file), spec);
    const to = areaOf(relative('.', target));
    if (to.top === from.top) continue;
    // Rule 3: no relative path between the two packages.
    if (from.pkg && to.pkg && from.pkg !== to.pkg) {
      problems.push(`${file}: ${spec} crosses from ${from.pkg}/ into ${to.pkg}/; import the package (${from.pkg === 'controllers' ? "'kubeloop', 'kubeloop/cli', ..." : 'never'}) instead`);
      continue;
    }
    const ok = allowed[from.area];
    if (!ok) { problems.push(`${file}: area "${from.area}" has no entry in scripts/check-layers.mjs`); continue; }
    if (!isTest && !ok.includes('*') && !ok.includes(to.area)) {
      problems.push(`${file}: ${from.area} must not import ${to.area} (${spec})`);
    }
    // Rule 1: only through index.js
    const relInside = relative(resolve(to.top), target);
    const viaIndex = relInside === 'index.js' || relInside === 'index.ts' || relInside === 'index' || relInside === '';
    if (!viaIndex && !['cli', 'ack:cli', 'e2e', 'bench'].includes(from.area) && !isTest) {
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
