/**
 * `pods/eviction` (POST a policy/v1 Eviction), as kube-apiserver v1.32's EvictionREST
 * (pkg/registry/core/pod/storage/eviction.go) behind the create handler:
 * - the Eviction is what admission sees: a CREATE of `pods/eviction` (mutating, then the name
 *   check `name in URL does not match name in Eviction object`, then validating); the pod's own
 *   writes that follow (the `DisruptionTarget` condition, the delete) are made by the storage
 *   with no admission webhooks (rest.ValidateAllObjectFunc), as upstream's;
 * - pods that are Pending, Succeeded, Failed or already being deleted are evicted without a
 *   budget (a Pending one under a resourceVersion precondition, conflicts retried unless the
 *   client gave one);
 * - no PDB selects the pod -> deleted; more than one -> a 500 Status ("This pod has more than
 *   one PodDisruptionBudget, ..."); an empty selector selects every pod, a missing one none;
 * - a pod that is not Ready is evicted without spending the budget when the PDB's
 *   `unhealthyPodEvictionPolicy` is AlwaysAllow, or (IfHealthyBudget, the default) when
 *   `currentHealthy >= desiredHealthy > 0`, under a resourceVersion precondition (a conflict
 *   -> 429 "still being processed");
 * - otherwise the budget is spent: `status.observedGeneration` behind `metadata.generation`
 *   -> 429 ("still being processed"); `disruptionsAllowed` < 0 -> 403; 0 -> 429
 *   "Cannot evict pod as it would violate the pod's disruption budget." with a
 *   `DisruptionBudget` cause; else `disruptionsAllowed` is decremented and the pod recorded
 *   in `status.disruptedPods` (a PDB status update, conflicts retried), then the pod gets the
 *   `DisruptionTarget` condition and is deleted with the eviction's DeleteOptions. Answers 201 Success.
 * The budget is read from the PDB's status only (the disruption controller computes it elsewhere).
 */
import {
  type KubeObject, labelSelectorFromSpec, type LabelSelectorSpec, newBadRequest, newConflict, newForbidden, newInternalError, newTooManyRequests, rfc3339, type Status,
} from '../../api/index.js';
import type { DeleteOptions } from '../admission/index.js';
import type { ResourceOps, SubresourceHandler } from '../handlers/rest.js';
import type { ResourceType } from '../resources/index.js';
import { isStatus, updateWithRetry } from '../semantics-kit.js';
import { admitSubresourceCreate } from './subresource-create.js';

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
type Eviction = KubeObject & { deleteOptions?: DeleteOptions };
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
  return newTooManyRequests(VIOLATION, [{ reason: 'DisruptionBudget', message }], retryAfterSeconds);
}

