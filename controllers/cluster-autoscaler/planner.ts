/**
 * The autoscaler's decisions as a pure function of a {@link ClusterSnapshot}: which group to
 * grow by how many nodes (first-fit-decreasing binpacking of the pending pods onto template
 * nodes, an expander choosing among the groups) and which nodes are unneeded / to remove
 * (utilization of requests, drainability, the pods fit on the remaining nodes). No I/O, no
 * clock: time comes in as `now`, state carried between loops comes in and goes out.
 */
import { drainability, type BlockReason } from './drain.js';
import {
  EXPENDABLE_PRIORITY_CUTOFF, NOT_READY_TAINTS, SCALE_DOWN_DISABLED_ANNOTATION, type ClusterSnapshot, type GroupInfo, type NodeInfo, type PdbInfo, type PodInfo, type Res,
} from './model.js';
import { hasInterPodConstraints, InterPodTracker } from './interpod.js';
import { FitCache, fitsResources, insufficient, subtract } from './predicates.js';

export type ExpanderName = 'least-waste' | 'most-pods' | 'random' | 'priority';
export const EXPANDERS: readonly ExpanderName[] = ['least-waste', 'most-pods', 'random', 'priority'];

/** `min:max` limits; memory in bytes. */
export interface Range { min: number; max: number }

export interface PlannerOptions {
  now: number;
  expander: ExpanderName;
  /** priority expander config: priority -> group id regexes (higher wins) */
  priorities?: ReadonlyMap<number, readonly RegExp[]>;
  /** `random` expander and ties (default Math.random) */
  random?: () => number;
  /** --max-nodes-total (0 = unlimited) */
  maxNodesTotal: number;
  /** --cores-total (cores) */
  coresTotal: Range;
  /** --memory-total (bytes) */
  memoryTotal: Range;
  scaleDownEnabled: boolean;
  /** --scale-down-utilization-threshold */
  utilizationThreshold: number;
  unneededTimeMs: number;
  delayAfterAddMs: number;
  delayAfterFailureMs: number;
  /** --max-empty-bulk-delete */
  maxEmptyBulkDelete: number;
  /** last scale-up / failed scale-down (ms; 0 = never) */
  lastScaleUp: number;
  lastScaleDownFailure: number;
  /** since when each node has been unneeded (from the previous loop) */
  unneededSince: ReadonlyMap<string, number>;
  /** a drain of a non-empty node is in flight: no second one (upstream's max-drain-parallelism 1) */
  drainInProgress: boolean;
  /**
   * A registered node not Ready yet and younger than this is still starting: its room counts
   * for pending pods (as upcoming nodes do), so a scale-up is not repeated while it boots
   * (default 0: only Ready nodes count). The controller passes --max-node-provision-time.
   */
  nodeStartupMs?: number;
  /** --skip-nodes-with-system-pods (default true) */
  skipNodesWithSystemPods?: boolean;
  /** --skip-nodes-with-local-storage (default true) */
  skipNodesWithLocalStorage?: boolean;
  /** --balance-similar-node-groups (default false) */
  balanceSimilarNodeGroups?: boolean;
}

// ---------------------------------------------------------------- scale-up

export interface ScaleUpOption {
  group: GroupInfo;
  /** nodes binpacking needs, after the limits */
  nodeCount: number;
  /** pods the new nodes would take */
  pods: PodInfo[];
}

export interface ScaleUpPlan {
  /** pods the scheduler could not place (not expendable) */
  unschedulable: PodInfo[];
  /** of those, pods that fit on existing nodes' free space or on nodes still booting */
  waiting: PodInfo[];
  /** every group's option that helps at least one pod */
  options: ScaleUpOption[];
  /** the expander's choice */
  chosen?: ScaleUpOption & {
    newTarget: number;
    /** with --balance-similar-node-groups: every group's new size, the chosen one's included */
    balanced?: Array<{ group: GroupInfo; newTarget: number }>;
  };
  /** pods no group can help, with reason -> number of groups */
  noScaleUp: Map<string, { pod: PodInfo; reasons: Map<string, number> }>;
}

/** A bin: a node (existing, upcoming or new from a template) with what is still free on it. */
interface Bin { node: NodeInfo; free: Res }

const binOf = (node: NodeInfo, used?: Res): Bin => {
  const free = { ...node.allocatable };
  if (used) subtract(free, used);
  return { node, free };
};

