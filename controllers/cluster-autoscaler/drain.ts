/**
 * Which pods stop a node from being removed, following the upstream autoscaler's rules in
 * its order: mirror and DaemonSet pods are ignored (never evicted), finished/terminating
 * pods do not count, `safe-to-evict: "true"` allows and `"false"` blocks, pods without a
 * controller block, kube-system pods without a PDB block, local storage (hostPath,
 * non-memory emptyDir) blocks, and a PDB with too few disruptions left blocks.
 */
import { EXPENDABLE_PRIORITY_CUTOFF, SAFE_TO_EVICT_ANNOTATION, type PdbInfo, type PodInfo } from './model.js';

export type BlockReason =
  | 'NotSafeToEvictAnnotation'
  | 'NotReplicated'
  | 'UnmovableKubeSystemPod'
  | 'LocalStorageRequested'
  | 'NotEnoughPdb';

export interface DrainVerdict {
  /** pods to evict (and to fit on other nodes) */
  movable: PodInfo[];
  /** pods left alone: mirror, DaemonSet, finished/terminating, expendable */
  ignored: PodInfo[];
  /** the first blocking pod and why */
  blocked?: { pod: PodInfo; reason: BlockReason };
}

export const BLOCK_MESSAGES: Record<BlockReason, string> = {
  NotSafeToEvictAnnotation: 'has the cluster-autoscaler.kubernetes.io/safe-to-evict: "false" annotation',
  NotReplicated: 'is not replicated (no controller owns it)',
  UnmovableKubeSystemPod: 'is a kube-system pod without a PodDisruptionBudget',
  LocalStorageRequested: 'uses local storage (hostPath or a non-memory emptyDir)',
  NotEnoughPdb: 'would violate its PodDisruptionBudget (not enough disruptions allowed)',
};

export function pdbsFor(pod: PodInfo, pdbs: readonly PdbInfo[]): PdbInfo[] {
  return pdbs.filter((p) => p.namespace === pod.namespace && p.selector.matches(pod.labels));
}

/**
 * Classifies the pods of one node. `budget` overrides PDBs' remaining disruptions (keyed
 * `namespace/name`), e.g. after other nodes' drains in the same pass used some.
 */
/** upstream's --skip-nodes-with-system-pods / --skip-nodes-with-local-storage (both default true) */
export interface DrainOptions { skipNodesWithSystemPods?: boolean; skipNodesWithLocalStorage?: boolean }

export function drainability(pods: readonly PodInfo[], pdbs: readonly PdbInfo[], budget?: ReadonlyMap<string, number>, opts: DrainOptions = {}): DrainVerdict {
  const movable: PodInfo[] = [];
  const ignored: PodInfo[] = [];
  for (const pod of pods) {
    if (pod.mirror || pod.daemonSet || pod.gone) { ignored.push(pod); continue; }
    if (pod.priority < EXPENDABLE_PRIORITY_CUTOFF) { ignored.push(pod); continue; }
    const safe = pod.annotations[SAFE_TO_EVICT_ANNOTATION];
    const matching = pdbsFor(pod, pdbs);
    if (safe !== 'true') {
      if (safe === 'false') return { movable, ignored, blocked: { pod, reason: 'NotSafeToEvictAnnotation' } };
      if (!pod.controller) return { movable, ignored, blocked: { pod, reason: 'NotReplicated' } };
      if (opts.skipNodesWithSystemPods !== false && pod.namespace === 'kube-system' && matching.length === 0) return { movable, ignored, blocked: { pod, reason: 'UnmovableKubeSystemPod' } };
      if (opts.skipNodesWithLocalStorage !== false && pod.localStorage) return { movable, ignored, blocked: { pod, reason: 'LocalStorageRequested' } };
    }
    // as upstream's drain check: a PDB with no disruption left blocks; several pods under one
    // PDB are then evicted one by one, the eviction API (429) keeping the budget
    for (const p of matching) {
      const left = budget?.get(`${p.namespace}/${p.name}`) ?? p.disruptionsAllowed;
      if (left < 1) return { movable, ignored, blocked: { pod, reason: 'NotEnoughPdb' } };
    }
    movable.push(pod);
  }
  return { movable, ignored };
}
