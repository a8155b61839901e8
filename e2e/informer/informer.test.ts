// Informers against the real built-in API server, with faults injected by a TCP proxy
// between them: dropped streams, a stalled network path longer than the idle timeout,
// history compaction (410 -> relist) and a server restart on the same data directory.
// "No duplicate side effect": every (key, resourceVersion) reaches the handler once and
// every deletion (key, uid) once; afterwards the cache equals a fresh list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { objectKey, type KubeObject } from '../../src/api/index.js';
import type { KubeClient } from '../../src/client/index.js';
import { SharedInformerFactory, type StoreEvent, type ListWatchOptions } from '../../src/informer/index.js';
import { EXTERNAL, recordSkip, uniqueName } from '../support/index.js';
import { clientFor, eventually, portOf, startFaultProxy, startInProcessServer, startServer, tempDir } from './harness.js';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
/** The test's namespace: `inf` on a server of its own; a fresh one per test on an external cluster. */
let NS = 'inf';
const freshNamespace = () => { NS = EXTERNAL ? uniqueName('inf') : 'inf'; };

/** Records what a consumer's handler saw. */
/** Keys of a ledger or cache without the root CA publisher's ConfigMap (in every namespace, as on a real cluster). */
const ours = (keys: Iterable<string>) => [...keys].filter((k) => !k.startsWith(`${NS}/kube-root-ca.crt`)).length;

class Ledger {
  readonly applied = new Map<string, number>(); // key@rv -> times
  readonly deleted = new Map<string, number>(); // key#uid -> times
  readonly finalStateUnknown: string[] = [];
  handle = (e: StoreEvent) => {
    const key = objectKey(e.obj);
    if (e.type === 'delete') {
      const k = `${key}#${e.obj.metadata.uid}`;
      this.deleted.set(k, (this.deleted.get(k) ?? 0) + 1);
      if (e.finalStateUnknown) this.finalStateUnknown.push(key);
    } else {
      const k = `${key}@${e.obj.metadata.resourceVersion}`;
      this.applied.set(k, (this.applied.get(k) ?? 0) + 1);
    }
  };
  duplicates(): string[] {
    return [...this.applied, ...this.deleted].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
  }
}

/** Writes a round of changes and returns the resulting versions (key@rv) and deletions (key#uid). */
async function churn(client: KubeClient, tag: string, existing: string[], n: number) {
  const versions: string[] = [];
  const deletions: string[] = [];
  for (let i = 0; i < n; i++) {
    const created = await client.create<KubeObject>({ ...CM, metadata: { name: `${tag}-${i}`, namespace: NS }, data: { v: '0' } });
    versions.push(`${objectKey(created)}@${created.metadata.resourceVersion}`);
    existing.push(created.metadata.name!);
  }
  for (let i = 0; i < n; i++) {
    const name = existing[(i * 7) % existing.length];
    const u = await client.patch<KubeObject>(CM, name, { data: { v: `${tag}-${i}` } }, { namespace: NS });
    versions.push(`${objectKey(u)}@${u.metadata.resourceVersion}`);
  }
  for (let i = 0; i < Math.max(1, n / 4); i++) {
    const name = existing.shift()!;
    const cur = await client.get<KubeObject>(CM, name, { namespace: NS });
    await client.delete(CM, name, { namespace: NS });
    deletions.push(`${NS}/${name}#${cur.metadata.uid}`);
  }
  return { versions, deletions };
}

async function cacheMatchesServer(client: KubeClient, cache: { keys(): string[]; get(k: string): KubeObject | undefined }): Promise<boolean> {
  const fresh = await client.listAll(CM, { namespace: NS });
  if (fresh.items.length !== cache.keys().length) return false;
  return fresh.items.every((o) => cache.get(objectKey(o))?.metadata.resourceVersion === o.metadata.resourceVersion);
}