/** Requests of the pods bound to each node (finished and terminating pods excluded). */
export function usageByNode(pods: readonly PodInfo[]): Map<string, Res> {
  const m = new Map<string, Res>();
  for (const p of pods) {
    if (!p.nodeName || p.gone) continue;
    let u = m.get(p.nodeName);
    if (!u) m.set(p.nodeName, (u = { cpu: 0, memory: 0, pods: 0, gpu: 0 }));
    u.cpu += p.requests.cpu; u.memory += p.requests.memory; u.pods += p.requests.pods; u.gpu += p.requests.gpu;
  }
  return m;
}

/**
 * Places pods first-fit onto `bins` (mutating their free space); returns the pods left over.
 * With a tracker, inter-pod constraints are checked and placements recorded.
 */
function firstFit(pods: readonly PodInfo[], bins: Bin[], fit: FitCache, tracker?: InterPodTracker): PodInfo[] {
  const left: PodInfo[] = [];
  // bins only fill up, so a pod identical to an earlier one (same constraints and requests)
  // cannot fit any bin before the one that took (or refused) the earlier one: start there —
  // not so under inter-pod constraints (spread lets a refused bin take a later pod)
  const resume = new Map<string, number>();
  for (const p of pods) {
    const constrained = tracker?.constrains(p) ?? false;
    const key = `${p.shape}|${p.requests.cpu}|${p.requests.memory}|${p.requests.gpu}`;
    let placed = false;
    let i = constrained ? 0 : resume.get(key) ?? 0;
    for (; i < bins.length; i++) {
      const b = bins[i];
      if (fitsResources(p.requests, b.free) && fit.fits(p, b.node) && !(constrained && tracker!.violation(p, b.node))) {
        subtract(b.free, p.requests);
        tracker?.place(p, b.node.name);
        placed = true;
        break;
      }
    }
    if (!constrained) resume.set(key, i);
    if (!placed) left.push(p);
  }
  return left;
}

/** A new node of `template` with a name and hostname of its own (a topology domain of its own). */
function newNodeOf(template: NodeInfo, suffix: string): NodeInfo {
  const name = `${template.name}-${suffix}`;
  return { ...template, name, labels: { ...template.labels, 'kubernetes.io/hostname': name } };
}

/** Node count of `group` registered in the cluster. */
function registeredByGroup(nodes: readonly NodeInfo[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of nodes) if (n.groupId) m.set(n.groupId, (m.get(n.groupId) ?? 0) + 1);
  return m;
}

/** Nodes of a group asked for (desired capacity) but not registered yet. */
export function upcomingCount(group: GroupInfo, registered: number): number {
  return Math.max(0, group.target - registered);
}

/**
 * Requests of the DaemonSet pods that would run on `template` (their node selector, affinity
 * and tolerations admit it), as upstream adds DaemonSet pods to a template node
 * (cluster-autoscaler/utils/daemonset GetDaemonSetPodsForNode). `dsPods` are the DaemonSets'
 * pod templates as pods.
 */
export function daemonSetUsage(dsPods: readonly PodInfo[], template: NodeInfo): Res {
  const fit = new FitCache();
  const used: Res = { cpu: 0, memory: 0, pods: 0, gpu: 0 };
  for (const p of dsPods) {
    if (fit.mismatch(p, template)) continue;
    used.cpu += p.requests.cpu; used.memory += p.requests.memory; used.pods += p.requests.pods; used.gpu += p.requests.gpu;
  }
  return used;
}

/** What a new node of the group has free once its DaemonSet pods run. */
export function templateFree(g: Pick<GroupInfo, 'template' | 'daemonSetUsage'>): Res {
  const free = { ...g.template.allocatable };
  if (g.daemonSetUsage) subtract(free, g.daemonSetUsage);
  return free;
}

/**
 * First-fit-decreasing binpacking of `pods` onto new nodes built from `template`, at most
 * `limit` of them, each starting with `free` (default: the template's allocatable; the
 * planner passes what its DaemonSet pods leave). Pods sorted by their share of the
 * template's cpu + memory, largest first.
 */
