import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  balanceScaleUp, binpack, daemonSetUsage, expand, noScaleUpMessage, parsePriorities, planScaleDown, planScaleUp, similarGroups, templateFree, wasteScore, type PlannerOptions, type ScaleUpOption,
} from './planner.js';
import { drainability } from './drain.js';
import {
  instanceIdFromProviderId, nodeInfo, parseQuantity, pdbInfo, podInfo, templateNode, withRegisteredAllocatable, type ClusterSnapshot, type GroupInfo, type NodeInfo, type PodInfo,
} from './model.js';

const GI = 2 ** 30;

function opts(extra: Partial<PlannerOptions> = {}): PlannerOptions {
  return {
    now: 1_000_000, expander: 'least-waste', maxNodesTotal: 0, coresTotal: { min: 0, max: Infinity }, memoryTotal: { min: 0, max: Infinity },
    scaleDownEnabled: true, utilizationThreshold: 0.5, unneededTimeMs: 0, delayAfterAddMs: 0, delayAfterFailureMs: 0, maxEmptyBulkDelete: 10,
    lastScaleUp: 0, lastScaleDownFailure: 0, unneededSince: new Map(), drainInProgress: false, ...extra,
  };
}

interface PodOpts {
  cpu?: string; memory?: string; node?: string; ns?: string; owner?: string | null; labels?: Record<string, string>; annotations?: Record<string, string>;
  nodeSelector?: Record<string, string>; tolerations?: any[]; volumes?: any[]; priority?: number; affinity?: any;
}
let seq = 0;
function pod(name: string, o: PodOpts = {}): PodInfo {
  const owner = o.owner === undefined ? 'ReplicaSet' : o.owner;
  return podInfo({
    metadata: {
      name, namespace: o.ns ?? 'default', uid: `u-${name}-${seq++}`, labels: o.labels ?? { app: 'web' }, annotations: o.annotations,
      ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: owner, name: 'web', uid: 'x', controller: true }] : undefined,
    },
    spec: {
      nodeName: o.node, nodeSelector: o.nodeSelector, tolerations: o.tolerations, volumes: o.volumes, priority: o.priority, affinity: o.affinity,
      containers: [{ name: 'c', resources: { requests: { cpu: o.cpu ?? '500m', memory: o.memory ?? '512Mi' } } }],
    },
    status: o.node ? { phase: 'Running' } : { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
  });
}

function node(name: string, group: string | undefined, o: { cpu?: number; mem?: number; labels?: Record<string, string>; annotations?: Record<string, string>; taints?: any[] } = {}): NodeInfo {
  return nodeInfo({
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels }, annotations: o.annotations },
    spec: { providerID: group ? `alicloud://cn-hangzhou.i-${name}` : undefined, taints: o.taints },
    status: { allocatable: { cpu: String(o.cpu ?? 4), memory: `${o.mem ?? 16}Gi`, pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  }, () => group);
}

function group(id: string, o: Partial<GroupInfo> & { cpu?: number; mem?: number; zones?: string[]; labels?: Record<string, string>; taints?: any[] } = {}): GroupInfo {
  return {
    id, min: o.min ?? 0, max: o.max ?? 10, target: o.target ?? 0, backoffUntil: o.backoffUntil, unhealthy: o.unhealthy,
    template: templateNode({ groupId: id, instanceType: 't', cpuCores: o.cpu ?? 4, memoryGiB: o.mem ?? 16, gpus: 0, region: 'cn-hangzhou', zones: o.zones ?? ['cn-hangzhou-k'], labels: o.labels ?? {}, taints: o.taints ?? [] }),
  };
}

const snap = (s: Partial<ClusterSnapshot>): ClusterSnapshot => ({ nodes: [], pods: [], pdbs: [], groups: [], ...s });

