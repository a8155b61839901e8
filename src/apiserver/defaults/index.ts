/**
 * Built-in defaulting: what kube-apiserver's scheme does when it decodes a write of a built-in
 * type (create, update, patch after the patch is applied, dry run alike): the versioned type's
 * generated `SetObjectDefaults_<Kind>`, before admission and validation. One file per API group,
 * each citing the upstream sources; a type without defaults has no entry (and pays nothing).
 *
 * Also here: the status a new object starts with. Upstream strategies reset it to the zero
 * status struct, which Go encodes as `{}` plus its non-omitempty fields (`replicas: 0`...).
 */
import { APPS_DEFAULTS } from './apps.js';
import { AUTOSCALING_DEFAULTS } from './autoscaling.js';
import { BATCH_DEFAULTS } from './batch.js';
import { CORE_DEFAULTS } from './core.js';
import { NETWORKING_DEFAULTS } from './networking.js';
import { OTHER_DEFAULTS } from './other.js';
import { STORAGE_DEFAULTS } from './storage.js';
import type { Defaulter } from './types.js';

export type { Defaulter } from './types.js';
export { imageTag } from './core.js';

/** Defaulters of built-in types by `group/resource` ("/pods", "apps/deployments"). */
export const BUILTIN_DEFAULTS: Record<string, Defaulter> = { ...CORE_DEFAULTS, ...APPS_DEFAULTS, ...BATCH_DEFAULTS, ...AUTOSCALING_DEFAULTS, ...NETWORKING_DEFAULTS, ...STORAGE_DEFAULTS, ...OTHER_DEFAULTS };

/**
 * Non-omitempty fields of status structs (their OpenAPI `required`), as a new object encodes
 * them; PersistentVolumeClaims read back with the phase SetDefaults_PersistentVolumeClaim gives.
 */
const NEW_STATUS: Record<string, () => Record<string, unknown>> = {
  'apps/replicasets': () => ({ replicas: 0 }),
  '/replicationcontrollers': () => ({ replicas: 0 }),
  'apps/statefulsets': () => ({ availableReplicas: 0, replicas: 0 }),
  'apps/daemonsets': () => ({ currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 }),
  'policy/poddisruptionbudgets': () => ({ currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }),
  '/persistentvolumeclaims': () => ({ phase: 'Pending' }),
  // pkg/registry/networking/ingress/strategy.go PrepareForCreate: a zero IngressStatus
  'networking.k8s.io/ingresses': () => ({ loadBalancer: {} }),
  // pkg/registry/storage/volumeattachment/strategy.go PrepareForCreate: a zero status (`attached` is not omitempty)
  'storage.k8s.io/volumeattachments': () => ({ attached: false }),
  // pkg/registry/autoscaling/horizontalpodautoscaler/strategy.go PrepareForCreate: a zero status (`desiredReplicas` is not omitempty)
  'autoscaling/horizontalpodautoscalers': () => ({ desiredReplicas: 0 }),
};

/** The status a new object of a built-in type (`group/resource`) is created with. */
export function newStatus(key: string): Record<string, unknown> {
  return NEW_STATUS[key]?.() ?? {};
}
