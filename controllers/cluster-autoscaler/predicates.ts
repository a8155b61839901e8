/**
 * The scheduler's filters the simulation applies: nodeSelector, required node affinity,
 * taints/tolerations (NoSchedule and NoExecute) and resources. Each failure has the
 * scheduler's wording, so NotTriggerScaleUp messages read like FailedScheduling ones.
 */
import type { NodeInfo, NodeSelectorRequirement, NodeSelectorTerm, PodInfo, Res, Taint, Toleration } from './model.js';

export const REASON_SELECTOR = "node(s) didn't match Pod's node affinity/selector";

function matchRequirement(r: NodeSelectorRequirement, get: (k: string) => string | undefined): boolean {
  const v = get(r.key);
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return v !== undefined && values.includes(v);
    case 'NotIn': return v === undefined || !values.includes(v);
    case 'Exists': return v !== undefined;
    case 'DoesNotExist': return v === undefined;
    case 'Gt': return v !== undefined && /^-?\d+$/.test(v) && Number(v) > Number(values[0]);
    case 'Lt': return v !== undefined && /^-?\d+$/.test(v) && Number(v) < Number(values[0]);
    default: return false;
  }
}

function matchTerm(term: NodeSelectorTerm, node: NodeInfo): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false; // an empty term matches nothing
  return exprs.every((r) => matchRequirement(r, (k) => node.labels[k]))
    && fields.every((r) => matchRequirement(r, (k) => (k === 'metadata.name' ? node.name : undefined)));
}

export function matchesNodeSelector(pod: PodInfo, node: NodeInfo): boolean {
  for (const [k, v] of Object.entries(pod.nodeSelector)) if (node.labels[k] !== v) return false;
  if (pod.requiredTerms && !pod.requiredTerms.some((t) => matchTerm(t, node))) return false;
  return true;
}

export function tolerates(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.operator === 'Exists') return !tol.key || tol.key === taint.key;
  return tol.key === taint.key && (tol.value ?? '') === (taint.value ?? '');
}

/** The first NoSchedule/NoExecute taint the pod does not tolerate. */
export function untoleratedTaint(pod: PodInfo, node: NodeInfo): Taint | undefined {
  for (const t of node.taints) {
    if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
    if (!pod.tolerations.some((tol) => tolerates(tol, t))) return t;
  }
  return undefined;
}

/** Why the pod can never run on this node whatever its free resources; undefined = it can. */
export function staticMismatch(pod: PodInfo, node: NodeInfo): string | undefined {
  if (!matchesNodeSelector(pod, node)) return REASON_SELECTOR;
  const t = untoleratedTaint(pod, node);
  if (t) return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
  return undefined;
}

export function fitsResources(req: Res, free: Res): boolean {
  return req.cpu <= free.cpu && req.memory <= free.memory && req.pods <= free.pods && req.gpu <= free.gpu;
}

/** The scheduler's "Insufficient X" for a pod larger than the node's free resources. */
export function insufficient(req: Res, free: Res): string | undefined {
  if (req.pods > free.pods) return 'Too many pods';
  if (req.cpu > free.cpu) return 'Insufficient cpu';
  if (req.memory > free.memory) return 'Insufficient memory';
  if (req.gpu > free.gpu) return 'Insufficient nvidia.com/gpu';
  return undefined;
}

export function subtract(a: Res, b: Res): void {
  a.cpu -= b.cpu; a.memory -= b.memory; a.pods -= b.pods; a.gpu -= b.gpu;
}

/**
 * Caches static fit per (pod shape, node): pods of one workload share their constraints,
 * so a simulation over thousands of pods evaluates selectors and taints once per node.
 */
export class FitCache {
  private readonly byShape = new Map<string, Map<string, string>>();

  /** staticMismatch, cached; '' when the pod fits */
  mismatch(pod: PodInfo, node: NodeInfo): string {
    let m = this.byShape.get(pod.shape);
    if (!m) this.byShape.set(pod.shape, (m = new Map()));
    let v = m.get(node.name);
    if (v === undefined) m.set(node.name, (v = staticMismatch(pod, node) ?? ''));
    return v;
  }

  fits(pod: PodInfo, node: NodeInfo): boolean {
    return this.mismatch(pod, node) === '';
  }
}
