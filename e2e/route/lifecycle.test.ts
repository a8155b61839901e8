// What happens around the controller's own lifecycle and the nodes' special states: nodes
// deleted while it is stopped, excluded / unreachable / deleting nodes, several route tables,
// and --dry-run.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import {
  cachedNode, converged, createNode, customEntries, eventually, eventsFor, networkCondition, nodeSpec, settled, startRouteController, startRouteEnv,
  NodeKind, type Obj, type RouteEnv, type RunningController,
} from './harness.js';

describeInProcess('route controller lifecycle', 'stops and restarts the controller, or starts it with other tables, flags or --dry-run', () => {
  const envs: RouteEnv[] = [];
  const ctls: RunningController[] = [];
  after(async () => {
    for (const c of ctls) await c.stop();
    for (const e of envs) await e.stop();
  });

  it('removes the route of a node deleted while the controller was stopped, and only that one', async () => {
    const env = await startRouteEnv({ nodes: ['a1', 'a2', 'a3'].map((n) => nodeSpec(n)) });
    envs.push(env);
    const first = await startRouteController(env);
    await eventually('3 routes', () => converged(env, ['a1', 'a2', 'a3']));
    const gone = customEntries(env).find((e) => e.nextHopId === 'i-a2')!;
    await first.stop();
    await env.sim.removeNode('a2');
    await eventually('a2 deleted', async () => !((await env.client.list<Obj>(NodeKind)).items as Obj[]).some((n) => n.metadata.name === 'a2'));
    assert.ok(customEntries(env).some((e) => e.routeEntryId === gone.routeEntryId), 'nothing removed it while the controller was down');
    const second = await startRouteController(env, { routeReconciliationPeriod: '1h' }); // no resync: the start-up pass must do it
    ctls.push(second);
    await eventually('a2 route removed', () => !customEntries(env).some((e) => e.destinationCidrBlock === gone.destinationCidrBlock));
    assert.ok(await converged(env, ['a1', 'a3']));
    assert.equal(customEntries(env).length, 2);
  });

  it('leaves excluded, unreachable and deleting nodes alone: no new route, the existing one kept', async () => {
    const env = await startRouteEnv({ nodes: ['b1', 'b2'].map((n) => nodeSpec(n)) });
    envs.push(env);
    const ctl = await startRouteController(env);
    ctls.push(ctl);
    await eventually('2 routes', () => converged(env, ['b1', 'b2']));
    // an excluded node gets no route
    await env.sim.addNode(nodeSpec('b3', { labels: { 'service.alibabacloud.com/exclude-node': 'true' } }));
    await eventually('b3 has a podCIDR', async () => (await env.client.get<Obj>(NodeKind, 'b3')).spec?.podCIDR);
    // an unreachable node (Ready=Unknown) keeps its route
    env.sim.pauseNode('b2');
    await eventually('b2 Ready=Unknown', async () => (await env.client.get<Obj>(NodeKind, 'b2')).status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'Unknown', 10_000);
    // a table pass that planned from b2 Unknown and b3 (excluded, with a pod CIDR)
    const ready = (n?: Obj) => n?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status;
    await settled(ctl, env, { seen: () => ready(cachedNode(ctl, 'b2')) === 'Unknown' && cachedNode(ctl, 'b3')?.spec?.podCIDR });
    const es = customEntries(env);
    assert.ok(es.some((e) => e.nextHopId === 'i-b2'), 'the unreachable node keeps its route');
    assert.ok(!es.some((e) => e.nextHopId === 'i-b3'), 'the excluded node gets none');
    assert.equal(networkCondition(await env.client.get<Obj>(NodeKind, 'b3')), undefined);
    env.sim.resumeNode('b2');
    // a node being deleted (held by a finalizer) keeps its route until it is gone
    await env.client.patch(NodeKind, 'b1', { metadata: { finalizers: ['test.kubeloop.io/hold'] } }, { type: 'merge' });
    await env.client.delete(NodeKind, 'b1');
    await eventually('b1 being deleted', async () => (await env.client.get<Obj>(NodeKind, 'b1')).metadata.deletionTimestamp);
    await settled(ctl, env, { seen: () => cachedNode(ctl, 'b1')?.metadata.deletionTimestamp });
    assert.ok(customEntries(env).some((e) => e.nextHopId === 'i-b1'), 'a deleting node keeps its route');
    await env.sim.removeNode('b1').catch(() => undefined);
    await env.client.patch(NodeKind, 'b1', { metadata: { finalizers: null } }, { type: 'merge' }).catch(() => undefined);
    await eventually('b1 route removed once the node is gone', () => !customEntries(env).some((e) => e.nextHopId === 'i-b1'));
  });

  it('keeps every configured route table', async () => {
    const env = await startRouteEnv({ cloud: { cloud: { routeTables: 2 } }, components: { nodeLifecycle: false, ipam: false } });
    envs.push(env);
    const tables = env.cloud.state.routeTables.map((t) => t.routeTableId);
    const ctl = await startRouteController(env, { routeTableIds: tables.join(',') });
    ctls.push(ctl);
    await createNode(env, 'm1', '172.16.10.0/24');
    await createNode(env, 'm2', '172.16.11.0/24');
    await eventually('both tables routed', () => tables.every((t) => ['m1', 'm2'].every((n, i) =>
      customEntries(env, t).some((e) => e.destinationCidrBlock === `172.16.1${i}.0/24` && e.nextHopId === `i-${n}` && e.status === 'Available'))));
    await eventually('conditions', async () => ((await env.client.list<Obj>(NodeKind)).items as Obj[]).every((n) => networkCondition(n)?.reason === 'RouteCreated'));
  });

  it('reports a table it cannot list on the nodes waiting for it, and keeps serving the other tables', async () => {
    const env = await startRouteEnv({ cloud: { cloud: { routeTables: 2 } }, components: { nodeLifecycle: false, ipam: false } });
    envs.push(env);
    const [good, bad] = env.cloud.state.routeTables.map((t) => t.routeTableId);
    const ctl = await startRouteController(env, { routeTableIds: `${good},${bad}` });
    ctls.push(ctl);
    env.cloud.state.routeTables.splice(1, 1); // deleted in the console
    await createNode(env, 'f1', '172.16.30.0/24');
    const ev = await eventually('SyncRouteFailed on f1', async () => (await eventsFor(env, 'f1')).find((e) => e.reason === 'SyncRouteFailed'));
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message, new RegExp(`Could not list route table ${bad}: .*does not exist`));
    await eventually('f1 routed in the good table', () => customEntries(env, good).some((e) => e.nextHopId === 'i-f1' && e.status === 'Available'));
    assert.notEqual(networkCondition(await env.client.get<Obj>(NodeKind, 'f1'))?.status, 'False', 'not RouteCreated while a table is missing');
  });

  it('--dry-run plans but writes nothing', async () => {
    const env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false } });
    envs.push(env);
    env.cloud.state.routeTables[0].entries.push({
      routeEntryId: 'rte-stale', routeTableId: env.tableId, destinationCidrBlock: '172.16.99.0/24', nextHopType: 'Instance', nextHopId: 'i-gone',
      routeEntryName: 'kubeloop-test-gone', description: 'kubeloop:cluster=test', type: 'Custom', status: 'Available', creationTime: new Date().toISOString(),
    } as any);
    await createNode(env, 'd1', '172.16.20.0/24');
    const ctl = await startRouteController(env, { dryRun: true });
    ctls.push(ctl);
    await eventually('a pass listed the table', async () => /route_controller_desired_routes\{route_table="[^"]+"\} 1/.test(await ctl.registry.metrics()));
    await settled(ctl, env); // and one more, begun after that
    assert.deepEqual(customEntries(env).map((e) => e.destinationCidrBlock), ['172.16.99.0/24']);
    assert.equal(networkCondition(await env.client.get<Obj>(NodeKind, 'd1')), undefined);
    assert.equal(env.cloud.faults.counts().CreateRouteEntry ?? 0, 0);
    assert.equal(env.cloud.faults.counts().DeleteRouteEntry ?? 0, 0);
  });

  it('refuses bad configuration with a message that says what to set', async () => {
    const env = await startRouteEnv({ cloud: { cloud: { routeTables: 2 } }, components: { nodeLifecycle: false, ipam: false } });
    envs.push(env);
    await assert.rejects(startRouteController(env, { routeTableIds: '' }), /has 2 route tables .*--route-table-ids/);
    await assert.rejects(startRouteController(env, { routeTableIds: 'vtb-nope' }), /route table vtb-nope does not exist/);
    await assert.rejects(startRouteController(env, { clusterCidr: '' }), /--cluster-cidr is required/);
    await assert.rejects(startRouteController(env, { routeReconciliationPeriod: 'soon' }), /--route-reconciliation-period: "soon" is not a duration/);
  });
});
