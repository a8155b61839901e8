import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, WorkQueue, noopMetricsProvider } from './index.js';
import { seededRandom } from '../testing/index.js';

const rng = seededRandom;

const tick = () => new Promise<void>((r) => setImmediate(r));

async function getItem<T>(q: WorkQueue<T>): Promise<T> {
  const r = await q.get();
  assert.equal(r.shutdown, false, 'queue unexpectedly shut down');
  return r.item as T;
}

test('FIFO order and dedup of waiting items', async () => {
  const q = new WorkQueue();
  for (const k of ['a', 'b', 'a', 'c', 'b', 'a']) q.add(k);
  assert.equal(q.len(), 3);
  assert.equal(await getItem(q), 'a');
  assert.equal(await getItem(q), 'b');
  assert.equal(await getItem(q), 'c');
  assert.equal(q.len(), 0);
  q.shutDown();
});

test('an item being processed is not handed out again; done re-queues it when re-added', async () => {
  const q = new WorkQueue();
  q.add('x');
  const first = await getItem(q);
  assert.equal(first, 'x');
  q.add('x');
  q.add('x');
  assert.equal(q.len(), 0, 'a processing item goes to dirty, not to the queue');
  let second: string | undefined;
  const pending = q.get().then((r) => (second = r.item));
  await tick();
  assert.equal(second, undefined, 'a second worker must not receive x while it is processing');
  q.done('x');
  await pending;
  assert.equal(second, 'x', 'done() re-queues the dirty item once');
  q.done('x');
  assert.equal(q.len(), 0);
  assert.equal(q.processingCount(), 0);
  q.shutDown();
});

test('done of an item that was not re-added does not re-queue it; unknown done is ignored', async () => {
  const q = new WorkQueue();
  q.add('a');
  await getItem(q);
  q.done('a');
  q.done('never-seen');
  assert.equal(q.len(), 0);
  assert.equal(q.processingCount(), 0);
  q.shutDown();
});

test('a waiting getter receives the next add', async () => {
  const q = new WorkQueue();
  const got = q.get();
  q.add('late');
  assert.deepEqual(await got, { item: 'late', shutdown: false });
  q.shutDown();
});

test('keyOf: objects with the same key are one item; the newest object wins', async () => {
  type Req = { ns: string; name: string; v: number };
  const q = new WorkQueue<Req>({ keyOf: (r) => `${r.ns}/${r.name}` });
  q.add({ ns: 'a', name: 'x', v: 1 });
  q.add({ ns: 'a', name: 'x', v: 2 });
  q.add({ ns: 'b', name: 'x', v: 1 });
  assert.equal(q.len(), 2);
  const first = await getItem(q);
  assert.deepEqual(first, { ns: 'a', name: 'x', v: 2 });
  q.add({ ns: 'a', name: 'x', v: 3 });
  assert.equal((await getItem(q)).ns, 'b');
  q.done({ ns: 'a', name: 'x', v: 0 }); // done by key, any object with the key
  assert.deepEqual(await getItem(q), { ns: 'a', name: 'x', v: 3 });
  q.shutDown();
});

test('shutDown releases waiting getters, refuses adds, and lets queued items be fetched first', async () => {
  const q = new WorkQueue();
  const waiting = [q.get(), q.get(), q.get()];
  q.shutDown();
  for (const w of waiting) assert.deepEqual(await w, { item: undefined, shutdown: true });
  assert.equal(q.isShuttingDown(), true);
  q.add('after');
  assert.equal(q.len(), 0, 'adds after shut-down are ignored');

  const q2 = new WorkQueue();
  q2.add('a');
  q2.add('b');
  q2.shutDown();
  assert.equal((await q2.get()).item, 'a');
  assert.equal((await q2.get()).item, 'b');
  assert.equal((await q2.get()).shutdown, true);
});

test('shutDownWithDrain waits for in-flight items to be done', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  const a = await getItem(q);
  const b = await getItem(q);
  let drained = false;
  const drain = q.shutDownWithDrain().then(() => (drained = true));
  await tick();
  assert.equal(drained, false);
  q.done(a);
  await tick();
  assert.equal(drained, false, 'b is still processing');
  q.done(b);
  await drain;
  assert.equal(drained, true);
  // Nothing in flight: resolves at once.
  await new WorkQueue().shutDownWithDrain();
});

test('shutDown during a drain releases the drain', async () => {
  const q = new WorkQueue();
  q.add('a');
  await getItem(q);
  const drain = q.shutDownWithDrain();
  q.shutDown();
  await drain;
});

test('during a drain, adds are refused but an item made dirty before it is handed out again', async () => {
  const q = new WorkQueue();
  q.add('a');
  await getItem(q);
  q.add('a'); // dirty while processing, before the shut-down
  let drained = false;
  const drain = q.shutDownWithDrain().then(() => (drained = true));
  q.add('b'); // refused: shutting down
  q.done('a'); // re-queues the dirty a
  assert.equal(await getItem(q), 'a');
  await tick();
  assert.equal(drained, false, 'the re-queued a is in flight again');
  q.done('a');
  await drain;
  assert.equal((await q.get()).shutdown, true, 'b was never queued');
});

