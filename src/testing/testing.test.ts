// kubeloop/testing on its own: a test environment with CRDs and simulated nodes, a fake clock
// that drives a controller's queue and leader election, and a ReconcileContext for one reconciler.
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom } from 'rxjs';
import { ConfigMap, Controller, defineCustomResource, newPredicate, type ConfigMapObject, type ReconcileContext, type Reconciler, type Result } from '../index.js';
import { KubeClient } from '../client/index.js';
import { FakeClock, drained, eventually, reconcileContext, reconciled, startTestEnv, type TestEnv } from './index.js';

const Widget = defineCustomResource({
  group: 'testing.kubeloop.io', version: 'v1', kind: 'Widget', plural: 'widgets',
  schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } } } } },
});

let env: TestEnv;
before(async () => {
  env = await startTestEnv({ nodes: 2 });
});
after(async () => {
  await env?.stop();
});

test('startTestEnv installs the CRDs of defined custom resources and starts simulated nodes', async () => {
  await env.client.create({ apiVersion: Widget.apiVersion, kind: 'Widget', metadata: { name: 'w', namespace: 'default' }, spec: { size: 3 } });
  const bad = await env.client.create({ apiVersion: Widget.apiVersion, kind: 'Widget', metadata: { name: 'bad', namespace: 'default' }, spec: { size: 0 } }).then(() => undefined, (e: unknown) => e);
  assert.match(String(bad), /spec\.size/, 'the CRD schema validates');
  await eventually('2 Ready nodes', async () => {
    const nodes = await env.client.list<{ status?: { conditions?: Array<{ type: string; status: string }> } } & ConfigMapObject>({ apiVersion: 'v1', kind: 'Node' });
    return nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2;
  });
});

/** Every namespace holds the root CA publisher's kube-root-ca.crt (as on a real cluster): the test controllers count only their own ConfigMaps. */
const notRootCA = newPredicate<ConfigMapObject>((o) => o.metadata.name !== 'kube-root-ca.crt');

let ticks = 0;
@Controller({ for: ConfigMap, name: 'ticker', namespace: 'clock', predicates: [notRootCA] })
class Ticker implements Reconciler<ConfigMapObject> {
  async reconcile(): Promise<Result> {
    ticks++;
    return { requeueAfter: 60 * 60_000 };
  }
}

test('a FakeClock passed as ManagerOptions.clock drives requeueAfter: an hour passes at once', async () => {
  const clock = new FakeClock();
  const m = env.manager({ clock });
  m.register(Ticker);
  await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clock' } });
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'clock' } });
  await m.start();
  await eventually('first reconcile', () => ticks === 1);
  await eventually('the requeue is scheduled on the fake clock', () => clock.pendingTimers() > 0);
  clock.step(59 * 60_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(ticks, 1, 'not due yet');
  clock.step(60_000);
  await eventually('requeued reconcile', () => ticks === 2);
  await m.stop();
});

test('a FakeClock drives leader election: a frozen leader\'s lease expires when the standby\'s clock moves', async () => {
  const clockA = new FakeClock();
  const clockB = new FakeClock();
  const leaderElection = { leaseName: 'fake-clock', leaseNamespace: 'default' };
  const a = env.manager({ clock: clockA, leaderElection: { ...leaderElection, identity: 'a' } });
  const b = env.manager({ clock: clockB, leaderElection: { ...leaderElection, identity: 'b' } });
  await a.start();
  await eventually('a leads', () => {
    clockA.step(0);
    return a.isLeader;
  });
  await b.start();
  // a's clock stands still from now on: it never renews, like a frozen process
  await eventually('b sees a as the holder', () => {
    clockB.step(0);
    return b.elector?.observedLeader === 'a';
  });
  assert.equal(b.isLeader, false);
  await eventually('b takes over once 15 s passed on its clock', () => {
    clockB.step(2_500);
    return b.isLeader;
  });
  assert.ok(clockB.now() >= 15_000, `took over at ${clockB.now()} ms of fake time`);
});

@Controller({ for: ConfigMap, name: 'copier' })
class Copier implements Reconciler<ConfigMapObject> {
  async reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>): Promise<Result> {
    const source = ctx.cache(ConfigMap).get(cm.metadata.namespace, 'source');
    ctx.recorder.event(cm, 'Normal', 'Seen', `source has ${Object.keys(source?.data ?? {}).length} keys`);
    ctx.enqueue({ namespace: cm.metadata.namespace, name: 'source' }, 1000);
    return {};
  }
}

test('reconcileContext runs one reconciler with a cache from objects and records Events and enqueues', async () => {
  const cm: ConfigMapObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'n' } };
  const source: ConfigMapObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'source', namespace: 'n' }, data: { a: '1', b: '2' } };
  const ctx = reconcileContext({ object: cm, objects: [source, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'source', namespace: 'n' } }] });
  await new Copier().reconcile(cm, ctx);
  assert.deepEqual(ctx.events.map((e) => `${e.reason}: ${e.message}`), ['Seen: source has 2 keys']);
  assert.deepEqual(ctx.enqueued, [{ request: { namespace: 'n', name: 'source' }, afterMs: 1000 }]);
  assert.equal(ctx.key, 'n/x');
  assert.throws(() => ctx.client.get(ConfigMap, 'x'), /pass \{ client \}/);
});