describe('model', () => {
  it('parses quantities and provider ids', () => {
    assert.equal(parseQuantity('100m'), 0.1);
    assert.equal(parseQuantity('1Gi'), GI);
    assert.equal(parseQuantity('2e3'), 2000);
    assert.ok(Number.isNaN(parseQuantity('lots')));
    assert.equal(instanceIdFromProviderId('alicloud://cn-hangzhou.i-abc'), 'i-abc');
    // ACK's own form, without the scheme
    assert.equal(instanceIdFromProviderId('cn-hangzhou.i-abc'), 'i-abc');
    assert.equal(instanceIdFromProviderId('kind://docker/kind/kind-worker'), undefined);
    assert.equal(instanceIdFromProviderId('aws:///us-east-1a/i-1'), undefined);
  });
  it('sums container requests, takes the larger init container, counts one pod slot', () => {
    const p = podInfo({ metadata: { name: 'p', namespace: 'd' }, spec: {
      containers: [{ resources: { requests: { cpu: '250m', memory: '1Gi' } } }, { resources: { requests: { cpu: '250m' } } }],
      initContainers: [{ resources: { requests: { cpu: '2', memory: '10Mi' } } }] } });
    assert.deepEqual(p.requests, { cpu: 2000, memory: GI, pods: 1, gpu: 0 });
  });
  it('template nodes carry the zone of a single-zone group, the configured labels and taints', () => {
    const t = templateNode({ groupId: 'asg-1', instanceType: 'ecs.g7.xlarge', cpuCores: 4, memoryGiB: 16, gpus: 0, region: 'r', zones: ['r-a', 'r-a'], labels: { pool: 'x' }, taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] });
    assert.equal(t.labels['topology.kubernetes.io/zone'], 'r-a');
    assert.equal(t.labels.pool, 'x');
    assert.deepEqual(t.taints, [{ key: 'k', value: 'v', effect: 'NoSchedule' }]);
    assert.equal(templateNode({ groupId: 'g', instanceType: 't', cpuCores: 1, memoryGiB: 1, gpus: 0, region: 'r', zones: ['r-a', 'r-b'], labels: {}, taints: [] }).labels['topology.kubernetes.io/zone'], undefined);
  });
  it('template nodes take the allocatable of a Ready node of the group when there is one', () => {
    const t = group('g', { cpu: 4 }).template;
    assert.equal(t.allocatable.cpu, 3920, 'ACK\'s default reservation');
    const custom = node('n1', 'g', { cpu: 3.5 });
    assert.equal(withRegisteredAllocatable(t, [custom]).allocatable.cpu, 3500, 'a node pool with a larger reservation');
    assert.equal(withRegisteredAllocatable(t, [{ ...custom, ready: false }]).allocatable.cpu, 3920);
    assert.equal(withRegisteredAllocatable(t, [custom]).labels, t.labels);
  });
});