test('no event lost and no duplicate side effect across cuts, a stall, compaction and a restart', { timeout: 55_000, skip: EXTERNAL && recordSkip('no event lost and no duplicate side effect across cuts, a stall, compaction and a restart', 'restarts the API server on its data directory') }, async () => {
  const data = tempDir('kubeloop-informer-');
  let server = await startInProcessServer({ dataDir: data.path });
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: portOf(server.url) });
  let writer = clientFor(server);
  const watcher = clientFor(server, proxy, { requestTimeoutMs: 5000 });
  const statuses: string[] = [];
  let requested = 0; // lists and watches the informer started
  const lwOpts: Partial<ListWatchOptions> = {
    idleTimeoutMs: 1500,
    backoff: { initialMs: 50, maxMs: 400 },
    onStatus: ({ state, input, effect }) => {
      statuses.push(`${input.type}${'code' in input && input.code ? ':' + input.code : ''}->${state.phase}`);
      if (effect.kind === 'watch' || effect.kind === 'list') requested++;
    },
  };
  const failures = () => statuses.filter((s) => s.startsWith('Failed')).length;
  const factory = new SharedInformerFactory(watcher, lwOpts);
  const ledger = new Ledger();
  try {
    freshNamespace();
    await writer.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const names: string[] = [];
    await churn(writer, 'seed', names, 12);
    const inf = factory.informerFor(CM, { namespace: NS });
    const sub = inf.events$().subscribe(ledger.handle);
    await inf.waitForCacheSync(undefined, 10_000);
    const seen = (versions: string[]) => versions.every((v) => ledger.applied.has(v));
    await eventually('seed synced', () => cacheMatchesServer(writer, inf.reader));

    // (a) streams dropped every few hundred ms while writing: resume from the last RV, nothing missed.
    const strict: string[] = [];
    const strictDeletes: string[] = [];
    for (let round = 0; round < 5; round++) {
      const r = await churn(writer, `cut${round}`, names, 4);
      strict.push(...r.versions);
      strictDeletes.push(...r.deletions);
      const before = requested;
      proxy.cutAll();
      await eventually('the informer resumed after the cut', () => requested > before);
    }
    await eventually('all versions written under cuts delivered', () => seen(strict));
    // a deletion's event may still be on its way once the versions are in: wait for it, then count
    await eventually('every deletion under cuts delivered', () => strictDeletes.every((d) => (ledger.deleted.get(d) ?? 0) >= 1));
    assert.ok(strictDeletes.every((d) => ledger.deleted.get(d) === 1), 'every deletion under cuts delivered once');

    // (d) the network path stalls for longer than the idle timeout: the dead stream is detected and replaced.
    const failedBefore = failures();
    proxy.stall();
    const stalled = await churn(writer, 'stall', names, 4);
    await eventually('the idle timeout failed the stalled stream', () => statuses.slice(-20).some((s) => s.startsWith('Failed->Backoff')) && failures() > failedBefore, 10_000);
    proxy.resume();
    await eventually('versions written during the stall delivered', () => seen(stalled.versions));
    await eventually('deletions during the stall delivered', () => stalled.deletions.every((d) => (ledger.deleted.get(d) ?? 0) >= 1));
    assert.ok(stalled.deletions.every((d) => ledger.deleted.get(d) === 1));
    assert.ok(statuses.some((s) => s.startsWith('Failed->Backoff')), 'the idle timeout failed the stream');

    // (c) history compacted while disconnected: 410 -> relist -> diff (deletes carry the last known state).
    const listsBefore = statuses.filter((s) => s.startsWith('ListDone')).length;
    proxy.stall();
    const compacted = await churn(writer, 'compact', names, 4);
    server.compact();
    proxy.cutAll();
    proxy.resume();
    await eventually('cache equals a fresh list after the relist', () => cacheMatchesServer(writer, inf.reader));
    assert.ok(statuses.some((s) => s.includes(':410')), `a 410 was seen: ${statuses.slice(-8).join(' ')}`);
    assert.ok(statuses.filter((s) => s.startsWith('ListDone')).length > listsBefore, 'relisted');
    assert.ok(compacted.deletions.every((d) => ledger.deleted.get(d) === 1), 'deleted while away: one delete each');

    // (b) the server restarts on the same data directory (new port; the proxy follows).
    const failedBeforeStop = failures();
    await server.stop();
    writer.close();
    await eventually('the informer saw the server go', () => failures() > failedBeforeStop);
    server = await startInProcessServer({ dataDir: data.path });
    proxy.retarget(portOf(server.url));
    writer = clientFor(server);
    const restarted = await churn(writer, 'restart', names, 4);
    await eventually('cache equals a fresh list after the restart', () => cacheMatchesServer(writer, inf.reader));
    assert.ok(restarted.deletions.every((d) => ledger.deleted.get(d) === 1));

    // Every final object's version was delivered, and nothing twice.
    const fresh = await writer.listAll(CM, { namespace: NS });
    for (const o of fresh.items) assert.ok(ledger.applied.has(`${objectKey(o)}@${o.metadata.resourceVersion}`), `final state of ${objectKey(o)} delivered`);
    assert.deepEqual(ledger.duplicates(), []);
    sub.unsubscribe();
    assert.equal(inf.running, false, 'last consumer gone: the list-watch stopped');
  } finally {
    factory.shutdown();
    watcher.close();
    writer.close();
    await proxy.close();
    await server.stop().catch(() => undefined);
    data.remove();
  }
});