let readResults: string[] = [];
let mutationError: unknown;
@Controller({ for: ConfigMap, name: 'cached-reader', namespace: 'cached' })
class CachedReader implements Reconciler<ConfigMapObject> {
  async reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>): Promise<Result> {
    if (cm.metadata.name !== 'trigger') return {};
    const other = await ctx.client.get<ConfigMapObject>(ConfigMap, 'other', { namespace: 'cached' });
    other.data = { changed: 'locally' }; // a copy: the cache is untouched
    const listed = await ctx.client.list<ConfigMapObject>(ConfigMap, { namespace: 'cached', labelSelector: 'pick=yes' });
    const missing = await ctx.client.get(ConfigMap, 'absent', { namespace: 'cached' }).then(() => 'found', (e: { code?: number }) => `error ${e.code}`);
    readResults = [String(ctx.cache(ConfigMap).get('cached', 'other')?.data?.v), listed.items.map((i) => i.metadata.name).join(','), missing];
    try {
      (ctx.cache(ConfigMap).get('cached', 'other')!.data as Record<string, string>).v = 'mutated';
    } catch (err) {
      mutationError = err;
    }
    return {};
  }
}

test('cachedReads: ctx.client.get/list of watched kinds come from the cache (copies; 404 when absent); test managers freeze the cache', async () => {
  await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cached' } });
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: 'cached', labels: { pick: 'yes' } }, data: { v: 'cached' } });
  const serverGets: string[] = [];
  const counting = new Proxy(env.client, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (prop === 'get') return (kind: { kind: string }, name: string, o?: unknown) => (serverGets.push(`${kind.kind}/${name}`), target.get(kind as never, name, o as never));
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const m = env.manager({ client: counting, cachedReads: true });
  m.register(CachedReader);
  await m.start();
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'trigger', namespace: 'cached' } });
  await eventually('reconciled', () => readResults.length > 0);
  assert.deepEqual(readResults, ['cached', 'other', 'error 404']);
  assert.deepEqual(serverGets, [], 'no get reached the API server');
  assert.ok(mutationError instanceof TypeError, `mutating a cached object throws: ${String(mutationError)}`);
  await m.stop();
});

let ownedRead: string | undefined;
@Controller({ for: ConfigMap, name: 'owned-writer', namespace: 'owned', fieldManager: 'owned-writer' })
class OwnedWriter implements Reconciler<ConfigMapObject> {
  async reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>): Promise<Result> {
    if (cm.metadata.name !== 'trigger') return {};
    ownedRead = (await ctx.client.get<ConfigMapObject>(ConfigMap, 'source', { namespace: 'owned' })).data?.v;
    await ctx.client.patch(ConfigMap, 'source', { metadata: { annotations: { seen: 'yes' } } }, { namespace: 'owned', type: 'merge' });
    return {};
  }
}

test('fieldManager: a controller writes under its own field manager, and with cachedReads its ctx.client still reads from the cache', async () => {
  await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'owned' } });
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'source', namespace: 'owned' }, data: { v: 'one' } });
  const requests: string[] = [];
  const client = new KubeClient(env.client.transport.config, { onRequest: (r) => requests.push(`${r.method} ${r.path}`) });
  const m = env.manager({ client, cachedReads: true });
  m.register(OwnedWriter);
  try {
    await m.start();
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'trigger', namespace: 'owned' } });
    const managers = await eventually('the annotation written', async () => {
      const cm = await env.client.get<ConfigMapObject>(ConfigMap, 'source', { namespace: 'owned' });
      return cm.metadata.annotations?.seen === 'yes' && (cm.metadata.managedFields ?? []).map((e) => e.manager);
    });
    assert.ok(managers.includes('owned-writer'), `the patch recorded under the controller's field manager: ${managers.join(', ')}`);
    assert.equal(ownedRead, 'one');
    assert.deepEqual(requests.filter((r) => r.startsWith('GET') && r.endsWith('/configmaps/source')), [], 'the get came from the cache');
    assert.ok(requests.some((r) => r.startsWith('PATCH') && r.endsWith('/configmaps/source')), 'the patch went through the Manager\'s client');
  } finally {
    await m.stop();
    client.close();
  }
});

