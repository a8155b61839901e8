// The framework against the built-in API server: for/owns/watches, concurrency, retries,
// requeueAfter, finalizers, dependency injection, metrics and probes.
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Controller, Index, Manager, ContainerModule, ConfigMap, Secret, Namespace, Node, TOKENS, createRegistry, defineKind, EventRecorder, inject, injectable, watch,
  isNotFound, type ConfigMapObject, type KubeClient, type Logger, type ReconcileContext, type Reconciler,
} from '../../src/index.js';
import { startServer, clientFor, eventually, sample, ensure, type ServerHandle } from './harness.js';
import { FakeClock } from '../../src/testing/index.js';

let server: ServerHandle;
let client: KubeClient;

before(async () => {
  server = await startServer();
  client = clientFor(server);
  for (const name of ['fw', 'fin']) await ensure(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
});
after(async () => {
  client?.close();
  await server?.stop();
});

/** Instruments reconciles: counts, overlaps of one key, last seen data. */
@injectable()
class Probe {
  counts = new Map<string, number>();
  last = new Map<string, string | undefined>();
  active = new Set<string>();
  overlaps = 0;
  maxActive = 0;
  errors = 0;
  requeuedAfter = new Set<string>();
  finalized: string[] = [];
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

@injectable()
class Greeter {
  greet(name: string): string {
    return `hello ${name}`;
  }
}

@Controller({
  for: ConfigMap,
  owns: [Secret],
  watches: [watch(Namespace, (ns) => (ns.metadata.labels?.kick ? { namespace: 'fw', name: ns.metadata.labels.kick } : []))],
  maxConcurrentReconciles: 8,
  name: 'fw-cm',
  namespace: 'fw',
})
class CmController implements Reconciler<ConfigMapObject> {
  constructor(
    private readonly probe: Probe,
    private readonly greeter: Greeter,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  async reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    const p = this.probe;
    if (p.active.has(ctx.key)) p.overlaps++;
    p.active.add(ctx.key);
    p.maxActive = Math.max(p.maxActive, p.active.size);
    try {
      assert.equal(this.greeter.greet('x'), 'hello x');
      assert.ok(this.log);
      await new Promise((r) => setTimeout(r, 2));
      p.counts.set(ctx.key, p.count(ctx.key) + 1);
      p.last.set(ctx.key, cm.data?.v);
      if (cm.data?.fail && ctx.retries < Number(cm.data.fail)) {
        p.errors++;
        throw new Error(`failing on purpose (${ctx.retries})`);
      }
      if (cm.data?.later && !p.requeuedAfter.has(ctx.key)) {
        p.requeuedAfter.add(ctx.key);
        return { requeueAfter: 50 };
      }
      return undefined;
    } finally {
      p.active.delete(ctx.key);
    }
  }
}

const cm = (name: string, data: Record<string, string> = {}, ns = 'fw'): ConfigMapObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});