test('shared factory: two consumers, one watch at the server; late consumers get the cache as adds; streaming list used', { timeout: 30_000 }, async () => {
  const server = await startServer();
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: portOf(server.url) });
  const requests: string[] = [];
  const watcher = clientFor(server, proxy, { onRequest: (r) => requests.push(`${r.method} ${r.path}${r.query?.watch ? '?watch' : ''}`) });
  const writer = clientFor(server);
  const factory = new SharedInformerFactory(watcher);
  try {
    freshNamespace();
    await writer.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (let i = 0; i < 5; i++) await writer.create({ ...CM, metadata: { name: `c${i}`, namespace: NS, labels: { i: String(i % 2) } } });
    const a = new Ledger();
    const b = new Ledger();
    const infA = factory.informerFor(CM, { namespace: NS, indexers: { byParity: (o) => [o.metadata.labels?.i ?? ''] } });
    const infB = factory.informerFor(CM, { namespace: NS });
    assert.equal(infA, infB, 'same kind and scope: same informer');
    const subA = infA.events$().subscribe(a.handle);
    await factory.waitForCacheSync(undefined, 10_000);
    const subB = infB.events$().subscribe(b.handle);
    assert.equal(ours(b.applied.keys()), 5, 'late consumer got the cache as adds');
    await writer.patch(CM, 'c0', { data: { x: '1' } }, { namespace: NS });
    await eventually('both consumers see the update', () => ours(a.applied.keys()) === 6 && ours(b.applied.keys()) === 6);
    assert.equal(requests.filter((r) => r.endsWith('?watch')).length, 1, `one watch request: ${requests.join(', ')}`);
    assert.equal(requests.filter((r) => r.startsWith('GET /api/v1/namespaces/inf/configmaps') && !r.endsWith('?watch')).length, 0, 'the built-in server does streaming lists: no LIST request');
    assert.equal(proxy.open, 1, 'exactly one connection held open at the server');
    assert.deepEqual(infA.reader.byIndex('byParity', '0').map((o) => o.metadata.name).sort(), ['c0', 'c2', 'c4']);
    subA.unsubscribe();
    assert.equal(infA.running, true, 'one consumer left: still running');
    subB.unsubscribe();
    assert.equal(infA.running, false);
    await eventually('the watch connection closed', () => proxy.open === 0 || requests.length > 0);
  } finally {
    factory.shutdown();
    watcher.close();
    writer.close();
    await proxy.close();
    await server.stop();
  }
});

