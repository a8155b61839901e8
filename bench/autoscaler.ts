// The cluster autoscaler's planner on a large snapshot, no server: N pending pods (50
// workloads of different sizes, some pinned to a zone or tolerating a taint) against M
// nodes (mostly full, some underused) in G node groups of different instance types, zones
// and taints. Reports the time to build the snapshot from objects, plan the scale-up and
// plan the scale-down (target: well under one 10 s scan interval).
// Usage: npm run bench -- autoscaler [--pods 10000] [--nodes 1000] [--groups 20] [--runs 3]
import { nodeInfo, podInfo, templateNode, type ClusterSnapshot, type GroupInfo } from '@kubeloop/ack/cluster-autoscaler';
import { planScaleDown, planScaleUp, type PlannerOptions } from '@kubeloop/ack/cluster-autoscaler';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : def;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`invalid --${name} (a positive integer)`);
  return v;
}

function emit(metric: string, value: number, unit: string): void {
  process.stdout.write(JSON.stringify({ bench: 'autoscaler', metric, value: Math.round(value * 100) / 100, unit }) + '\n');
}

const ZONES = ['cn-hangzhou-h', 'cn-hangzhou-i', 'cn-hangzhou-k'];
const TYPES = [{ cpu: 4, mem: 16 }, { cpu: 8, mem: 32 }, { cpu: 4, mem: 8 }, { cpu: 16, mem: 64 }];

function build(nPods: number, nNodes: number, nGroups: number): { objects: { pods: object[]; nodes: object[] }; groups: GroupInfo[] } {
  const groups: GroupInfo[] = [];
  for (let g = 0; g < nGroups; g++) {
    const t = TYPES[g % TYPES.length];
    groups.push({
      id: `asg-${g}`, min: 0, max: 1000, target: 0,
      template: templateNode({
        groupId: `asg-${g}`, instanceType: `type-${g % TYPES.length}`, cpuCores: t.cpu, memoryGiB: t.mem, gpus: 0, region: 'cn-hangzhou',
        zones: [ZONES[g % ZONES.length]], labels: { pool: `p${g % 5}` }, taints: g % 7 === 6 ? [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] : [],
      }),
    });
  }
  const nodes: object[] = [];
  const pods: object[] = [];
  for (let i = 0; i < nNodes; i++) {
    const g = groups[i % nGroups];
    g.target++;
    const name = `node-${i}`;
    nodes.push({
      metadata: { name, labels: { ...g.template.labels, 'kubernetes.io/hostname': name } },
      spec: { providerID: `alicloud://cn-hangzhou.i-${i}`, taints: g.template.taints },
      status: { allocatable: { cpu: String(g.template.allocatable.cpu / 1000), memory: String(g.template.allocatable.memory), pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
    });
    // 90% of the nodes nearly full, the rest a quarter used
    const cpu = g.template.allocatable.cpu * (i % 10 === 0 ? 0.25 : 0.95);
    for (let k = 0; k < 4; k++) {
      pods.push({
        metadata: { name: `run-${i}-${k}`, namespace: 'default', uid: `r${i}-${k}`, labels: { app: `w${i % 50}` }, ownerReferences: [{ kind: 'ReplicaSet', name: `w${i % 50}`, controller: true }] },
        spec: { nodeName: name, containers: [{ resources: { requests: { cpu: `${Math.floor(cpu / 4)}m`, memory: '512Mi' } } }] },
        status: { phase: 'Running' },
      });
    }
  }
  for (let i = 0; i < nPods; i++) {
    const w = i % 50;
    const spec: Record<string, unknown> = { containers: [{ resources: { requests: { cpu: `${250 + (w % 8) * 250}m`, memory: `${256 * (1 + (w % 6))}Mi` } } }] };
    if (w % 10 === 3) spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [ZONES[w % 3]] }] }] } } };
    if (w % 10 === 6) spec.tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }];
    if (w % 10 === 8) spec.nodeSelector = { pool: `p${w % 5}` };
    pods.push({
      metadata: { name: `pending-${i}`, namespace: 'default', uid: `p${i}`, labels: { app: `w${w}` }, ownerReferences: [{ kind: 'ReplicaSet', name: `w${w}`, controller: true }] },
      spec,
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
    });
  }
  return { objects: { pods, nodes }, groups };
}

export async function main(args: string[]): Promise<void> {
  const nPods = arg(args, 'pods', 10_000);
  const nNodes = arg(args, 'nodes', 1_000);
  const nGroups = arg(args, 'groups', 20);
  const runs = arg(args, 'runs', 3);
  const { objects, groups } = build(nPods, nNodes, nGroups);
  const opts: PlannerOptions = {
    now: Date.now(), expander: 'least-waste', maxNodesTotal: 0, coresTotal: { min: 0, max: Infinity }, memoryTotal: { min: 0, max: Infinity },
    scaleDownEnabled: true, utilizationThreshold: 0.5, unneededTimeMs: 0, delayAfterAddMs: 0, delayAfterFailureMs: 0, maxEmptyBulkDelete: 10,
    lastScaleUp: 0, lastScaleDownFailure: 0, unneededSince: new Map(), drainInProgress: false,
  };
  let best = { snapshot: Infinity, up: Infinity, down: Infinity };
  let last: { nodes: number; group: string; unneeded: number } | undefined;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const groupOf = (id: string) => `asg-${Number(id.slice(2)) % nGroups}`;
    const snap: ClusterSnapshot = { nodes: objects.nodes.map((n) => nodeInfo(n, groupOf)), pods: objects.pods.map(podInfo), pdbs: [], groups };
    const t1 = performance.now();
    const up = planScaleUp(snap, opts);
    const t2 = performance.now();
    const down = planScaleDown(snap, opts);
    const t3 = performance.now();
    best = { snapshot: Math.min(best.snapshot, t1 - t0), up: Math.min(best.up, t2 - t1), down: Math.min(best.down, t3 - t2) };
    last = { nodes: up.chosen?.nodeCount ?? 0, group: up.chosen?.group.id ?? '', unneeded: down.unneeded.size };
  }
  emit('snapshot_build_ms', best.snapshot, 'ms');
  emit('scale_up_plan_ms', best.up, 'ms');
  emit('scale_down_plan_ms', best.down, 'ms');
  emit('loop_plan_total_ms', best.snapshot + best.up + best.down, 'ms');
  emit('scale_up_nodes', last?.nodes ?? 0, 'nodes');
  emit('unneeded_nodes', last?.unneeded ?? 0, 'nodes');
  process.stdout.write(JSON.stringify({ bench: 'autoscaler', metric: 'shape', value: { pods: nPods, nodes: nNodes, groups: nGroups, chosen: last?.group }, unit: 'info' }) + '\n');
}
