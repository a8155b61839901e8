import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newConflict, objectKey, type KubeObject } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import { FakeClock, ItemExponentialFailureRateLimiter, type Clock } from '../queue/index.js';
import { createRegistry } from '../observability/index.js';
import { ControllerRunner } from './runtime.js';
import { Controller, controllerMetadata, watch } from './metadata.js';
import { ConfigMap, Pod, Node } from './kinds.js';
import { createEventRecording } from './wiring.js';
import { TerminalError } from './errors.js';
import type { CacheReader, Logger, Reconciler } from './context.js';

const silent: Logger = { child: () => silent, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

class FakeCache implements CacheReader {
  objects = new Map<string, KubeObject>();
  get(key: string | undefined, name?: string) {
    return this.objects.get(name === undefined ? key! : key ? `${key}/${name}` : name);
  }
  list() {
    return [...this.objects.values()];
  }
  byIndex() {
    return [];
  }
  keys() {
    return [...this.objects.keys()];
  }
  get size() {
    return this.objects.size;
  }
}

function cm(name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', uid: 'uid-' + name, resourceVersion: '1', ...extra } };
}

function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 2);
    };
    tick();
  });
}

/** Takes every key waiting in the runner's queue (marking each done), in queue order. */
async function queuedKeys(r: ControllerRunner): Promise<string[]> {
  const keys: string[] = [];
  while (r.queue.len() > 0) {
    const g = await r.queue.get();
    if (!g.shutdown) {
      keys.push(g.item);
      r.queue.done(g.item);
    }
  }
  return keys;
}

function runner(target: Function, rec: Reconciler, cache: FakeCache, client: Partial<KubeClient> = {}, log: Logger = silent, clock?: Clock) {
  const registry = createRegistry();
  const r = new ControllerRunner(controllerMetadata(target), rec, {
    client: client as KubeClient,
    cache,
    cacheFor: () => cache,
    log,
    recorder: { event() {}, record() {}, recordf() {}, recordAnnotated() {} },
    registry,
    rateLimiter: new ItemExponentialFailureRateLimiter(1, 20),
    clock,
  });
  return { r, registry };
}

async function metric(registry: ReturnType<typeof createRegistry>, name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  const v = m.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val) && !('le' in x.labels));
  return v?.value ?? 0;
}

test('runner: never reconciles one key concurrently with 8 workers; all keys get done', async () => {
  @Controller({ for: ConfigMap, maxConcurrentReconciles: 8, name: 'conc' })
  class C { reconcile() {} }
  const cache = new FakeCache();
  for (let i = 0; i < 20; i++) cache.objects.set(`ns/c${i}`, cm(`c${i}`));
  const active = new Set<string>();
  let overlaps = 0;
  let maxParallel = 0;
  const counts = new Map<string, number>();
  const rec: Reconciler = {
    async reconcile(obj, ctx) {
      if (active.has(ctx.key)) overlaps++;
      active.add(ctx.key);
      maxParallel = Math.max(maxParallel, active.size);
      await new Promise((r) => setTimeout(r, 3));
      active.delete(ctx.key);
      counts.set(ctx.key, (counts.get(ctx.key) ?? 0) + 1);
      assert.equal(obj.metadata.name, ctx.request.name);
    },
  };
  const { r, registry } = runner(C, rec, cache);
  const [src] = r.sources();
  r.start();
  for (let round = 0; round < 5; round++) for (const o of cache.objects.values()) src.handlers.onUpdate(o, o);
  await until(() => counts.size === 20 && active.size === 0 && r.queue.len() === 0 && r.queue.processingCount() === 0, 'all reconciled');
  assert.equal(overlaps, 0);
  assert.ok(maxParallel > 1, 'workers ran in parallel');
  assert.equal(await metric(registry, 'controller_runtime_max_concurrent_reconciles', { controller: 'conc' }), 8);
  assert.ok((await metric(registry, 'controller_runtime_reconcile_total', { controller: 'conc', result: 'success' })) >= 20);
  await r.stop(1000);
});

