import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FakeClock, RateLimitingQueue, WorkQueue, prometheusMetricsProvider, WORKQUEUE_DURATION_BUCKETS, ItemExponentialFailureRateLimiter } from './index.js';

/** The value of one sample (`suffix` picks `_sum`/`_count`/`_bucket`) whose labels include `labels`. */
async function value(registry: Registry, name: string, labels: Record<string, string>, suffix = ''): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  assert.ok(metric, `${name} is registered`);
  const data = await metric.get();
  const match = data.values.find((v) => {
    const sampleName = (v as { metricName?: string }).metricName ?? name;
    if (sampleName !== name + suffix) return false;
    return Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val);
  });
  return match?.value;
}

test('workqueue metrics after a scripted sequence', async () => {
  const registry = new Registry();
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({
    name: 'pods',
    registry,
    clock,
    rateLimiter: new ItemExponentialFailureRateLimiter(100, 1000),
  });
  const L = { name: 'pods', controller: 'pods' };

  q.add('a');
  q.add('a'); // dedup: not counted
  q.add('b');
  assert.equal(await value(registry, 'workqueue_adds_total', L), 2);
  assert.equal(await value(registry, 'workqueue_depth', { ...L, priority: '' }), 2);

  clock.step(2000); // a and b wait 2 s
  const a = (await q.get()).item!;
  assert.equal(await value(registry, 'workqueue_depth', L), 1);
  assert.equal(await value(registry, 'workqueue_queue_duration_seconds', L, '_count'), 1);
  assert.equal(await value(registry, 'workqueue_queue_duration_seconds', L, '_sum'), 2);
  assert.equal(await value(registry, 'workqueue_queue_duration_seconds', { ...L, le: '1' }, '_bucket'), 0);
  assert.equal(await value(registry, 'workqueue_queue_duration_seconds', { ...L, le: '10' }, '_bucket'), 1);

  const b = (await q.get()).item!;
  clock.step(3000); // a and b processing for 3 s
  assert.equal(await value(registry, 'workqueue_unfinished_work_seconds', L), 6);
  assert.equal(await value(registry, 'workqueue_longest_running_processor_seconds', L), 3);

  q.done(a);
  assert.equal(await value(registry, 'workqueue_work_duration_seconds', L, '_count'), 1);
  assert.equal(await value(registry, 'workqueue_work_duration_seconds', L, '_sum'), 3);
  clock.step(1000);
  assert.equal(await value(registry, 'workqueue_unfinished_work_seconds', L), 4);
  assert.equal(await value(registry, 'workqueue_longest_running_processor_seconds', L), 4);

  q.addRateLimited(b); // retry while processing
  q.addAfter('c', 50);
  assert.equal(await value(registry, 'workqueue_retries_total', L), 2);
  q.done(b);
  assert.equal(await value(registry, 'workqueue_unfinished_work_seconds', L), 0);
  clock.step(100); // c and b become ready
  assert.equal(await value(registry, 'workqueue_adds_total', L), 4);
  assert.equal(await value(registry, 'workqueue_depth', L), 2);
  q.shutDown();

  const text = await registry.metrics();
  assert.match(text, /workqueue_depth\{name="pods",controller="pods",priority=""\} 2/);
  assert.match(text, /# TYPE workqueue_queue_duration_seconds histogram/);
  assert.match(text, /workqueue_queue_duration_seconds_bucket\{le="1e-8",name="pods",controller="pods"\} 0/);
});

test('unnamed queues record nothing; providers are shared per registry', async () => {
  const registry = new Registry();
  const q = new WorkQueue<string>({ registry });
  q.add('x');
  assert.equal(registry.getSingleMetric('workqueue_adds_total'), undefined);
  q.shutDown();
  assert.equal(prometheusMetricsProvider(registry), prometheusMetricsProvider(registry));
  const q1 = new WorkQueue<string>({ name: 'one', registry });
  const q2 = new WorkQueue<string>({ name: 'two', registry });
  q1.add('x');
  q2.add('x');
  q2.add('y');
  assert.equal(await value(registry, 'workqueue_adds_total', { name: 'one' }), 1);
  assert.equal(await value(registry, 'workqueue_adds_total', { name: 'two' }), 2);
  q1.shutDown();
  q2.shutDown();
});

test('duration buckets match controller-runtime (1e-8 .. 1e3, factor 10)', () => {
  assert.deepEqual(WORKQUEUE_DURATION_BUCKETS, [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000]);
});
