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
import { ConfigMap, Controller, Manager, Node, type ConfigMapObject, type NodeObject, type Reconciler } from '../../src/index.js';
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
});