test('runner: reconcile gets a deep copy of the cached object, or with unsafeDisableDeepCopy the cached object itself; that option needs a for kind and no finalizer', async () => {
  const cache = new FakeCache();
  cache.objects.set('ns/a', cm('a', { labels: { k: 'v' } }));
  const got = new Map<string, KubeObject>();
  const rec: Reconciler = { reconcile(obj, ctx) { got.set(ctx.controller, obj); } };
  @Controller({ for: ConfigMap, name: 'copying' })
  class Copying { reconcile() {} }
  @Controller({ for: ConfigMap, name: 'sharing', unsafeDisableDeepCopy: true })
  class Sharing { reconcile() {} }
  for (const target of [Copying, Sharing]) {
    const { r } = runner(target, rec, cache);
    r.enqueue({ namespace: 'ns', name: 'a' });
    r.start();
    await until(() => got.size === (target === Copying ? 1 : 2), 'reconciled');
    await r.stop(1000);
  }
  const cached = cache.objects.get('ns/a')!;
  assert.notEqual(got.get('copying'), cached);
  assert.deepEqual(got.get('copying'), cached);
  assert.equal(got.get('sharing'), cached);
  assert.throws(() => { @Controller({ for: ConfigMap, unsafeDisableDeepCopy: true, finalizer: 'example.com/x' }) class F { reconcile() {} } void F; }, /cannot be combined with a finalizer/);
  assert.throws(() => { @Controller({ name: 'req', unsafeDisableDeepCopy: true } as never) class R { reconcile() {} } void R; }, /"unsafeDisableDeepCopy" needs a "for" kind/);
  assert.throws(() => { @Controller({ for: ConfigMap, unsafeDisableDeepCopy: 'yes' } as never) class Y { reconcile() {} } void Y; }, /must be true or false/);
  assert.throws(() => { @Controller({ for: ConfigMap, fieldManager: '' }) class M { reconcile() {} } void M; }, /fieldManager must be 1-128 printable characters/);
});

