// The route controller as installed, in both modes (in-process, and E2E_TARGET=external against
// the cluster's own controller and the emulator): a Node object with a pod CIDR and an ECS
// providerID gets a route to its instance and NetworkUnavailable=False; an entry deleted behind
// its back comes back at the next resync while a foreign one is left alone; a CIDR change moves
// the route; a deleted Node loses it. Only the Kubernetes API and the emulator's APIs are used.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventsFor, recordSkip, uniqueName } from '../support/index.js';
import { eventually, networkCondition, startRouteTarget, topSubnet, NodeKind, type Obj, type RouteTarget } from './harness.js';

describe('route controller (in-process or the cluster\'s)', () => {
  let t: RouteTarget;
  const created: string[] = [];
  before(async () => { t = await startRouteTarget(); });
  after(async () => {
    for (const n of created) await t?.client.delete(NodeKind, n).catch(() => undefined);
    await t?.stop();
  });

  /** A Node as a cloud provider registers it: pod CIDR and `<region>.<instance id>` providerID. */
  async function createNode(i: number): Promise<{ name: string; cidr: string; instance: string }> {
    const name = uniqueName('e2e-route');
    const cidr = topSubnet(t.clusterCidr, i);
    const instance = `i-${name}`;
    await t.client.create({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { podCIDR: cidr, podCIDRs: [cidr], providerID: `${t.emulator.regionId}.${instance}` } } as Obj);
    created.push(name);
    return { name, cidr, instance };
  }

  const routed = async (cidr: string, instance: string) => (await t.entries()).find((e) => e.type === 'Custom' && e.destinationCidrBlock === cidr && e.nextHopId === instance && e.status === 'Available');

  it('routes a node\'s pod CIDR to its instance and sets NetworkUnavailable=False/RouteCreated, with an Event', async () => {
    const n = await createNode(0);
    const e = await eventually(`route ${n.cidr} -> ${n.instance}`, () => routed(n.cidr, n.instance));
    assert.equal(e.nextHopType, 'Instance');
    assert.match(e.description ?? '', /^kubeloop:cluster=/);
    const cond = await eventually('NetworkUnavailable=False', async () => {
      const c = networkCondition(await t.client.get<Obj>(NodeKind, n.name));
      return c?.status === 'False' ? c : undefined;
    });
    assert.equal(cond.reason, 'RouteCreated');
    const ev = await eventually('CreatedRoute event', async () => (await eventsFor(t.client, n.name)).find((x) => x.reason === 'CreatedRoute'));
    assert.match(ev.message, new RegExp(`Created route for node ${n.name} ${n.cidr.replace(/\./g, '\\.')} with next hop ${n.instance}`));
  });

  it('restores an entry deleted behind its back at the next resync and leaves a foreign entry alone', async () => {
    const n = await createNode(1);
    const victim = await eventually('routed', () => routed(n.cidr, n.instance));
    const foreignCidr = topSubnet(t.clusterCidr, 9);
    await t.api.vpc.createRouteEntry({ routeTableId: t.tableId, destinationCidrBlock: foreignCidr, nextHopId: 'i-someone-else', description: 'hand-made' });
    const res = await fetch(`${t.emulator.url}/_sim/route-entries/${victim.routeEntryId}`, { method: 'DELETE' });
    assert.ok(res.ok, `DELETE /_sim/route-entries: ${res.status}`);
    const back = await eventually('route restored', () => routed(n.cidr, n.instance), 30_000);
    assert.notEqual(back.routeEntryId, victim.routeEntryId);
    const foreign = (await t.entries()).filter((e) => e.destinationCidrBlock === foreignCidr);
    assert.deepEqual(foreign.map((e) => [e.nextHopId, e.description]), [['i-someone-else', 'hand-made']]);
    await fetch(`${t.emulator.url}/_sim/route-entries/${foreign[0].routeEntryId}`, { method: 'DELETE' });
  });

  it('moves the route when the node\'s pod CIDR changes, and removes it when the node goes', async () => {
    const n = await createNode(2);
    await eventually('routed', () => routed(n.cidr, n.instance));
    const moved = topSubnet(t.clusterCidr, 3);
    await t.client.patch(NodeKind, n.name, { spec: { podCIDRs: [moved] } }, { type: 'merge' });
    await eventually('route moved, old one gone', async () => (await routed(moved, n.instance)) && !(await t.entries()).some((e) => e.destinationCidrBlock === n.cidr));
    await t.client.delete(NodeKind, n.name);
    await eventually('route of the deleted node removed', async () => !(await t.entries()).some((e) => e.nextHopId === n.instance), 30_000);
  });

  it('exports its metrics', async (ctx) => {
    const text = await t.metrics();
    if (text === undefined) return ctx.skip(recordSkip('exports its metrics', 'no metrics URL for the cluster\'s controller (E2E_METRICS_URL_ROUTE)'));
    assert.match(text, /route_controller_route_operations_total\{verb="create",result="success"\} \d+/);
    assert.match(text, /route_controller_cloud_calls_total\{action="DescribeRouteEntryList",result="success"\} \d+/);
  });
});