export function binpack(pods: readonly PodInfo[], template: NodeInfo, limit: number, free: Res = template.allocatable, tracker?: InterPodTracker): { nodes: number; placed: PodInfo[]; free: Res[] } {
  if (tracker && pods.some((p) => tracker.constrains(p))) return binpackConstrained(pods, template, limit, free, tracker);
  const a = template.allocatable;
  const score = (p: PodInfo) => (a.cpu ? p.requests.cpu / a.cpu : 0) + (a.memory ? p.requests.memory / a.memory : 0);
  const sorted = [...pods].sort((x, y) => score(y) - score(x));
  const bins: Res[] = [];
  const placed: PodInfo[] = [];
  // bins before `open` are too full for the smallest pod of all (a cheap lower bound that
  // keeps first-fit from rescanning full bins when thousands of pods need hundreds of nodes)
  let open = 0;
  let minCpu = Infinity;
  let minMem = Infinity;
  for (const p of sorted) { minCpu = Math.min(minCpu, p.requests.cpu); minMem = Math.min(minMem, p.requests.memory); }
  // as in firstFit: identical pods resume where the previous one was placed
  let prev: PodInfo | undefined;
  let prevIdx = 0;
  for (const p of sorted) {
    let done = false;
    const same = prev !== undefined && prev.requests.cpu === p.requests.cpu && prev.requests.memory === p.requests.memory
      && prev.requests.gpu === p.requests.gpu && prev.requests.pods === p.requests.pods;
    let i = Math.max(open, same ? prevIdx : 0);
    for (; i < bins.length; i++) {
      const b = bins[i];
      if (fitsResources(p.requests, b)) { subtract(b, p.requests); placed.push(p); done = true; break; }
    }
    if (!done && bins.length < limit) {
      const b = { ...free };
      if (fitsResources(p.requests, b)) { subtract(b, p.requests); bins.push(b); placed.push(p); done = true; i = bins.length - 1; }
    }
    prev = p;
    prevIdx = i;
    while (open < bins.length && (bins[open].cpu < minCpu || bins[open].memory < minMem || bins[open].pods < 1)) open++;
  }
  return { nodes: bins.length, placed, free: bins };
}

/**
 * binpack under inter-pod constraints: first fit onto the new nodes so far, then a fresh one,
 * each placement checked against (and recorded in) the tracker. Slower than binpack (no
 * shortcuts), used only when some pod has constraints.
 */
function binpackConstrained(pods: readonly PodInfo[], template: NodeInfo, limit: number, free: Res, tracker: InterPodTracker): { nodes: number; placed: PodInfo[]; free: Res[] } {
  const a = template.allocatable;
  const score = (p: PodInfo) => (a.cpu ? p.requests.cpu / a.cpu : 0) + (a.memory ? p.requests.memory / a.memory : 0);
  const sorted = [...pods].sort((x, y) => score(y) - score(x));
  const bins: Array<{ node: NodeInfo; free: Res }> = [];
  const placed: PodInfo[] = [];
  for (const p of sorted) {
    let bin = bins.find((b) => fitsResources(p.requests, b.free) && !tracker.violation(p, b.node));
    if (!bin && bins.length < limit && fitsResources(p.requests, free)) {
      const node = newNodeOf(template, `new-${bins.length}`);
      tracker.addNode(node);
      if (tracker.violation(p, node)) tracker.removeNode(node.name);
      else bins.push((bin = { node, free: { ...free } }));
    }
    if (!bin) continue;
    subtract(bin.free, p.requests);
    tracker.place(p, bin.node.name);
    placed.push(p);
  }
  return { nodes: bins.length, placed, free: bins.map((b) => b.free) };
}

function addReason(m: ScaleUpPlan['noScaleUp'], pod: PodInfo, reason: string): void {
  let e = m.get(pod.key);
  if (!e) m.set(pod.key, (e = { pod, reasons: new Map() }));
  e.reasons.set(reason, (e.reasons.get(reason) ?? 0) + 1);
}

/** The upstream message: `pod didn't trigger scale-up: 1 max node group size reached, 2 node(s) didn't match ...`. */
export function noScaleUpMessage(reasons: ReadonlyMap<string, number>): string {
  const parts = [...reasons.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([r, n]) => `${n} ${r}`);
  return `pod didn't trigger scale-up: ${parts.join(', ') || 'no node groups'}`;
}

