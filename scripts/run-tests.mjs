#!/usr/bin/env node
// Runs every compiled test file with Node's built-in test runner: dist/**/*.test.js (the
// framework, e2e suites) and controllers/dist/**/*.test.js (the @kubeloop/ack workspace).
// Usage: node scripts/run-tests.mjs [substring ...]   (only files whose path contains one of them)
// Test files run with `--conditions=kubeloop-unbundled`: they import framework files by relative
// path (dist/src/...), so `kubeloop` and `@kubeloop/ack` by name resolve to tsc's files too (see
// scripts/bundle-packages.mjs) and each test process holds one copy of each package. Processes
// they start (the `kubeloop` command: package.json's bin) run without it, on the bundles, which
// must therefore be current: a stale bundle stops the run (scripts/bundle-packages.mjs --check).
// With E2E_TARGET=external (e2e/support/target.ts) the scenarios the suites skip in external
// mode are collected in $E2E_SKIP_LOG (a temporary file unless set) and counted and listed at
// the end of the run.
import { readdirSync, statSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CONDITION, STALE_HINT, staleBundles } from './bundle-packages.mjs';

const roots = ['dist', 'controllers/dist'];
if (!roots.every((r) => existsSync(r))) {
  console.error(`${roots.join(' or ')} is missing: run \`npm run build\` first.`);
  process.exit(2);
}
const stale = staleBundles();
if (stale.length) {
  console.error(`${stale.join('\n')}\n${STALE_HINT}`);
  process.exit(2);
}
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
}
roots.forEach(walk);
const filters = process.argv.slice(2);
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (selected.length === 0) {
  console.error(`no test files matched ${filters.join(', ') || '(all)'}`);
  process.exit(2);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// A hang fails instead of stalling CI. In Node 20's run mode --test-timeout bounds each test FILE
// as a whole (and each test inside it), so the default leaves room for the slowest file
// (e2e/package: npm installs, ~1-2 min); suites set tighter per-test timeouts of their own.
const timeout = process.env.TEST_TIMEOUT_MS ?? '600000';
const external = ['external', 'kind'].includes((process.env.E2E_TARGET ?? '').trim());
let skipLog = process.env.E2E_SKIP_LOG;
let skipDir;
if (external && !skipLog) {
  skipDir = mkdtempSync(join(tmpdir(), 'kubeloop-e2e-skips-'));
  skipLog = join(skipDir, 'skips.ndjson');
}
const r = spawnSync(process.execPath, ['--test', `--conditions=${CONDITION}`, `--test-concurrency=${concurrency}`, `--test-timeout=${timeout}`, '--test-reporter=spec', ...selected], {
  stdio: 'inherit',
  env: skipLog ? { ...process.env, E2E_SKIP_LOG: skipLog } : process.env,
});
if (external) {
  const skips = existsSync(skipLog) ? readFileSync(skipLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  console.log(`\n${skips.length} scenario(s) skipped in external mode (E2E_TARGET=${process.env.E2E_TARGET}):`);
  for (const s of skips.sort((a, b) => a.file.localeCompare(b.file))) console.log(`  ${s.file}: ${s.name} — ${s.reason}`);
  if (skipDir) rmSync(skipDir, { recursive: true, force: true });
}
process.exit(r.status ?? 1);