/** PDBs of the pod's namespace whose selector matches it. */
function matchingPdbs(ops: ResourceOps, pdbType: ResourceType, pod: Pod): Pdb[] {
  const out: Pdb[] = [];
  // getPodDisruptionBudgets: LabelSelectorAsSelector; an empty policy/v1 selector selects every
  // pod of the namespace (labelled or not), a missing one none.
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

/** resourceVersionIsUnset: the options carry no resourceVersion precondition. */
const rvUnset = (o: DeleteOptions): boolean => !o.preconditions?.resourceVersion;

/** Go's retry.OnError with EvictionsRetry's 20 steps (no sleeps: in-process conflicts come from writes already done). */
const EVICTION_RETRIES = 20;

/**
 * addConditionAndDeletePod: unless a dry run, the latest pod gets the `DisruptionTarget`
 * condition (the pod status storage written directly, no admission, the preconditions checked
 * against that latest pod with upstream's messages; a resourceVersion precondition then moves
 * to the version this write made), then the pod is deleted with the eviction's DeleteOptions and
 * no admission webhooks (rest.ValidateAllObjectFunc).
 */
async function addConditionAndDeletePod(ops: ResourceOps, t: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions, dryRun: boolean): Promise<void> {
  let opts = options;
  if (!dryRun) {
    const pre = options.preconditions;
    const gr = { group: '', resource: 'Pod' };
    const r = await ops.guaranteedUpdate(t, namespace, name, (o) => {
      const p = o as Pod;
      if (pre?.uid && pre.uid !== p.metadata.uid) {
        throw newConflict(gr, p.metadata.name!, `the UID in the precondition (${pre.uid}) does not match the UID in record (${p.metadata.uid}). The object might have been deleted and then recreated`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== p.metadata.resourceVersion) {
        throw newConflict(gr, p.metadata.name!, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${p.metadata.resourceVersion}). The object might have been modified`);
      }
      // podutil.UpdatePodCondition: the transition time moves only when the status changes
      const st = (p.status ??= {});
      const conds = st.conditions ?? [];
      const prev = conds.find((c) => c.type === 'DisruptionTarget');
      const next: Condition = {
        type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting',
        lastTransitionTime: prev?.status === 'True' && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(), lastProbeTime: prev?.lastProbeTime ?? null,
      };
      if (prev && prev.status === next.status && prev.reason === next.reason && prev.message === next.message) return false;
      st.conditions = prev ? conds.map((c) => (c === prev ? next : c)) : [...conds, next];
      return true;
    });
    if (!rvUnset(options)) opts = { ...options, preconditions: { ...options.preconditions, resourceVersion: r.object.metadata.resourceVersion } };
  }
  await ops.delete(t, namespace, name, opts, dryRun, { withoutWebhooks: true });
}

/** The upstream answer with a Status of its own (not an error): more than one budget. */
const MULTIPLE_PDBS: Status = {
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
  message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500,
};

/**
 * kube-apiserver v1.32's EvictionREST.Create (pkg/registry/core/pod/storage/eviction.go) behind
 * the create handler (endpoints/handlers/create.go): the Eviction's namespace, mutating
 * admission of the Eviction (a CREATE of pods/eviction: webhooks see the Eviction), its name
 * (400 unless the URL's), the dry run of the request and of its DeleteOptions, validating
 * admission; then the pod: a terminal, Pending or terminating one is deleted without the
 * budget check (a Pending one with a resourceVersion precondition, retried on conflicts unless
 * the client set one), else the budget check, then the condition and the delete.
 */
export const evictPod: SubresourceHandler = async (ops, t, namespace, name, body, opts) => {
  const ev = { ...(body as Eviction) } as Eviction;
  if (ev.kind && ev.kind !== 'Eviction') throw newBadRequest(`the kind in the data (${ev.kind}) does not match the expected kind (Eviction)`);
  ev.kind = 'Eviction';
  ev.apiVersion = ev.apiVersion === 'policy/v1beta1' ? ev.apiVersion : 'policy/v1';
  ev.metadata = { ...(ev.metadata ?? {}) };
  if (ev.metadata.namespace && namespace && ev.metadata.namespace !== namespace) throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
  if (namespace) ev.metadata.namespace = namespace;
  const req = await admitSubresourceCreate(ops, t, 'eviction', namespace, name, ev, opts);
  const eviction = req.object as Eviction;
  // propagateDryRun: the request's dry run goes into the DeleteOptions, unless they have their own
  const options: DeleteOptions = { ...(eviction.deleteOptions ?? {}) };
  const requestDryRun = opts.dryRun ? ['All'] : [];
  if (options.dryRun?.length && requestDryRun.length && JSON.stringify(options.dryRun) !== JSON.stringify(requestDryRun)) {
    throw newInternalError(new Error(`Non-matching dry-run options in request and content: [${requestDryRun.join(' ')}] and [${options.dryRun.join(' ')}]`));
  }
  if (!options.dryRun?.length) {
    if (requestDryRun.length) options.dryRun = requestDryRun;
    else delete options.dryRun;
  }
  const dryRun = (options.dryRun?.length ?? 0) > 0;
  const validated = ops.admission.validateNow(req);
  if (validated) await validated;
  const deleteOptions = (o: DeleteOptions): DeleteOptions => {
    const out = { ...o };
    delete out.dryRun;
    return out;
  };

  let pod: Pod | undefined;
  for (let attempt = 0; ; attempt++) {
    pod = ops.get(t, namespace, name).obj as Pod;
    const phase = pod.status?.phase;
    if (!(phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp)) break; // canIgnorePDB
    let o = deleteOptions(options);
    // shouldEnforceResourceVersion: a Pending pod must not become Ready meanwhile
    if (phase === 'Pending' && !pod.metadata.deletionTimestamp && rvUnset(options)) o = { ...o, preconditions: { ...o.preconditions, resourceVersion: pod.metadata.resourceVersion } };
    try {
      await addConditionAndDeletePod(ops, t, namespace, name, o, dryRun);
      return success();
    } catch (e) {
      if (isStatus(e, 409) && rvUnset(options) && attempt + 1 < EVICTION_RETRIES) continue;
      throw e;
    }
  }

  const pdbType = ops.registry.get('policy', 'v1', 'poddisruptionbudgets');
  const pdbs = pdbType ? matchingPdbs(ops, pdbType, pod) : [];
  if (pdbs.length > 1) return MULTIPLE_PDBS;
  let updateDeletionOptions = false;
  let pdbName = '';
  if (pdbs.length === 1) {
    const pdb = pdbs[0];
    pdbName = pdb.metadata.name!;
    const st = pdb.status ?? {};
    // IsPodReady is the current implementation of IsHealthy: an unhealthy pod may go without spending the budget
    if (!isReady(pod) && (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0))) {
      updateDeletionOptions = true;
    } else {
      await checkAndDecrement(ops, pdbType!, pdb, name, dryRun);
    }
  }
  let o = deleteOptions(options);
  // the pod must not have become Ready since the budget was looked at
  if (updateDeletionOptions) o = { ...o, preconditions: { ...o.preconditions, resourceVersion: pod.metadata.resourceVersion } };
  try {
    await addConditionAndDeletePod(ops, t, namespace, name, o, dryRun);
  } catch (e) {
    if (isStatus(e, 409) && updateDeletionOptions && rvUnset(options)) throw budgetError(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
    throw e;
  }
  return success();
};
