/**
 * `npm run fuzz [-- --target apiserver --seed N --requests N --minutes N --concurrency N]`:
 * the long fuzz run (default 100 000 requests against the built-in API server, loopback
 * only). Prints the status histogram and RSS; exits 1 on an unexpected 5xx, a dropped or
 * stalled request, an escaped exception, a process warning, or RSS not back within 20% of
 * the start. Run with
 * `node --expose-gc` (the npm script does) so RSS is measured after full collections.
 */
import { problems, summary } from './report.js';
import { runFuzz } from './runner.js';
import { TARGETS } from './targets.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const targetName = arg('target', 'apiserver');
const make = TARGETS[targetName];
if (!make) {
  console.error(`unknown target ${targetName} (known: ${Object.keys(TARGETS).join(', ')})`);
  process.exit(2);
}
if (!(globalThis as { gc?: unknown }).gc) console.error('warning: run with node --expose-gc for a meaningful RSS check');
const seed = Number(arg('seed', String(Date.now() % 2 ** 31)));
const requests = Number(arg('requests', '100000'));
const target = make();
const result = await runFuzz(target, {
  seed,
  requests,
  maxMs: Number(arg('minutes', '30')) * 60_000,
  concurrency: Number(arg('concurrency', '8')),
  // Long enough for caches, JIT and the allocator to reach their working size before the baseline.
  warmup: Math.max(2000, Math.round(requests / 10)),
  progressEvery: 10_000,
  onProgress: (done, ms) => console.error(`  ${done} requests, ${(ms / 1000).toFixed(0)} s, RSS ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB`),
});
console.log(summary(targetName, seed, result));
// what the answers reached, per API, where the target tallies it (the cloud emulator's)
const coverage = (target as { coverage?: () => Record<string, unknown> }).coverage?.();
if (coverage) console.log(`reached (per API: ok / handler errors / refused at the gate):\n${Object.entries(coverage).map(([api, c]) => `  ${api.padEnd(14)} ${Object.values(c as object).join(' / ')}`).join('\n')}`);
const found = problems(result);
if (result.sent < requests) found.push(`only ${result.sent} of ${requests} requests were sent within the time budget`);
for (const p of found) console.log(`FAIL ${p}`);
process.exit(found.length ? 1 : 0);
