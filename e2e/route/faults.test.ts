// Throttling and foreign entries: half of all route writes throttled still converges with no
// error surfacing to users; an entry another cluster owns holding a node's CIDR is reported (Warning
// Event, NetworkUnavailable=True) and never overwritten.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { CloudError, type VpcRouteApi } from '@kubeloop/ack/cloud';
import {
  cachedNode, createNode, customEntries, eventually, eventsFor, networkCondition, nodes, setFaults, settled, startRouteController, startRouteEnv,
  NodeKind, type Obj, type RouteEnv, type RunningController,
} from './harness.js';

describeInProcess('route controller under throttling', 'throttles or refuses writes for a controller of its own (another controller of the cluster would see the faults too), or wraps its VPC client', () => {
  let env: RouteEnv;
  let ctl: RunningController;
  before(async () => {
    env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false } });
  });
  after(async () => {
    await ctl?.stop();
    await env?.stop();
  });

  it('converges with 50% of the writes throttled, with no Warning events or failed conditions', async () => {
    await setFaults(env, [{ action: 'CreateRouteEntry', throttleRate: 0.5 }, { action: 'DeleteRouteEntry', throttleRate: 0.5 }]);
    // a stale owned entry (its node is gone) must be deleted through the throttling too
    env.cloud.state.routeTables[0].entries.push({
      routeEntryId: 'rte-stale', routeTableId: env.tableId, destinationCidrBlock: '172.16.99.0/24', nextHopType: 'Instance', nextHopId: 'i-gone',
      routeEntryName: 'kubeloop-test-gone', description: 'kubeloop:cluster=test', type: 'Custom', status: 'Available', creationTime: new Date().toISOString(),
    } as any);
    const names = Array.from({ length: 10 }, (_, i) => `t${i}`);
    for (const [i, n] of names.entries()) await createNode(env, n, `172.16.${i}.0/24`);
    ctl = await startRouteController(env);
    await eventually('10 routes, stale one gone, all RouteCreated', async () => {
      const es = customEntries(env);
      const ns = await nodes(env);
      return names.every((n, i) => es.some((e) => e.destinationCidrBlock === `172.16.${i}.0/24` && e.nextHopId === `i-${n}` && e.status === 'Available'))
        && !es.some((e) => e.destinationCidrBlock === '172.16.99.0/24')
        && ns.every((n) => networkCondition(n)?.reason === 'RouteCreated');
    }, 45_000);
    const calls = env.cloud.faults.counts();
    assert.ok((calls.CreateRouteEntry ?? 0) > 10, `throttling happened: ${JSON.stringify(calls)}`);
    assert.equal(customEntries(env).length, 10, 'no duplicates');
    for (const n of names) {
      const warnings = (await eventsFor(env, n)).filter((e) => e.type === 'Warning');
      assert.deepEqual(warnings.map((e) => `${e.reason}: ${e.message}`), [], `${n} has no Warning events`);
    }
    await setFaults(env, null);
  });
});

describeInProcess('route controller and entries it does not own', 'throttles or refuses writes for a controller of its own (another controller of the cluster would see the faults too), or wraps its VPC client', () => {
  let env: RouteEnv;
  let ctl: RunningController;
  before(async () => {
    env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false } });
    ctl = await startRouteController(env);
  });
  after(async () => {
    await ctl?.stop();
    await env?.stop();
  });

  it('reports another cluster\'s entry holding a node\'s CIDR (Warning, NetworkUnavailable=True) and does not overwrite it', async () => {
    // marked by another kubeloop cluster sharing the VPC (unmarked entries conflicting with a node are taken over: takeover.test.ts)
    await env.api.vpc.createRouteEntry({ routeTableId: env.tableId, destinationCidrBlock: '172.16.100.0/24', nextHopId: 'i-other', routeEntryName: 'manual', description: 'kubeloop:cluster=other' });
    await createNode(env, 'c1', '172.16.100.0/24');
    await createNode(env, 'c2', '172.16.101.0/24');
    const c1 = await eventually('c1 NetworkUnavailable=True', async () => {
      const n = await env.client.get<Obj>(NodeKind, 'c1');
      return networkCondition(n)?.status === 'True' ? n : undefined;
    });
    const c = networkCondition(c1);
    assert.equal(c.reason, 'NoRouteCreated');
    assert.match(c.message, /172\.16\.100\.0\/24 pointing at i-other, not owned by cluster test/);
    const ev = await eventually('RouteConflict event', async () => (await eventsFor(env, 'c1')).find((e) => e.reason === 'RouteConflict'));
    assert.equal(ev.type, 'Warning');
    await eventually('c2 routed', async () => networkCondition(await env.client.get<Obj>(NodeKind, 'c2'))?.reason === 'RouteCreated');
    // several resyncs later the foreign entry is untouched and there is still no route of ours for the CIDR
    await settled(ctl, env, { times: 2 });
    const held = customEntries(env).filter((e) => e.destinationCidrBlock === '172.16.100.0/24');
    assert.deepEqual(held.map((e) => [e.nextHopId, e.routeEntryName]), [['i-other', 'manual']]);
    const conflicts = (await eventsFor(env, 'c1')).filter((e) => e.reason === 'RouteConflict');
    assert.equal(conflicts.length, 1, 'reported once, not at every resync');
    assert.equal(conflicts[0].count ?? 1, 1);
  });

  it('routes the node once the foreign entry is removed', async () => {
    const foreign = customEntries(env).find((e) => e.destinationCidrBlock === '172.16.100.0/24')!;
    await env.api.vpc.deleteRouteEntry({ routeTableId: env.tableId, routeEntryId: foreign.routeEntryId });
    await eventually('c1 RouteCreated', async () => networkCondition(await env.client.get<Obj>(NodeKind, 'c1'))?.reason === 'RouteCreated');
    assert.ok(customEntries(env).some((e) => e.destinationCidrBlock === '172.16.100.0/24' && e.nextHopId === 'i-c1'));
  });

  it('accepts a foreign entry that already points at the node\'s instance, and leaves it alone', async () => {
    await env.api.vpc.createRouteEntry({ routeTableId: env.tableId, destinationCidrBlock: '172.16.102.0/24', nextHopId: 'i-c3', routeEntryName: 'pre-existing' });
    await createNode(env, 'c3', '172.16.102.0/24');
    await eventually('c3 RouteCreated', async () => networkCondition(await env.client.get<Obj>(NodeKind, 'c3'))?.reason === 'RouteCreated');
    const es = customEntries(env).filter((e) => e.destinationCidrBlock === '172.16.102.0/24');
    assert.deepEqual(es.map((e) => e.routeEntryName), ['pre-existing']);
    // and when the node goes, the entry stays (not ours)
    await env.client.delete(NodeKind, 'c3');
    await settled(ctl, env, { seen: () => !cachedNode(ctl, 'c3') });
    assert.equal(customEntries(env).filter((e) => e.destinationCidrBlock === '172.16.102.0/24').length, 1);
  });
});

