// Randomized, seeded safety properties of the planner over a few hundred clusters: a node
// chosen for removal either hosts nothing but DaemonSet/mirror/finished/expendable pods, or
// is drained, and then every other pod on it is in the eviction list and none blocks; only
// Ready, group, untainted, not-annotated nodes go; group minimums and maximums and
// --max-nodes-total are never crossed, also when a scale-up is balanced over similar groups. A failure prints its seed; SAFETY_SEED=<n> replays
// that one scenario.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { drainability } from './drain.js';
import { nodeInfo, pdbInfo, podInfo, templateNode, type ClusterSnapshot, type GroupInfo, type NodeInfo, type PodInfo } from './model.js';
import { daemonSetUsage, planScaleDown, planScaleUp, upcomingCount, type PlannerOptions } from './planner.js';
import { seededRandom } from 'kubeloop/testing';

const rng = seededRandom;

interface Scenario { snapshot: ClusterSnapshot; opts: PlannerOptions }

function scenario(seed: number): Scenario {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const groups: GroupInfo[] = [];
  const nodes: NodeInfo[] = [];
  const pods: PodInfo[] = [];
  let uid = 0;
  const pod = (name: string, o: { node?: string; ns?: string; owner?: string; cpu: number; mem: number; annotations?: Record<string, string>; labels?: Record<string, string>; priority?: number; hostPath?: boolean; interPod?: boolean }) => podInfo({
    metadata: {
      name, namespace: o.ns ?? 'default', uid: `u${uid++}`, labels: o.labels ?? { app: 'web' }, annotations: o.annotations,
      ownerReferences: o.owner ? [{ kind: o.owner, name: `${o.owner.toLowerCase()}-x`, controller: true }] : undefined,
    },
    spec: {
      nodeName: o.node, priority: o.priority, volumes: o.hostPath ? [{ name: 'h', hostPath: { path: '/x' } }] : undefined,
      ...(o.interPod ? interPod() : {}),
      containers: [{ resources: { requests: { cpu: `${o.cpu}m`, memory: `${o.mem}Mi` } } }],
    },
    status: o.node ? { phase: 'Running' } : { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
  });
  // some pods carry inter-pod constraints: hostname anti-affinity or a hostname/zone spread
  const interPod = () => {
    const selector = { matchLabels: { app: pick(['web', 'api']) } };
    return r() < 0.5
      ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: selector, topologyKey: 'kubernetes.io/hostname' }] } } }
      : { topologySpreadConstraints: [{ maxSkew: int(1, 2), topologyKey: pick(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']), whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector }] };
  };
  const ds = [pod('ds-proxy', { owner: 'DaemonSet', ns: 'kube-system', cpu: 100, mem: 100 }), pod('ds-net', { owner: 'DaemonSet', ns: 'kube-system', cpu: 200, mem: 128 })];
  for (let gi = 0; gi < int(1, 4); gi++) {
    const min = int(0, 2);
    const max = min + int(0, 6);
    const id = `g${gi}`;
    const cores = pick([2, 4, 8]);
    const t = templateNode({ groupId: id, instanceType: 't', cpuCores: cores, memoryGiB: cores * 4, gpus: 0, region: 'r', zones: ['r-a'], labels: {}, taints: [] });
    const g: GroupInfo = { id, min, max, target: int(min, max), template: t, backoffUntil: r() < 0.1 ? 1e15 : undefined, unhealthy: r() < 0.05 ? 'broken' : undefined };
    g.daemonSetUsage = daemonSetUsage(ds, t);
    groups.push(g);
    for (let i = 0; i < int(0, g.target); i++) nodes.push(makeNode(`${id}-n${i}`, id, cores));
  }
  for (let i = 0; i < int(0, 2); i++) nodes.push(makeNode(`static-${i}`, undefined, 4));
  function makeNode(name: string, groupId: string | undefined, cores: number): NodeInfo {
    const n = nodeInfo({
      metadata: { name, labels: { 'kubernetes.io/hostname': name }, annotations: r() < 0.05 ? { 'cluster-autoscaler.kubernetes.io/scale-down-disabled': 'true' } : {} },
      spec: { providerID: groupId ? `r.i-${name}` : undefined, taints: r() < 0.05 ? [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1', effect: 'NoSchedule' }] : [] },
      status: { allocatable: { cpu: `${cores * 1000 - 100}m`, memory: `${cores * 4 * 1024 - 1000}Mi`, pods: '110' }, conditions: [{ type: 'Ready', status: r() < 0.9 ? 'True' : 'False' }] },
    }, () => groupId);
    for (const d of ds) pods.push({ ...d, key: `${d.key}-${name}`, name: `${d.name}-${name}`, uid: `u${uid++}`, nodeName: name });
    for (let i = 0; i < int(0, 4); i++) {
      const kind = r();
      pods.push(pod(`${name}-p${i}`, {
        node: name, cpu: int(50, 1200), mem: int(64, 2048),
        owner: kind < 0.8 ? 'ReplicaSet' : undefined,
        ns: kind > 0.9 ? 'kube-system' : 'default',
        annotations: r() < 0.1 ? { 'cluster-autoscaler.kubernetes.io/safe-to-evict': pick(['true', 'false']) } : undefined,
        labels: { app: pick(['web', 'api', 'db']) }, priority: r() < 0.1 ? -100 : 0, hostPath: r() < 0.05, interPod: r() < 0.1,
      }));
    }
    return n;
  }
  for (let i = 0; i < int(0, 12); i++) pods.push(pod(`pending-${i}`, { owner: 'ReplicaSet', cpu: int(100, 9000), mem: int(64, 8192), labels: { app: pick(['web', 'api', 'db']) }, interPod: r() < 0.3 }));
  const pdbs = ['web', 'api'].filter(() => r() < 0.5).map((app) => pdbInfo({
    metadata: { namespace: 'default', name: app }, spec: { selector: { matchLabels: { app } } }, status: { disruptionsAllowed: int(0, 2) },
  }));
  const upcoming = groups.reduce((n, g) => n + (g.unhealthy ? 0 : upcomingCount(g, nodes.filter((x) => x.groupId === g.id).length)), 0);
  const opts: PlannerOptions = {
    now: 1_000_000, expander: pick(['least-waste', 'most-pods', 'random'] as const), random: r,
    maxNodesTotal: r() < 0.5 ? 0 : nodes.length + upcoming + int(0, 4), coresTotal: { min: 0, max: Infinity }, memoryTotal: { min: 0, max: Infinity },
    scaleDownEnabled: true, utilizationThreshold: pick([0.5, 0.7, 1]), unneededTimeMs: 0, delayAfterAddMs: 0, delayAfterFailureMs: 0,
    maxEmptyBulkDelete: int(1, 10), lastScaleUp: 0, lastScaleDownFailure: 0, unneededSince: new Map(), drainInProgress: r() < 0.2,
    balanceSimilarNodeGroups: r() < 0.5,
  };
  return { snapshot: { nodes, pods, pdbs, groups }, opts };
}

function check(seed: number): void {
  const { snapshot: s, opts } = scenario(seed);
  const podsOn = (n: string) => s.pods.filter((p) => p.nodeName === n);
  const down = planScaleDown(s, opts, false);
  const removed = [...down.empty, ...(down.drain ? [down.drain] : [])];
  const groups = new Map(s.groups.map((g) => [g.id, g]));
  for (const r of removed) {
    const n = r.node;
    assert.ok(n.groupId && groups.has(n.groupId) && !groups.get(n.groupId)!.unhealthy, `${n.name}: only nodes of readable groups go`);
    assert.ok(n.ready && !n.toBeDeleted && n.annotations['cluster-autoscaler.kubernetes.io/scale-down-disabled'] !== 'true', `${n.name}: not Ready, being deleted or annotated`);
    const v = drainability(podsOn(n.name), s.pdbs, undefined, opts);
    assert.equal(v.blocked, undefined, `${n.name}: a blocking pod (${v.blocked?.pod.key})`);
    assert.deepEqual(r.pods.map((p) => p.key).sort(), v.movable.map((p) => p.key).sort(), `${n.name}: every pod that is not DaemonSet/mirror/finished/expendable is evicted first`);
  }
  for (const r of down.empty) assert.equal(r.pods.length, 0, `${r.node.name}: an "empty" node hosts nothing to evict`);
  if (opts.drainInProgress) assert.equal(down.drain, undefined, 'one drain at a time');
  for (const g of s.groups) {
    const going = removed.filter((r) => r.node.groupId === g.id).length + s.nodes.filter((n) => n.groupId === g.id && n.toBeDeleted).length;
    if (removed.some((r) => r.node.groupId === g.id)) assert.ok(g.target - going >= g.min, `group ${g.id}: min ${g.min} crossed (target ${g.target}, going ${going})`);
  }
  const up = planScaleUp(s, opts);
  if (up.chosen) {
    // with --balance-similar-node-groups the nodes may go to several groups
    const increases = up.chosen.balanced ?? [{ group: up.chosen.group, newTarget: up.chosen.newTarget }];
    let added = 0;
    for (const { group: g, newTarget } of increases) {
      assert.ok(!g.unhealthy && !(g.backoffUntil && g.backoffUntil > opts.now), `group ${g.id} is unhealthy or backed off`);
      assert.ok(newTarget <= g.max, `group ${g.id}: max ${g.max} crossed (${newTarget})`);
      assert.ok(newTarget > g.target, `group ${g.id}: a scale-up never lowers a target`);
      added += newTarget - g.target;
    }
    assert.ok(added <= up.chosen.nodeCount, `${added} nodes added for ${up.chosen.nodeCount} needed`);
    if (opts.maxNodesTotal > 0) {
      const upcoming = s.groups.reduce((n, x) => n + (x.unhealthy ? 0 : upcomingCount(x, s.nodes.filter((y) => y.groupId === x.id).length)), 0);
      assert.ok(s.nodes.length + upcoming + added <= opts.maxNodesTotal, `--max-nodes-total ${opts.maxNodesTotal} crossed`);
    }
  }
}

describe('planner safety (randomized, seeded)', () => {
  it('holds over 400 random clusters', () => {
    const only = process.env.SAFETY_SEED;
    const seeds = only ? [Number(only)] : Array.from({ length: 400 }, (_, i) => 20_261_206 + i * 7919);
    for (const seed of seeds) {
      try {
        check(seed);
      } catch (err) {
        throw new Error(`safety property failed for seed ${seed} (replay: SAFETY_SEED=${seed}): ${(err as Error).message}`);
      }
    }
  });
});
