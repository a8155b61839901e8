// The objects a controller sees do not depend on how it runs: under `kubeloop run` its Manager
// makes its own SharedInformerFactory, which drops metadata.managedFields; under `kubeloop dev`
// it shares the simulated cluster's factory (ManagerOptions.informers), whose options win. That
// factory must drop them too, or a controller reading managedFields (or comparing cached objects
// with what it wrote) would behave differently in dev and in run.
import 'reflect-metadata';
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { startSimCluster, type SimCluster } from '../../src/simcluster/index.js';
import { ConfigMap, Controller, Manager, Node, Pod, type ConfigMapObject, type NodeObject, type Reconciler } from '../../src/index.js';
import { describeInProcess } from '../support/index.js';
import { eventually } from './harness.js';

@Controller({ for: ConfigMap, name: 'mf-configmaps' })
class ConfigMaps implements Reconciler<ConfigMapObject> { reconcile() { /* reads the cache only */ } }

@Controller({ for: Node, name: 'mf-nodes' })
class Nodes implements Reconciler<NodeObject> { reconcile() { /* reads the cache only */ } }

describeInProcess('simulated cluster: the shared informers drop managedFields as a Manager\'s own do', 'starts a simulated cluster of its own', () => {
  let server: ApiServer;
  let client: KubeClient;
  let sim: SimCluster;

  before(async () => {
    server = await startApiServer({ port: 0 });
    client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
    sim = await startSimCluster({ client, nodes: [{ name: 'n1' }], logger: pino({ level: 'silent' }) as never });
  });
  after(async () => {
    await sim?.stop();
    client?.close();
    await server?.stop();
  });

  it('a cached object has no managedFields in the simulated cluster\'s factory, in a Manager sharing it (dev) and in a Manager of its own (run)', async () => {
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mf', namespace: 'default' }, data: { a: '1' } });
    const stored = await client.get<ConfigMapObject>(ConfigMap, 'mf', { namespace: 'default' });
    assert.ok(stored.metadata.managedFields?.length, 'the server records managedFields (else this test proves nothing)');

    const logger = pino({ level: 'silent' }) as never;
    const dev = new Manager({ informers: sim.manager.informers, logger, metricsBindAddress: false, handleSignals: false });
    const run = new Manager({ client, logger, metricsBindAddress: false, handleSignals: false });
    try {
      // both watch ConfigMaps, and Nodes, which the simulated cluster itself watches
      for (const m of [dev, run]) m.register(ConfigMaps).register(Nodes);
      await dev.start();
      await run.start();
      await eventually('both caches hold the ConfigMap and the Node', () => !!(dev.cache(ConfigMap).get('default', 'mf') && run.cache(ConfigMap).get('default', 'mf')
        && dev.cache(Node).get('n1') && run.cache(Node).get('n1')));
      assert.ok((await client.get(Node, 'n1')).metadata.managedFields?.length, 'the Node has managedFields on the server');
      for (const [name, m] of [['dev (shared)', dev], ['run (own)', run]] as const) {
        assert.equal(m.cache(ConfigMap).get('default', 'mf')!.metadata.managedFields, undefined, `${name}: a ConfigMap without managedFields`);
        assert.equal(m.cache(Node).get('n1')!.metadata.managedFields, undefined, `${name}: a Node without managedFields`);
      }
      assert.equal(sim.manager.cache(Node).get('n1')!.metadata.managedFields, undefined, 'the simulated cluster\'s own reads: the same');
    } finally {
      await dev.stop();
      await run.stop();
    }
  });

  it('the simulated components write under their upstream field managers (kubelet, kube-controller-manager), not the client\'s default', async () => {
    const managers = (o: { metadata: { managedFields?: Array<{ manager?: string; subresource?: string }> } }) =>
      (o.metadata.managedFields ?? []).map((e) => `${e.manager ?? ''}${e.subresource ? `/${e.subresource}` : ''}`).sort();
    const node = await client.get<NodeObject>(Node, 'n1');
    assert.ok(managers(node).includes('kubelet'), `the Node registered by its kubelet: ${managers(node).join(', ')}`);
    assert.ok(managers(node).includes('kubelet/status'), `its status posted by its kubelet: ${managers(node).join(', ')}`);
    assert.ok(!managers(node).some((m) => m.startsWith('kubeloop')), `no write under the client's default: ${managers(node).join(', ')}`);
    await client.create({
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'mf-rs', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'mf' } }, template: { metadata: { labels: { app: 'mf' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const pod = await eventually('the ReplicaSet\'s pod runs', async () => {
      const pods = await client.list<{ metadata: { managedFields?: Array<{ manager?: string; subresource?: string }> }; status?: { phase?: string } }>(Pod, { namespace: 'default', labelSelector: 'app=mf' });
      return pods.items.find((p) => p.status?.phase === 'Running');
    });
    assert.deepEqual(managers(pod), ['kube-controller-manager', 'kubelet/status']);
    // the scheduler's Scheduled Event is written as its binding is: by kube-scheduler (its
    // recorder writes through the controller's field manager, as upstream's through its client)
    const scheduled = await eventually('the pod\'s Scheduled Event', async () => {
      const events = await client.list<{ reason?: string; involvedObject?: { name?: string }; metadata: { managedFields?: Array<{ manager?: string; subresource?: string }> } }>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
      return events.items.find((e) => e.reason === 'Scheduled' && e.involvedObject?.name === (pod as { metadata: { name?: string } }).metadata.name);
    });
    assert.deepEqual(managers(scheduled), ['kube-scheduler']);
  });
});