test('a controller with for + owns + watches reconciles changes, never one key twice at once, retries and requeues; metrics and probes', async () => {
  const probe = new Probe();
  const mgr = new Manager({
    kubeconfig: server.kubeconfig,
    namespace: 'fw',
    metricsBindAddress: 0,
    healthProbeBindAddress: 0,
    registry: createRegistry(),
    handleSignals: false,
  });
  mgr.register(CmController, new ContainerModule(({ bind }) => {
    bind(Probe).toConstantValue(probe);
    bind(Greeter).toSelf();
  }));
  try {
    await mgr.start();
    const health = mgr.healthProbeUrl!;
    assert.equal((await fetch(`${health}/healthz`)).status, 200);
    assert.equal((await fetch(`${health}/readyz`)).status, 200);

    // for: a new object is reconciled
    const a = await client.create(cm('a', { v: '1' }));
    await eventually('a reconciled', () => probe.last.get('fw/a') === '1');

    // owns: a change of an owned Secret reconciles its controller owner
    const before = probe.count('fw/a');
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'fw', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'a', uid: a.metadata.uid!, controller: true }] },
      stringData: { k: 'v' },
    });
    await eventually('owner reconciled after owned Secret created', () => probe.count('fw/a') > before);

    // watches: a Namespace labelled kick=b maps to fw/b
    await client.create(cm('b'));
    await eventually('b reconciled', () => probe.count('fw/b') >= 1);
    const beforeB = probe.count('fw/b');
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kicker', labels: { kick: 'b' } } });
    await eventually('b reconciled through the watch map', () => probe.count('fw/b') > beforeB);

    // concurrency: 10 keys, 5 writes each, 8 workers
    const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
    await Promise.all(names.map((n) => client.create(cm(n, { v: '0' }))));
    for (let v = 1; v <= 4; v++) {
      await Promise.all(names.map((n) => client.patch(ConfigMap, n, { data: { v: String(v) } }, { namespace: 'fw' })));
    }
    await eventually('every key saw its last write', () => names.every((n) => probe.last.get(`fw/${n}`) === '4'));
    assert.equal(probe.overlaps, 0, 'one key was reconciled by two workers at once');

    // errors: retried with backoff until success
    await client.create(cm('flaky', { fail: '3' }));
    await eventually('flaky succeeded after 3 failures', () => probe.count('fw/flaky') === 4);
    // requeueAfter: reconciled again with no new event
    await client.create(cm('later', { later: 'yes' }));
    await eventually('later reconciled twice', () => probe.count('fw/later') >= 2);

    await eventually('queue idle', () => mgr.runner('fw-cm')!.queue.len() === 0 && probe.active.size === 0);
    const text = await (await fetch(`${mgr.metricsUrl}/metrics`)).text();
    const l = { controller: 'fw-cm' };
    assert.equal(sample(text, 'controller_runtime_reconcile_total', { ...l, result: 'error' }), probe.errors);
    assert.equal(sample(text, 'controller_runtime_reconcile_errors_total', l), probe.errors);
    assert.equal(sample(text, 'controller_runtime_reconcile_total', { ...l, result: 'requeue_after' }), 1);
    const total = [...probe.counts.values()].reduce((x, y) => x + y, 0);
    const results = ['success', 'error', 'requeue', 'requeue_after'].map((r) => sample(text, 'controller_runtime_reconcile_total', { ...l, result: r }) ?? 0);
    assert.equal(results.reduce((x, y) => x + y, 0), total);
    assert.equal(sample(text, 'controller_runtime_max_concurrent_reconciles', l), 8);
    assert.equal(sample(text, 'controller_runtime_active_workers', l), 0);
    assert.equal(sample(text, 'controller_runtime_reconcile_time_seconds_count', l), total);
    assert.equal(sample(text, 'workqueue_depth', { name: 'fw-cm' }), 0);
    assert.ok((sample(text, 'workqueue_adds_total', { name: 'fw-cm' }) ?? 0) >= total);
    assert.ok((sample(text, 'workqueue_retries_total', { name: 'fw-cm' }) ?? 0) >= probe.errors);
  } finally {
    await mgr.stop();
  }
  await mgr.wait();
  assert.equal(mgr.healthy(), false);
});

@Controller({ for: ConfigMap, finalizer: 'test.kubeloop.io/cleanup', name: 'fw-fin', namespace: 'fin' })
class FinController implements Reconciler<ConfigMapObject> {
  constructor(
    private readonly probe: Probe,
    private readonly recorder: EventRecorder,
  ) {}
  reconcile(_cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    this.probe.counts.set(ctx.key, this.probe.count(ctx.key) + 1);
  }
  finalize(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    if (cm.data?.stubborn && this.probe.finalized.filter((k) => k === 'try').length < 2) {
      this.probe.finalized.push('try');
      throw new Error('cloud resource still there');
    }
    this.probe.finalized.push(ctx.key);
    assert.equal(this.recorder, ctx.recorder, 'the injected recorder is the controller\'s');
    this.recorder.event(cm, 'Normal', 'Finalized', 'cleaned up');
  }
}