export function planScaleUp(s: ClusterSnapshot, o: PlannerOptions): ScaleUpPlan {
  const fit = new FitCache();
  const unschedulable = s.pods.filter((p) => p.unschedulable && !p.gone && p.priority >= EXPENDABLE_PRIORITY_CUTOFF);
  const plan: ScaleUpPlan = { unschedulable, waiting: [], options: [], noScaleUp: new Map() };
  if (unschedulable.length === 0) return plan;

  // 1. pods that fit existing free space (the scheduler is about to place them) or nodes
  //    already asked for and booting do not need new nodes
  const usage = usageByNode(s.pods);
  const starting = (n: NodeInfo) => !n.ready && n.createdMs > 0 && o.now - n.createdMs < (o.nodeStartupMs ?? 0);
  const groupById = new Map(s.groups.map((g) => [g.id, g]));
  const bins: Bin[] = s.nodes.filter((n) => (n.ready || starting(n)) && !n.unschedulable && !n.toBeDeleted)
    .map((n) => {
      // a node registered a moment ago has posted no status yet: until it does, its room is
      // its group's template's, as for the upcoming nodes it was counted as
      const g = n.groupId !== undefined ? groupById.get(n.groupId) : undefined;
      if (!n.ready && n.allocatable.cpu === 0 && g && !g.unhealthy) {
        return binOf({ ...g.template, name: n.name, labels: { ...g.template.labels, 'kubernetes.io/hostname': n.name } }, g.daemonSetUsage);
      }
      // the not-ready taints go away with readiness (a just-Ready node may still carry one for a moment)
      return binOf(n.taints.some((t) => NOT_READY_TAINTS.includes(t.key)) ? { ...n, taints: n.taints.filter((t) => !NOT_READY_TAINTS.includes(t.key)) } : n, usage.get(n.name));
    });
  const registered = registeredByGroup(s.nodes);
  // inter-pod constraints are simulated only when some pod has them (the common case stays fast)
  const tracker = unschedulable.some(hasInterPodConstraints) || s.pods.some((p) => p.nodeName && p.podAntiAffinity)
    ? new InterPodTracker(s.nodes, s.pods) : undefined;
  for (const g of s.groups) {
    if (g.unhealthy) continue;
    const up = upcomingCount(g, registered.get(g.id) ?? 0);
    for (let i = 0; i < up; i++) {
      const node = tracker ? newNodeOf(g.template, `upcoming-${i}`) : g.template;
      tracker?.addNode(node);
      bins.push(binOf(node, g.daemonSetUsage));
    }
  }
  const sortedPending = [...unschedulable].sort((a, b) => (b.requests.cpu - a.requests.cpu) || (b.requests.memory - a.requests.memory));
  const remaining = firstFit(sortedPending, bins, fit, tracker);
  const remainingSet = new Set(remaining);
  plan.waiting = unschedulable.filter((p) => !remainingSet.has(p));
  if (remaining.length === 0) return plan;

  // 2. cluster-wide headroom
  const upcomingTotal = s.groups.reduce((n, g) => n + (g.unhealthy ? 0 : upcomingCount(g, registered.get(g.id) ?? 0)), 0);
  const totalNodes = s.nodes.length + upcomingTotal;
  let cores = 0;
  let memory = 0;
  for (const n of s.nodes) { cores += n.allocatable.cpu / 1000; memory += n.allocatable.memory; }
  for (const g of s.groups) {
    if (g.unhealthy) continue;
    const up = upcomingCount(g, registered.get(g.id) ?? 0);
    cores += up * g.template.allocatable.cpu / 1000;
    memory += up * g.template.allocatable.memory;
  }

  // 3. per group: which pods could a new node take, how many nodes, within the limits
  for (const g of s.groups) {
    const groupReason = g.unhealthy ? 'node group(s) could not be read'
      : g.backoffUntil !== undefined && g.backoffUntil > o.now ? 'in backoff after failed scale-up'
        : g.target >= g.max ? 'max node group size reached' : undefined;
    if (groupReason) { for (const p of remaining) addReason(plan.noScaleUp, p, groupReason); continue; }
    const fitting: PodInfo[] = [];
    const newNodeFree = templateFree(g);
    for (const p of remaining) {
      const why = fit.mismatch(p, g.template) || insufficient(p.requests, newNodeFree);
      if (why) addReason(plan.noScaleUp, p, why);
      else fitting.push(p);
    }
    if (fitting.length === 0) continue;
    let limit = g.max - g.target;
    let limitReason = 'max node group size reached';
    if (o.maxNodesTotal > 0 && o.maxNodesTotal - totalNodes < limit) { limit = Math.max(0, o.maxNodesTotal - totalNodes); limitReason = 'max total nodes in cluster reached'; }
    const tc = g.template.allocatable.cpu / 1000;
    if (tc > 0 && Number.isFinite(o.coresTotal.max)) {
      const byCores = Math.floor((o.coresTotal.max - cores) / tc + 1e-9);
      if (byCores < limit) { limit = Math.max(0, byCores); limitReason = 'max cluster cpu limit reached'; }
    }
    const tm = g.template.allocatable.memory;
    if (tm > 0 && Number.isFinite(o.memoryTotal.max)) {
      const byMem = Math.floor((o.memoryTotal.max - memory) / tm + 1e-9);
      if (byMem < limit) { limit = Math.max(0, byMem); limitReason = 'max cluster memory limit reached'; }
    }
    if (limit <= 0) { for (const p of fitting) addReason(plan.noScaleUp, p, limitReason); continue; }
    const groupTracker = tracker?.clone();
    const packed = binpack(fitting, g.template, limit, newNodeFree, groupTracker);
    if (packed.nodes > 0) plan.options.push({ group: g, nodeCount: packed.nodes, pods: packed.placed });
    const placed = new Set(packed.placed);
    for (const p of fitting) {
      if (placed.has(p)) continue;
      // a pod whose inter-pod constraints no new node of the group satisfies says so
      const probe = groupTracker && hasInterPodConstraints(p) ? newNodeOf(g.template, 'probe') : undefined;
      if (probe) groupTracker!.addNode(probe);
      addReason(plan.noScaleUp, p, (probe && groupTracker!.violation(p, probe)) || limitReason);
    }
  }

  // pods helped by some option are not "no scale-up" pods
  for (const opt of plan.options) for (const p of opt.pods) plan.noScaleUp.delete(p.key);
  if (plan.options.length) {
    const best = expand(plan.options, o);
    if (best) {
      plan.chosen = { ...best, newTarget: best.group.target + best.nodeCount };
      if (o.balanceSimilarNodeGroups) {
        const similar = s.groups.filter((g) => g !== best.group && !g.unhealthy && !(g.backoffUntil !== undefined && g.backoffUntil > o.now)
          && g.target < g.max && similarGroups(best.group, g)
          && best.pods.every((p) => !fit.mismatch(p, g.template) && !insufficient(p.requests, templateFree(g))));
        if (similar.length) plan.chosen.balanced = balanceScaleUp([best.group, ...similar], best.nodeCount);
      }
    }
  }
  return plan;
}