test('paged lists (streamingList: never) and label/field-selected informers against the real server', { timeout: 30_000 }, async () => {
  const server = await startServer();
  const requests: string[] = [];
  const client = clientFor(server, undefined, { onRequest: (r) => requests.push(`${r.method} ${r.path} limit=${r.query?.limit ?? ''}`) });
  const factory = new SharedInformerFactory(client, { streamingList: 'never', pageSize: 7 });
  try {
    freshNamespace();
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (let i = 0; i < 20; i++) await client.create({ ...CM, metadata: { name: `p${i}`, namespace: NS, labels: { even: String(i % 2 === 0) } } });
    const all = factory.informerFor(CM, { namespace: NS });
    const even = factory.informerFor(CM, { namespace: NS, labelSelector: 'even=true' });
    const one = factory.informerFor(CM, { namespace: NS, fieldSelector: 'metadata.name=p3' });
    const releases = [all.acquire(), even.acquire(), one.acquire()];
    await factory.waitForCacheSync(undefined, 10_000);
    assert.equal(ours(all.reader.keys()), 20);
    assert.equal(even.reader.size, 10);
    assert.deepEqual(one.reader.keys(), [`${NS}/p3`]);
    assert.equal(requests.filter((r) => r.includes('limit=7')).length, 3 + 2 + 1, 'paged by 7');
    await client.patch(CM, 'p1', { metadata: { labels: { even: 'true' } } }, { namespace: NS });
    await eventually('relabelled object enters the selected cache', () => even.reader.size === 11);
    await client.delete(CM, 'p3', { namespace: NS });
    await eventually('deleted from the field-selected cache', () => one.reader.size === 0);
    releases.forEach((r) => r());
  } finally {
    factory.shutdown();
    client.close();
    await server.stop();
  }
});

test('the server ends watches every second (timeoutSeconds=1): resumed from the last RV, no relist, nothing lost or doubled', { timeout: 30_000 }, async () => {
  const server = await startServer();
  const requests: string[] = [];
  const watcher = clientFor(server, undefined, { onRequest: (r) => requests.push(r.query?.watch ? `watch rv=${r.query.resourceVersion ?? ''}` : `${r.method} ${r.path}`) });
  const writer = clientFor(server);
  const factory = new SharedInformerFactory(watcher, { watchTimeoutSeconds: 1, streamingList: 'never' });
  const ledger = new Ledger();
  try {
    freshNamespace();
    await writer.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const inf = factory.informerFor(CM, { namespace: NS });
    const sub = inf.events$().subscribe(ledger.handle);
    await inf.waitForCacheSync(undefined, 10_000);
    const versions: string[] = [];
    const watchCount = () => requests.filter((r) => r.startsWith('watch')).length;
    // write across at least three ends of the watch, each write once the previous was delivered
    for (let i = 0; watchCount() < 4; i++) {
      const o = await writer.create<KubeObject>({ ...CM, metadata: { name: `t${i}`, namespace: NS } });
      const v = `${objectKey(o)}@${o.metadata.resourceVersion}`;
      versions.push(v);
      await eventually(`${v} delivered`, () => ledger.applied.has(v), 10_000);
    }
    await eventually('every write delivered', () => versions.every((v) => ledger.applied.has(v)));
    const watches = requests.filter((r) => r.startsWith('watch'));
    assert.ok(watches.length >= 3, `resumed several times: ${watches.join(', ')}`);
    assert.ok(watches.slice(1).every((w) => w !== 'watch rv='), 'every resume names a resourceVersion');
    assert.equal(requests.filter((r) => r === `GET /api/v1/namespaces/${NS}/configmaps`).length, 1, 'listed once: no relist');
    assert.deepEqual(ledger.duplicates(), []);
    sub.unsubscribe();
  } finally {
    factory.shutdown();
    watcher.close();
    writer.close();
    await server.stop();
  }
});