test('finalizers: added on first sight, finalize runs (retried on error) on deletion, then the object goes', async () => {
  const probe = new Probe();
  const mgr = new Manager({ kubeconfig: server.kubeconfig, metricsBindAddress: false, registry: createRegistry(), handleSignals: false });
  mgr.register(FinController, new ContainerModule(({ bind }) => void bind(Probe).toConstantValue(probe)));
  try {
    await mgr.start();
    await client.create(cm('x', { stubborn: 'yes' }, 'fin'));
    await eventually('finalizer added', async () => {
      const o = await client.get<ConfigMapObject>(ConfigMap, 'x', { namespace: 'fin' });
      return (o.metadata.finalizers ?? []).includes('test.kubeloop.io/cleanup') && probe.count('fin/x') >= 1;
    });
    await client.delete(ConfigMap, 'x', { namespace: 'fin' });
    await eventually('object gone after finalize', async () => {
      try {
        await client.get(ConfigMap, 'x', { namespace: 'fin' });
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    });
    assert.deepEqual(probe.finalized, ['try', 'try', 'fin/x']);
    await eventually('Finalized event recorded', async () => {
      const evs = await client.list<{ reason?: string; involvedObject?: { name?: string } }>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'fin' });
      return evs.items.some((e) => e.reason === 'Finalized' && e.involvedObject?.name === 'x');
    });
  } finally {
    await mgr.stop();
  }
});

test('manager: clear errors for bad registrations', async () => {
  const mgr = new Manager({ kubeconfig: server.kubeconfig, metricsBindAddress: false, registry: createRegistry(), handleSignals: false });
  assert.throws(() => mgr.register(class NotAController {}), /not a controller/);
  mgr.register(FinController);
  assert.throws(() => mgr.register(FinController), /already registered/);
  // Probe is not bound: creating the controller fails with the class name in the message
  await assert.rejects(mgr.start(), /cannot create controller fw-fin/);
  await mgr.wait().catch(() => undefined);
});

const Ghost = defineKind({ apiVersion: 'nothere.kubeloop.io/v1', kind: 'Ghost', plural: 'ghosts' });

@Controller({ for: Ghost, name: 'fw-ghost' })
class GhostController implements Reconciler {
  reconcile() {}
}

test('/readyz stays 500 (and /healthz 200) while caches cannot sync; start fails after cacheSyncTimeoutMs', async () => {
  const mgr = new Manager({
    kubeconfig: server.kubeconfig,
    metricsBindAddress: false,
    healthProbeBindAddress: 0,
    cacheSyncTimeoutMs: 1500,
    registry: createRegistry(),
    handleSignals: false,
  });
  mgr.register(GhostController);
  const started = mgr.start().then(() => 'started', (err: Error) => err.name);
  await eventually('probe server up', () => mgr.healthProbeUrl !== undefined);
  const url = mgr.healthProbeUrl!;
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  const readyz = await fetch(`${url}/readyz`);
  assert.equal(readyz.status, 500);
  assert.match(await readyz.text(), /\[-\]caches-synced failed/);
  assert.equal(await started, 'CacheSyncTimeoutError');
  await assert.rejects(mgr.wait(), /timed out after 1500 ms waiting for caches to sync/);
});

@Controller({ for: ConfigMap, name: 'fw-slow', namespace: 'fw' })
class SlowController implements Reconciler<ConfigMapObject> {
  /** the reconcile of 'slow' finishes when the test calls this */
  static release: () => void = () => undefined;
  constructor(private readonly probe: Probe) {}
  async reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    if (cm.metadata.name !== 'slow') return;
    const released = new Promise<void>((r) => (SlowController.release = r));
    this.probe.active.add(ctx.key);
    await released;
    this.probe.counts.set(ctx.key, ctx.signal.aborted ? -1 : 1);
    this.probe.active.delete(ctx.key);
  }
}

