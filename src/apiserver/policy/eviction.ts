/**
 * `pods/eviction` (POST a policy/v1 Eviction): deletes a pod only if its
 * PodDisruptionBudget allows it, as kube-apiserver's EvictionREST does. The budget is read
 * from the PDB's status only (the disruption controller computes it elsewhere):
 * - pods that are Pending, Succeeded, Failed or already being deleted are evicted freely;
 * - no PDB selects the pod -> deleted; more than one -> 500;
 * - a pod that is not Ready is evicted without spending the budget when the PDB's
 *   `unhealthyPodEvictionPolicy` is AlwaysAllow, or (IfHealthyBudget, the default) when
 *   `currentHealthy >= desiredHealthy > 0`;
 * - otherwise the budget is spent: `status.observedGeneration` behind `metadata.generation`
 *   -> 429 ("still being processed"); `disruptionsAllowed` < 0 -> 403; 0 -> 429
 *   "Cannot evict pod as it would violate the pod's disruption budget." with a
 *   `DisruptionBudget` cause; else `disruptionsAllowed` is decremented and the pod recorded
 *   in `status.disruptedPods` (conflicts retried), then the pod gets the `DisruptionTarget`
 *   condition and is deleted with the eviction's DeleteOptions. Answers 201 Success.
 */
import {
  type KubeObject, labelSelectorFromSpec, type LabelSelectorSpec, newBadRequest, newForbidden, newInternalError, newTooManyRequests, rfc3339, type Status,
} from '../../api/index.js';
import type { DeleteOptions } from '../admission/index.js';
import type { ResourceOps, SubresourceHandler } from '../handlers/rest.js';
import type { ResourceType } from '../resources/index.js';
import { updateWithRetry } from '../semantics-kit.js';

/** Upstream's cap on not-yet-confirmed evictions recorded in a PDB. */
export const MAX_DISRUPTED_POD_SIZE = 2000;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
  observedGeneration?: number;
}

type Pod = KubeObject & { status?: { phase?: string; conditions?: Condition[] } };
type Pdb = KubeObject & {
  spec?: { selector?: LabelSelectorSpec | null; unhealthyPodEvictionPolicy?: string };
  status?: { observedGeneration?: number; disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; expectedPods?: number; disruptedPods?: Record<string, string>; conditions?: Condition[] };
};

const success = (): Status => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

