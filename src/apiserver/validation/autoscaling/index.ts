/**
 * autoscaling/v2 HorizontalPodAutoscaler validation as kube-apiserver v1.32's
 * pkg/apis/autoscaling/validation/validation.go does it (ValidateHorizontalPodAutoscaler and
 * ValidateHorizontalPodAutoscalerUpdate: the same spec rules), with upstream's field paths and
 * messages: validateHorizontalPodAutoscalerSpec (minReplicas >= 1 — HPAScaleToZero is alpha and
 * off —, maxReplicas, scaleTargetRef), validateMetricSpec / validateResourceSource /
 * validateMetricTarget, and validateBehavior's scaling rules and policies. Object, Pods,
 * External and ContainerResource sources are checked for presence only.
 */
import { arr, type Errs, forbidden, invalid, notSupported, obj, required, str } from '../core/errors.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** validMetricSourceTypes (a sets.String: listed sorted), with the MetricSpec field each names. */
const SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SOURCE_FIELDS = ['containerResource', 'external', 'object', 'pods', 'resource'];
const POLICY_TYPES = ['Percent', 'Pods'];
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
/** MaxPeriodSeconds, MaxStabilizationWindowSeconds. */
const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

/** ValidateCrossVersionObjectReference (names as path segments: no "/", "%", "." or "..") */
function validateRef(errs: Errs, path: string, ref: Obj): void {
  for (const f of ['kind', 'name'] as const) {
    const v = str(ref[f]);
    if (!v) required(errs, `${path}.${f}`);
    else if (v === '.' || v === '..') invalid(errs, `${path}.${f}`, v, `may not be '${v}'`);
    else for (const bad of ['/', '%']) if (v.includes(bad)) invalid(errs, `${path}.${f}`, v, `may not contain '${bad}'`);
  }
}

/** validateMetricTarget. */
function validateTarget(errs: Errs, path: string, t: Obj): void {
  const type = str(t.type);
  if (!type) required(errs, `${path}.type`, 'must specify a metric target type');
  if (type !== 'Utilization' && type !== 'Value' && type !== 'AverageValue') invalid(errs, `${path}.type`, type, 'must be either Utilization, Value, or AverageValue');
  if (typeof t.averageUtilization === 'number' && t.averageUtilization < 1) invalid(errs, `${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0');
}

/** validateMetricSpec (+ validateResourceSource). */
function validateMetric(errs: Errs, path: string, m: Obj): void {
  const type = str(m.type);
  if (!type) required(errs, `${path}.type`, 'must specify a metric source type');
  if (!SOURCE_TYPES.includes(type)) notSupported(errs, `${path}.type`, type, SOURCE_TYPES);
  const present = SOURCE_FIELDS.filter((f) => obj(m[f]));
  const resource = obj(m.resource);
  if (resource && present.length === 1) {
    const p = `${path}.resource`;
    if (!str(resource.name)) required(errs, `${p}.name`, 'must specify a resource name');
    const target = obj(resource.target) ?? {};
    validateTarget(errs, `${p}.target`, target);
    if (target.averageUtilization === undefined && target.averageValue === undefined) required(errs, `${p}.target.averageUtilization`, 'must set either a target raw value or a target utilization');
  }
  const expected = type ? type[0].toLowerCase() + type.slice(1) : '';
  if (!present.includes(expected)) required(errs, `${path}.${expected}`, 'must populate information for the given metric source');
  if (present.length !== 1) for (const f of present) if (f !== expected) forbidden(errs, `${path}.${f}`, 'must populate the given metric source only');
}

/** validateScalingRules + validateScalingPolicy. */
function validateRules(errs: Errs, path: string, rules: Obj): void {
  const window = rules.stabilizationWindowSeconds;
  if (typeof window === 'number') {
    if (window < 0) invalid(errs, `${path}.stabilizationWindowSeconds`, window, 'must be greater than or equal to zero');
    if (window > MAX_STABILIZATION_WINDOW_SECONDS) invalid(errs, `${path}.stabilizationWindowSeconds`, window, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`);
  }
  if (typeof rules.selectPolicy === 'string' && !SELECT_POLICIES.includes(rules.selectPolicy)) notSupported(errs, `${path}.selectPolicy`, rules.selectPolicy, SELECT_POLICIES);
  const policies = arr(rules.policies);
  if (policies.length === 0) required(errs, `${path}.policies`, 'must specify at least one Policy');
  policies.forEach((p, i) => {
    const policy = obj(p) ?? {};
    const at = `${path}.policies[${i}]`;
    if (!POLICY_TYPES.includes(policy.type)) notSupported(errs, `${at}.type`, policy.type ?? '', POLICY_TYPES);
    const value = typeof policy.value === 'number' ? policy.value : 0;
    if (value <= 0) invalid(errs, `${at}.value`, value, 'must be greater than zero');
    const period = typeof policy.periodSeconds === 'number' ? policy.periodSeconds : 0;
    if (period <= 0) invalid(errs, `${at}.periodSeconds`, period, 'must be greater than zero');
    if (period > MAX_PERIOD_SECONDS) invalid(errs, `${at}.periodSeconds`, period, `must be less than or equal to ${MAX_PERIOD_SECONDS}`);
  });
}

export function validateHorizontalPodAutoscaler(hpa: Obj): Errs {
  const errs: Errs = [];
  const spec = obj(hpa.spec) ?? {};
  const min = spec.minReplicas;
  const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : 0;
  if (typeof min === 'number' && min < 1) invalid(errs, 'spec.minReplicas', min, 'must be greater than or equal to 1');
  if (max < 1) invalid(errs, 'spec.maxReplicas', max, 'must be greater than 0');
  if (typeof min === 'number' && max < min) invalid(errs, 'spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`');
  validateRef(errs, 'spec.scaleTargetRef', obj(spec.scaleTargetRef) ?? {});
  arr(spec.metrics).forEach((m, i) => validateMetric(errs, `spec.metrics[${i}]`, obj(m) ?? {}));
  const behavior = obj(spec.behavior);
  if (behavior) {
    for (const dir of ['scaleUp', 'scaleDown'] as const) {
      const rules = obj(behavior[dir]);
      if (rules) validateRules(errs, `spec.behavior.${dir}`, rules);
    }
  }
  return errs;
}

/** ValidateHorizontalPodAutoscalerStatusUpdate: replica counts not negative. */
export function validateHorizontalPodAutoscalerStatus(hpa: Obj): Errs {
  const errs: Errs = [];
  const status = obj(hpa.status) ?? {};
  if (typeof status.currentReplicas === 'number' && status.currentReplicas < 0) invalid(errs, 'status.currentReplicas', status.currentReplicas, 'must be greater than or equal to 0');
  if (typeof status.desiredReplicas === 'number' && status.desiredReplicas < 0) invalid(errs, 'status.desiredReplicas', status.desiredReplicas, 'must be greater than or equal to 0');
  return errs;
}