test('addReadyCheck: an application check joins /readyz, before start and while running', async () => {
  let fresh = true;
  const mgr = new Manager({ kubeconfig: server.kubeconfig, metricsBindAddress: false, healthProbeBindAddress: 0, registry: createRegistry(), handleSignals: false });
  mgr.addReadyCheck('cloud-sync', () => fresh);
  try {
    await mgr.start();
    const readyz = () => fetch(`${mgr.healthProbeUrl}/readyz?verbose`);
    assert.equal((await readyz()).status, 200);
    fresh = false;
    const r = await readyz();
    assert.equal(r.status, 500);
    assert.match(await r.text(), /\[-\]cloud-sync failed/);
    mgr.addReadyCheck('late', () => { throw new Error('not yet'); });
    fresh = true;
    assert.match(await (await readyz()).text(), /\[-\]late failed/);
    assert.equal((await fetch(`${mgr.healthProbeUrl}/healthz`)).status, 200, 'liveness is not affected');
  } finally {
    await mgr.stop();
  }
});

test('SIGTERM stops the manager gracefully: intake stops, the in-flight reconcile finishes', { timeout: 30_000 }, async () => {
  const probe = new Probe();
  // the graceful shutdown timeout runs on this clock: the test moves it to just before the end
  const clock = new FakeClock();
  const mgr = new Manager({ kubeconfig: server.kubeconfig, namespace: 'fw', metricsBindAddress: false, registry: createRegistry(), clock, gracefulShutdownTimeoutMs: 10_000 });
  mgr.register(SlowController, new ContainerModule(({ bind }) => void bind(Probe).toConstantValue(probe)));
  await mgr.start();
  await client.create(cm('slow'));
  await eventually('slow reconcile in flight', () => probe.active.has('fw/slow'));
  process.emit('SIGTERM', 'SIGTERM');
  // the manager is stopping with the reconcile still in flight; almost the whole graceful
  // shutdown timeout passes (a drain that gave up would abort ctx.signal now), then it finishes
  await eventually('stopping', () => !mgr.healthy());
  clock.step(9_999);
  await new Promise((r) => setImmediate(r));
  SlowController.release();
  await mgr.wait();
  assert.equal(probe.count('fw/slow'), 1, 'the reconcile in flight completed before shut-down, without abort');
  assert.equal(mgr.healthy(), false);
});

test('stop() while caches are still syncing ends start() without an error', async () => {
  const mgr = new Manager({ kubeconfig: server.kubeconfig, metricsBindAddress: false, registry: createRegistry(), handleSignals: false });
  mgr.register(GhostController);
  const started = mgr.start();
  await eventually('start() waiting for the Ghost cache to sync', () => mgr.informers.list().some((i) => i.kind.kind === 'Ghost' && i.running && !i.hasSynced));
  await mgr.stop();
  await started;
  await mgr.wait();
  assert.equal(mgr.healthy(), false);
});

@Controller({ for: Namespace, name: 'fw-ns' })
class NsController implements Reconciler {
  constructor(private readonly probe: Probe) {}
  reconcile(ns: { metadata: { name?: string } }, ctx: ReconcileContext) {
    assert.equal(ctx.object?.metadata.name, ns.metadata.name);
    this.probe.counts.set(ctx.key, this.probe.count(ctx.key) + 1);
  }
}

test('a cluster-scoped for kind works in a manager restricted to one namespace', async () => {
  const probe = new Probe();
  const mgr = new Manager({ kubeconfig: server.kubeconfig, namespace: 'fw', metricsBindAddress: false, registry: createRegistry(), handleSignals: false });
  mgr.register(NsController, new ContainerModule(({ bind }) => void bind(Probe).toConstantValue(probe)));
  try {
    await mgr.start();
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cluster-scoped-one' } });
    await eventually('namespace reconciled', () => probe.count('cluster-scoped-one') >= 1);
    assert.ok(mgr.cache(Namespace).get('cluster-scoped-one'));
  } finally {
    await mgr.stop();
  }
});

@Controller({ for: ConfigMap, name: 'fw-index', namespace: 'fin' })
@Index({ kind: Secret, name: 'type', extract: (s: { type?: string }) => (s.type ? [s.type] : []) })
class IndexController implements Reconciler<ConfigMapObject> {
  constructor(private readonly probe: Probe) {}
  reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    const found = ctx.cache(Secret).byIndex('type', cm.data?.want ?? '');
    this.probe.last.set(ctx.key, found.map((s) => s.metadata.name).sort().join(','));
    assert.throws(() => ctx.cache(Node), /not watched by this manager/);
  }
}

