/**
 * Defaults of the smaller groups (kube-apiserver v1.32, kubernetes/kubernetes):
 * pkg/apis/rbac/v1/defaults.go (roleRef and subject API groups),
 * pkg/apis/discovery/v1/defaults.go (EndpointSlice port name "" and protocol TCP),
 * pkg/apis/scheduling/v1/defaults.go (PriorityClass preemptionPolicy).
 * policy/v1, coordination and events have none; the webhook configurations' defaults live with
 * their type (admissionwebhooks/configurations.ts), the APIServices' in aggregator/apiservice.ts,
 * CRDs' in schema/crd.ts.
 */
import { child, each, type Obj, ptr, str } from './types.js';

const RBAC = 'rbac.authorization.k8s.io';

/** SetDefaults_(Cluster)RoleBinding + SetDefaults_Subject. */
function binding(o: Obj): void {
  const ref = child(o, 'roleRef');
  if (ref) str(ref, 'apiGroup', RBAC);
  for (const s of each(o, 'subjects')) {
    if (!s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC;
  }
}

export const OTHER_DEFAULTS: Record<string, (o: Obj) => void> = {
  [`${RBAC}/rolebindings`]: binding,
  [`${RBAC}/clusterrolebindings`]: binding,
  'discovery.k8s.io/endpointslices': (o) => {
    for (const p of each(o, 'ports')) {
      ptr(p, 'name', '');
      ptr(p, 'protocol', 'TCP');
    }
  },
  'scheduling.k8s.io/priorityclasses': (o) => ptr(o, 'preemptionPolicy', 'PreemptLowerPriority'),
};
