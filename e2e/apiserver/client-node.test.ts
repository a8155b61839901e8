// @kubernetes/client-node 1.4 against the built-in API server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { eventually } from './harness.js';

function clientFor(server: ApiServer): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(server.kubeconfig);
  return kc;
}

function codeOf(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

describe('client-node against the built-in API server', () => {
  let server: ApiServer;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  before(async () => {
    server = await startApiServer({ port: 0 });
    kc = clientFor(server);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => {
    await server.stop();
  });

  it('typed CoreV1Api CRUD', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'typed' }, data: { a: '1' } } });
    assert.equal(created.kind, 'ConfigMap');
    assert.equal(created.apiVersion, 'v1');
    assert.ok(created.metadata?.uid);
    const read = await core.readNamespacedConfigMap({ name: 'typed', namespace: 'default' });
    assert.equal(read.data?.a, '1');
    read.data = { a: '2' };
    const replaced = await core.replaceNamespacedConfigMap({ name: 'typed', namespace: 'default', body: read });
    assert.equal(replaced.data?.a, '2');
    assert.ok(Number(replaced.metadata!.resourceVersion) > Number(created.metadata!.resourceVersion));
    // Stale resourceVersion -> 409 Conflict.
    await assert.rejects(core.replaceNamespacedConfigMap({ name: 'typed', namespace: 'default', body: read }), (e: unknown) => codeOf(e) === 409);
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    // kube-root-ca.crt is kube-controller-manager's (root CA publisher), in every namespace
    assert.deepEqual(list.items.map((i) => i.metadata?.name), ['kube-root-ca.crt', 'typed']);
    await core.deleteNamespacedConfigMap({ name: 'typed', namespace: 'default' });
    await assert.rejects(core.readNamespacedConfigMap({ name: 'typed', namespace: 'default' }), (e: unknown) => codeOf(e) === 404);
    // A namespace that does not exist -> 404.
    await assert.rejects(core.createNamespacedConfigMap({ namespace: 'nope', body: { metadata: { name: 'x' } } }), (e: unknown) => codeOf(e) === 404);
    // Pods: the deleted object is returned.
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    const deleted = (await core.deleteNamespacedPod({ name: 'p', namespace: 'default' })) as k8s.V1Pod;
    assert.equal(deleted.kind, 'Pod');
    assert.equal(deleted.metadata?.name, 'p');
  });

  it('KubernetesObjectApi CRUD', async () => {
    const api = k8s.KubernetesObjectApi.makeApiClient(kc);
    const spec = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'obj', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'obj' } }, template: { metadata: { labels: { app: 'obj' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } };
    const created = await api.create(spec);
    assert.equal(created.metadata.name, 'obj');
    const read = (await api.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'obj', namespace: 'default' } })) as k8s.V1Deployment;
    assert.equal(read.spec?.replicas, 1);
    const patched = (await api.patch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'obj', namespace: 'default' }, spec: { replicas: 3 } } as k8s.KubernetesObject, undefined, undefined, undefined, undefined, k8s.PatchStrategy.MergePatch)) as k8s.V1Deployment;
    assert.equal(patched.spec?.replicas, 3);
    assert.equal(patched.metadata?.generation, 2);
    // The object read before the patch is stale now: replacing it conflicts.
    read.spec!.replicas = 4;
    await assert.rejects(api.replace(read), (e: unknown) => codeOf(e) === 409);
    patched.spec!.replicas = 5;
    const replaced = (await api.replace(patched)) as k8s.V1Deployment;
    assert.equal(replaced.spec?.replicas, 5);
    const list = await api.list('apps/v1', 'Deployment', 'default');
    assert.deepEqual(list.items.map((i) => i.metadata?.name), ['obj']);
    await api.delete({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'obj', namespace: 'default' } });
    await assert.rejects(api.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'obj', namespace: 'default' } }), (e: unknown) => codeOf(e) === 404);
  });

  it('Watch resumes from a resourceVersion and gets 410 on a compacted one', async () => {
    const a = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w1' } } });
    const startRv = a.metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w2' } } });
    await core.deleteNamespacedConfigMap({ name: 'w1', namespace: 'default' });
    const watch = new k8s.Watch(kc);
    const seen: string[] = [];
    const ctl = await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: startRv }, (type, obj) => seen.push(`${type} ${obj.metadata.name}`), () => undefined);
    await eventually(() => seen.length >= 2, 5000, 'replayed events');
    assert.deepEqual(seen, ['ADDED w2', 'DELETED w1']);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w3' } } });
    await eventually(() => seen.includes('ADDED w3'), 5000, 'live event');
    ctl.abort();

    server.compact();
    const errors: unknown[] = [];
    let doneErr: unknown = 'not done';
    await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: startRv }, (type, obj) => {
      if (type === 'ERROR') errors.push(obj);
    }, (err) => (doneErr = err));
    await eventually(() => doneErr !== 'not done', 5000, 'watch end');
    assert.equal((errors[0] as { code: number }).code, 410);
    assert.equal((errors[0] as { reason: string }).reason, 'Expired');
  });

  it('label and field selectors, pagination', async () => {
    for (let i = 0; i < 7; i++) {
      await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: `s${i}`, labels: { idx: String(i), even: String(i % 2 === 0) } }, type: i < 2 ? 'kubernetes.io/tls' : 'Opaque', ...(i < 2 ? { data: { 'tls.crt': '', 'tls.key': '' } } : {}) } });
    }
    const even = await core.listNamespacedSecret({ namespace: 'default', labelSelector: 'even=true,idx notin (0)' });
    assert.deepEqual(even.items.map((s) => s.metadata?.name), ['s2', 's4', 's6']);
    const tls = await core.listNamespacedSecret({ namespace: 'default', fieldSelector: 'type=kubernetes.io/tls' });
    assert.deepEqual(tls.items.map((s) => s.metadata?.name), ['s0', 's1']);
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedSecret({ namespace: 'default', limit: 3, _continue: cont });
      names.push(...page.items.map((s) => s.metadata!.name!));
      cont = page.metadata?._continue;
      if (cont) assert.equal(page.metadata?.remainingItemCount, 7 - names.length);
      pages++;
    } while (cont);
    assert.equal(pages, 3);
    assert.deepEqual(names, ['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
    await assert.rejects(core.listNamespacedSecret({ namespace: 'default', fieldSelector: 'data.x=1' }), (e: unknown) => codeOf(e) === 400);
  });
});

