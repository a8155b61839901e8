// The route controller against the built-in API server, simulated nodes and the cloud emulator:
// routes appear for every node, are repaired after drift, follow pod CIDR changes, leave
// foreign entries alone, and report NetworkUnavailable per node.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import {
  converged, customEntries, eventually, eventsFor, networkCondition, nodeSpec, nodes, settled, startRouteController, startRouteEnv,
  NodeKind, type Obj, type RouteEnv, type RunningController,
} from './harness.js';

const names = ['n1', 'n2', 'n3', 'n4', 'n5'];

describeInProcess('route controller', 'uses simulated nodes of its own (names, instances) and the controller\'s in-process metrics registry; e2e/route/cluster.test.ts covers these behaviours on any cluster', () => {
  let env: RouteEnv;
  let ctl: RunningController;
  before(async () => {
    env = await startRouteEnv({ nodes: names.map((n) => nodeSpec(n)) });
    ctl = await startRouteController(env);
  });
  after(async () => {
    await ctl?.stop();
    await env?.stop();
  });

  it('routes every node\'s pod CIDR to its instance and sets NetworkUnavailable=False/RouteCreated', async () => {
    await eventually('5 routes and conditions', () => converged(env, names));
    const es = customEntries(env);
    assert.equal(es.length, 5);
    for (const n of await nodes(env)) {
      const e = es.find((x) => x.destinationCidrBlock === n.spec.podCIDR)!;
      assert.equal(e.nextHopId, `i-${n.metadata.name}`);
      assert.equal(e.nextHopType, 'Instance');
      assert.equal(e.description, 'kubeloop:cluster=test');
      assert.equal(e.routeEntryName, `kubeloop-test-${n.metadata.name}`);
      const c = networkCondition(n);
      assert.deepEqual([c.status, c.reason, c.message], ['False', 'RouteCreated', 'RouteController created a route']);
      // the heartbeat's own conditions are still there (the condition was merged, not replaced)
      assert.ok(n.status.conditions.some((x: any) => x.type === 'Ready'));
    }
    const ev = await eventually('CreatedRoute event', async () => (await eventsFor(env, 'n1')).find((e) => e.reason === 'CreatedRoute'));
    assert.equal(ev.type, 'Normal');
    assert.match(ev.message, /Created route for node n1 172\.16\.\d+\.0\/24 with next hop i-n1/);
  });

  it('routes a new node within seconds of it getting a pod CIDR', async () => {
    await env.sim.addNode(nodeSpec('n6'));
    const cidrAt = await eventually('n6 podCIDR', async () => {
      const n = await env.client.get<Obj>(NodeKind, 'n6');
      return n.spec?.podCIDR ? Date.now() : undefined;
    });
    await eventually('n6 routed', () => converged(env, ['n6']));
    const ms = Date.now() - cidrAt;
    console.log(`# n6: route and RouteCreated condition ${ms} ms after the podCIDR appeared`);
    assert.ok(ms < 10_000, `took ${ms} ms`);
  });

  it('restores an entry deleted behind its back at the next resync and leaves foreign entries alone', async () => {
    await eventually('converged', () => converged(env, names));
    const victim = customEntries(env).find((e) => e.nextHopId === 'i-n2')!;
    const res = await fetch(`${env.cloud.url}/_sim/route-entries/${victim.routeEntryId}`, { method: 'DELETE' });
    assert.ok(res.ok, `DELETE /_sim/route-entries: ${res.status}`);
    // a foreign entry inside the cluster CIDR, pointing somewhere else
    await env.api.vpc.createRouteEntry({ routeTableId: env.tableId, destinationCidrBlock: '172.16.250.0/24', nextHopId: 'i-someone-else', description: 'hand-made' });
    await eventually('n2 route restored', () => customEntries(env).some((e) => e.nextHopId === 'i-n2' && e.destinationCidrBlock === victim.destinationCidrBlock && e.status === 'Available'));
    // two more passes (resyncs, period 2 s): the foreign entry is still there
    await settled(ctl, env, { times: 2 });
    const foreign = customEntries(env).filter((e) => e.destinationCidrBlock === '172.16.250.0/24');
    assert.equal(foreign.length, 1);
    assert.equal(foreign[0].nextHopId, 'i-someone-else');
    assert.equal(foreign[0].description, 'hand-made');
  });

  it('replaces the route when only spec.podCIDRs changes', async () => {
    await eventually('converged', () => converged(env, names));
    const old = (await env.client.get<Obj>(NodeKind, 'n3')).spec.podCIDR;
    await env.client.patch(NodeKind, 'n3', { spec: { podCIDRs: ['172.16.240.0/24'] } }, { type: 'merge' });
    await eventually('n3 routed to its new CIDR, old route gone', () => {
      const es = customEntries(env);
      return es.some((e) => e.destinationCidrBlock === '172.16.240.0/24' && e.nextHopId === 'i-n3' && e.status === 'Available')
        && !es.some((e) => e.destinationCidrBlock === old);
    });
    const n3 = await env.client.get<Obj>(NodeKind, 'n3');
    assert.equal(networkCondition(n3).status, 'False');
  });

  it('replaces its entry when the node\'s instance changes (same CIDR, new next hop)', async () => {
    await eventually('n4 routed', () => converged(env, ['n4']));
    const n4 = await env.client.get<Obj>(NodeKind, 'n4');
    const old = customEntries(env).find((e) => e.destinationCidrBlock === n4.spec.podCIDR)!;
    assert.equal(old.nextHopId, 'i-n4');
    await env.client.patch(NodeKind, 'n4', { spec: { providerID: 'cn-hangzhou.i-n4-replacement' } }, { type: 'merge' });
    await eventually('entry replaced', () => customEntries(env).some((e) => e.destinationCidrBlock === n4.spec.podCIDR && e.nextHopId === 'i-n4-replacement' && e.status === 'Available'));
    assert.equal(customEntries(env).filter((e) => e.destinationCidrBlock === n4.spec.podCIDR).length, 1);
    assert.ok(!customEntries(env).some((e) => e.routeEntryId === old.routeEntryId));
  });

  it('exports its metrics', async () => {
    const text = await ctl.registry.metrics();
    assert.match(text, /route_controller_route_operations_total\{verb="create",result="success"\} \d+/);
    assert.match(text, /route_controller_desired_routes\{route_table="[^"]+"\} 6/);
    assert.match(text, /route_controller_cloud_calls_total\{action="DescribeRouteEntryList",result="success"\} \d+/);
    assert.match(text, /route_controller_reconcile_duration_seconds_count\{route_table="[^"]+"\} \d+/);
  });
});
