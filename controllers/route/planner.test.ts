import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteEntry } from '../cloud/index.js';
import { parseIpv4Cidr, cidrContains } from './cidr.js';
import {
  desiredRoutes, instanceIdFromProviderId, isOwned, nodeCondition, nodeRoutes, ownerDescription, plan, podCidrs, routeEntryName,
  takeoverNode, EXCLUDE_NODE_LABEL, EXCLUDE_NODE_LABEL_DEPRECATED, EDGE_WORKER_LABEL, type DesiredRoute, type NodeLike,
} from './planner.js';

const owner = { clusterName: 'prod' };
const cluster = [parseIpv4Cidr('172.16.0.0/16')!];
let seq = 0;

function entry(cidr: string, hop: string, o: { owned?: boolean; status?: string; type?: string; desc?: string; hopType?: string } = {}): RouteEntry {
  return {
    routeEntryId: `rte-${++seq}`, routeTableId: 'vtb-1', destinationCidrBlock: cidr, nextHopType: o.hopType ?? 'Instance', nextHopId: hop,
    routeEntryName: '', description: o.desc ?? (o.owned ? ownerDescription(owner) : ''), type: o.type ?? 'Custom', status: o.status ?? 'Available',
  };
}
const want = (cidr: string, instanceId: string, node = instanceId.replace(/^i-/, '')): DesiredRoute => ({ cidr, instanceId, node });
const summary = (p: ReturnType<typeof plan>) => ({
  create: p.create.map((r) => `${r.cidr}>${r.instanceId}`),
  delete: p.delete.map((d) => `${d.entry.destinationCidrBlock}>${d.entry.nextHopId}:${d.reason}`),
  conflicts: p.conflicts.map((c) => `${c.route.cidr}>${c.entry.nextHopId}`),
  satisfied: p.satisfied.map((s) => `${s.route.cidr}>${s.entry.nextHopId}`),
  waiting: p.waiting.map((r) => r.cidr),
});

function node(name: string, o: { cidr?: string | string[]; provider?: string | null; labels?: Record<string, string>; deleting?: boolean; ready?: string } = {}): NodeLike {
  const cidrs = o.cidr === undefined ? ['172.16.1.0/24'] : Array.isArray(o.cidr) ? o.cidr : [o.cidr];
  return {
    metadata: { name, labels: o.labels, deletionTimestamp: o.deleting ? '2026-01-01T00:00:00Z' : undefined },
    spec: { podCIDR: cidrs[0], podCIDRs: cidrs.length ? cidrs : undefined, providerID: o.provider === null ? undefined : o.provider ?? `alicloud://cn-hangzhou.i-${name}` },
    status: { conditions: o.ready ? [{ type: 'Ready', status: o.ready }] : [] },
  };
}

