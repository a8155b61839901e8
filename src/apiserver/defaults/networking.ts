/**
 * networking.k8s.io/v1 defaults (kube-apiserver v1.32, pkg/apis/networking/v1/defaults.go):
 * - SetDefaults_NetworkPolicyPort: `protocol` TCP;
 * - SetDefaults_NetworkPolicy: no `policyTypes` means `[Ingress]`, plus `Egress` when the
 *   policy has egress rules;
 * - SetDefaults_IngressClass: `parameters.scope` Cluster when parameters are set.
 * Ingresses have none in v1 (pathType was defaulted only in v1beta1).
 */
import { child, each, type Obj, ptr } from './types.js';

const NET = 'networking.k8s.io';

export const NETWORKING_DEFAULTS: Record<string, (o: Obj) => void> = {
  [`${NET}/networkpolicies`]: (o) => {
    const spec = child(o, 'spec');
    if (!spec) return;
    for (const dir of ['ingress', 'egress'] as const) {
      for (const rule of each(spec, dir)) for (const p of each(rule, 'ports')) ptr(p, 'protocol', 'TCP');
    }
    if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
      spec.policyTypes = ['Ingress'];
      if (Array.isArray(spec.egress) && spec.egress.length) spec.policyTypes.push('Egress');
    }
  },
  [`${NET}/ingressclasses`]: (o) => {
    const params = o.spec?.parameters;
    if (params && typeof params === 'object') ptr(params, 'scope', 'Cluster');
  },
};
