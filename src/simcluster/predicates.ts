/**
 * Scheduling filters and scores, pure functions over a pod and a node's state. Reasons use
 * kube-scheduler's wording so `kubectl describe pod` reads the same as upstream.
 */
import { labelSelectorFromSpec, type LabelSelectorSpec } from '../api/index.js';
import type { NodeObject, PodObject } from '../controller/index.js';
import { TAINT_NOT_READY, TAINT_UNSCHEDULABLE, type Taint } from './config.js';
import { toResourceList, type ResourceList } from './quantity.js';

export interface Toleration { key?: string; operator?: 'Exists' | 'Equal'; value?: string; effect?: string; tolerationSeconds?: number }
interface NodeSelectorRequirement { key: string; operator: string; values?: string[] }
interface NodeSelectorTerm { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }
export interface PodAffinityTerm { labelSelector?: LabelSelectorSpec; namespaces?: string[]; topologyKey: string }
interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: Array<{ weight: number; preference: NodeSelectorTerm }>;
  };
  podAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] };
  podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] };
}

export interface PodSpecView {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
}

export function specOf(pod: PodObject): PodSpecView {
  return (pod.spec ?? {}) as PodSpecView;
}

/** An empty list shared by the hot paths below (never mutated). */
const EMPTY: never[] = Object.freeze([]) as unknown as never[];

export function taintsOf(node: NodeObject): Taint[] {
  return ((node.spec as { taints?: Taint[] } | undefined)?.taints) ?? EMPTY;
}

/** What a node offers and what is already placed on it. */
export interface NodeInfo {
  node: NodeObject;
  allocatable: ResourceList;
  requested: ResourceList;
  /** cpu/memory requested with the non-zero defaults (scoring) */
  nonZeroRequested: ResourceList;
  podCount: number;
  /** pods on the node (for inter-pod affinity) */
  pods: PodObject[];
}

export const REASON = {
  unschedulable: "node(s) were unschedulable",
  nodeName: "node(s) didn't match the requested node name",
  affinity: "node(s) didn't match Pod's node affinity/selector",
  tooManyPods: 'Too many pods',
  podAffinity: "node(s) didn't match pod affinity rules",
  podAntiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
  untolerated: (t: Taint) => `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`,
  insufficient: (r: string) => `Insufficient ${r}`,
};

/** Reasons preemption cannot help with ("Preemption is not helpful for scheduling"). */
export function isUnresolvable(reason: string): boolean {
  return !reason.startsWith('Insufficient ') && reason !== REASON.tooManyPods && reason !== REASON.podAntiAffinity && reason !== REASON.existingAntiAffinity;
}

export function tolerates(tols: readonly Toleration[] | undefined, taint: Taint): boolean {
  if (!tols) return false;
  for (const t of tols) {
    if (t.effect && t.effect !== taint.effect) continue;
    if (!t.key) {
      if (t.operator === 'Exists') return true;
      continue;
    }
    if (t.key !== taint.key) continue;
    if (t.operator === 'Exists') return true;
    if ((t.value ?? '') === (taint.value ?? '')) return true;
  }
  return false;
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const has = value !== undefined;
  switch (r.operator) {
    case 'In': return has && (r.values ?? []).includes(value!);
    case 'NotIn': return !has || !(r.values ?? []).includes(value!);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?\d+$/.test(value!) || (r.values ?? []).length !== 1) return false;
      const n = Number(value);
      const bound = Number(r.values![0]);
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
    default: return false;
  }
}

/** One node selector term: all expressions (labels) and fields (metadata.name) must match; an empty term matches nothing. */
export function termMatches(term: NodeSelectorTerm, node: NodeObject): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const e of exprs) if (!requirementMatches(e, Object.prototype.hasOwnProperty.call(labels, e.key) ? labels[e.key] : undefined)) return false;
  for (const f of fields) if (f.key !== 'metadata.name' || !requirementMatches(f, node.metadata.name)) return false;
  return true;
}

export function matchesNodeSelectorAndAffinity(pod: PodSpecView, node: NodeObject): boolean {
  const labels = node.metadata.labels ?? {};
  const sel = pod.nodeSelector;
  if (sel) for (const k in sel) if (Object.prototype.hasOwnProperty.call(sel, k) && labels[k] !== sel[k]) return false;
  const req = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) {
    const terms = req.nodeSelectorTerms ?? [];
    if (!terms.some((t) => termMatches(t, node))) return false;
  }
  return true;
}

