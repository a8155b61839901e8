import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newForbidden, newNotFound } from '../api/index.js';
import { EventBroadcaster, EventCorrelator, makeEvent, objectReference, type CoreEvent, type EventPatch, type EventSink } from './index.js';
import type { Logger } from './logging.js';

/** An in-memory Event store behaving like the API server (resourceVersion, NotFound). */
class MemorySink implements EventSink {
  readonly events = new Map<string, CoreEvent>();
  readonly calls: string[] = [];
  private rv = 0;
  failNext: unknown[] = [];

  async create(ns: string, event: CoreEvent): Promise<CoreEvent> {
    this.calls.push(`create ${ns}/${event.metadata.name}`);
    const f = this.failNext.shift();
    if (f) throw f;
    assert.equal(event.metadata.resourceVersion, undefined, 'create never carries a resourceVersion');
    const stored = structuredClone({ ...event, metadata: { ...event.metadata, resourceVersion: String(++this.rv) } });
    this.events.set(`${ns}/${event.metadata.name}`, stored);
    return structuredClone(stored);
  }

  async patch(ns: string, name: string, patch: EventPatch): Promise<CoreEvent> {
    this.calls.push(`patch ${ns}/${name} count=${patch.count}`);
    const f = this.failNext.shift();
    if (f) throw f;
    const cur = this.events.get(`${ns}/${name}`);
    if (!cur) throw newNotFound({ group: '', resource: 'events' }, name);
    const next = { ...cur, ...patch, metadata: { ...cur.metadata, resourceVersion: String(++this.rv) } };
    this.events.set(`${ns}/${name}`, next);
    return structuredClone(next);
  }
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1', resourceVersion: '7' } };

function fakeTime(start = Date.UTC(2026, 0, 1, 0, 0, 0)) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

test('repeats of one event become one Event with a growing count', async () => {
  const sink = new MemorySink();
  const time = fakeTime();
  const b = new EventBroadcaster({ sink, now: time.now });
  const rec = b.recorder({ component: 'acr-controller', host: 'pod-a' });
  rec.record(pod, 'Warning', 'PullFailed', 'registry denied');
  await b.flush();
  time.advance(5000);
  rec.record(pod, 'Warning', 'PullFailed', 'registry denied');
  time.advance(5000);
  rec.recordf(pod, 'Warning', 'PullFailed', 'registry %s', 'denied');
  await b.flush();

  assert.equal(sink.events.size, 1);
  const [e] = sink.events.values();
  assert.equal(e.count, 3);
  assert.equal(e.firstTimestamp, '2026-01-01T00:00:00Z');
  assert.equal(e.lastTimestamp, '2026-01-01T00:00:10Z');
  assert.equal(e.metadata.namespace, 'shop');
  assert.match(e.metadata.name, /^web-0\.[0-9a-f]+$/);
  assert.deepEqual(e.involvedObject, { kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'u-1', apiVersion: 'v1', resourceVersion: '7' });
  assert.deepEqual(e.source, { component: 'acr-controller', host: 'pod-a' });
  assert.equal(e.reportingComponent, 'acr-controller');
  assert.equal(e.reportingInstance, 'pod-a');
  assert.equal(e.type, 'Warning');
  assert.deepEqual(sink.calls.map((c) => c.split(' ')[0] + (c.includes('count') ? ' ' + c.split(' ')[2] : '')), ['create', 'patch count=2', 'patch count=3']);

  // A different message or reason is a different Event.
  rec.record(pod, 'Warning', 'PullFailed', 'timeout');
  rec.record(pod, 'Normal', 'Pulled', 'ok');
  await b.flush();
  assert.equal(sink.events.size, 3);
  await b.shutdown();
});

test('a deleted event is created again on the next repeat', async () => {
  const sink = new MemorySink();
  const b = new EventBroadcaster({ sink, now: fakeTime().now });
  const rec = b.recorder('ctl');
  rec.record(pod, 'Normal', 'Synced', 'ok');
  await b.flush();
  sink.events.clear(); // expired by the server's TTL
  rec.record(pod, 'Normal', 'Synced', 'ok');
  await b.flush();
  assert.equal(sink.events.size, 1);
  const [e] = sink.events.values();
  assert.equal(e.count, 2);
  assert.ok(sink.calls[1].startsWith('patch') && sink.calls[2].startsWith('create'));
  await b.shutdown();
});

test('similar events (same reason, different messages) are combined after 10 in 10 minutes', async () => {
  const sink = new MemorySink();
  const b = new EventBroadcaster({ sink, now: fakeTime().now, spamFilter: false });
  const rec = b.recorder('ctl');
  for (let i = 0; i < 15; i++) rec.record(pod, 'Warning', 'RouteFailed', `route ${i} failed`);
  await b.flush();
  const events = [...sink.events.values()];
  const combined = events.filter((e) => e.message.startsWith('(combined from similar events): '));
  assert.equal(events.length - combined.length, 9, 'the first 9 distinct messages are written as they are');
  assert.equal(combined.length, 1, 'the rest are folded into one aggregate event');
  assert.equal(combined[0].count, 6);
  assert.equal(combined[0].message, '(combined from similar events): route 14 failed');
  await b.shutdown();
});

test('spam filter: 25 events per object in a burst, then one per 5 minutes', () => {
  const time = fakeTime();
  const c = new EventCorrelator({ now: time.now });
  const ref = objectReference(pod);
  let accepted = 0;
  for (let i = 0; i < 30; i++) {
    const r = c.correlate(makeEvent(ref, 'Normal', `R${i}`, 'm', { component: 'x' }, time.now()));
    if (!r.skip) accepted++;
  }
  assert.equal(accepted, 25);
  time.advance(299_000);
  assert.equal(c.correlate(makeEvent(ref, 'Normal', 'Late', 'm', { component: 'x' }, time.now())).skip, true);
  time.advance(1000);
  assert.equal(c.correlate(makeEvent(ref, 'Normal', 'Later', 'm', { component: 'x' }, time.now())).skip, false);
  // Another object has its own bucket.
  const other = objectReference({ ...pod, metadata: { ...pod.metadata, name: 'web-1' } });
  assert.equal(c.correlate(makeEvent(other, 'Normal', 'R', 'm', { component: 'x' }, time.now())).skip, false);
});

test('transient errors are retried; Status errors are not; record never throws', async () => {
  const sink = new MemorySink();
  const b = new EventBroadcaster({ sink, now: fakeTime().now, retryDelayMs: 1 });
  const rec = b.recorder('ctl');
  sink.failNext = [new Error('ECONNREFUSED'), new Error('socket hang up')];
  rec.record(pod, 'Normal', 'A', 'x');
  await b.flush();
  assert.equal(sink.events.size, 1, 'written after two transient failures');
  assert.equal(sink.calls.length, 3);

  sink.failNext = [newForbidden({ group: '', resource: 'events' }, '', 'RBAC says no')];
  rec.record(pod, 'Normal', 'B', 'x');
  await b.flush();
  assert.equal(sink.calls.length, 4, 'a Status error is not retried');
  assert.equal(sink.events.size, 1);

  const limited = new EventBroadcaster({ sink, now: fakeTime().now, retryDelayMs: 1, maxTries: 3 });
  sink.failNext = Array.from({ length: 5 }, () => new Error('down'));
  limited.recorder('ctl').record(pod, 'Normal', 'C', 'x');
  await limited.flush();
  assert.equal(sink.calls.length, 7, 'gives up after maxTries attempts');

  // Bad input is logged and dropped, never thrown at the caller.
  assert.doesNotThrow(() => rec.record({ metadata: { name: 'no-kind' } }, 'Normal', 'X', 'y'));
  assert.doesNotThrow(() => rec.record(pod, 'Error' as 'Normal', 'X', 'y'));
  assert.doesNotThrow(() => rec.record(null as unknown as typeof pod, 'Normal', 'X', 'y'));
  await b.flush();
  assert.equal(sink.calls.length, 7);
  await b.shutdown();
  await limited.shutdown();
});

test('record returns at once; the queue is bounded and drops beyond it', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const inner = new MemorySink();
  const slow: EventSink = {
    create: async (ns, e) => {
      await gate;
      return inner.create(ns, e);
    },
    patch: (ns, n, p) => inner.patch(ns, n, p),
  };
  const b = new EventBroadcaster({ sink: slow, now: fakeTime().now, maxQueued: 5, spamFilter: false });
  const rec = b.recorder('ctl');
  for (let i = 0; i < 20; i++) rec.record(pod, 'Normal', `R${i}`, 'x');
  // Nothing was written on the caller's stack; 5 wait, the rest are dropped.
  assert.equal(inner.calls.length, 0);
  assert.equal(b.pending(), 5);
  assert.equal(b.dropped, 15);
  await new Promise((r) => setImmediate(r));
  assert.equal(b.pending(), 4, 'the first one is being written (blocked in the sink)');
  rec.record(pod, 'Normal', 'R20', 'x');
  assert.equal(b.pending(), 5);
  release();
  await b.flush();
  assert.equal(inner.events.size, 6);
  await b.shutdown();
  rec.record(pod, 'Normal', 'After', 'x');
  assert.equal(b.dropped, 16, 'events after shutdown are dropped');
});