describe('scale-up', () => {
  it('binpacks first-fit-decreasing: 10 pods of 1.5 cores onto 4-core nodes need 5 nodes', () => {
    const pods = Array.from({ length: 10 }, (_, i) => pod(`p${i}`, { cpu: '1500m', memory: '1Gi' }));
    assert.equal(binpack(pods, group('g').template, 100).nodes, 5);
    assert.equal(binpack(pods, group('g').template, 3).placed.length, 6, 'only pods of the allowed nodes count');
  });

  it('ignores pods that fit existing free space or booting nodes, and expendable pods', () => {
    const s = snap({
      nodes: [node('n1', 'g', { cpu: 4 })],
      pods: [pod('a', { cpu: '3', node: 'n1' }), pod('b', { cpu: '1' }), pod('c', { cpu: '3' }), pod('d', { cpu: '3' }), pod('e', { cpu: '3', priority: -100 })],
      groups: [group('g', { target: 2 })], // one node upcoming
    });
    const p = planScaleUp(s, opts());
    assert.deepEqual(p.unschedulable.map((x) => x.name).sort(), ['b', 'c', 'd']);
    assert.equal(p.waiting.length, 2, 'b fits n1, one of c/d the upcoming node');
    assert.equal(p.chosen?.nodeCount, 1);
    assert.equal(p.chosen?.newTarget, 3);
  });

  it('counts a registered node that is still starting (not Ready, young) as room, not an old NotReady one', () => {
    const booting = { ...node('n1', 'g'), ready: false, createdMs: 990_000, taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] };
    const s = (n: NodeInfo) => snap({ nodes: [n], pods: [pod('p', { cpu: '1' })], groups: [group('g', { target: 1 })] });
    let p = planScaleUp(s(booting), opts({ nodeStartupMs: 60_000 }));
    assert.equal(p.waiting.length, 1);
    assert.equal(p.chosen, undefined);
    p = planScaleUp(s({ ...booting, createdMs: 1 }), opts({ nodeStartupMs: 60_000 }));
    assert.equal(p.chosen?.nodeCount, 1, 'a node NotReady for longer than the startup window is no room');
    // registered a moment ago, no status posted yet (no allocatable): its group's template room
    p = planScaleUp(s({ ...booting, allocatable: { cpu: 0, memory: 0, pods: 0, gpu: 0 } }), opts({ nodeStartupMs: 60_000 }));
    assert.equal(p.waiting.length, 1);
    assert.equal(p.chosen, undefined, 'no second node for pods the first one will take');
  });

  it('honours nodeSelector, required affinity, taints and zones per group; reasons for pods no group helps', () => {
    const groups = [
      group('plain', { zones: ['z-a'] }),
      group('gpu', { zones: ['z-a'], taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }], labels: { pool: 'gpu' } }),
      group('zb', { zones: ['z-b'] }),
    ];
    const tol = [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }];
    const zoneAff = (z: string) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [z] }] }] } } });
    const toGpu = pod('to-gpu', { nodeSelector: { pool: 'gpu' }, tolerations: tol });
    const inB = pod('in-b', { affinity: zoneAff('z-b') });
    const nowhere = pod('nowhere', { affinity: zoneAff('z-c') });
    const huge = pod('huge', { cpu: '64' });
    const taintOnly = pod('sel-gpu-no-tol', { nodeSelector: { pool: 'gpu' } });

    let p = planScaleUp(snap({ pods: [toGpu], groups }), opts());
    assert.equal(p.chosen?.group.id, 'gpu');
    p = planScaleUp(snap({ pods: [inB], groups }), opts());
    assert.equal(p.chosen?.group.id, 'zb');
    p = planScaleUp(snap({ pods: [nowhere, huge, taintOnly], groups }), opts());
    assert.equal(p.chosen, undefined);
    assert.equal(noScaleUpMessage(p.noScaleUp.get('default/nowhere')!.reasons), "pod didn't trigger scale-up: 3 node(s) didn't match Pod's node affinity/selector");
    assert.equal(noScaleUpMessage(p.noScaleUp.get('default/huge')!.reasons), "pod didn't trigger scale-up: 2 Insufficient cpu, 1 node(s) had untolerated taint {gpu: true}");
    assert.match(noScaleUpMessage(p.noScaleUp.get('default/sel-gpu-no-tol')!.reasons), /1 node\(s\) had untolerated taint \{gpu: true\}/);
  });

  it('respects group max, backoff, --max-nodes-total and --cores-total / --memory-total', () => {
    const pods = Array.from({ length: 8 }, (_, i) => pod(`p${i}`, { cpu: '3' }));
    let p = planScaleUp(snap({ pods, groups: [group('g', { target: 7, max: 10 })] }), opts());
    // 7 targets but none registered: 7 upcoming nodes take 7 pods, 1 pod left, 1 node more
    assert.equal(p.chosen?.nodeCount, 1);
    p = planScaleUp(snap({ pods, groups: [group('g', { max: 3 })] }), opts());
    assert.equal(p.chosen?.nodeCount, 3);
    assert.equal(noScaleUpMessage(p.noScaleUp.values().next().value!.reasons), "pod didn't trigger scale-up: 1 max node group size reached");
    p = planScaleUp(snap({ pods, groups: [group('g', { target: 10, max: 10 })], nodes: Array.from({ length: 10 }, (_, i) => node(`n${i}`, 'g', { cpu: 4 })) }), opts());
    assert.equal(p.options.length, 0);
    p = planScaleUp(snap({ pods, groups: [group('g', { backoffUntil: 2_000_000 })] }), opts());
    assert.equal(p.chosen, undefined);
    assert.match(noScaleUpMessage(p.noScaleUp.get('default/p0')!.reasons), /in backoff after failed scale-up/);
    assert.equal(planScaleUp(snap({ pods, groups: [group('g', { backoffUntil: 999 })] }), opts()).chosen?.nodeCount, 8, 'backoff over');
    p = planScaleUp(snap({ pods, groups: [group('g')], nodes: [node('x', undefined)] }), opts({ maxNodesTotal: 3 }));
    assert.equal(p.chosen?.nodeCount, 2);
    p = planScaleUp(snap({ pods, groups: [group('g')], nodes: [node('x', undefined, { cpu: 4 })] }), opts({ coresTotal: { min: 0, max: 16 } }));
    assert.equal(p.chosen?.nodeCount, 3);
    p = planScaleUp(snap({ pods, groups: [group('g')] }), opts({ memoryTotal: { min: 0, max: 32 * GI } }));
    assert.equal(p.chosen?.nodeCount, 2);
  });
});