export function isNodeReady(node: NodeObject): boolean {
  const conds = node.status?.conditions;
  if (conds) for (const c of conds) if (c.type === 'Ready') return c.status === 'True';
  return false;
}

const allocatableCache = new WeakMap<object, ResourceList>();

/** Allocatable of a node in scheduling units (memoised per object: cached objects are replaced, never mutated). */
export function allocatableOf(node: NodeObject): ResourceList {
  let r = allocatableCache.get(node);
  if (!r) {
    const st = (node.status ?? {}) as { allocatable?: Record<string, string>; capacity?: Record<string, string> };
    r = toResourceList(st.allocatable ?? st.capacity);
    allocatableCache.set(node, r);
  }
  return r;
}

/** No reasons: shared by every node that passes (never mutated). */
const NONE: string[] = EMPTY;

/** Resource fit: every reason that applies (a node may be short of several resources). */
export function fitReasons(req: ResourceList, info: NodeInfo): string[] {
  let out = NONE;
  const maxPods = info.allocatable.pods ?? 110;
  if (info.podCount + 1 > maxPods) out = [REASON.tooManyPods];
  for (const r in req) {
    const want = req[r];
    if (want <= 0 || r === 'pods') continue;
    const free = (info.allocatable[r] ?? 0) - (info.requested[r] ?? 0);
    if (want > free) (out === NONE ? (out = []) : out).push(REASON.insufficient(r));
  }
  return out;
}

export function podMatchesTerm(term: PodAffinityTerm, ownerNs: string, other: PodObject): boolean {
  const namespaces = term.namespaces?.length ? term.namespaces : [ownerNs];
  if (!namespaces.includes(other.metadata.namespace ?? '')) return false;
  if (!term.labelSelector) return false;
  return labelSelectorFromSpec(term.labelSelector).matches(other.metadata.labels);
}

/**
 * Inter-pod (anti-)affinity on one candidate node. `domainPods(key, value)` returns the pods
 * on nodes whose label `key` equals `value` (the topology domain); `anyMatch(term)` says
 * whether a matching pod exists anywhere (the first pod of a group may satisfy its own term).
 */
export function interPodReasons(
  pod: PodObject,
  node: NodeObject,
  domainPods: (key: string, value: string) => PodObject[],
  withAntiAffinity: PodObject[],
  nodeOf: (p: PodObject) => NodeObject | undefined,
  anyMatch: (term: PodAffinityTerm) => boolean,
): string | undefined {
  const spec = specOf(pod);
  const ns = pod.metadata.namespace ?? '';
  const labels = node.metadata.labels ?? {};
  for (const term of spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    const value = labels[term.topologyKey];
    const ok = value !== undefined && domainPods(term.topologyKey, value).some((p) => podMatchesTerm(term, ns, p));
    if (!ok) {
      const selfMatch = podMatchesTerm(term, ns, pod);
      if (!(selfMatch && !anyMatch(term) && value !== undefined)) return REASON.podAffinity;
    }
  }
  for (const term of spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    const value = labels[term.topologyKey];
    if (value === undefined) continue;
    if (domainPods(term.topologyKey, value).some((p) => p.metadata.uid !== pod.metadata.uid && podMatchesTerm(term, ns, p))) return REASON.podAntiAffinity;
  }
  // symmetry: existing pods' anti-affinity must not reject the incoming pod
  for (const other of withAntiAffinity) {
    const otherNode = nodeOf(other);
    if (!otherNode || other.metadata.uid === pod.metadata.uid) continue;
    for (const term of specOf(other).affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const v = otherNode.metadata.labels?.[term.topologyKey];
      if (v === undefined || labels[term.topologyKey] !== v) continue;
      if (podMatchesTerm(term, other.metadata.namespace ?? '', pod)) return REASON.existingAntiAffinity;
    }
  }
  return undefined;
}

export function hasRequiredPodAffinity(pod: PodObject): boolean {
  const a = specOf(pod).affinity;
  return !!(a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length || a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length);
}

export function hasRequiredAntiAffinity(pod: PodObject): boolean {
  return !!specOf(pod).affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length;
}

/**
 * A node no filter but resource fit can reject and no score term but least-allocated (and
 * spreading) applies to, for a plain pod: schedulable, Ready, without taints.
 */
export function isPlainNode(node: NodeObject): boolean {
  return !node.spec?.unschedulable && taintsOf(node).length === 0 && isNodeReady(node);
}

/**
 * A pod whose placement on a plain node only depends on resources: it names no node, node
 * selector or node affinity (required or preferred); the caller checks inter-pod terms. For
 * such a pod on a plain node `filterNode` is `fitReasons` (tolerations then tolerate nothing
 * that matters) and `scoreNode` is least-allocated minus spreading.
 */