// ---------------------------------------------------------------- similar groups

/**
 * Labels that may differ between similar groups: upstream's BasicIgnoredLabels (hostname,
 * zone and region, stable and beta; kubernetes/autoscaler
 * cluster-autoscaler/processors/nodegroupset/compare_nodegroups.go) plus the two that name
 * the group itself and differ by design: the scaling group id and ACK's
 * `alibabacloud.com/nodepool-id` (upstream needs `--balancing-ignore-label` for that one).
 */
const IGNORED_LABELS = new Set([
  'kubernetes.io/hostname', 'topology.kubernetes.io/zone', 'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/region', 'alibabacloud.com/scaling-group-id',
  'alibabacloud.com/nodepool-id',
]);
/** upstream's default NodeGroupDifferenceRatios: memory capacity 1.5%, free 5% */
const MAX_MEMORY_DIFF = 0.015;
const MAX_FREE_DIFF = 0.05;

const within = (a: number, b: number, ratio: number) => Math.max(a, b) - Math.min(a, b) <= Math.max(a, b) * ratio;

/**
 * Whether two groups' new nodes are alike enough to balance a scale-up between them, as
 * upstream's IsCloudProviderNodeInfoSimilar judges it: same cpu, GPUs and pod slots, memory
 * within 1.5% (upstream's capacity tolerance, applied to allocatable, the only size a template
 * carries here), free resources after DaemonSet pods within 5%, the same labels but the
 * ignored ones; and, since a template here carries them, the same taints.
 */
