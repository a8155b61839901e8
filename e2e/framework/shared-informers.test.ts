// ManagerOptions.informers: a second manager on the first one's informers lists and watches a
// kind they both watch once, and its stop leaves the first manager's informers running.
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Controller, Manager, ConfigMap, Secret, KubeClient, loadKubeConfig, type ConfigMapObject, type SecretObject, type Reconciler,
} from '../../src/index.js';
import { startServer, clientFor, eventually, ensure, type ServerHandle } from './harness.js';

const NS = 'shared-informers';
let server: ServerHandle;
let client: KubeClient;

before(async () => {
  server = await startServer();
  client = clientFor(server);
  await ensure(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
after(async () => {
  client?.close();
  await server?.stop();
});

const seen = { first: new Set<string>(), second: new Set<string>(), secrets: new Set<string>() };

@Controller({ for: ConfigMap, namespace: NS, name: 'first-configmaps' })
class FirstController implements Reconciler<ConfigMapObject> {
  reconcile(cm: ConfigMapObject) { seen.first.add(cm.metadata.name!); }
}

@Controller({ for: ConfigMap, namespace: NS, name: 'second-configmaps' })
class SecondController implements Reconciler<ConfigMapObject> {
  reconcile(cm: ConfigMapObject) { seen.second.add(cm.metadata.name!); }
}

@Controller({ for: Secret, namespace: NS, name: 'second-secrets' })
class SecretController implements Reconciler<SecretObject> {
  reconcile(s: SecretObject) { seen.secrets.add(s.metadata.name!); }
}

test('a manager on another manager\'s informers watches a shared kind once and stops without stopping them', async () => {
  // every list and watch the managers send in the namespace, by resource
  const lists: string[] = [];
  const watched = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }), {
    onRequest: (r) => { if (r.method === 'GET' && r.path.startsWith(`/api/v1/namespaces/${NS}/`)) lists.push(`${r.query?.watch ? 'watch' : 'list'} ${r.path.split('/').pop()}`); },
  });
  const first = new Manager({ client: watched, metricsBindAddress: false, handleSignals: false });
  first.register(FirstController);
  const second = new Manager({ informers: first.informers, metricsBindAddress: false, handleSignals: false });
  second.register(SecondController).register(SecretController);
  try {
    assert.equal(second.client, watched, 'the shared informers\' client is the second manager\'s too');
    await first.start();
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one', namespace: NS }, data: {} });
    await eventually('the first manager reconciles it', () => seen.first.has('one'));
    await second.start();
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: NS }, data: {} });
    await eventually('the second manager reconciles the ConfigMap there before it started, and its Secret', () => seen.second.has('one') && seen.secrets.has('s'));
    // (an informer's list is a watch with sendInitialEvents where the server has it)
    assert.equal(lists.filter((l) => l.endsWith(' configmaps')).length, 1, `ConfigMaps listed and watched once: ${lists.join(', ')}`);
    assert.equal(lists.filter((l) => l.endsWith(' secrets')).length, 1, `Secrets listed and watched: ${lists.join(', ')}`);
    const secrets = first.informers.list().find((i) => i.kind.kind === 'Secret')!;
    assert.ok(secrets.running);

    await second.stop();
    assert.equal(secrets.running, false, 'what only the second manager watched stops with it');
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two', namespace: NS }, data: {} });
    await eventually('the first manager still sees changes', () => seen.first.has('two'));
    assert.ok(!seen.second.has('two'));
  } finally {
    await second.stop();
    await first.stop();
    watched.close();
  }
});