describe('plan', () => {
  it('creates what is missing, in an empty table', () => {
    assert.deepEqual(summary(plan([want('172.16.1.0/24', 'i-a'), want('172.16.2.0/24', 'i-b')], [], owner)),
      { create: ['172.16.1.0/24>i-a', '172.16.2.0/24>i-b'], delete: [], conflicts: [], satisfied: [], waiting: [] });
  });

  it('does nothing when the table is right (owned or foreign entries pointing at the right instance)', () => {
    const p = plan([want('172.16.1.0/24', 'i-a'), want('172.16.2.0/24', 'i-b')], [entry('172.16.1.0/24', 'i-a', { owned: true }), entry('172.16.2.0/24', 'i-b')], owner);
    assert.deepEqual(summary(p), { create: [], delete: [], conflicts: [], satisfied: ['172.16.1.0/24>i-a', '172.16.2.0/24>i-b'], waiting: [] });
  });

  it('replaces an owned entry pointing at another instance (delete, then create)', () => {
    const p = plan([want('172.16.1.0/24', 'i-a')], [entry('172.16.1.0/24', 'i-old', { owned: true })], owner);
    assert.deepEqual(summary(p), { create: ['172.16.1.0/24>i-a'], delete: ['172.16.1.0/24>i-old:replaced'], conflicts: [], satisfied: [], waiting: [] });
    assert.equal(p.delete[0].route?.node, 'a');
  });

  it('replaces an owned entry whose next hop is not an instance', () => {
    const p = plan([want('172.16.1.0/24', 'i-a')], [entry('172.16.1.0/24', 'i-a', { owned: true, hopType: 'HaVip' })], owner);
    assert.deepEqual(summary(p).delete, ['172.16.1.0/24>i-a:replaced']);
  });

  it('reports a foreign entry with another next hop as a conflict and never touches it', () => {
    const p = plan([want('172.16.1.0/24', 'i-a')], [entry('172.16.1.0/24', 'i-other')], owner);
    assert.deepEqual(summary(p), { create: [], delete: [], conflicts: ['172.16.1.0/24>i-other'], satisfied: [], waiting: [] });
  });

  it('treats another cluster\'s entries as foreign', () => {
    const p = plan([want('172.16.1.0/24', 'i-a')], [entry('172.16.1.0/24', 'i-x', { desc: 'kubeloop:cluster=staging' }), entry('172.16.9.0/24', 'i-y', { desc: 'kubeloop:cluster=staging' })], owner);
    assert.deepEqual(summary(p).conflicts, ['172.16.1.0/24>i-x']);
    assert.deepEqual(summary(p).delete, []);
  });

  it('deletes stale owned entries, keeps foreign, system and kept ones', () => {
    const p = plan([], [
      entry('172.16.5.0/24', 'i-gone', { owned: true }),
      entry('10.0.0.0/8', 'i-vpn'),
      entry('192.168.0.0/16', '', { type: 'System', hopType: 'local', owned: true }),
      entry('172.16.6.0/24', 'i-unknown-node', { owned: true }),
    ], owner, new Set(['172.16.6.0/24']));
    assert.deepEqual(summary(p).delete, ['172.16.5.0/24>i-gone:stale']);
  });

  it('deletes stale owned entries outside the cluster CIDR too (they are ours)', () => {
    assert.deepEqual(summary(plan([], [entry('10.9.0.0/24', 'i-a', { owned: true })], owner)).delete, ['10.9.0.0/24>i-a:stale']);
  });

  it('counts Pending entries as in place and waits for Deleting ones', () => {
    const p = plan([want('172.16.1.0/24', 'i-a'), want('172.16.2.0/24', 'i-b')], [
      entry('172.16.1.0/24', 'i-a', { owned: true, status: 'Pending' }),
      entry('172.16.2.0/24', 'i-old', { owned: true, status: 'Deleting' }),
      entry('172.16.3.0/24', 'i-c', { owned: true, status: 'Deleting' }),
    ], owner);
    assert.deepEqual(summary(p), { create: [], delete: [], conflicts: [], satisfied: ['172.16.1.0/24>i-a'], waiting: ['172.16.2.0/24'] });
  });

  it('compares CIDRs canonically', () => {
    const p = plan([want('172.16.1.0/24', 'i-a')], [entry('172.16.01.0/24', 'i-a', { owned: true })], owner);
    assert.equal(p.satisfied.length, 1);
    assert.equal(p.delete.length, 0);
  });
});