test('concurrentEventWrites: validated; a recorder of the event recording writes that many events at once', async () => {
  @Controller({ for: ConfigMap, name: 'one-writer' }) class One { reconcile() {} }
  @Controller({ for: ConfigMap, name: 'four-writers', concurrentEventWrites: 4 }) class Four { reconcile() {} }
  assert.equal(controllerMetadata(One)!.concurrentEventWrites, 1);
  assert.equal(controllerMetadata(Four)!.concurrentEventWrites, 4);
  for (const bad of [0, 2.5, -1]) {
    assert.throws(() => { @Controller({ for: ConfigMap, concurrentEventWrites: bad }) class B { reconcile() {} } void B; }, /concurrentEventWrites must be a positive integer/);
  }
  // a client whose creates wait until released: how many are in flight per recorder
  let inFlight = 0;
  let most = 0;
  const release: (() => void)[] = [];
  const client = {
    async create(e: { metadata: Record<string, unknown> }) {
      most = Math.max(most, ++inFlight);
      await new Promise<void>((r) => release.push(r));
      inFlight--;
      return { ...e, metadata: { ...e.metadata, resourceVersion: '1' } };
    },
  } as unknown as KubeClient;
  const log = { debug() {}, info() {}, warn() {}, error() {}, child() { return log; } } as unknown as Logger;
  const events = createEventRecording(client, log);
  const record = async (r: ReturnType<typeof events.recorder>, expected: number) => {
    most = 0;
    for (let i = 0; i < 8; i++) r.record(cm(`c${i}`), 'Normal', 'Synced', `c${i}`);
    await until(() => inFlight === expected, `${expected} writes in flight`);
    const done = events.flush();
    while (inFlight > 0 || release.length > 0) {
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await done;
    assert.equal(most, expected);
  };
  await record(events.recorder('one-writer'), 1);
  await record(events.recorder('four-writers', 4), 4);
  await events.shutdown();
});

test('runner: errors retry with backoff, terminal errors and panics are counted, requeueAfter honoured', async () => {
  @Controller({ for: ConfigMap, name: 'outcomes' })
  class C { reconcile() {} }
  const cache = new FakeCache();
  for (const n of ['flaky', 'terminal', 'panic', 'later', 'gone']) cache.objects.set(`ns/${n}`, cm(n));
  cache.objects.delete('ns/gone');
  const calls = new Map<string, number>();
  const deleted: string[] = [];
  const rec: Reconciler = {
    reconcile(obj) {
      const n = obj.metadata.name!;
      const c = (calls.get(n) ?? 0) + 1;
      calls.set(n, c);
      if (n === 'flaky' && c < 3) throw new Error('transient');
      if (n === 'terminal') throw new TerminalError('bad spec');
      if (n === 'panic' && c < 2) throw 'not an error';
      if (n === 'later' && c < 2) return { requeueAfter: 20 };
      return undefined;
    },
    reconcileDeleted(req) {
      deleted.push(req.name);
    },
  };
  const { r, registry } = runner(C, rec, cache);
  r.start();
  for (const n of ['flaky', 'terminal', 'panic', 'later', 'gone']) r.enqueue({ namespace: 'ns', name: n });
  await until(() => calls.get('flaky') === 3 && calls.get('panic') === 2 && calls.get('later') === 2 && deleted.length === 1, 'outcomes');
  // nothing queued, in flight or waiting for a delay: no retry of 'terminal' can come any more
  await until(() => r.queue.len() === 0 && r.queue.processingCount() === 0 && r.queue.delayedCount() === 0, 'nothing left to do');
  assert.equal(calls.get('terminal'), 1, 'terminal errors are not retried');
  assert.deepEqual(deleted, ['gone']);
  const l = { controller: 'outcomes' };
  assert.equal(await metric(registry, 'controller_runtime_terminal_reconcile_errors_total', l), 1);
  assert.equal(await metric(registry, 'controller_runtime_reconcile_panics_total', l), 1);
  assert.equal(await metric(registry, 'controller_runtime_reconcile_errors_total', l), 4);
  assert.equal(await metric(registry, 'controller_runtime_reconcile_total', { ...l, result: 'requeue_after' }), 1);
  assert.equal(await metric(registry, 'controller_runtime_reconcile_total', { ...l, result: 'error' }), 4);
  assert.equal(await metric(registry, 'controller_runtime_reconcile_total', { ...l, result: 'success' }), 4);
  await r.stop(1000);
});

test('runner: owned objects map to their controller owner; watches map through the function; predicates filter', async () => {
  @Controller({
    for: ConfigMap,
    owns: [Pod],
    watches: [{ kind: Node, map: (n) => ({ namespace: 'ns', name: n.metadata.labels?.cm ?? '' }) }],
    predicates: [{ update: (o, n) => o.metadata.resourceVersion !== n.metadata.resourceVersion }],
    name: 'mapping',
  })
  class C { reconcile() {} }
  const cache = new FakeCache();
  const { r } = runner(C, { reconcile() {} }, cache);
  const [forSrc, podSrc, nodeSrc] = r.sources();
  assert.equal(podSrc.kind.kind, 'Pod');
  const pod = (owner: Record<string, unknown> | undefined): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', ownerReferences: owner ? [owner as never] : [] },
  });
  podSrc.handlers.onAdd(pod({ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'u', controller: true }));
  podSrc.handlers.onAdd(pod({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }));
  podSrc.handlers.onAdd(pod({ apiVersion: 'v1', kind: 'ConfigMap', name: 'notcontroller', uid: 'u' }));
  nodeSrc.handlers.onAdd({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { cm: 'fromnode' } } });
  nodeSrc.handlers.onAdd({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } });
  const a = cm('same');
  forSrc.handlers.onUpdate(a, a); // filtered: same resourceVersion
  const keys = await queuedKeys(r);
  assert.deepEqual(keys.sort(), ['ns/fromnode', 'ns/owner']);
  assert.equal(objectKey(a), 'ns/same');
  await r.stop(100);
});