export function isPlainPod(pod: PodObject): boolean {
  const spec = specOf(pod);
  if (spec.nodeName || spec.affinity?.nodeAffinity) return false;
  const sel = spec.nodeSelector;
  if (sel) for (const k in sel) if (Object.prototype.hasOwnProperty.call(sel, k)) return false;
  return true;
}

/**
 * Filters in kube-scheduler's plugin order; the first failing plugin decides the node's
 * reasons (resource fit may report several).
 */
export function filterNode(pod: PodObject, req: ResourceList, info: NodeInfo, interPod?: () => string | undefined): string[] {
  const spec = specOf(pod);
  const node = info.node;
  if (node.spec?.unschedulable && !tolerates(spec.tolerations, { key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' })) return [REASON.unschedulable];
  if (spec.nodeName && spec.nodeName !== node.metadata.name) return [REASON.nodeName];
  const taints = taintsOf(node);
  let tainted = false;
  for (const t of taints) {
    if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
    tainted = true;
    if (!tolerates(spec.tolerations, t)) return [REASON.untolerated(t)];
  }
  // a node that is not Ready and not (yet) tainted for it is treated like upstream's
  // registration-time not-ready taint
  if (!tainted && !isNodeReady(node)) {
    const t = { key: TAINT_NOT_READY, effect: 'NoSchedule' };
    if (!tolerates(spec.tolerations, t)) return [REASON.untolerated(t)];
  }
  if (!matchesNodeSelectorAndAffinity(spec, node)) return [REASON.affinity];
  const fit = fitReasons(req, info);
  if (fit.length) return fit;
  const ip = interPod?.();
  return ip ? [ip] : NONE;
}

/**
 * Higher is better: least allocated cpu/memory with non-zero defaults (0..100), preferred node
 * affinity weights, minus PreferNoSchedule taints and `sameOwner` pods of the pod's
 * controller already on the node (default spreading, as kube-scheduler's default
 * PodTopologySpread constraints do).
 */
export function scoreNode(pod: PodObject, nonZero: ResourceList, info: NodeInfo, sameOwner = 0): number {
  // least allocated over cpu, then memory, spelled out: named property reads on the hot path
  let least = 0;
  let n = 0;
  const cpu = info.allocatable.cpu ?? 0;
  if (cpu > 0) {
    least += Math.max(0, (cpu - (info.nonZeroRequested.cpu ?? 0) - (nonZero.cpu ?? 0)) / cpu) * 100;
    n++;
  }
  const memory = info.allocatable.memory ?? 0;
  if (memory > 0) {
    least += Math.max(0, (memory - (info.nonZeroRequested.memory ?? 0) - (nonZero.memory ?? 0)) / memory) * 100;
    n++;
  }
  let score = n ? least / n : 0;
  const spec = specOf(pod);
  const preferred = spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (preferred) for (const p of preferred) if (termMatches(p.preference, info.node)) score += p.weight;
  for (const t of taintsOf(info.node)) {
    if (t.effect === 'PreferNoSchedule' && !tolerates(spec.tolerations, t)) score -= 50;
  }
  return score - 10 * sameOwner;
}

/**
 * kube-scheduler's FitError text: reasons counted over nodes and sorted as strings, then the
 * preemption post-filter's verdict (no preemption here: resources could only be freed by
 * victims, which this simulation never picks).
 */
export function unschedulableMessage(totalNodes: number, reasonsByNode: Map<string, string[]>): string {
  if (totalNodes === 0) return 'no nodes available to schedule pods';
  const hist = new Map<string, number>();
  for (const rs of reasonsByNode.values()) for (const r of rs) hist.set(r, (hist.get(r) ?? 0) + 1);
  const parts = [...hist.entries()].map(([r, c]) => `${c} ${r}`).sort();
  let unresolvable = 0;
  let noVictims = 0;
  for (const rs of reasonsByNode.values()) {
    if (rs.some(isUnresolvable)) unresolvable++;
    else noVictims++;
  }
  const pre = [
    ...(noVictims ? [`${noVictims} No preemption victims found for incoming pod`] : []),
    ...(unresolvable ? [`${unresolvable} Preemption is not helpful for scheduling`] : []),
  ].sort();
  return `0/${totalNodes} nodes are available: ${parts.join(', ')}. preemption: 0/${totalNodes} nodes are available: ${pre.join(', ')}.`;
}