describe('DaemonSet overhead on new nodes', () => {
  it('counts the DaemonSet pods a new node would run; a pod that fits only without them triggers nothing', () => {
    const ds = (name: string, cpu: string, nodeSelector?: Record<string, string>) => pod(name, { owner: 'DaemonSet', cpu, memory: '100Mi', nodeSelector, ns: 'kube-system' });
    const g = group('g', { cpu: 2, mem: 8 });
    const used = daemonSetUsage([ds('proxy', '100m'), ds('net', '200m'), ds('gpu-only', '1', { gpu: 'true' })], g.template);
    assert.deepEqual([used.cpu, used.pods], [300, 2], 'the GPU-only DaemonSet does not run there');
    g.daemonSetUsage = used;
    assert.equal(templateFree(g).cpu, 1630, '2 cores - 70m ACK reservation - 300m of DaemonSet pods');
    const p = planScaleUp(snap({ pods: [pod('big', { cpu: '1700m' })], groups: [g] }), opts());
    assert.equal(p.chosen, undefined);
    assert.match(noScaleUpMessage(p.noScaleUp.get('default/big')!.reasons), /Insufficient cpu/);
    assert.equal(planScaleUp(snap({ pods: [pod('fits', { cpu: '1600m' })], groups: [g] }), opts()).chosen?.nodeCount, 1);
  });
});