test('@Index: a cache index on another kind, read through ctx.cache(kind).byIndex', async () => {
  const probe = new Probe();
  await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls-1', namespace: 'fin' }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } });
  await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'plain-1', namespace: 'fin' }, type: 'Opaque' });
  const mgr = new Manager({ kubeconfig: server.kubeconfig, metricsBindAddress: false, registry: createRegistry(), handleSignals: false });
  mgr.register(IndexController, new ContainerModule(({ bind }) => void bind(Probe).toConstantValue(probe)));
  try {
    await mgr.start();
    await client.create(cm('want-tls', { want: 'kubernetes.io/tls' }, 'fin'));
    await eventually('reconciled with index lookup', () => probe.last.get('fin/want-tls') !== undefined);
    assert.equal(probe.last.get('fin/want-tls'), 'tls-1');
  } finally {
    await mgr.stop();
  }
});

@Controller({ for: ConfigMap, name: 'fw-bad-index', namespace: 'fin' })
@Index({ kind: Secret, name: 'label-a', extract: (s: { metadata: { labels?: Record<string, string> } }) => [s.metadata.labels!.a] })
class BadIndexController implements Reconciler<ConfigMapObject> {
  constructor(private readonly probe: Probe) {}
  reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    this.probe.last.set(ctx.key, ctx.cache(Secret).byIndex('label-a', 'x').map((s) => s.metadata.name).sort().join(','));
  }
}

test('a throwing @Index extract function is logged with controller and kind; the cache syncs and the controllers go on', async () => {
  const probe = new Probe();
  await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unlabelled', namespace: 'fin' }, type: 'Opaque' });
  await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'labelled', namespace: 'fin', labels: { a: 'x' } }, type: 'Opaque' });
  const logged: Array<Record<string, unknown>> = [];
  const log = {
    child: () => log, trace() {}, debug() {}, info() {}, warn() {},
    error(obj: unknown) { logged.push(obj as Record<string, unknown>); },
  };
  const mgr = new Manager({ kubeconfig: server.kubeconfig, metricsBindAddress: false, registry: createRegistry(), handleSignals: false, logger: log });
  mgr.register(BadIndexController, new ContainerModule(({ bind }) => void bind(Probe).toConstantValue(probe)));
  try {
    await mgr.start();
    await client.create(cm('bad-index', {}, 'fin'));
    await eventually('reconciled despite the throwing index', () => probe.last.get('fin/bad-index') !== undefined);
    assert.equal(probe.last.get('fin/bad-index'), 'labelled', 'objects the function can index are indexed');
    const entry = logged.find((l) => l.index === 'label-a' && l.object === 'fin/unlabelled');
    assert.ok(entry, 'the throw is logged, naming the object');
    assert.equal(entry.controller, 'fw-bad-index');
    assert.equal(entry.kind, 'v1, Kind=Secret');
  } finally {
    await mgr.stop();
  }
});

@Controller({ for: Secret, owns: [ConfigMap], name: 'fw-share-a', namespace: 'fw' })
class ShareA implements Reconciler {
  reconcile() {}
}
@Controller({ for: ConfigMap, watches: [watch(Secret, () => [])], name: 'fw-share-b', namespace: 'fw' })
class ShareB implements Reconciler {
  reconcile() {}
}

test('one shared informer per kind and scope, however many controllers use the kind', async () => {
  const mgr = new Manager({ kubeconfig: server.kubeconfig, namespace: 'fw', metricsBindAddress: false, registry: createRegistry(), handleSignals: false });
  mgr.register(ShareA).register(ShareB);
  try {
    await mgr.start();
    const kinds = mgr.informers.list().map((i) => `${(i.kind as { kind: string }).kind}@${i.scope.namespace ?? ''}`).sort();
    assert.deepEqual(kinds, ['ConfigMap@fw', 'Secret@fw']);
    assert.ok(mgr.informers.list().every((i) => i.running && i.hasSynced));
  } finally {
    await mgr.stop();
  }
});