export function similarGroups(a: GroupInfo, b: GroupInfo): boolean {
  const ta = a.template;
  const tb = b.template;
  if (ta.allocatable.cpu !== tb.allocatable.cpu || ta.allocatable.gpu !== tb.allocatable.gpu || ta.allocatable.pods !== tb.allocatable.pods) return false;
  if (!within(ta.allocatable.memory, tb.allocatable.memory, MAX_MEMORY_DIFF)) return false;
  const fa = templateFree(a);
  const fb = templateFree(b);
  if (!within(fa.cpu, fb.cpu, MAX_FREE_DIFF) || !within(fa.memory, fb.memory, MAX_FREE_DIFF)) return false;
  const labels = (t: NodeInfo) => JSON.stringify(Object.entries(t.labels).filter(([k]) => !IGNORED_LABELS.has(k)).sort(([x], [y]) => x.localeCompare(y)));
  if (labels(ta) !== labels(tb)) return false;
  const taints = (t: NodeInfo) => JSON.stringify(t.taints.map((x) => [x.key, x.value ?? '', x.effect]).sort());
  return taints(ta) === taints(tb);
}

/**
 * Spreads `nodes` new nodes over `groups`, one at a time to the group with the smallest
 * size that is below its max (ties: the earlier group), as upstream's
 * BalanceScaleUpBetweenGroups makes sizes as even as possible; capped at what the groups can
 * still take. Only groups that grow are returned.
 */
export function balanceScaleUp(groups: readonly GroupInfo[], nodes: number): Array<{ group: GroupInfo; newTarget: number }> {
  const sizes = groups.map((g) => ({ group: g, newTarget: g.target }));
  for (let left = nodes; left > 0; left--) {
    let next: (typeof sizes)[number] | undefined;
    for (const x of sizes) if (x.newTarget < x.group.max && (!next || x.newTarget < next.newTarget)) next = x;
    if (!next) break;
    next.newTarget++;
  }
  return sizes.filter((x) => x.newTarget > x.group.target);
}

// ---------------------------------------------------------------- expanders

/** Unused share of the new nodes: free cpu / allocatable cpu + free memory / allocatable memory. */
export function wasteScore(opt: ScaleUpOption): number {
  const a = opt.group.template.allocatable;
  let cpu = 0;
  let mem = 0;
  for (const p of opt.pods) { cpu += p.requests.cpu; mem += p.requests.memory; }
  const totalCpu = a.cpu * opt.nodeCount;
  const totalMem = a.memory * opt.nodeCount;
  return (totalCpu ? (totalCpu - cpu) / totalCpu : 0) + (totalMem ? (totalMem - mem) / totalMem : 0);
}

function pick<T>(xs: readonly T[], random: () => number): T {
  return xs[Math.min(xs.length - 1, Math.floor(random() * xs.length))];
}

/** The best options by `score` (lower is better); ties all kept. */
function best(opts: readonly ScaleUpOption[], score: (o: ScaleUpOption) => number): ScaleUpOption[] {
  let min = Infinity;
  let out: ScaleUpOption[] = [];
  for (const x of opts) {
    const v = score(x);
    if (v < min - 1e-12) { min = v; out = [x]; } else if (Math.abs(v - min) <= 1e-12) out.push(x);
  }
  return out;
}

/** Group priority from the priority expander's config: the highest priority whose regexes match. */
export function groupPriority(groupId: string, priorities: ReadonlyMap<number, readonly RegExp[]>): number | undefined {
  let found: number | undefined;
  for (const [prio, res] of priorities) {
    if (res.some((r) => r.test(groupId)) && (found === undefined || prio > found)) found = prio;
  }
  return found;
}

/**
 * Chooses an option. Ties of least-waste and most-pods are broken by the first group (in
 * the configured order), which keeps decisions reproducible; `random` and ties of
 * `priority` use `random`.
 */
export function expand(opts: readonly ScaleUpOption[], o: Pick<PlannerOptions, 'expander' | 'priorities' | 'random'>): ScaleUpOption | undefined {
  if (opts.length === 0) return undefined;
  const random = o.random ?? Math.random;
  switch (o.expander) {
    case 'most-pods': return best(opts, (x) => -x.pods.length)[0];
    case 'random': return pick(opts, random);
    case 'priority': {
      const pr = o.priorities ?? new Map();
      const scored = opts.map((x) => ({ x, p: groupPriority(x.group.id, pr) }));
      const matched = scored.filter((s) => s.p !== undefined);
      // no group matches the config: fall back to random, as upstream does
      if (matched.length === 0) return pick(opts, random);
      const top = Math.max(...matched.map((s) => s.p!));
      return pick(matched.filter((s) => s.p === top).map((s) => s.x), random);
    }
    case 'least-waste':
    default: {
      const b = best(opts, wasteScore);
      // equal waste: the option that helps more pods
      return best(b, (x) => -x.pods.length)[0];
    }
  }
}

