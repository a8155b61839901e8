/**
 * What a write to a kind's `status` subresource may change besides the status.
 *
 * Upstream, a status write is decoded like any update and handed to the kind's status
 * strategy, whose PrepareForUpdate copies back what the write may not change; generic code
 * (rest.BeforeUpdate, staging/src/k8s.io/apiserver/pkg/registry/rest/update.go) then restores
 * the generation, uid, creation and deletion timestamps. Every built-in status strategy resets
 * the spec; most let the rest of metadata through, so a controller may set labels, annotations
 * or finalizers with the same write as the status (the deployment controller sets
 * `deployment.kubernetes.io/revision` through UpdateStatus). Read at the v1.32 line:
 * - spec only: pkg/registry/core/{node,namespace,service,persistentvolume,
 *   persistentvolumeclaim,resourcequota,replicationcontroller}/strategy.go,
 *   pkg/registry/apps/{replicaset,statefulset,daemonset}/strategy.go,
 *   pkg/registry/batch/{job,cronjob}/strategy.go, pkg/registry/policy/poddisruptionbudget/strategy.go,
 *   pkg/registry/networking/ingress/strategy.go, pkg/registry/storage/volumeattachment/strategy.go,
 *   pkg/registry/autoscaling/horizontalpodautoscaler/strategy.go.
 * - staging/src/k8s.io/apiextensions-apiserver/pkg/registry/customresourcedefinition/strategy.go:
 *   spec, then `metav1.ResetObjectMetaForStatus(&newObj.ObjectMeta, &newObj.ObjectMeta)` —
 *   the new object's metadata onto itself, so its metadata goes through as sent.
 * - pkg/registry/apps/deployment/strategy.go (deploymentStatusStrategy): spec and labels.
 * - pkg/registry/core/pod/strategy.go (podStatusStrategy): spec and ownerReferences ("old
 *   kubelets corrupt them in a way that breaks garbage collection"); an empty qosClass is
 *   backfilled from the stored status.
 * - staging/src/k8s.io/kube-aggregator/pkg/registry/apiservice/strategy.go: spec, labels,
 *   annotations, finalizers, ownerReferences.
 * - custom resources (customresource/status_strategy.go): the stored object deep-copied with
 *   the request's status; only managedFields follow the request. Kinds without a rule here
 *   (custom resources) behave so.
 */
import type { KubeObject } from '../../api/index.js';

/** A metadata field a status write keeps as stored. */
export type StatusKeptField = 'labels' | 'annotations' | 'finalizers' | 'ownerReferences';

/** A built-in kind's status strategy: the request's metadata goes through but for `keep`. */
export interface StatusWriteRule {
  keep: readonly StatusKeptField[];
  /** status fields taken from the stored status when the write leaves them out */
  backfillStatus?: readonly string[];
}

const SPEC_ONLY: StatusWriteRule = { keep: [] };

/** Built-in kinds with a status subresource, by `group/resource`. */
export const BUILTIN_STATUS_WRITES: Record<string, StatusWriteRule> = {
  '/namespaces': SPEC_ONLY,
  '/nodes': SPEC_ONLY,
  '/pods': { keep: ['ownerReferences'], backfillStatus: ['qosClass'] },
  '/services': SPEC_ONLY,
  '/persistentvolumes': SPEC_ONLY,
  '/persistentvolumeclaims': SPEC_ONLY,
  '/resourcequotas': SPEC_ONLY,
  '/replicationcontrollers': SPEC_ONLY,
  'apps/deployments': { keep: ['labels'] },
  'apps/replicasets': SPEC_ONLY,
  'apps/daemonsets': SPEC_ONLY,
  'apps/statefulsets': SPEC_ONLY,
  'batch/jobs': SPEC_ONLY,
  'batch/cronjobs': SPEC_ONLY,
  'policy/poddisruptionbudgets': SPEC_ONLY,
  'networking.k8s.io/ingresses': SPEC_ONLY,
  'storage.k8s.io/volumeattachments': SPEC_ONLY,
  'autoscaling/horizontalpodautoscalers': SPEC_ONLY,
  'apiextensions.k8s.io/customresourcedefinitions': SPEC_ONLY,
  'apiregistration.k8s.io/apiservices': { keep: ['labels', 'annotations', 'finalizers', 'ownerReferences'] },
};

type Obj = KubeObject & Record<string, unknown>;

/**
 * The object a status write stores, before the generic metadata rules (name, uid, timestamps,
 * generation, resourceVersion) run: `requested` is what the client sent (after admission),
 * `stored` the current object; `rule` absent means status only (custom resources).
 * Neither argument is changed; the result shares no mutable parts with `stored`.
 */
export function statusWriteResult(rule: StatusWriteRule | undefined, requested: KubeObject, stored: KubeObject, clone: <T>(v: T) => T): KubeObject {
  const out = clone(stored) as Obj;
  const req = requested as Obj;
  if (req.status === undefined) delete out.status;
  else out.status = req.status;
  if (!rule) return out;
  const meta: Record<string, unknown> = { ...requested.metadata };
  const old = stored.metadata as Record<string, unknown>;
  for (const f of rule.keep) {
    if (old[f] === undefined) delete meta[f];
    else meta[f] = clone(old[f]);
  }
  out.metadata = meta as KubeObject['metadata'];
  const oldStatus = (stored as Obj).status as Record<string, unknown> | undefined;
  if (rule.backfillStatus && oldStatus && out.status && typeof out.status === 'object') {
    let status = out.status as Record<string, unknown>;
    for (const f of rule.backfillStatus) {
      if (!status[f] && oldStatus[f] !== undefined) {
        if (status === req.status) status = out.status = { ...status };
        status[f] = oldStatus[f];
      }
    }
  }
  return out;
}