describe('client-node informer across a server restart', () => {
  it('makeInformer stays in sync through a restart with the same dataDir and port', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kubeloop-informer-'));
    let server = await startApiServer({ port: 0, dataDir });
    const port = server.port;
    const kc = clientFor(server);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    let stopped = false;
    informer.on('error', () => {
      // The usual client-node pattern: restart the informer after an error.
      if (!stopped) setTimeout(() => !stopped && informer.start().catch(() => undefined), 200);
    });
    try {
      await informer.start();
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'before' }, data: { v: '1' } } });
      await eventually(() => informer.get('before', 'default'), 5000, 'informer add');
      await server.stop();
      server = await startApiServer({ port, dataDir });
      const after = kc.makeApiClient(k8s.CoreV1Api);
      const b = await after.readNamespacedConfigMap({ name: 'before', namespace: 'default' });
      assert.equal(b.data?.v, '1', 'acknowledged write survived the restart');
      b.data = { v: '2' };
      await after.replaceNamespacedConfigMap({ name: 'before', namespace: 'default', body: b });
      await after.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'afterwards' } } });
      await eventually(() => informer.get('before', 'default')?.data?.v === '2' && informer.get('afterwards', 'default'), 15_000, 'informer resync after restart');
      assert.deepEqual(informer.list('default').map((c) => c.metadata?.name).sort(), ['afterwards', 'before', 'kube-root-ca.crt']);
    } finally {
      stopped = true;
      await informer.stop();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('makeInformer relists after an in-memory server restart (newer resourceVersion -> 410)', async () => {
    let server = await startApiServer({ port: 0 });
    const port = server.port;
    const kc = clientFor(server);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (let i = 0; i < 5; i++) await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `old${i}` } } });
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    let stopped = false;
    informer.on('error', () => {
      if (!stopped) setTimeout(() => !stopped && informer.start().catch(() => undefined), 200);
    });
    try {
      await informer.start();
      // the 5 and kube-root-ca.crt (the root CA publisher's)
      await eventually(() => informer.list('default').length === 6, 5000, 'initial sync');
      await server.stop();
      server = await startApiServer({ port }); // empty again, same certificates are not kept: new kubeconfig
      const kc2 = clientFor(server);
      // The informer keeps its own client (old CA): point it at the new CA by reloading the same object.
      kc.loadFromString(server.kubeconfig);
      await kc2.makeApiClient(k8s.CoreV1Api).createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'fresh' } } });
      await eventually(() => informer.list('default').map((c) => c.metadata?.name).sort().join(',') === 'fresh,kube-root-ca.crt', 15_000, 'relist after restart');
    } finally {
      stopped = true;
      await informer.stop();
      await server.stop();
    }
  });
});