test('a full queue drops an event with client-go\'s error, before building it; bad input is still reported', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const inner = new MemorySink();
  const slow: EventSink = { create: async (ns, e) => (await gate, inner.create(ns, e)), patch: (ns, n, p) => inner.patch(ns, n, p) };
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const log = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, fields, msg });
  const logger = { debug: () => undefined, info: log('info'), warn: log('warn'), error: log('error') } as unknown as Logger;
  let clock = 0;
  const now = () => (clock++, new Date(Date.UTC(2026, 0, 1)));
  const b = new EventBroadcaster({ sink: slow, now, logger, maxQueued: 2, spamFilter: false });
  const rec = b.recorder('default-scheduler');
  for (let i = 0; i < 5; i++) rec.record({ ...pod, metadata: { ...pod.metadata, name: `p-${i}` } }, 'Normal', 'Scheduled', `assigned p-${i}`);
  assert.equal(b.pending(), 2);
  assert.equal(b.dropped, 3);
  assert.equal(clock, 2, 'the clock is read for the queued events only: dropped ones are never built');
  const errors = lines.filter((l) => l.level === 'error');
  assert.deepEqual(errors.map((l) => l.msg), Array(3).fill('Unable to record event: too many queued events, dropped event'));
  assert.deepEqual(errors.map((l) => (l.fields.object as { name: string }).name), ['p-2', 'p-3', 'p-4']);
  assert.equal(errors[0].fields.reason, 'Scheduled');
  // bad input is reported as such even when the queue is full (and not counted as a drop)
  rec.record({ metadata: { name: 'no-kind' } }, 'Normal', 'X', 'y');
  assert.equal(b.dropped, 3);
  assert.equal(lines.at(-1)?.msg, 'dropping event');
  release();
  await b.flush();
  assert.deepEqual([...inner.events.values()].map((e) => e.involvedObject.name), ['p-0', 'p-1']);
  await b.shutdown();
  rec.record(pod, 'Normal', 'After', 'x');
  assert.equal(b.dropped, 4);
  assert.equal(lines.at(-1)?.level, 'warn', 'after shutdown: a warning, not the queue-full error');
});