describe('scale-up under inter-pod affinity, anti-affinity and topology spread', () => {
  const anti = (key: string) => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: key }] } });
  it('hostname anti-affinity: one pod per new node, and no room on a node that runs a matching pod', () => {
    const pods = Array.from({ length: 4 }, (_, i) => pod(`w${i}`, { cpu: '500m', affinity: anti('kubernetes.io/hostname') }));
    assert.equal(planScaleUp(snap({ pods, groups: [group('g')] }), opts()).chosen?.nodeCount, 4);
    const busy = node('n1', 'g');
    const running = pod('old', { node: 'n1', cpu: '100m' });
    const p = planScaleUp(snap({ pods: [running, pod('new', { cpu: '500m', affinity: anti('kubernetes.io/hostname') })], nodes: [busy], groups: [group('g', { target: 1 })] }), opts());
    assert.equal(p.chosen?.nodeCount, 1, 'the free room of n1 does not count');
  });
  it('the anti-affinity of a running pod keeps matching pods off its node', () => {
    const running = pod('guard', { node: 'n1', cpu: '100m', labels: { app: 'guard' }, affinity: anti('kubernetes.io/hostname') });
    const p = planScaleUp(snap({ pods: [running, pod('web', { cpu: '500m' })], nodes: [node('n1', 'g')], groups: [group('g', { target: 1 })] }), opts());
    assert.equal(p.chosen?.nodeCount, 1);
  });
  it('zone anti-affinity and zone affinity choose the group of the right zone', () => {
    const groups = [group('za', { zones: ['z-a'] }), group('zb', { zones: ['z-b'] })];
    const inA = { ...node('a1', undefined, { labels: { 'topology.kubernetes.io/zone': 'z-a' }, cpu: 0.2 }) };
    const web = pod('web-a', { node: 'a1', cpu: '100m' });
    let p = planScaleUp(snap({ pods: [web, pod('w', { cpu: '1', affinity: anti('topology.kubernetes.io/zone') })], nodes: [inA], groups }), opts());
    assert.equal(p.chosen?.group.id, 'zb');
    const near = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'topology.kubernetes.io/zone' }] } };
    p = planScaleUp(snap({ pods: [web, pod('near', { cpu: '1', labels: { app: 'near' }, affinity: near })], nodes: [inA], groups }), opts());
    assert.equal(p.chosen?.group.id, 'za');
    assert.equal(p.options.length, 1, "zone b has no web pod: its nodes don't match the affinity");
  });
  it('hostname topology spread (maxSkew 1) asks for a node per pod when an existing node is empty of them', () => {
    const spread = (name: string, o: { node?: string } = {}) => podInfo({
      metadata: { name, namespace: 'default', uid: `u-${name}`, labels: { app: 'web' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web', controller: true }] },
      spec: { nodeName: o.node, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
        containers: [{ resources: { requests: { cpu: '200m', memory: '64Mi' } } }] },
      status: o.node ? { phase: 'Running' } : { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
    });
    // n1 has 2 web pods and room; n2 has none and no room: every pod on n1 would make the skew 3
    const nodes = [node('n1', 'g'), node('n2', 'g', { cpu: 0.1 })];
    const p = planScaleUp(snap({ pods: [spread('a', { node: 'n1' }), spread('b', { node: 'n1' }), spread('p1'), spread('p2')], nodes, groups: [group('g', { target: 2 })] }), opts());
    assert.equal(p.chosen?.nodeCount, 2);
  });
});

describe('scale-down under inter-pod anti-affinity', () => {
  it('keeps a node whose pod could only move next to a pod it must avoid', () => {
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    const nodes = [node('n1', 'g'), node('n2', 'g')];
    // one web replica per node, each avoiding the other: neither node can be emptied
    const pods = [pod('w1', { node: 'n1', cpu: '100m', affinity: anti }), pod('w2', { node: 'n2', cpu: '100m', affinity: anti })];
    const p = planScaleDown(snap({ nodes, pods, groups: [group('g', { target: 2 })] }), opts({ unneededTimeMs: 0 }));
    assert.equal(p.unneeded.size, 0);
    assert.equal(p.unremovable.get('n1')?.reason, 'NoPlaceToMovePods');
    // without the constraint one of them goes
    const plain = [pod('w1', { node: 'n1', cpu: '100m' }), pod('w2', { node: 'n2', cpu: '100m' })];
    assert.equal(planScaleDown(snap({ nodes, pods: plain, groups: [group('g', { target: 2 })] }), opts({ unneededTimeMs: 0 })).unneeded.size, 1);
  });
});

describe('--balance-similar-node-groups', () => {
  const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, { cpu: '1500m', memory: '1Gi' }));
  it('spreads the new nodes over similar groups, smallest first, within their max', () => {
    const a = group('a', { zones: ['z-a'], target: 2 });
    const b = group('b', { zones: ['z-b'], target: 0, max: 3 });
    const c = group('c', { zones: ['z-c'], target: 1 });
    // the groups' registered nodes are full
    const nodes = [node('a-1', 'a', { cpu: 0.1 }), node('a-2', 'a', { cpu: 0.1 }), node('c-1', 'c', { cpu: 0.1 })];
    const p = planScaleUp(snap({ pods, groups: [a, b, c], nodes }), opts({ balanceSimilarNodeGroups: true }));
    // 5 pods of 1.5 cores, 2 per 4-core node: 3 nodes, given to b, then b and c (sizes 2, 2, 2)
    assert.equal(p.chosen?.nodeCount, 3);
    assert.deepEqual(p.chosen?.balanced?.map((x) => [x.group.id, x.newTarget]), [['b', 2], ['c', 2]]);
    assert.equal(planScaleUp(snap({ pods, groups: [a, b, c], nodes }), opts()).chosen?.balanced, undefined, 'off by default');
    assert.deepEqual(balanceScaleUp([group('x', { target: 1, max: 2 }), group('y', { target: 0, max: 1 })], 5).map((x) => [x.group.id, x.newTarget]), [['x', 2], ['y', 1]]);
  });
  it('similar: same resources, labels but zone and group id, and taints', () => {
    const a = group('a', { zones: ['z-a'] });
    assert.ok(similarGroups(a, group('b', { zones: ['z-b'] })));
    assert.ok(!similarGroups(a, group('big', { cpu: 8 })));
    assert.ok(!similarGroups(a, group('lab', { labels: { pool: 'x' } })));
    assert.ok(!similarGroups(a, group('t', { taints: [{ key: 'k', effect: 'NoSchedule' }] })));
    assert.ok(!similarGroups(a, { ...group('ds'), daemonSetUsage: { cpu: 1000, memory: 0, pods: 1, gpu: 0 } }), 'much less free after DaemonSets');
  });
});