function isReady(p: Pod): boolean {
  return !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

function budgetError(message: string, retryAfterSeconds?: number) {
  return newTooManyRequests(VIOLATION, [{ type: 'DisruptionBudget', message }], retryAfterSeconds);
}

/** PDBs of the pod's namespace whose selector matches it. */
function matchingPdbs(ops: ResourceOps, pdbType: ResourceType, pod: Pod): Pdb[] {
  const out: Pdb[] = [];
  // As upstream: a pod without labels is covered by no budget, not even an empty selector.
  if (!Object.keys(pod.metadata.labels ?? {}).length) return out;
  for (const s of ops.list(pdbType, pod.metadata.namespace).items) {
    const pdb = s.obj as Pdb;
    let sel;
    try {
      sel = labelSelectorFromSpec(pdb.spec?.selector);
    } catch {
      continue; // an invalid selector selects nothing
    }
    if (sel.matches(pod.metadata.labels ?? {})) out.push(pdb);
  }
  return out;
}

/** Spends one disruption of `pdb` for `podName` (checks on the fresh PDB, retried on conflicts). */
async function checkAndDecrement(ops: ResourceOps, pdbType: ResourceType, pdb: Pdb, podName: string, dryRun: boolean): Promise<void> {
  const check = (p: Pdb): void => {
    const st = p.status ?? {};
    if ((st.observedGeneration ?? 0) < (p.metadata.generation ?? 0)) throw budgetError(`The disruption budget ${p.metadata.name} is still being processed by the server.`, 10);
    const allowed = st.disruptionsAllowed ?? 0;
    if (allowed < 0) throw newForbidden({ group: 'policy', resource: 'poddisruptionbudget' }, p.metadata.name!, 'pdb disruptions allowed is negative');
    if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) {
      throw newForbidden({ group: 'policy', resource: 'poddisruptionbudget' }, p.metadata.name!, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    }
    if (allowed === 0) throw budgetError(`The disruption budget ${p.metadata.name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`);
  };
  if (dryRun) {
    check(pdb);
    return;
  }
  const updated = await updateWithRetry(ops, pdbType, pdb.metadata.namespace, pdb.metadata.name!, (o) => {
    const p = o as Pdb;
    if (p.metadata.uid !== pdb.metadata.uid) throw budgetError(`The disruption budget ${pdb.metadata.name} is still being processed by the server.`, 10);
    check(p);
    const st = (p.status ??= {});
    st.disruptionsAllowed = (st.disruptionsAllowed ?? 0) - 1;
    if (st.disruptionsAllowed === 0) {
      const conds = (st.conditions ?? []).filter((c) => c.type !== 'DisruptionAllowed');
      const prev = st.conditions?.find((c) => c.type === 'DisruptionAllowed');
      conds.push({
        type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '',
        lastTransitionTime: prev?.status === 'False' ? prev.lastTransitionTime : rfc3339(), observedGeneration: st.observedGeneration,
      });
      st.conditions = conds;
    }
    st.disruptedPods = { ...(st.disruptedPods ?? {}), [podName]: rfc3339() };
    return true;
  }, { subresource: 'status' });
  if (!updated) throw budgetError(`The disruption budget ${pdb.metadata.name} is still being processed by the server.`, 10);
}

/** Marks the pod with `DisruptionTarget` (as upstream does before an eviction's delete), then deletes it. */
async function disruptAndDelete(ops: ResourceOps, t: ResourceType, pod: Pod, options: DeleteOptions, dryRun: boolean): Promise<void> {
  const ns = pod.metadata.namespace;
  const name = pod.metadata.name!;
  if (!dryRun && !pod.metadata.deletionTimestamp) {
    await updateWithRetry(ops, t, ns, name, (o) => {
      const p = o as Pod;
      if (p.metadata.uid !== pod.metadata.uid) return false;
      const st = (p.status ??= {});
      if (st.conditions?.some((c) => c.type === 'DisruptionTarget' && c.status === 'True')) return false;
      st.conditions = [...(st.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
        { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: rfc3339(), lastProbeTime: null }];
      return true;
    }, { subresource: 'status' });
  }
  await ops.delete(t, ns, name, { ...options, preconditions: { uid: pod.metadata.uid, ...(options.preconditions ?? {}) } }, dryRun);
}

export const evictPod: SubresourceHandler = async (ops, t, namespace, name, body, opts) => {
  const ev = body as KubeObject & { deleteOptions?: DeleteOptions };
  if (ev.kind && ev.kind !== 'Eviction') throw newBadRequest(`the kind in the data (${ev.kind}) does not match the expected kind (Eviction)`);
  if (ev.metadata?.name && ev.metadata.name !== name) throw newBadRequest('name in URL does not match name in Eviction object');
  const options: DeleteOptions = { ...(ev.deleteOptions ?? {}) };
  const dryRun = !!opts.dryRun || (options.dryRun?.length ?? 0) > 0;
  delete options.dryRun;
  const pod = ops.get(t, namespace, name).obj as Pod;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp) {
    await disruptAndDelete(ops, t, pod, options, dryRun);
    return success();
  }
  const pdbType = ops.registry.get('policy', 'v1', 'poddisruptionbudgets');
  const pdbs = pdbType ? matchingPdbs(ops, pdbType, pod) : [];
  if (pdbs.length > 1) throw newInternalError(new Error('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'));
  if (pdbs.length === 1) {
    const pdb = pdbs[0];
    const st = pdb.status ?? {};
    const unhealthyOk = !isReady(pod) && (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow'
      || ((st.observedGeneration ?? 0) >= (pdb.metadata.generation ?? 0) && (st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0));
    if (!unhealthyOk) await checkAndDecrement(ops, pdbType!, pdb, name, dryRun);
  }
  await disruptAndDelete(ops, t, pod, options, dryRun);
  return success();
};