/**
 * The priority expander's ConfigMap value (`priorities` key): YAML map of integer priority
 * to a list of group id regular expressions. Throws with a message naming the bad entry.
 */
export function parsePriorities(doc: unknown): Map<number, RegExp[]> {
  if (doc == null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('priorities must be a map of priority -> list of node group regexes');
  const out = new Map<number, RegExp[]>();
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const prio = Number(k);
    if (!Number.isInteger(prio)) throw new Error(`priority "${k}" is not an integer`);
    const list = Array.isArray(v) ? v : [v];
    out.set(prio, list.map((re) => {
      if (typeof re !== 'string') throw new Error(`priority ${k}: ${JSON.stringify(re)} is not a string`);
      try { return new RegExp(`^(?:${re})$`); } catch (err) { throw new Error(`priority ${k}: invalid regex ${re}: ${(err as Error).message}`); }
    }));
  }
  return out;
}

// ---------------------------------------------------------------- scale-down

export type UnremovableReason = BlockReason | 'ScaleDownDisabledAnnotation' | 'NotUnderutilized' | 'NoPlaceToMovePods'
  | 'NodeGroupMinSizeReached' | 'NotReady' | 'NotAutoscaled' | 'MinimalResourceLimitExceeded' | 'BeingDeleted';

export interface NodeToRemove {
  node: NodeInfo;
  /** pods to evict */
  pods: PodInfo[];
  utilization: number;
}

export interface ScaleDownPlan {
  /** utilization (max of cpu and memory request ratio) of each group node */
  utilization: Map<string, number>;
  /** nodes unneeded now, with the time they became so */
  unneeded: Map<string, number>;
  unremovable: Map<string, { reason: UnremovableReason; detail?: string }>;
  /** empty nodes to delete now (no pods to move) */
  empty: NodeToRemove[];
  /** at most one non-empty node to drain now */
  drain?: NodeToRemove;
  /** why nothing is removed although nodes are unneeded (delays), if so */
  cooldown?: string;
}

export function utilizationOf(node: NodeInfo, used: Res | undefined): number {
  if (!used) return 0;
  const a = node.allocatable;
  return Math.max(a.cpu ? used.cpu / a.cpu : 0, a.memory ? used.memory / a.memory : 0);
}

