// The simulated kubelet's heartbeat runs on its own timers, as upstream's (lease controller
// renewInterval, kubelet nodeStatusUpdateFrequency): Node events from other writers renew no
// Lease and post no status before the next tick.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { startSimCluster, type SimCluster } from '../../src/simcluster/index.js';
import { Node } from '../../src/index.js';
import { drained } from '../../src/testing/index.js';
import { describeInProcess } from '../support/index.js';
import { eventually, NodeKind, type Obj } from './harness.js';
import pino from 'pino';

describeInProcess('simulated cluster: kubelet heartbeat timers', 'starts a simulated cluster of its own and counts its requests', () => {
  let server: ApiServer;
  let sim: SimCluster;
  let client: KubeClient;
  let simClient: KubeClient;
  /** the simulated cluster's writes, e.g. `PATCH nodes/n1/status`, `PUT leases/n1` */
  const writes: string[] = [];

  before(async () => {
    server = await startApiServer({ port: 0 });
    client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
    simClient = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }), {
      onRequest: (r) => {
        const m = /\/(nodes|leases)\/([^/]+)(\/status)?$/.exec(r.path);
        if (r.method !== 'GET' && m) writes.push(`${r.method} ${m[1]}/${m[2]}${m[3] ?? ''}`);
        else if (r.method === 'POST' && r.path.endsWith('/leases')) writes.push('POST leases');
      },
    });
    // ticks far apart: whatever the heartbeat writes during the test is what Node events caused
    sim = await startSimCluster({
      client: simClient, nodes: [{ name: 'n1' }, { name: 'n2' }], logger: pino({ level: 'silent' }) as never,
      timings: { leaseRenewIntervalMs: 600_000, nodeStatusReportMs: 600_000 },
    });
  });
  after(async () => {
    await sim?.stop();
    simClient?.close();
    client?.close();
    await server?.stop();
  });

  it('posts each node\'s status and creates its Lease once, however often the Node changes before the next tick', async () => {
    await eventually('both nodes Ready', async () => ((await client.list<Obj>(NodeKind)).items as Obj[])
      .filter((n) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length === 2);
    // other writers change the Nodes: each change is a Node event the heartbeat controller reconciles
    for (let i = 0; i < 5; i++) {
      for (const name of ['n1', 'n2']) await client.patch(NodeKind, name, { metadata: { labels: { [`example.com/touch`]: String(i) } } });
    }
    await eventually('the label changes reached the simulated cluster\'s cache', () =>
      ['n1', 'n2'].every((n) => sim.manager.cache(Node).get(n)?.metadata.labels?.['example.com/touch'] === '4'));
    await drained(sim.manager, 'node-heartbeat');
    for (const name of ['n1', 'n2']) {
      assert.equal(writes.filter((w) => w === `PATCH nodes/${name}/status`).length, 1, `one status post for ${name}: ${writes.join(', ')}`);
      assert.equal(writes.filter((w) => w === `PUT leases/${name}`).length, 0, `no Lease renewal of ${name} before its tick: ${writes.join(', ')}`);
    }
    assert.equal(writes.filter((w) => w === 'POST leases').length, 2, writes.join(', '));
  });
});

describeInProcess('simulated cluster: kubelet status ticks', 'starts a simulated cluster of its own and counts its requests', () => {
  let server: ApiServer;
  let sim: SimCluster;
  let simClient: KubeClient;
  const writes: string[] = [];

  before(async () => {
    server = await startApiServer({ port: 0 });
    simClient = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }), {
      onRequest: (r) => {
        const m = /\/(nodes|leases)\/([^/]+)(\/status)?$/.exec(r.path);
        if (r.method !== 'GET' && m) writes.push(`${r.method} ${m[1]}/${m[2]}${m[3] ?? ''}`);
      },
    });
    // a status tick every 100 ms, a report due only after 10 minutes; the kubelet posts memory
    // 1G as 1000000000 (bytes), which the API server stores canonical: 1G
    sim = await startSimCluster({
      client: simClient, nodes: [{ name: 'n1', cpu: 4, memory: '1G' }], logger: pino({ level: 'silent' }) as never,
      timings: { leaseRenewIntervalMs: 100, nodeStatusReportMs: 600_000 },
    });
  });
  after(async () => {
    await sim?.stop();
    simClient?.close();
    await server?.stop();
  });

  it('posts an unchanged status no more than its report interval asks, though the API server stores it canonical and in its own key order', async () => {
    // (the API server returns the capacity's keys sorted, and quantities in their canonical spelling)
    await eventually('five Lease renewals: five status ticks went by', () => writes.filter((w) => w === 'PUT leases/n1').length >= 5);
    assert.equal(writes.filter((w) => w === 'PATCH nodes/n1/status').length, 1, writes.join(', '));
  });
});