test('object references carry the fields that are set, in ObjectReference order', () => {
  const full = objectReference({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'ns', uid: 'u', resourceVersion: '3' } });
  assert.deepEqual(Object.entries(full), [['kind', 'Pod'], ['namespace', 'ns'], ['name', 'a'], ['uid', 'u'], ['apiVersion', 'v1'], ['resourceVersion', '3']]);
  const bare = objectReference({ kind: 'Node', metadata: { name: 'n', namespace: '', uid: '' } });
  assert.deepEqual(Object.entries(bare), [['kind', 'Node'], ['name', 'n']], 'empty and missing fields are left out');
  const ref = objectReference({ kind: 'Pod', name: 'p', namespace: 'ns', apiVersion: 'v1', fieldPath: 'spec.containers{c}', resourceVersion: '' });
  assert.deepEqual(Object.entries(ref), [['kind', 'Pod'], ['namespace', 'ns'], ['name', 'p'], ['apiVersion', 'v1'], ['fieldPath', 'spec.containers{c}']]);
  const fromObject = objectReference({ kind: 'Pod', metadata: { name: 'p' }, fieldPath: 'ignored' } as never);
  assert.equal(fromObject.fieldPath, undefined, 'an object (with metadata) has no field path');
  assert.throws(() => objectReference({ metadata: { name: 'x' } }), /without kind/);
  assert.throws(() => objectReference({ kind: 'Pod', metadata: { name: '' } }), /Pod without a name/);
});