export function planScaleDown(s: ClusterSnapshot, o: PlannerOptions, upcomingPending = false): ScaleDownPlan {
  const plan: ScaleDownPlan = { utilization: new Map(), unneeded: new Map(), unremovable: new Map(), empty: [] };
  if (!o.scaleDownEnabled) return plan;
  const fit = new FitCache();
  const usage = usageByNode(s.pods);
  const podsByNode = new Map<string, PodInfo[]>();
  for (const p of s.pods) {
    if (!p.nodeName) continue;
    let l = podsByNode.get(p.nodeName);
    if (!l) podsByNode.set(p.nodeName, (l = []));
    l.push(p);
  }
  const groups = new Map(s.groups.map((g) => [g.id, g]));
  const candidates: Array<{ node: NodeInfo; util: number }> = [];
  for (const n of s.nodes) {
    if (!n.groupId || !groups.has(n.groupId)) { plan.unremovable.set(n.name, { reason: 'NotAutoscaled' }); continue; }
    const g = groups.get(n.groupId)!;
    const util = utilizationOf(n, usage.get(n.name));
    plan.utilization.set(n.name, util);
    if (g.unhealthy) { plan.unremovable.set(n.name, { reason: 'NotAutoscaled', detail: g.unhealthy }); continue; }
    if (n.toBeDeleted) { plan.unremovable.set(n.name, { reason: 'BeingDeleted' }); continue; }
    if (n.annotations[SCALE_DOWN_DISABLED_ANNOTATION] === 'true') { plan.unremovable.set(n.name, { reason: 'ScaleDownDisabledAnnotation' }); continue; }
    if (!n.ready) { plan.unremovable.set(n.name, { reason: 'NotReady' }); continue; }
    if (util > o.utilizationThreshold) { plan.unremovable.set(n.name, { reason: 'NotUnderutilized', detail: `utilization ${util.toFixed(2)}` }); continue; }
    candidates.push({ node: n, util });
  }
  // least utilized first: they are the cheapest to empty
  candidates.sort((a, b) => a.util - b.util || a.node.name.localeCompare(b.node.name));

  // destinations: every other schedulable node, free space shared by the whole pass so two
  // unneeded nodes never count on the same room
  const removing = new Set<string>();
  for (const n of s.nodes) if (n.toBeDeleted) removing.add(n.name);
  const dest: Bin[] = s.nodes.filter((n) => n.ready && !n.unschedulable && !n.toBeDeleted).map((n) => binOf(n, usage.get(n.name)));
  const found: NodeToRemove[] = [];
  // pods moved in the simulation keep their inter-pod constraints (and those of the pods they
  // join), checked only when some running pod has any
  let tracker = s.pods.some((p) => p.nodeName && !p.gone && hasInterPodConstraints(p)) ? new InterPodTracker(s.nodes, s.pods) : undefined;
  // nodes that take moved pods in this pass are not emptied themselves
  const receiving = new Set<string>();
  for (const c of candidates) {
    if (receiving.has(c.node.name)) { plan.unremovable.set(c.node.name, { reason: 'NoPlaceToMovePods', detail: 'takes pods of another unneeded node' }); continue; }
    const v = drainability(podsByNode.get(c.node.name) ?? [], s.pdbs, undefined, o);
    if (v.blocked) {
      plan.unremovable.set(c.node.name, { reason: v.blocked.reason, detail: `pod ${v.blocked.pod.key}` });
      continue;
    }
    // try placing the pods elsewhere on a copy; commit the placement when all fit
    const trial = dest.filter((b) => b.node.name !== c.node.name && !removing.has(b.node.name)).map((b) => ({ node: b.node, free: { ...b.free }, orig: b }));
    // under inter-pod constraints the node's pods leave it before they are placed again
    const trialTracker = tracker?.clone();
    trialTracker?.removeNode(c.node.name);
    const left = firstFit([...v.movable].sort((a, b) => b.requests.cpu - a.requests.cpu), trial, fit, trialTracker);
    if (left.length) { plan.unremovable.set(c.node.name, { reason: 'NoPlaceToMovePods', detail: `pod ${left[0].key}` }); continue; }
    for (const t of trial) {
      if (t.free.pods !== t.orig.free.pods) receiving.add(t.node.name);
      t.orig.free = t.free;
    }
    tracker = trialTracker;
    removing.add(c.node.name);
    found.push({ node: c.node, pods: v.movable, utilization: c.util });
    plan.unneeded.set(c.node.name, o.unneededSince.get(c.node.name) ?? o.now);
  }

  // what may go now: unneeded long enough, delays passed, group min and cluster minimums kept
  const cooldown = o.lastScaleUp && o.now - o.lastScaleUp < o.delayAfterAddMs ? 'scale-down-delay-after-add'
    : o.lastScaleDownFailure && o.now - o.lastScaleDownFailure < o.delayAfterFailureMs ? 'scale-down-delay-after-failure'
      : upcomingPending ? 'scale-up in progress' : undefined;
  if (cooldown) { if (found.length) plan.cooldown = cooldown; return plan; }
  const removals = new Map<string, number>();
  for (const n of s.nodes) if (n.toBeDeleted && n.groupId) removals.set(n.groupId, (removals.get(n.groupId) ?? 0) + 1);
  let cores = 0;
  let memory = 0;
  for (const n of s.nodes) if (!n.toBeDeleted) { cores += n.allocatable.cpu / 1000; memory += n.allocatable.memory; }
  for (const r of found) {
    const since = plan.unneeded.get(r.node.name)!;
    if (o.now - since < o.unneededTimeMs) continue;
    const g = groups.get(r.node.groupId!)!;
    const taken = removals.get(g.id) ?? 0;
    if (g.target - taken - 1 < g.min) { plan.unremovable.set(r.node.name, { reason: 'NodeGroupMinSizeReached' }); continue; }
    const nc = r.node.allocatable.cpu / 1000;
    const nm = r.node.allocatable.memory;
    if (cores - nc < o.coresTotal.min || memory - nm < o.memoryTotal.min) { plan.unremovable.set(r.node.name, { reason: 'MinimalResourceLimitExceeded' }); continue; }
    if (r.pods.length === 0) {
      if (plan.empty.length >= o.maxEmptyBulkDelete) continue;
      plan.empty.push(r);
    } else {
      if (plan.drain || o.drainInProgress) continue;
      plan.drain = r;
    }
    removals.set(g.id, taken + 1);
    cores -= nc;
    memory -= nm;
  }
  return plan;
}

export type { BlockReason, PdbInfo };