test('runner: finalizer added on first sight, finalize then removal on deletion', async () => {
  @Controller({ for: ConfigMap, finalizer: 'test.kubeloop.io/cleanup', name: 'fin' })
  class C { reconcile() {} }
  const cache = new FakeCache();
  const patches: Array<{ name: string; body: any }> = [];
  const client: Partial<KubeClient> = {
    async patch(_kind: unknown, name: string, body: unknown) {
      patches.push({ name, body });
      const o = cache.get(`ns/${name}`)!;
      const next = structuredClone(o);
      next.metadata.finalizers = (body as any).metadata.finalizers;
      next.metadata.resourceVersion = String(Number(o.metadata.resourceVersion) + 1);
      cache.objects.set(`ns/${name}`, next);
      return next as never;
    },
  };
  const seen: string[] = [];
  let finalizeFailures = 1;
  const rec: Reconciler = {
    reconcile(obj) {
      seen.push(`reconcile:${obj.metadata.name}:${(obj.metadata.finalizers ?? []).join(',')}`);
    },
    finalize(obj) {
      if (finalizeFailures-- > 0) throw new Error('cloud not ready');
      seen.push(`finalize:${obj.metadata.name}`);
    },
  };
  const { r } = runner(C, rec, cache, client);
  cache.objects.set('ns/a', cm('a'));
  r.start();
  r.enqueue({ namespace: 'ns', name: 'a' });
  await until(() => seen.length === 1, 'reconcile');
  assert.deepEqual(seen, ['reconcile:a:test.kubeloop.io/cleanup']);
  assert.deepEqual(patches[0].body, { metadata: { finalizers: ['test.kubeloop.io/cleanup'], resourceVersion: '1' } });
  const del = structuredClone(cache.get('ns/a')!);
  del.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  cache.objects.set('ns/a', del);
  r.enqueue({ namespace: 'ns', name: 'a' });
  await until(() => seen.length === 2 && patches.length === 2, 'finalize');
  assert.deepEqual(seen, ['reconcile:a:test.kubeloop.io/cleanup', 'finalize:a']);
  assert.deepEqual(patches[1].body.metadata.finalizers, []);
  await r.stop(1000);
});

test('runner: stop drains in-flight reconciles and aborts the signal', { timeout: 10_000 }, async () => {
  @Controller({ for: ConfigMap, name: 'drain' })
  class C { reconcile() {} }
  const cache = new FakeCache();
  cache.objects.set('ns/a', cm('a'));
  let finished = false;
  let signal: AbortSignal | undefined;
  let release = () => {};
  const clock = new FakeClock(); // the drain timeout's time
  const { r } = runner(C, {
    async reconcile(_o, ctx) {
      signal = ctx.signal;
      await new Promise<void>((res) => (release = res));
      finished = true;
    },
  }, cache, {}, silent, clock);
  r.start();
  r.enqueue({ namespace: 'ns', name: 'a' });
  await until(() => signal !== undefined, 'started');
  const stopped = r.stop(5000);
  clock.step(4999); // the reconcile runs almost the whole drain timeout
  await new Promise((res) => setImmediate(res));
  assert.equal(signal!.aborted, false, 'not aborted while draining');
  release();
  assert.equal(await stopped, true);
  assert.equal(finished, true);
  assert.equal(signal!.aborted, true);
});

test('runner: stop gives up after the drain timeout (on the runner clock) and aborts the reconcile in flight', { timeout: 10_000 }, async () => {
  @Controller({ for: ConfigMap, name: 'drain-timeout' })
  class C { reconcile() {} }
  const cache = new FakeCache();
  cache.objects.set('ns/a', cm('a'));
  let signal: AbortSignal | undefined;
  const clock = new FakeClock();
  const { r } = runner(C, {
    async reconcile(_o, ctx) {
      signal = ctx.signal;
      await new Promise<void>((res) => ctx.signal.addEventListener('abort', () => res()));
    },
  }, cache, {}, silent, clock);
  r.start();
  r.enqueue({ namespace: 'ns', name: 'a' });
  await until(() => signal !== undefined, 'started');
  const stopped = r.stop(5000);
  clock.step(5000);
  assert.equal(await stopped, false, 'did not drain in time');
  assert.equal(signal!.aborted, true);
});

test('runner: stop does not start queued keys, only finishes the ones in flight', { timeout: 10_000 }, async () => {
  @Controller({ for: ConfigMap, name: 'nostart' })
  class C { reconcile() {} }
  const cache = new FakeCache();
  for (const n of ['a', 'b', 'c']) cache.objects.set(`ns/${n}`, cm(n));
  const started: string[] = [];
  let release = () => {};
  const { r } = runner(C, {
    async reconcile(o) {
      started.push(o.metadata.name!);
      await new Promise<void>((res) => (release = res));
    },
  }, cache);
  for (const n of ['a', 'b', 'c']) r.enqueue({ namespace: 'ns', name: n });
  r.start();
  await until(() => started.length === 1, 'first started');
  const stopped = r.stop(5000);
  release(); // 'a' finishes after stop() began: 'b' and 'c' must not start
  assert.equal(await stopped, true);
  assert.deepEqual(started, ['a']);
});