test('many workers, heavy re-adds: one key never on two workers, no lost wakeups', async () => {
  const random = rng(42);
  const q = new WorkQueue<string>({ metricsProvider: noopMetricsProvider });
  const KEYS = 200;
  const WORKERS = 16;
  const ADDS = 20_000;
  let clock = 0;
  const lastAdd = new Map<string, number>();
  const lastStart = new Map<string, number>();
  const active = new Set<string>();
  let violations = 0;
  let processed = 0;
  let maxParallel = 0;

  const worker = async () => {
    for (;;) {
      const { item, shutdown } = await q.get();
      if (shutdown) return;
      if (active.has(item)) violations++;
      active.add(item);
      maxParallel = Math.max(maxParallel, active.size);
      lastStart.set(item, ++clock);
      const awaits = Math.floor(random() * 4);
      for (let i = 0; i < awaits; i++) await (random() < 0.5 ? tick() : Promise.resolve());
      if (random() < 0.2) q.add(item); // re-add own key while processing
      active.delete(item);
      processed++;
      q.done(item);
    }
  };
  const workers = Array.from({ length: WORKERS }, worker);

  for (let i = 0; i < ADDS; i++) {
    const key = `k${Math.floor(random() * KEYS)}`;
    lastAdd.set(key, ++clock);
    q.add(key);
    if (random() < 0.05) await tick();
  }
  // Wait for quiescence (the workers' own re-adds also count as adds).
  for (let i = 0; i < 200_000 && (q.len() > 0 || q.processingCount() > 0); i++) await tick();
  const quiet = q.len() === 0 && q.processingCount() === 0;
  q.shutDown();
  assert.ok(quiet, 'the queue never became idle');
  await Promise.all(workers);

  assert.equal(violations, 0, 'a key was processed by two workers at once');
  assert.ok(maxParallel > 1, 'workers actually ran in parallel');
  assert.ok(processed >= KEYS && processed < ADDS * 2);
  for (const [key, added] of lastAdd) {
    const started = lastStart.get(key);
    assert.ok(started !== undefined && started > added, `${key}: added at ${added}, last processing started at ${started}`);
  }
});

test('addAfter: items become ready in ready-time order through ONE timer', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('c', 300);
  q.addAfter('a', 100);
  q.addAfter('b', 200);
  q.addAfter('a2', 100); // same ready time as a: FIFO among equals
  assert.equal(clock.pendingTimers(), 1, 'one timer for all delayed items');
  assert.equal(q.delayedCount(), 4);
  assert.equal(q.len(), 0);
  clock.step(99);
  assert.equal(q.len(), 0);
  clock.step(1);
  assert.equal(q.len(), 2);
  clock.step(250);
  assert.equal(q.len(), 4);
  assert.equal(clock.pendingTimers(), 0);
  const order = [];
  for (let i = 0; i < 4; i++) order.push(await getItem(q));
  assert.deepEqual(order, ['a', 'a2', 'b', 'c']);
  q.shutDown();
});

test('addAfter: the earliest request for a waiting item wins', () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('x', 1000);
  q.addAfter('x', 50); // earlier: moves it up
  q.addAfter('x', 500); // later: ignored
  assert.equal(q.delayedCount(), 1);
  clock.step(50);
  assert.equal(q.len(), 1);
  clock.step(2000);
  assert.equal(q.len(), 1, 'no second copy from the ignored later request');
  q.shutDown();
});

test('addAfter(x, 0) and negative delays add immediately; NaN is rejected', () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('now', 0);
  q.addAfter('past', -5);
  assert.equal(q.len(), 2);
  assert.equal(clock.pendingTimers(), 0);
  assert.throws(() => q.addAfter('bad', Number.NaN), TypeError);
  q.shutDown();
});

test('delayed item that is already queued is deduplicated when it becomes ready', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('x', 10);
  q.add('x');
  clock.step(10);
  assert.equal(q.len(), 1);
  q.shutDown();
});

test('shutDown clears the delay timer and drops delayed items', () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('x', 10);
  q.addAfter('y', 20);
  q.shutDown();
  assert.equal(clock.pendingTimers(), 0);
  assert.equal(q.delayedCount(), 0);
  clock.step(100);
  assert.equal(q.len(), 0);
  q.addAfter('z', 5);
  assert.equal(clock.pendingTimers(), 0, 'no timers after shut-down');
});

test('addAfter with the real clock delivers to a waiting worker', async () => {
  const q = new WorkQueue();
  const got = q.get();
  q.addAfter('soon', 5);
  q.addAfter('later', 15);
  assert.equal((await got).item, 'soon');
  q.done('soon');
  assert.equal(await getItem(q), 'later');
  q.shutDown();
});

test('a large backlog stays FIFO (ring buffer growth)', async () => {
  const q = new WorkQueue<number>();
  for (let i = 0; i < 5000; i++) q.add(i);
  for (let i = 0; i < 2500; i++) {
    assert.equal(await getItem(q), i);
    q.done(i);
  }
  for (let i = 5000; i < 8000; i++) q.add(i);
  for (let i = 2500; i < 8000; i++) assert.equal(await getItem(q), i);
  q.shutDown();
});
