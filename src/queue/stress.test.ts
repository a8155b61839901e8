// Load tests of the queue rules with delays, rate limiting and metrics together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FakeClock, ItemExponentialFailureRateLimiter, RateLimitingQueue } from './index.js';
import { seededRandom } from '../testing/index.js';

const rng = seededRandom;

const tick = () => new Promise<void>((r) => setImmediate(r));

async function sample(registry: Registry, name: string): Promise<number> {
  const data = await registry.getSingleMetric(name)!.get();
  const v = data.values.find((x) => ((x as { metricName?: string }).metricName ?? name) === name || (x as { metricName?: string }).metricName === `${name}_count`);
  return v?.value ?? NaN;
}

test('16 workers with delays, rate-limited retries and metrics: exclusive processing, every add served, counts agree', async () => {
  const random = rng(7);
  const clock = new FakeClock();
  const registry = new Registry();
  const q = new RateLimitingQueue<string>({
    name: 'stress',
    registry,
    clock,
    rateLimiter: new ItemExponentialFailureRateLimiter(1, 64),
  });
  const KEYS = 100;
  let logical = 0;
  const lastAdd = new Map<string, number>();
  const lastStart = new Map<string, number>();
  const active = new Set<string>();
  let violations = 0;
  let gets = 0;

  const worker = async () => {
    for (;;) {
      const { item, shutdown } = await q.get();
      if (shutdown) return;
      gets++;
      if (active.has(item)) violations++;
      active.add(item);
      lastStart.set(item, ++logical);
      for (let i = Math.floor(random() * 3); i > 0; i--) await tick();
      const r = random();
      if (r < 0.15) q.addRateLimited(item); // "error": retry later
      else if (r < 0.2) q.addAfter(item, 1 + Math.floor(random() * 20)); // requeueAfter
      else q.forget(item);
      active.delete(item);
      q.done(item);
    }
  };
  const workers = Array.from({ length: 16 }, worker);

  for (let round = 0; round < 3000; round++) {
    const key = `k${Math.floor(random() * KEYS)}`;
    const r = random();
    if (r < 0.6) {
      lastAdd.set(key, ++logical);
      q.add(key);
    } else if (r < 0.8) {
      // A delayed add counts as "added" once it becomes ready; track it when the
      // clock passes its time by re-adding directly at the end (below).
      q.addAfter(key, 1 + Math.floor(random() * 50));
    } else {
      clock.step(1 + Math.floor(random() * 10));
    }
    if (random() < 0.1) await tick();
  }
  // Let every delay expire and the workers go idle, then make one last direct
  // add per key: it must be served.
  for (let i = 0; i < 2000 && (q.len() > 0 || q.processingCount() > 0 || q.delayedCount() > 0); i++) {
    clock.step(100);
    await tick();
  }
  for (let k = 0; k < KEYS; k++) {
    lastAdd.set(`k${k}`, ++logical);
    q.add(`k${k}`);
  }
  for (let i = 0; i < 2000 && (q.len() > 0 || q.processingCount() > 0 || q.delayedCount() > 0); i++) {
    clock.step(100);
    await tick();
  }
  const idle = q.len() === 0 && q.processingCount() === 0 && q.delayedCount() === 0;
  // Snapshot the metrics before shut-down, then release the workers.
  const depth = await sample(registry, 'workqueue_depth');
  const adds = await sample(registry, 'workqueue_adds_total');
  const latencyCount = await sample(registry, 'workqueue_queue_duration_seconds');
  const workCount = await sample(registry, 'workqueue_work_duration_seconds');
  q.shutDown();
  await Promise.all(workers);

  assert.ok(idle, 'queue never went idle');
  assert.equal(violations, 0, 'a key was on two workers at once');
  for (const [key, added] of lastAdd) {
    assert.ok((lastStart.get(key) ?? -1) > added, `${key}: added at ${added}, last started at ${lastStart.get(key)}`);
  }
  // Every counted add is handed out exactly once; every hand-out is done once.
  assert.equal(depth, 0);
  assert.equal(adds, gets);
  assert.equal(latencyCount, gets);
  assert.equal(workCount, gets);
  assert.ok(gets > KEYS);
});
