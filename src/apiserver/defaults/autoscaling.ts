/**
 * autoscaling/v2 defaults (kube-apiserver v1.32, pkg/apis/autoscaling/v2/defaults.go):
 * - SetDefaults_HorizontalPodAutoscaler: `minReplicas` 1; no metrics means one Resource metric,
 *   cpu at 80% average utilization (autoscaling.DefaultCPUUtilization);
 * - SetDefaults_HorizontalPodAutoscalerBehavior: a set `behavior` gets its missing scaling
 *   rules filled (GenerateHPAScaleUpRules: window 0, Max of 4 pods or 100% per 15s;
 *   GenerateHPAScaleDownRules: no window — the controller's --horizontal-pod-autoscaler-downscale-stabilization
 *   applies —, Max of 100% per 15s); copyHPAScalingRules keeps each field the client set.
 */
import { child, type Obj, ptr } from './types.js';

function rules(set: unknown, defaults: Obj): Obj {
  if (!set || typeof set !== 'object' || Array.isArray(set)) return defaults;
  const from = set as Obj;
  const out: Obj = { ...defaults };
  if (from.selectPolicy !== undefined && from.selectPolicy !== null) out.selectPolicy = from.selectPolicy;
  if (from.stabilizationWindowSeconds !== undefined && from.stabilizationWindowSeconds !== null) out.stabilizationWindowSeconds = from.stabilizationWindowSeconds;
  if (from.policies !== undefined && from.policies !== null) out.policies = from.policies;
  return { ...from, ...out };
}

export const AUTOSCALING_DEFAULTS: Record<string, (o: Obj) => void> = {
  'autoscaling/horizontalpodautoscalers': (o) => {
    const spec = child(o, 'spec');
    if (!spec) return;
    ptr(spec, 'minReplicas', 1);
    if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
      spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
    }
    const behavior = spec.behavior;
    if (behavior && typeof behavior === 'object' && !Array.isArray(behavior)) {
      behavior.scaleUp = rules(behavior.scaleUp, { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
      behavior.scaleDown = rules(behavior.scaleDown, { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    }
  },
};
