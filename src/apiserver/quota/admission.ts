/**
 * The ResourceQuota admission plugin (enabled by default in kube-apiserver; last of the
 * validating plugins, after the validating webhooks: pkg/kubeapiserver/options/plugins.go),
 * as plugin/pkg/admission/resourcequota (v1.32, controller.go checkRequest/checkQuotas):
 * for a namespaced CREATE or UPDATE (not subresources) that the kind's evaluator handles
 * (evaluators.ts), every ResourceQuota of the namespace that tracks one of its resources in
 * `status.hard` and whose scopes all match the object applies:
 * - its constraints must hold (403 `failed quota: NAME: must specify limits.cpu for: c`);
 * - it must have usage for the resources it restricts (403 `status unknown for quota: NAME,
 *   resources: ...`); a quota the controller (controller.ts) has not synced has no
 *   `status.hard` yet and so tracks nothing;
 * - the object's usage (on UPDATE less the stored version's, floored at zero) must not be
 *   negative (`quota usage is negative for resource(s): ...`); resources it uses none of are
 *   dropped (RemoveZeros: neither checked nor charged), and `used + requested` must
 *   stay within `hard` for each requested resource (403 `exceeded quota: NAME, requested:
 *   pods=1, used: pods=2, limited: pods=2`, resources sorted, canonical quantities).
 * Then the new usage is written into each quota's `status.used` before the object is stored
 * (a dry run is checked but not charged). The check and the charge read and write the store
 * with no await in between, so concurrent creates cannot both take the last unit (upstream
 * gets there with resourceVersion conflicts and retries). Usage charged for a create that
 * fails afterwards stays until the quota controller recomputes it, as upstream.
 * Namespaces without a ResourceQuota cost one map lookup.
 */
import { type AdmissionPlugin, type AdmissionRequest, admissionForbidden } from '../admission/index.js';
import type { SemanticsHost } from '../semantics-kit.js';
import { evaluatorFor, quotaMatches, scopeSelectors } from './evaluators.js';
import { addLists, isZero, lessThanOrEqual, mask, negativeKeys, prettyPrint, removeZeros, subtractNonNegative, type Usage, usageOf } from './resourcelist.js';
import { type QuotaIndex, RESOURCE_QUOTAS, type ResourceQuota, sortedList } from './shared.js';

type Quota = ResourceQuota;

export function resourceQuotaAdmission(host: SemanticsHost, index: QuotaIndex): AdmissionPlugin {
  return {
    name: 'ResourceQuota',
    late: true,
    validate(req) {
      if (req.subresource || !req.namespace || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return;
      if (!index.has(req.namespace)) return;
      const e = evaluatorFor(req.type);
      if (!e || !e.handles(req.operation)) return;
      const quotas: Quota[] = [];
      for (const [, s] of host.store.scan(RESOURCE_QUOTAS, `${req.namespace}/`)) quotas.push(s.obj as Quota);
      return check(req, quotas);
    },
  };

  function check(req: AdmissionRequest, quotas: Quota[]): Promise<void> | undefined {
    const e = evaluatorFor(req.type)!;
    const obj = req.object;
    const interesting: Quota[] = [];
    for (const quota of quotas) {
      const hardNames = Object.keys(quota.status?.hard ?? {});
      if (!quotaMatches(e, hardNames, scopeSelectors(quota), obj)) continue;
      const restricted = e.matchingResources(hardNames);
      const failed = e.constraints?.(restricted, obj);
      if (failed) throw admissionForbidden(req, `failed quota: ${quota.metadata.name}: ${failed}`);
      const used = quota.status?.used ?? {};
      if (restricted.some((r) => !(r in used))) {
        throw admissionForbidden(req, `status unknown for quota: ${quota.metadata.name}, resources: ${[...restricted].sort().join(',')}`);
      }
      interesting.push(quota);
    }
    if (!interesting.length) return undefined;
    let delta = e.usage(obj);
    const negative = negativeKeys(delta);
    if (negative.length) throw admissionForbidden(req, `quota usage is negative for resource(s): ${negative.sort().join(',')}`);
    if (req.operation === 'UPDATE') {
      // a stored previous version (it has a resourceVersion): charge only the growth
      if (req.oldObject?.metadata.resourceVersion) delta = subtractNonNegative(delta, e.usage(req.oldObject));
    }
    // RemoveZeros: a resource the write does not use is neither checked nor charged, so a quota
    // already over on it (its hard lowered) does not refuse the write
    delta = removeZeros(delta);
    if (!delta.size) return undefined;
    const charges: [Quota, Usage][] = [];
    for (const quota of interesting) {
      const hard = usageOf(quota.status?.hard);
      const used = usageOf(quota.status?.used);
      const requested = mask(delta, hard.keys());
      const newUsed = addLists(used, requested);
      const { ok, exceeded } = lessThanOrEqual(mask(newUsed, requested.keys()), hard);
      if (!ok) {
        throw admissionForbidden(req, `exceeded quota: ${quota.metadata.name}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`);
      }
      if (!isZero(requested)) charges.push([quota, newUsed]);
    }
    if (req.dryRun || !charges.length) return undefined;
    const t = host.registry.get('', 'v1', 'resourcequotas')!;
    // guaranteedUpdate reads and writes synchronously: what was checked above is what is written
    return Promise.all(charges.map(([quota, newUsed]) => host.ops.guaranteedUpdate(t, quota.metadata.namespace, quota.metadata.name!, (stored) => {
      const status = ((stored as Quota).status ??= {});
      status.used = sortedList(newUsed);
      return true;
    }))).then(() => undefined);
  }
}