describe('plan taking over unmarked entries (upstream conflictWithNodes)', () => {
  const takeover = { clusterCidrs: cluster, nodes: [takeoverNode(node('a', { cidr: '172.16.1.0/24' })), takeoverNode(node('b', { cidr: '172.16.2.0/24' }))] };
  it('deletes an unmarked entry holding a node\'s CIDR with another next hop, then creates the node\'s route', () => {
    const p = plan([want('172.16.1.0/24', 'i-a')], [entry('172.16.1.0/24', 'i-released')], owner, new Set(), takeover);
    assert.deepEqual(summary(p), { create: ['172.16.1.0/24>i-a'], delete: ['172.16.1.0/24>i-released:conflict'], conflicts: [], satisfied: [], waiting: [] });
    assert.equal(p.delete[0].node, 'a');
    assert.equal(p.delete[0].route?.node, 'a');
  });
  it('deletes unmarked entries inside a node\'s CIDR or pointing at an instance that is no node; keeps the rest', () => {
    const p = plan([want('172.16.1.0/24', 'i-a'), want('172.16.2.0/24', 'i-b')], [
      entry('172.16.1.0/24', 'i-a'), entry('172.16.2.0/26', 'i-x'), entry('172.16.9.0/24', 'i-gone'), entry('172.16.2.0/24', 'i-b'),
      entry('172.16.10.0/24', 'i-b'), entry('10.0.0.0/24', 'i-gone'), entry('172.16.11.0/24', 'i-gone', { desc: 'kubeloop:cluster=other' }),
      entry('172.16.12.0/24', 'i-gone', { hopType: 'HaVip' }), entry('172.16.0.0/16', 'i-gone', { type: 'System' }),
      entry('172.16.13.0/24', 'i-gone', { desc: 'hand-made' }),
    ], owner, new Set(), takeover);
    assert.deepEqual(summary(p).delete, ['172.16.2.0/26>i-x:conflict', '172.16.9.0/24>i-gone:conflict']);
    assert.equal(p.delete[0].node, 'b');
    assert.match(p.delete[1].why ?? '', /i-gone is no node of this cluster/);
  });
  it('without takeover, reports instead (the conservative behaviour)', () => {
    const p = plan([want('172.16.1.0/24', 'i-a')], [entry('172.16.1.0/24', 'i-released'), entry('172.16.9.0/24', 'i-gone')], owner);
    assert.deepEqual(summary(p), { create: [], delete: [], conflicts: ['172.16.1.0/24>i-released'], satisfied: [], waiting: [] });
  });
});

describe('desiredRoutes', () => {
  it('gives a CIDR claimed by two nodes to the first by name and reports the other', () => {
    const d = desiredRoutes([
      { node: 'b', eligible: true, instanceId: 'i-b', cidrs: ['172.16.1.0/24'] },
      { node: 'a', eligible: true, instanceId: 'i-a', cidrs: ['172.16.1.0/24', '172.16.2.0/24'] },
      { node: 'c', eligible: false, reason: 'ready-unknown', keep: ['172.16.3.0/24'], message: '' },
    ]);
    assert.deepEqual(d.routes.map((r) => `${r.cidr}>${r.node}`), ['172.16.1.0/24>a', '172.16.2.0/24>a']);
    assert.deepEqual(d.duplicates.map((x) => `${x.route.node} lost to ${x.winner.node}`), ['b lost to a']);
    assert.deepEqual([...d.keep], ['172.16.3.0/24']);
  });
});

describe('nodeRoutes', () => {
  it('accepts both providerID forms', () => {
    assert.equal(instanceIdFromProviderId('alicloud://cn-hangzhou.i-bp1abc'), 'i-bp1abc');
    assert.equal(instanceIdFromProviderId('cn-hangzhou.i-bp1abc'), 'i-bp1abc');
    assert.equal(instanceIdFromProviderId('aws:///us-east-1a/i-123'), undefined);
    assert.equal(instanceIdFromProviderId('i-bp1abc'), undefined);
    assert.equal(instanceIdFromProviderId(''), undefined);
  });

  it('makes eligible nodes with a pod CIDR inside the cluster CIDR and an instance', () => {
    assert.deepEqual(nodeRoutes(node('a'), cluster), { node: 'a', eligible: true, instanceId: 'i-a', cidrs: ['172.16.1.0/24'] });
  });

  it('skips, and keeps the routes of, excluded, deleting and unreachable nodes', () => {
    for (const [n, reason] of [
      [node('a', { labels: { [EXCLUDE_NODE_LABEL]: '' } }), 'excluded'],
      [node('a', { labels: { [EXCLUDE_NODE_LABEL_DEPRECATED]: 'true' } }), 'excluded'],
      [node('a', { labels: { [EDGE_WORKER_LABEL]: 'true' } }), 'excluded'],
      [node('a', { provider: 'ack-hybrid://cn-hangzhou.idc-1' }), 'excluded'],
      [node('a', { deleting: true }), 'deleting'],
      [node('a', { ready: 'Unknown' }), 'ready-unknown'],
    ] as const) {
      const r = nodeRoutes(n, cluster);
      assert.equal(r.eligible, false);
      if (!r.eligible) {
        assert.equal(r.reason, reason);
        assert.deepEqual(r.keep, ['172.16.1.0/24']);
      }
    }
    assert.equal(nodeRoutes(node('a', { ready: 'False' }), cluster).eligible, true, 'NotReady (but reachable) nodes keep routing');
    assert.equal(nodeRoutes(node('a', { labels: { [EDGE_WORKER_LABEL]: 'false' } }), cluster).eligible, true, 'cloud nodes of an edge cluster are routed');
  });

  it('skips nodes without pod CIDR, providerID, a usable providerID, or inside the cluster CIDR', () => {
    const reason = (n: NodeLike) => { const r = nodeRoutes(n, cluster); return r.eligible ? 'eligible' : r.reason; };
    assert.equal(reason(node('a', { cidr: [] })), 'no-pod-cidr');
    assert.equal(reason(node('a', { cidr: 'nonsense' })), 'no-pod-cidr');
    assert.equal(reason(node('a', { provider: null })), 'no-provider-id');
    assert.equal(reason(node('a', { provider: 'kind://docker/x' })), 'bad-provider-id');
    assert.equal(reason(node('a', { cidr: '10.1.0.0/24' })), 'outside-cluster-cidr');
  });

  it('reads spec.podCIDRs before spec.podCIDR, and ignores IPv6 ranges', () => {
    const n = node('a', { cidr: ['172.16.7.0/24', 'fd00::/64'] });
    n.spec!.podCIDR = '172.16.1.0/24';
    assert.deepEqual(podCidrs(n).ipv4.map((c) => c.text), ['172.16.7.0/24']);
    const r = nodeRoutes(n, cluster);
    assert.ok(r.eligible && r.cidrs.join() === '172.16.7.0/24');
  });
});