test('cluster-scoped objects get events in the default namespace; references work as objects', async () => {
  const sink = new MemorySink();
  const b = new EventBroadcaster({ sink, now: fakeTime().now });
  const rec = b.recorder('autoscaler');
  rec.record({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'n1' } }, 'Normal', 'ScaleDown', 'removing');
  rec.record({ kind: 'Pod', name: 'p', namespace: 'ns1', apiVersion: 'v1', fieldPath: 'spec.containers{app}' }, 'Normal', 'Pulled', 'ok');
  await b.flush();
  const byNs = [...sink.events.values()].map((e) => [e.metadata.namespace, e.involvedObject.name, e.involvedObject.fieldPath]);
  assert.deepEqual(byNs, [
    ['default', 'node-1', undefined],
    ['ns1', 'p', 'spec.containers{app}'],
  ]);
  await b.shutdown();
});

test('event names are unique even at the same instant', () => {
  const now = new Date(Date.UTC(2026, 0, 1));
  const ref = objectReference(pod);
  const names = new Set(Array.from({ length: 1000 }, () => makeEvent(ref, 'Normal', 'R', 'm', { component: 'c' }, now).metadata.name));
  assert.equal(names.size, 1000);
});

test('shutdown cuts a retry pause short and leaves no timer behind', async () => {
  const sink = new MemorySink();
  sink.failNext = Array.from({ length: 100 }, () => new Error('connection refused'));
  const b = new EventBroadcaster({ sink, now: fakeTime().now, retryDelayMs: 600_000 });
  b.recorder('ctl').record(pod, 'Normal', 'A', 'x');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.ok(sink.calls.length >= 1, 'first attempt made');
  await b.shutdown(); // would hang for the 10-minute pause if shutdown did not wake it
  assert.equal(b.pending(), 0);
  assert.equal(sink.events.size, 0);
});

test('kind resolver fills in objects decoded without kind; annotations are kept', async () => {
  const sink = new MemorySink();
  const b = new EventBroadcaster({
    sink,
    now: fakeTime().now,
    resolveKind: (o) => ('spec' in o ? { apiVersion: 'alibabacloud.com/v1alpha1', kind: 'AliyunLogConfig' } : undefined),
  });
  const rec = b.recorder('logconfig');
  rec.recordAnnotated(
    { metadata: { name: 'nginx-logs', namespace: 'web' }, spec: {} } as never,
    { 'kubeloop.io/project': 'k8s-log' },
    'Normal',
    'Created',
    'logstore created',
  );
  rec.record({ metadata: { name: 'unknown' } }, 'Normal', 'X', 'dropped: no kind');
  await b.flush();
  assert.equal(sink.events.size, 1);
  const [e] = sink.events.values();
  assert.deepEqual(e.involvedObject, { kind: 'AliyunLogConfig', namespace: 'web', name: 'nginx-logs', apiVersion: 'alibabacloud.com/v1alpha1' });
  assert.deepEqual(e.metadata.annotations, { 'kubeloop.io/project': 'k8s-log' });
  await b.shutdown();
});

test('concurrency: up to that many events are written at once, in the order recorded; flush waits for all', async () => {
  const inner = new MemorySink();
  let inFlight = 0;
  let most = 0;
  const gates: (() => void)[] = [];
  const slow: EventSink = {
    create: async (ns, e) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise<void>((r) => gates.push(r));
      inFlight--;
      return inner.create(ns, e);
    },
    patch: (ns, n, p) => inner.patch(ns, n, p),
  };
  const b = new EventBroadcaster({ sink: slow, now: fakeTime().now, spamFilter: false, concurrency: 3 });
  const rec = b.recorder('ctl');
  for (let i = 0; i < 10; i++) rec.record({ ...pod, metadata: { ...pod.metadata, name: `web-${i}` } }, 'Normal', 'Scheduled', `pod ${i}`);
  await new Promise((r) => setImmediate(r));
  assert.equal(inFlight, 3, 'three writes started at once');
  assert.equal(b.pending(), 7);
  let flushed = false;
  const f = b.flush().then(() => (flushed = true));
  // release writes one by one: each frees a writer for the next queued event
  while (inner.events.size < 10) {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
    if (inner.events.size < 10) assert.equal(flushed, false, 'flush waits for every write');
  }
  await f;
  assert.equal(most, 3, 'never more than three at once');
  assert.deepEqual([...inner.events.values()].map((e) => e.message), Array.from({ length: 10 }, (_, i) => `pod ${i}`), 'written in the order recorded');
  assert.equal(b.dropped, 0);
  await b.shutdown();
});