describe('expanders', () => {
  const small = group('small', { cpu: 2, mem: 8 });
  const big = group('big', { cpu: 8, mem: 32 });
  // 5Gi: an 8 GiB ACK node leaves 6049Mi allocatable (1843Mi reserved + 300Mi eviction threshold)
  const pods = Array.from({ length: 3 }, (_, i) => pod(`p${i}`, { cpu: '1500m', memory: '5Gi' }));
  const s = snap({ pods, groups: [big, small] });

  it('least-waste picks the group whose new nodes are fullest', () => {
    const p = planScaleUp(s, opts());
    const byId = new Map(p.options.map((o) => [o.group.id, o]));
    assert.equal(byId.get('small')!.nodeCount, 3);
    assert.equal(byId.get('big')!.nodeCount, 1);
    assert.ok(wasteScore(byId.get('small')!) < wasteScore(byId.get('big')!));
    assert.equal(p.chosen?.group.id, 'small');
  });
  it('most-pods picks the group that helps the most pods', () => {
    const limited = snap({ pods, groups: [group('small', { cpu: 2, mem: 8, max: 1 }), big] });
    assert.equal(planScaleUp(limited, opts({ expander: 'most-pods' })).chosen?.group.id, 'big');
  });
  it('random uses the random source', () => {
    const p = planScaleUp(s, opts());
    assert.equal(expand(p.options, { expander: 'random', random: () => 0 })?.group.id, p.options[0].group.id);
    assert.equal(expand(p.options, { expander: 'random', random: () => 0.99 })?.group.id, p.options[1].group.id);
  });
  it('priority takes the highest priority whose regex matches; unmatched config falls back to random', () => {
    const p = planScaleUp(s, opts());
    const pr = parsePriorities({ 10: ['.*'], 50: ['bi.*'] });
    assert.equal(expand(p.options, { expander: 'priority', priorities: pr, random: () => 0 })?.group.id, 'big');
    assert.equal(expand(p.options, { expander: 'priority', priorities: parsePriorities({ 5: ['sm.*'] }), random: () => 0.99 })?.group.id, 'small');
    assert.ok(expand(p.options, { expander: 'priority', priorities: parsePriorities({ 5: ['nothing'] }), random: () => 0 }));
    assert.throws(() => parsePriorities({ high: ['x'] }), /not an integer/);
    assert.throws(() => parsePriorities(['x']), /map of priority/);
    assert.throws(() => parsePriorities({ 1: ['(unclosed'] }), /invalid regex/);
  });
  it('expand of nothing is nothing', () => {
    assert.equal(expand([] as ScaleUpOption[], { expander: 'least-waste' }), undefined);
  });
});