describe('nodeCondition', () => {
  it('False/RouteCreated only when every route is ready; True when one failed; nothing while pending', () => {
    assert.deepEqual(nodeCondition([{ state: 'ready' }, { state: 'ready' }]), { status: 'False', reason: 'RouteCreated', message: 'RouteController created a route' });
    assert.deepEqual(nodeCondition([{ state: 'ready' }, { state: 'failed', message: 'x' }]), { status: 'True', reason: 'NoRouteCreated', message: 'x' });
    assert.equal(nodeCondition([{ state: 'ready' }, { state: 'pending' }]), undefined);
    assert.equal(nodeCondition([{ state: 'missing' }]), undefined);
    assert.equal(nodeCondition([]), undefined);
  });
});

describe('ownership and names', () => {
  it('marks entries by Description and names them for people', () => {
    assert.equal(ownerDescription(owner), 'kubeloop:cluster=prod');
    assert.ok(isOwned({ description: 'kubeloop:cluster=prod' }, owner));
    assert.ok(!isOwned({ description: 'kubeloop:cluster=prod2' }, owner));
    assert.ok(!isOwned({ description: '' }, owner));
    assert.equal(routeEntryName(owner, 'node-1'), 'kubeloop-prod-node-1');
    assert.equal(routeEntryName(owner, 'n'.repeat(300)).length, 128);
  });
});

describe('cidr', () => {
  it('parses IPv4 networks and containment', () => {
    assert.equal(parseIpv4Cidr('172.16.1.0/24')?.text, '172.16.1.0/24');
    assert.equal(parseIpv4Cidr('172.16.1.1/24'), undefined);
    assert.equal(parseIpv4Cidr('300.1.1.0/24'), undefined);
    assert.equal(parseIpv4Cidr('fd00::/64'), undefined);
    assert.ok(cidrContains(parseIpv4Cidr('172.16.0.0/16')!, parseIpv4Cidr('172.16.9.0/24')!));
    assert.ok(!cidrContains(parseIpv4Cidr('172.16.0.0/16')!, parseIpv4Cidr('172.17.0.0/24')!));
    assert.ok(!cidrContains(parseIpv4Cidr('172.16.0.0/24')!, parseIpv4Cidr('172.16.0.0/16')!));
    assert.ok(cidrContains(parseIpv4Cidr('0.0.0.0/0')!, parseIpv4Cidr('10.0.0.0/8')!));
  });
});