test('concurrency: a burst beyond what one writer keeps up with is written, not dropped; repeats still count up', async () => {
  const sink = new MemorySink();
  let open = false;
  const waiting: (() => void)[] = [];
  const gated: EventSink = {
    create: async (ns, e) => {
      if (!open) await new Promise<void>((r) => waiting.push(r));
      return sink.create(ns, e);
    },
    patch: (ns, n, p) => sink.patch(ns, n, p),
  };
  const b = new EventBroadcaster({ sink: gated, now: fakeTime().now, spamFilter: false, maxQueued: 20, concurrency: 16 });
  const rec = b.recorder('ctl');
  // 36 events while no write completes: 16 being written and 20 queued (one writer: 1 and 20, 15 dropped)
  for (let i = 0; i < 36; i++) {
    rec.record({ ...pod, metadata: { ...pod.metadata, name: `web-${i}` } }, 'Normal', 'Scheduled', `pod ${i}`);
    await new Promise((r) => setImmediate(r)); // each writer takes its event off the queue
  }
  assert.equal(b.dropped, 0);
  assert.equal(waiting.length, 16);
  open = true;
  for (const w of waiting.splice(0)) w();
  await b.flush();
  assert.equal(sink.events.size, 36);
  // an exact repeat, once the first is written, patches its count as with one writer
  rec.record({ ...pod, metadata: { ...pod.metadata, name: 'web-0' } }, 'Normal', 'Scheduled', 'pod 0');
  await b.flush();
  assert.equal(sink.events.size, 36);
  assert.deepEqual([...sink.events.values()].filter((e) => e.message === 'pod 0').map((e) => e.count), [2]);
  await b.shutdown();
});

test('concurrency must be a positive integer', () => {
  const sink = new MemorySink();
  for (const c of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new EventBroadcaster({ sink, concurrency: c }), /concurrency must be a positive integer/);
  }
});

// (without the fix the two other writers sleep their 10 minutes: the test's timeout fails it)
test('concurrency: shutdown cuts every writer\'s retry pause short', { timeout: 60_000 }, async () => {
  const sink = new MemorySink();
  sink.failNext = Array.from({ length: 100 }, () => new Error('connection refused'));
  const b = new EventBroadcaster({ sink, now: fakeTime().now, retryDelayMs: 600_000, spamFilter: false, concurrency: 3 });
  const rec = b.recorder('ctl');
  for (let i = 0; i < 3; i++) rec.record({ ...pod, metadata: { ...pod.metadata, name: `web-${i}` } }, 'Normal', 'A', `x${i}`);
  while (sink.calls.length < 3) await new Promise((r) => setImmediate(r));
  // three writers pause for 10 minutes each; shutdown must wake all of them, not just the last
  await b.shutdown();
  assert.equal(sink.events.size, 0);
});

test('the correlation caches forget the least recently used entry beyond cacheSize', () => {
  const time = fakeTime();
  const c = new EventCorrelator({ cacheSize: 2, spamFilter: false, now: time.now });
  const src = { component: 'ctl' };
  const ev = (name: string) => makeEvent(objectReference({ ...pod, metadata: { ...pod.metadata, name } }), 'Normal', 'R', `about ${name}`, src, time.now());
  const seen = (name: string) => {
    const r = c.correlate(ev(name));
    c.updateState(r.key, { ...r.event, metadata: { ...r.event.metadata, resourceVersion: '1' } });
    return r.patch ? `patch ${r.event.count}` : 'create';
  };
  assert.equal(seen('a'), 'create');
  assert.equal(seen('b'), 'create');
  assert.equal(seen('a'), 'patch 2', 'a is still cached (and now the most recently used)');
  assert.equal(seen('c'), 'create'); // evicts b, the least recently used, not a
  assert.equal(seen('a'), 'patch 3');
  assert.equal(seen('b'), 'create', 'b was forgotten');
  assert.equal(seen('c'), 'create', 'c was evicted when b came back (a had been used since)');
});
