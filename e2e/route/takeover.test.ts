// Taking over a route table from ACK's cloud-controller-manager, and sharing one with other
// clusters. ACK's CCM writes its entries with no name and no description (upstream
// pkg/provider/alibaba/vpc CreateRoute sets only table, CIDR and next hop), so they carry no
// kubeloop mark; upstream's syncTableRoutes deletes entries inside the cluster CIDR that
// conflict with a node's pod CIDR (`conflictWithNodes`).
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { startStack } from '../support/index.js';
import {
  cloudCalls, createNode, customEntries, eventually, eventsFor, networkCondition, settled, startRouteController, startRouteEnv,
  NodeKind, type Obj, type RouteEnv, type RunningController,
} from './harness.js';

/** An entry as ACK's cloud-controller-manager leaves it: no RouteEntryName, no Description. */
async function ccmEntry(env: RouteEnv, cidr: string, instanceId: string): Promise<void> {
  await env.api.vpc.createRouteEntry({ routeTableId: env.tableId, destinationCidrBlock: cidr, nextHopId: instanceId });
}

describeInProcess('route controller taking over from ACK\'s cloud-controller-manager', 'plays ACK\'s cloud-controller-manager against a controller of its own', () => {
  const envs: RouteEnv[] = [];
  const ctls: RunningController[] = [];
  after(async () => {
    for (const c of ctls) await c.stop();
    for (const e of envs) await e.stop();
  });

  it('deletes the CCM\'s entries that conflict with nodes or point at released instances, with an Event each, and routes the nodes', async () => {
    const env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false } });
    envs.push(env);
    await ccmEntry(env, '172.16.5.0/24', 'i-released');   // a freed pod CIDR, now reused by n5
    await ccmEntry(env, '172.16.6.0/24', 'i-gone');       // a node deleted while the CCM was replaced
    await ccmEntry(env, '172.16.7.0/24', 'i-n7');         // a node's route, still right
    await ccmEntry(env, '172.16.8.0/25', 'i-other');      // inside n8's pod CIDR
    await ccmEntry(env, '10.9.0.0/24', 'i-elsewhere');    // outside the cluster CIDR: not the cluster's business
    for (const n of ['n5', 'n7', 'n8']) await createNode(env, n, `172.16.${n.slice(1)}.0/24`);
    const ctl = await startRouteController(env);
    ctls.push(ctl);
    await eventually('n5, n7 and n8 routed', async () => {
      const ns = ((await env.client.list<Obj>(NodeKind)).items as Obj[]);
      return ns.length === 3 && ns.every((n) => networkCondition(n)?.reason === 'RouteCreated');
    }, 20_000);
    await eventually('the conflicting and stale entries are gone', () => {
      const es = customEntries(env).map((e) => `${e.destinationCidrBlock}->${e.nextHopId}`).sort();
      return JSON.stringify(es) === JSON.stringify(['10.9.0.0/24->i-elsewhere', '172.16.5.0/24->i-n5', '172.16.7.0/24->i-n7', '172.16.8.0/24->i-n8']);
    });
    const kept = customEntries(env).find((e) => e.destinationCidrBlock === '172.16.7.0/24')!;
    assert.equal(kept.description, '', 'the CCM\'s right entry is accepted as it is');
    const deleted = async (name: string) => (await eventsFor(env, name)).filter((e) => e.reason === 'DeletedConflictingRoute');
    const n5 = await eventually('an Event on n5', async () => (await deleted('n5'))[0]);
    assert.match(n5.message, /172\.16\.5\.0\/24 -> i-released/);
    assert.match((await eventually('an Event on n8', async () => (await deleted('n8'))[0])).message, /172\.16\.8\.0\/25 -> i-other/);
    const stale = await eventually('an Event for the entry of a released instance', async () =>
      ((await env.client.list<Obj>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' })).items as Obj[])
        .find((e) => e.reason === 'DeletedConflictingRoute' && /172\.16\.6\.0\/24 -> i-gone/.test(e.message)));
    assert.equal(stale.type, 'Normal');
  });

  it('--delete-conflicting-routes=false keeps the conservative behaviour: reported, never deleted', async () => {
    const env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false } });
    envs.push(env);
    await ccmEntry(env, '172.16.5.0/24', 'i-released');
    await ccmEntry(env, '172.16.6.0/24', 'i-gone');
    await createNode(env, 'n5', '172.16.5.0/24');
    const ctl = await startRouteController(env, { deleteConflictingRoutes: false });
    ctls.push(ctl);
    const n5 = await eventually('n5 NetworkUnavailable=True', async () => {
      const n = await env.client.get<Obj>(NodeKind, 'n5');
      return networkCondition(n)?.status === 'True' ? n : undefined;
    });
    assert.match(networkCondition(n5).message, /pointing at i-released/);
    await settled(ctl, env, { times: 2 });
    assert.deepEqual(customEntries(env).map((e) => e.nextHopId).sort(), ['i-gone', 'i-released']);
  });
});

describeInProcess('route controller in a VPC shared by several clusters', 'plays ACK\'s cloud-controller-manager and a second cluster against controllers of its own', () => {
  let env: RouteEnv;
  const ctls: RunningController[] = [];
  const stops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of ctls) await c.stop();
    for (const s of stops) await s();
    await env?.stop();
  });

  it('with the default --cluster-name, two clusters sharing a route table never delete each other\'s entries', async () => {
    env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false } });
    // a second cluster: its own API server (its own kube-system namespace), the same VPC route table
    const other = await startStack({});
    stops.push(other.stop);
    const envB: RouteEnv = { ...env, server: other.server, client: other.client };
    await createNode(env, 'a1', '172.16.1.0/24');
    await createNode(envB, 'b1', '172.17.1.0/24');
    const ctlA = await startRouteController(env, { clusterName: undefined });
    const ctlB = await startRouteController(envB, { clusterName: undefined, clusterCidr: '172.17.0.0/16' });
    ctls.push(ctlA, ctlB);
    const routed = async (e: RouteEnv, name: string) => networkCondition(await e.client.get<Obj>(NodeKind, name))?.reason === 'RouteCreated';
    await eventually('a1 and b1 routed', async () => (await routed(env, 'a1')) && (await routed(envB, 'b1')));
    const before = customEntries(env).map((e) => e.routeEntryId).sort();
    assert.equal(before.length, 2);
    assert.notEqual(customEntries(env)[0].description, customEntries(env)[1].description, 'each cluster marks its entries with its own identity');
    await cloudCalls(env, true);
    // two full passes of each controller over the shared table
    await Promise.all([settled(ctlA, env, { times: 2 }), settled(ctlB, envB, { times: 2 })]);
    assert.deepEqual(customEntries(env).map((e) => e.routeEntryId).sort(), before, 'no entry was deleted and re-created');
    assert.equal((await cloudCalls(env)).DeleteRouteEntry ?? 0, 0);
  });
});