describeInProcess('route controller and lost answers', 'throttles or refuses writes for a controller of its own (another controller of the cluster would see the faults too), or wraps its VPC client', () => {
  let env: RouteEnv;
  let ctl: RunningController;
  after(async () => {
    await ctl?.stop();
    await env?.stop();
  });

  it('ignores a duplicate-CIDR answer when the entry already points at the node (the first answer was lost)', async () => {
    env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false } });
    const real = env.api.vpc;
    let lost = 0;
    // every create reaches the cloud, but the answer is replaced by the duplicate error a retry would get
    const vpc: VpcRouteApi = {
      describeVpcs: (id) => real.describeVpcs(id),
      listRouteTables: (f) => real.listRouteTables(f),
      listRouteEntries: (t, f) => real.listRouteEntries(t, f),
      deleteRouteEntry: (i, o) => real.deleteRouteEntry(i, o),
      async createRouteEntry(input, opts) {
        await real.createRouteEntry(input, opts);
        lost++;
        throw new CloudError('AlreadyExists', 'VPC_ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE', 'Specified CIDR block is already exists.', 'vpc', 'CreateRouteEntry');
      },
    };
    await createNode(env, 'l1', '172.16.50.0/24');
    await createNode(env, 'l2', '172.16.51.0/24');
    ctl = await startRouteController(env, {}, vpc);
    await eventually('both RouteCreated', async () => (await nodes(env)).every((n) => networkCondition(n)?.reason === 'RouteCreated'));
    assert.equal(lost, 2, 'one create per route, no retry loop');
    assert.equal(customEntries(env).length, 2);
    for (const n of ['l1', 'l2']) {
      assert.deepEqual((await eventsFor(env, n)).filter((e) => e.type === 'Warning').map((e) => e.reason), []);
    }
  });
});

describeInProcess('route controller and refused writes', 'throttles or refuses writes for a controller of its own (another controller of the cluster would see the faults too), or wraps its VPC client', () => {
  let env: RouteEnv;
  let ctl: RunningController;
  after(async () => {
    await ctl?.stop();
    await env?.stop();
  });

  it('reports a write the cloud refuses (CreateRouteFailed, NetworkUnavailable=True) and still routes the other nodes', async () => {
    // the emulator refuses next hops that are not existing instances; only the group's instances exist
    env = await startRouteEnv({ cloud: { validateNextHop: true }, components: { nodeLifecycle: false, ipam: false } });
    const real = env.cloud.state.instances[0]?.instanceId;
    assert.ok(real, 'the default scaling group has an instance');
    await createNode(env, 'ok', '172.16.60.0/24', { providerID: `cn-hangzhou.${real}` });
    await createNode(env, 'ghost', '172.16.61.0/24');
    ctl = await startRouteController(env);
    const ghost = await eventually('ghost NetworkUnavailable=True', async () => {
      const n = await env.client.get<Obj>(NodeKind, 'ghost');
      return networkCondition(n)?.status === 'True' ? n : undefined;
    });
    assert.equal(networkCondition(ghost).reason, 'NoRouteCreated');
    assert.match(networkCondition(ghost).message, /Could not create route 172\.16\.61\.0\/24 -> i-ghost for node ghost .*does not exist/);
    const ev = await eventually('CreateRouteFailed', async () => (await eventsFor(env, 'ghost')).find((e) => e.reason === 'CreateRouteFailed'));
    assert.equal(ev.type, 'Warning');
    await eventually('ok routed', async () => networkCondition(await env.client.get<Obj>(NodeKind, 'ok'))?.reason === 'RouteCreated');
    assert.ok(!customEntries(env).some((e) => e.nextHopId === 'i-ghost'));
    assert.match(await ctl.registry.metrics(), /route_controller_route_operations_total\{verb="create",result="error"\} [1-9]/);
  });
});