describe('drainability', () => {
  const pdb = (sel: Record<string, string>, allowed: number, ns = 'default') => pdbInfo({ metadata: { name: `pdb-${allowed}`, namespace: ns }, spec: { selector: { matchLabels: sel } }, status: { disruptionsAllowed: allowed } });
  it('replicated pods move', () => {
    const v = drainability([pod('a', { node: 'n' })], []);
    assert.equal(v.blocked, undefined);
    assert.equal(v.movable.length, 1);
  });
  it('pods without a controller block', () => {
    assert.equal(drainability([pod('a', { node: 'n', owner: null })], []).blocked?.reason, 'NotReplicated');
  });
  it('kube-system pods block unless a PDB covers them', () => {
    assert.equal(drainability([pod('a', { node: 'n', ns: 'kube-system' })], []).blocked?.reason, 'UnmovableKubeSystemPod');
    assert.equal(drainability([pod('a', { node: 'n', ns: 'kube-system' })], [pdb({ app: 'web' }, 1, 'kube-system')]).blocked, undefined);
  });
  it('safe-to-evict "false" blocks, "true" allows what would block', () => {
    assert.equal(drainability([pod('a', { node: 'n', annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' } })], []).blocked?.reason, 'NotSafeToEvictAnnotation');
    const v = drainability([pod('a', { node: 'n', owner: null, ns: 'kube-system', volumes: [{ name: 'h', hostPath: { path: '/x' } }], annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' } })], []);
    assert.equal(v.blocked, undefined);
    assert.equal(v.movable.length, 1);
  });
  it('--skip-nodes-with-system-pods=false and --skip-nodes-with-local-storage=false lift those two rules', () => {
    assert.equal(drainability([pod('a', { node: 'n', ns: 'kube-system' })], [], undefined, { skipNodesWithSystemPods: false }).blocked, undefined);
    assert.equal(drainability([pod('a', { node: 'n', volumes: [{ name: 'h', hostPath: { path: '/x' } }] })], [], undefined, { skipNodesWithLocalStorage: false }).blocked, undefined);
  });
  it('local storage blocks: hostPath and disk emptyDir, not memory emptyDir', () => {
    assert.equal(drainability([pod('a', { node: 'n', volumes: [{ name: 'h', hostPath: { path: '/x' } }] })], []).blocked?.reason, 'LocalStorageRequested');
    assert.equal(drainability([pod('a', { node: 'n', volumes: [{ name: 'e', emptyDir: {} }] })], []).blocked?.reason, 'LocalStorageRequested');
    assert.equal(drainability([pod('a', { node: 'n', volumes: [{ name: 'e', emptyDir: { medium: 'Memory' } }] })], []).blocked, undefined);
  });
  it('a PDB with no disruptions allowed blocks; one with disruptions allows', () => {
    assert.equal(drainability([pod('a', { node: 'n' })], [pdb({ app: 'web' }, 0)]).blocked?.reason, 'NotEnoughPdb');
    assert.equal(drainability([pod('a', { node: 'n' })], [pdb({ app: 'web' }, 1)]).blocked, undefined);
    assert.equal(drainability([pod('a', { node: 'n' })], [pdb({ app: 'other' }, 0)]).blocked, undefined, 'selector must match');
  });
  it('mirror and DaemonSet pods neither block nor move', () => {
    const v = drainability([
      pod('m', { node: 'n', owner: null, annotations: { 'kubernetes.io/config.mirror': 'x' } }),
      pod('ds', { node: 'n', owner: 'DaemonSet', ns: 'kube-system' }),
    ], []);
    assert.equal(v.blocked, undefined);
    assert.equal(v.movable.length, 0);
    assert.equal(v.ignored.length, 2);
  });
});

describe('scale-down', () => {
  const base = () => ({
    nodes: [node('n1', 'g'), node('n2', 'g'), node('n3', 'g')],
    groups: [group('g', { target: 3, min: 1 })],
  });
  it('removes an empty node and drains an underused one whose pods fit elsewhere', () => {
    const s = snap({ ...base(), pods: [pod('busy', { node: 'n1', cpu: '2500m' }), pod('small', { node: 'n2', cpu: '1' })] });
    const p = planScaleDown(s, opts());
    assert.deepEqual(p.empty.map((r) => r.node.name), ['n3']);
    assert.equal(p.drain?.node.name, 'n2');
    assert.deepEqual(p.drain?.pods.map((x) => x.name), ['small']);
    assert.equal(p.unremovable.get('n1')?.reason, 'NotUnderutilized');
  });
  it('waits --scale-down-unneeded-time and the delays after a scale-up or a failure', () => {
    const s = snap({ ...base(), pods: [pod('busy', { node: 'n1', cpu: '3' }), pod('b2', { node: 'n2', cpu: '3' })] });
    let p = planScaleDown(s, opts({ unneededTimeMs: 60_000 }));
    assert.equal(p.unneeded.get('n3'), 1_000_000);
    assert.equal(p.empty.length, 0);
    p = planScaleDown(s, opts({ unneededTimeMs: 60_000, now: 1_060_000, unneededSince: p.unneeded }));
    assert.deepEqual(p.empty.map((r) => r.node.name), ['n3']);
    p = planScaleDown(s, opts({ lastScaleUp: 999_000, delayAfterAddMs: 60_000 }));
    assert.equal(p.empty.length, 0);
    assert.equal(p.cooldown, 'scale-down-delay-after-add');
    p = planScaleDown(s, opts({ lastScaleDownFailure: 999_000, delayAfterFailureMs: 60_000 }));
    assert.equal(p.cooldown, 'scale-down-delay-after-failure');
  });
  it('keeps the group minimum, the annotated node, and pods that fit nowhere', () => {
    const s = snap({ nodes: [node('n1', 'g'), node('n2', 'g', { annotations: { 'cluster-autoscaler.kubernetes.io/scale-down-disabled': 'true' } })], groups: [group('g', { target: 2, min: 1 })], pods: [pod('x', { node: 'n1', cpu: '1900m' }), pod('y', { node: 'n2', cpu: '3500m' })] });
    const p = planScaleDown(s, opts());
    assert.equal(p.unremovable.get('n2')?.reason, 'ScaleDownDisabledAnnotation');
    assert.equal(p.unremovable.get('n1')?.reason, 'NoPlaceToMovePods');
    const two = planScaleDown(snap({ nodes: [node('n1', 'g'), node('n2', 'g')], groups: [group('g', { target: 2, min: 1 })] }), opts());
    assert.equal(two.empty.length, 1, 'one of two empty nodes, the group minimum is 1');
    assert.equal(two.unremovable.get(two.empty[0].node.name === 'n1' ? 'n2' : 'n1')?.reason, 'NodeGroupMinSizeReached');
  });
  it('a blocking pod keeps its node; nodes outside groups are never removed', () => {
    const s = snap({ ...base(), nodes: [...base().nodes, node('static', undefined)], pods: [pod('bare', { node: 'n3', owner: null })] });
    const p = planScaleDown(s, opts());
    assert.equal(p.unremovable.get('n3')?.reason, 'NotReplicated');
    assert.equal(p.unremovable.get('static')?.reason, 'NotAutoscaled');
    assert.ok(!p.empty.some((r) => r.node.name === 'static'));
  });
  it('drains one non-empty node at a time', () => {
    const s = snap({ ...base(), pods: [pod('a', { node: 'n2' }), pod('b', { node: 'n3' })] });
    assert.ok(planScaleDown(s, opts()).drain);
    assert.equal(planScaleDown(s, opts({ drainInProgress: true })).drain, undefined);
  });
});