test('runner: onStart and ctx.enqueue reconcile keys that are not objects (reconcileDeleted)', async () => {
  @Controller({ for: ConfigMap, name: 'synthetic' })
  class C { reconcile() {} }
  const cache = new FakeCache();
  const seen: string[] = [];
  const { r } = runner(C, {
    onStart(s) {
      s.enqueue({ name: 'table-1' });
    },
    reconcile() {},
    reconcileDeleted(req, ctx) {
      seen.push(req.name);
      if (req.name === 'table-1') ctx.enqueue({ name: 'table-2' }, 5);
    },
  }, cache);
  r.start();
  await until(() => seen.length === 2, 'synthetic keys');
  assert.deepEqual(seen, ['table-1', 'table-2']);
  assert.throws(() => r.enqueue({ name: '' }), /needs a name/);
  await r.stop(1000);
});

test('runner: a 409 Conflict (also wrapped as a cause) is requeued quietly, not counted as an error', async () => {
  @Controller({ for: ConfigMap, name: 'conflicts' })
  class C { reconcile() {} }
  const cache = new FakeCache();
  cache.objects.set('ns/busy', cm('busy'));
  let calls = 0;
  const rec: Reconciler = {
    reconcile() {
      calls++;
      const conflict = newConflict({ group: '', resource: 'configmaps' }, 'busy', 'the object has been modified; please apply your changes to the latest version and try again');
      if (calls === 1) throw conflict;
      if (calls === 2) throw new Error('updating finalizers of ns/busy', { cause: conflict });
      return undefined;
    },
  };
  const levels: string[] = [];
  const capture: Logger = {
    child: () => capture,
    trace() {},
    debug: () => void levels.push('debug'),
    info() {},
    warn: () => void levels.push('warn'),
    error: () => void levels.push('error'),
  };
  const { r, registry } = runner(C, rec, cache, {}, capture);
  r.start();
  r.enqueue({ namespace: 'ns', name: 'busy' });
  await until(() => calls === 3 && r.queue.len() === 0 && r.queue.processingCount() === 0, 'conflicts retried');
  const l = { controller: 'conflicts' };
  assert.equal(await metric(registry, 'controller_runtime_reconcile_errors_total', l), 0);
  assert.equal(await metric(registry, 'controller_runtime_reconcile_total', { ...l, result: 'requeue' }), 2);
  assert.equal(await metric(registry, 'controller_runtime_reconcile_total', { ...l, result: 'success' }), 1);
  assert.deepEqual(levels.filter((x) => x !== 'debug'), [], 'no warning or error logged');
  assert.equal(levels.filter((x) => x === 'debug').length >= 2, true);
  await r.stop(1000);
});

test('runner: a watches map function reads other kinds from the shared caches', async () => {
  // ConfigMap events map to the pods that mount the ConfigMap, found in the Pod cache.
  const pods = new FakeCache();
  const pod = (name: string, configMap: string): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', uid: `uid-${name}` },
    spec: { volumes: [{ name: 'cfg', configMap: { name: configMap } }] },
  } as KubeObject);
  for (const p of [pod('web-1', 'web'), pod('web-2', 'web'), pod('db-1', 'db')]) pods.objects.set(objectKey(p), p);
  @Controller({
    for: Pod,
    name: 'mounts',
    watches: [
      watch(ConfigMap, (c, { cache }) =>
        cache(Pod)
          .list({ namespace: c.metadata.namespace })
          .filter((p) => ((p.spec?.volumes ?? []) as Array<{ configMap?: { name?: string } }>).some((v) => v.configMap?.name === c.metadata.name))
          .map((p) => ({ namespace: p.metadata.namespace, name: p.metadata.name! })),
      ),
    ],
  })
  class C { reconcile() {} }
  const reconciled: string[] = [];
  const rec: Reconciler = { reconcile(obj) { reconciled.push(obj.metadata.name!); } };
  const registry = createRegistry();
  const asked: string[] = [];
  const r = new ControllerRunner(controllerMetadata(C), rec, {
    client: {} as KubeClient,
    cache: pods,
    cacheFor: (kind) => {
      asked.push(kind.kind);
      return kind.kind === 'Pod' ? pods : new FakeCache();
    },
    log: silent,
    recorder: { event() {}, record() {}, recordf() {}, recordAnnotated() {} },
    registry,
    rateLimiter: new ItemExponentialFailureRateLimiter(1, 20),
  });
  const cmSource = r.sources().find((s) => s.kind.kind === 'ConfigMap')!;
  r.start();
  cmSource.handlers.onAdd(cm('web'));
  await until(() => reconciled.length === 2 && r.queue.len() === 0 && r.queue.processingCount() === 0, 'mapped pods reconciled');
  assert.deepEqual(reconciled.sort(), ['web-1', 'web-2']);
  assert.ok(asked.includes('Pod'));
  await r.stop(1000);
});

