// ctx.cache(kind) when controllers of one manager watch the same kind with different scopes:
// each read must come from a cache whose scope holds the namespace asked for.
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Controller, Manager, ConfigMap, type ConfigMapObject, type KubeClient, type ReconcileContext, type Reconciler,
} from '../../src/index.js';
import { startServer, clientFor, eventually, ensure, type ServerHandle } from './harness.js';

let server: ServerHandle;
let client: KubeClient;

before(async () => {
  server = await startServer();
  client = clientFor(server);
  for (const name of ['scope-a', 'scope-b']) await ensure(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
});
after(async () => {
  client?.close();
  await server?.stop();
});

const seen: Record<string, string | undefined> = {};

/** Watches ConfigMaps of scope-a only. */
@Controller({ for: ConfigMap, namespace: 'scope-a', name: 'scoped-a' })
class NarrowController implements Reconciler<ConfigMapObject> {
  reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    // Reads a ConfigMap of ANOTHER namespace through the shared cache.
    seen[`a:${cm.metadata.name}`] = ctx.cache(ConfigMap).get('scope-b', 'settings')?.data?.value;
  }
}

/** Watches ConfigMaps of scope-b only. */
@Controller({ for: ConfigMap, namespace: 'scope-b', name: 'scoped-b' })
class OtherNarrowController implements Reconciler<ConfigMapObject> {
  reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    // every namespace holds kube-root-ca.crt (the root CA publisher's, as on a real cluster)
    seen[`b:${cm.metadata.name}`] = ctx.cache(ConfigMap).list({ namespace: 'scope-a' }).map((o) => o.metadata.name).filter((n) => n !== 'kube-root-ca.crt').sort().join(',');
  }
}

test('ctx.cache reads the informer whose namespace scope holds the object, whichever controller started first', async () => {
  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'scope-b' }, data: { value: 'from-b' } });
  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'trigger', namespace: 'scope-a' }, data: {} });
  const manager = new Manager({ kubeconfig: server.kubeconfigPath, metricsBindAddress: false, handleSignals: false });
  manager.register(NarrowController).register(OtherNarrowController);
  await manager.start();
  try {
    await eventually('the scope-a controller reads scope-b through ctx.cache', () => seen['a:trigger'] === 'from-b');
    await eventually('the scope-b controller lists scope-a through ctx.cache', () => seen['b:settings'] === 'trigger');
  } finally {
    await manager.stop();
  }
});

test('manager.cache over namespace-scoped informers answers from all of them and refuses a namespace none holds', async () => {
  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra-b', namespace: 'scope-b' }, data: {} });
  await ensure(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scope-c' } });
  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'in-c', namespace: 'scope-c' }, data: {} });
  const manager = new Manager({ kubeconfig: server.kubeconfigPath, metricsBindAddress: false, handleSignals: false });
  manager.register(NarrowController).register(OtherNarrowController);
  await manager.start();
  try {
    const cache = manager.cache(ConfigMap);
    const names = (list: ConfigMapObject[]) => list.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
    const expected = ['scope-a/trigger', 'scope-b/extra-b', 'scope-b/settings'];
    assert.deepEqual(names(cache.list()).filter((n) => !n.endsWith('kube-root-ca.crt')), expected, 'list() spans both informers');
    assert.deepEqual(names(cache.byIndex('namespace', 'scope-b')), ['scope-b/extra-b', 'scope-b/kube-root-ca.crt', 'scope-b/settings'], 'byIndex reaches the scope-b informer');
    assert.ok(cache.keys().includes('scope-b/extra-b') && cache.keys().includes('scope-a/trigger'));
    assert.equal(cache.size, cache.keys().length);
    assert.equal(cache.get('scope-b/settings')?.data?.value, 'from-b');
    assert.throws(() => cache.list({ namespace: 'scope-c' }), /cache holds namespaces scope-a, scope-b, not "scope-c"/);
    assert.throws(() => cache.get('scope-c', 'in-c'), /not "scope-c"/);
  } finally {
    await manager.stop();
  }
});