test('a leader renews with one update of the Lease it wrote; a Lease changed behind it takes the slow path (leader_election_slowpath_total)', async () => {
  const clock = new FakeClock();
  const m = env.manager({ clock, leaderElection: { leaseName: 'fast-path', leaseNamespace: 'default', identity: 'solo' } });
  await m.start();
  await eventually('leading', () => {
    clock.step(0);
    return m.isLeader;
  });
  const slowpath = async () => (await m.registry.getSingleMetric('leader_election_slowpath_total')!.get()).values.find((v) => v.labels.name === 'fast-path')?.value ?? 0;
  const renewTime = async () => (await env.client.get<{ spec?: { renewTime?: string } } & ConfigMapObject>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, 'fast-path', { namespace: 'default' })).spec?.renewTime;
  const first = await renewTime();
  await eventually('renewed on the fast path', async () => {
    clock.step(2_000);
    return (await renewTime()) !== first;
  });
  assert.equal(await slowpath(), 0);
  // someone else touches the Lease: the cached copy is stale, the update conflicts
  await env.client.patch({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, 'fast-path', { metadata: { annotations: { touched: 'yes' } } }, { namespace: 'default', type: 'merge' });
  await eventually('renewed through the slow path', async () => {
    clock.step(2_000);
    return (await slowpath()) >= 1;
  });
  assert.ok(m.isLeader, 'still leading after the slow path');
  await m.stop();
});

const resynced: string[] = [];
@Controller({ for: ConfigMap, name: 'resyncer', namespace: 'resync', resyncPeriodMs: 10 * 60_000, predicates: [{ generic: (o) => o.metadata.name!.startsWith('keep') }] })
class Resyncer implements Reconciler<ConfigMapObject> {
  reconcile(cm: ConfigMapObject) {
    resynced.push(cm.metadata.name!);
  }
}

test('resyncPeriodMs runs on the manager clock and resyncs are generic events for predicates', async () => {
  await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'resync' } });
  for (const name of ['keep-1', 'drop-1']) await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'resync' } });
  const clock = new FakeClock();
  const m = env.manager({ clock });
  m.register(Resyncer);
  await m.start();
  await eventually('initial reconciles', () => resynced.includes('keep-1') && resynced.includes('drop-1'));
  resynced.length = 0;
  clock.step(10 * 60_000);
  await eventually('the resync', () => resynced.includes('keep-1'));
  // a later event queues behind anything the resync queued: once it is reconciled, drop-1 would have been too
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later', namespace: 'resync' } });
  await eventually('the later event', () => resynced.includes('later'));
  assert.ok(!resynced.includes('drop-1'), 'the generic predicate filtered drop-1 out of the resync');
  await m.stop();
});

/** Reconciles of `gated` wait for the test to open the gate, so one can be in flight at a chosen moment. */
const gate = { open: true, waiting: [] as Array<() => void>, seen: [] as string[] };
@Controller({ for: ConfigMap, name: 'gated', namespace: 'gated', predicates: [notRootCA] })
class Gated implements Reconciler<ConfigMapObject> {
  async reconcile(cm: ConfigMapObject) {
    gate.seen.push(cm.metadata.name!);
    if (!gate.open) await new Promise<void>((r) => gate.waiting.push(r));
  }
}

test('reconciled: waits for reconciles begun after the call (not one in flight), of one key when asked', { timeout: 30_000 }, async () => {
  await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gated' } });
  const m = env.manager();
  m.register(Gated);
  await assert.rejects(reconciled(m, 'gated'), /no running controller named "gated"/);
  await m.start();
  await assert.rejects(reconciled(m, 'gated', { times: 0 }), /times must be a positive integer/);
  gate.open = false;
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'gated' } });
  await eventually('a in flight', () => gate.waiting.length === 1);
  const next = reconciled(m, 'gated');
  let done = false;
  void next.then(() => (done = true));
  const finishedA = firstValueFrom(m.runner('gated')!.outcomes$);
  gate.open = true;
  gate.waiting.shift()!();
  // a finishes, but began before the call: next must not resolve on it. b begins after it.
  assert.equal((await finishedA).key, 'gated/a');
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'the reconcile in flight at the call does not count');
  const ofB = reconciled(m, 'gated', { key: { namespace: 'gated', name: 'b' } });
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'gated' } });
  const [o] = await next;
  assert.deepEqual({ key: o.key, result: o.result, seq: o.seq }, { key: 'gated/b', result: 'success', seq: 1 });
  assert.equal((await ofB)[0].key, 'gated/b');
  // drained: resolves only once what is queued or in flight at the call is done
  gate.open = false;
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'gated' } });
  await eventually('c in flight', () => gate.waiting.length === 1);
  let idle = false;
  const quiet = drained(m, 'gated').then(() => (idle = true));
  await eventually('c still in flight', () => m.runner('gated')!.queue.processingCount() === 1 && gate.seen.includes('c'));
  assert.equal(idle, false, 'not drained while c is in flight');
  gate.open = true;
  gate.waiting.shift()!();
  await quiet;
  const never = reconciled(m, 'gated', { key: 'gated/none' });
  await m.stop();
  await assert.rejects(never, /controller gated stopped before 1 reconcile\(s\) of gated key gated\/none/);
  await assert.rejects(reconciled(m, 'gated', { timeoutMs: 10 }), /stopped before|timed out/);
});