test('runner: a reconcile logs with controller-runtime fields and a reconcileID of its own; one that does not log makes no logger', async () => {
  @Controller({ for: ConfigMap, name: 'logging' })
  class C { reconcile() {} }
  const cache = new FakeCache();
  for (const n of ['a', 'b', 'quiet']) cache.objects.set(`ns/${n}`, cm(n));
  const lines: Record<string, unknown>[] = [];
  const children: Record<string, unknown>[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const l: Logger = {
      child: (b) => {
        children.push(b);
        return make({ ...bindings, ...b });
      },
      trace() {},
      debug() {},
      info: (...args: unknown[]) => void lines.push({ ...bindings, ...(args[0] as object), args: args.slice(1) }),
      warn() {},
      error() {},
    };
    return l;
  };
  const done: string[] = [];
  const rec: Reconciler = {
    reconcile(obj, ctx) {
      if (obj.metadata.name !== 'quiet') {
        const { log } = { ...ctx }; // a copy of the context carries the logger too
        log.info({ step: 1 });
        (ctx.log.info as (...a: unknown[]) => void)({ step: 2 }, 'format %s', 'argument'); // the same logger: the same reconcileID
      }
      done.push(obj.metadata.name!);
    },
  };
  const { r } = runner(C, rec, cache, {}, make({}));
  const before = children.length; // the runner's own child ({controller})
  r.start();
  for (const n of ['a', 'b', 'quiet']) r.enqueue({ namespace: 'ns', name: n });
  await until(() => done.length === 3, 'reconciles');
  assert.equal(children.length - before, 2, 'one logger per reconcile that logs, none for the quiet one');
  assert.equal(lines.length, 4);
  for (const l of lines) {
    assert.equal(l.controller, 'logging');
    assert.equal(l.controllerKind, 'ConfigMap');
    assert.equal(l.namespace, 'ns');
    assert.match(String(l.reconcileID), /^[0-9a-f-]{36}$/);
  }
  const byName = (n: string) => lines.filter((l) => l.name === n);
  assert.deepEqual(byName('a')[0].ConfigMap, { name: 'a', namespace: 'ns' });
  assert.equal(byName('a')[0].reconcileID, byName('a')[1].reconcileID);
  assert.deepEqual(byName('a')[1].args, ['format %s', 'argument'], 'message and format arguments reach the logger as given');
  assert.notEqual(byName('a')[0].reconcileID, byName('b')[0].reconcileID);
  await r.stop(1000);
});

test('runner: an update enqueues the keys of the new object, then those only the old one mapped to', async () => {
  @Controller({ for: ConfigMap, owns: [Pod], name: 'moves' })
  class C { reconcile() {} }
  const { r } = runner(C, { reconcile() {} }, new FakeCache());
  const [forSrc, podSrc] = r.sources();
  const pod = (owner: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid: 'u-' + owner, controller: true }] },
  });
  const drain = () => queuedKeys(r);
  podSrc.handlers.onUpdate(pod('old-owner'), pod('new-owner'));
  assert.deepEqual(await drain(), ['ns/new-owner', 'ns/old-owner']);
  podSrc.handlers.onUpdate(pod('same'), pod('same'));
  forSrc.handlers.onUpdate(cm('x'), cm('x', { resourceVersion: '2' }));
  assert.deepEqual(await drain(), ['ns/same', 'ns/x']);
  await r.stop(100);
});
