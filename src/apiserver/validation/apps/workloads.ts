/**
 * apps/v1 workload validation as kube-apiserver v1.32's pkg/apis/apps/validation/validation.go
 * does it (function named next to each rule), on the defaulted object. The selector rules
 * (required, non-empty, matching the template's labels, immutable) are the existing
 * strategies' (resources/strategies.ts); here: replicas, minReadySeconds,
 * revisionHistoryLimit, progressDeadlineSeconds, strategies and their rolling updates, the pod
 * template (ValidatePodTemplateSpec, restartPolicy Always, no activeDeadlineSeconds), and the
 * StatefulSet's immutable spec.
 */
import { type Errs, arr, forbidden, invalid, invalidRendered, nonNegative, notSupported, obj, percent, required, semanticEqual, str, validatePodTemplateSpec } from '../core/index.js';

type Workload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Go's `%#v` of an intstr.IntOrString (no String method on the value: field.Error prints the struct). */
function goIntOrString(v: unknown): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${typeof v === 'number' ? v : 0}, StrVal:""}`;
}

/** getIntOrPercentValue: the number, or the percent's number. */
function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number.parseInt(v.replace(/%$/, ''), 10);
    return Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

/** ValidatePositiveIntOrPercent. */
function positiveIntOrPercent(errs: Errs, field: string, v: unknown): void {
  if (typeof v === 'string') for (const m of percent(v)) invalidRendered(errs, field, goIntOrString(v), m);
  else if (typeof v === 'number' && v < 0) invalid(errs, field, v, 'must be greater than or equal to 0');
}

/** IsNotMoreThan100Percent. */
function notMoreThan100Percent(errs: Errs, field: string, v: unknown): void {
  if (typeof v === 'string' && /^[0-9]+%$/.test(v) && intOrPercentValue(v) > 100) invalidRendered(errs, field, goIntOrString(v), 'must not be greater than 100%');
}

/** ValidatePodTemplateSpecForReplicaSet's template part (the selector match is the strategy's). */
function template(errs: Errs, spec: Record<string, any>, kind: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  validatePodTemplateSpec(errs, 'spec.template', spec.template);
  const ps = obj(obj(spec.template)?.spec);
  if (!ps) return;
  if (ps.restartPolicy !== 'Always') notSupported(errs, 'spec.template.spec.restartPolicy', str(ps.restartPolicy), ['Always']);
  if (ps.activeDeadlineSeconds !== undefined && ps.activeDeadlineSeconds !== null) {
    if (kind === 'DaemonSet') invalid(errs, 'spec.template.spec.activeDeadlineSeconds', ps.activeDeadlineSeconds, 'activeDeadlineSeconds in DaemonSet is not Supported');
    else forbidden(errs, 'spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kind} is not Supported`);
  }
}

/** ValidateDeploymentSpec (without the selector) + ValidateDeploymentStrategy. */
export function validateDeployment(d: Workload): Errs {
  const errs: Errs = [];
  const spec = d.spec ?? {};
  nonNegative(errs, 'spec.replicas', spec.replicas);
  template(errs, spec, 'ReplicaSet');
  const strategy = obj(spec.strategy) ?? {};
  const type = str(strategy.type);
  if (type === 'Recreate') {
    if (strategy.rollingUpdate) forbidden(errs, 'spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'");
  } else if (type === 'RollingUpdate') {
    const ru = obj(strategy.rollingUpdate);
    if (!ru) required(errs, 'spec.strategy.rollingUpdate', 'this should be defaulted and never be nil');
    else {
      // ValidateRollingUpdateDeployment
      positiveIntOrPercent(errs, 'spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable);
      positiveIntOrPercent(errs, 'spec.strategy.rollingUpdate.maxSurge', ru.maxSurge);
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        invalidRendered(errs, 'spec.strategy.rollingUpdate.maxUnavailable', goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0');
      }
      notMoreThan100Percent(errs, 'spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable);
    }
  } else {
    const ru = strategy.rollingUpdate ? '(*apps.RollingUpdateDeployment)(0xc000010000)' : '(*apps.RollingUpdateDeployment)(nil)';
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.strategy', message: `apps.DeploymentStrategy{Type:${JSON.stringify(type)}, RollingUpdate:${ru}}: supported values: "Recreate", "RollingUpdate"` });
  }
  nonNegative(errs, 'spec.minReadySeconds', spec.minReadySeconds);
  nonNegative(errs, 'spec.revisionHistoryLimit', spec.revisionHistoryLimit);
  if (typeof spec.progressDeadlineSeconds === 'number') {
    nonNegative(errs, 'spec.progressDeadlineSeconds', spec.progressDeadlineSeconds);
    if (spec.progressDeadlineSeconds <= (typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0)) {
      invalid(errs, 'spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds');
    }
  }
  return errs;
}

/** ValidateReplicaSetSpec (without the selector). */
export function validateReplicaSet(rs: Workload): Errs {
  const errs: Errs = [];
  const spec = rs.spec ?? {};
  nonNegative(errs, 'spec.replicas', spec.replicas);
  nonNegative(errs, 'spec.minReadySeconds', spec.minReadySeconds);
  template(errs, spec, 'ReplicaSet');
  return errs;
}

/** ValidateDaemonSetSpec (without the selector) + ValidateDaemonSetUpdateStrategy. */
export function validateDaemonSet(ds: Workload): Errs {
  const errs: Errs = [];
  const spec = ds.spec ?? {};
  template(errs, spec, 'DaemonSet');
  nonNegative(errs, 'spec.minReadySeconds', spec.minReadySeconds);
  nonNegative(errs, 'spec.templateGeneration', spec.templateGeneration);
  const us = obj(spec.updateStrategy) ?? {};
  const type = str(us.type);
  if (type === 'RollingUpdate') {
    const ru = obj(us.rollingUpdate);
    if (!ru) required(errs, 'spec.updateStrategy.rollingUpdate');
    else {
      // ValidateRollingUpdateDaemonSet: exactly one of maxUnavailable and maxSurge non-zero
      const at = 'spec.updateStrategy.rollingUpdate';
      const hasUnavailable = ru.maxUnavailable !== undefined && ru.maxUnavailable !== null && intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = ru.maxSurge !== undefined && ru.maxSurge !== null && intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable) {
        positiveIntOrPercent(errs, `${at}.maxUnavailable`, ru.maxUnavailable);
        notMoreThan100Percent(errs, `${at}.maxUnavailable`, ru.maxUnavailable);
      }
      if (hasSurge) {
        positiveIntOrPercent(errs, `${at}.maxSurge`, ru.maxSurge);
        notMoreThan100Percent(errs, `${at}.maxSurge`, ru.maxSurge);
      }
      if (hasUnavailable && hasSurge) invalidRendered(errs, `${at}.maxSurge`, goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero');
      else if (!hasUnavailable && !hasSurge) required(errs, `${at}.maxUnavailable`, 'cannot be 0 when maxSurge is 0');
    }
  } else if (type !== 'OnDelete') {
    const ru = us.rollingUpdate ? '(*apps.RollingUpdateDaemonSet)(0xc000010000)' : '(*apps.RollingUpdateDaemonSet)(nil)';
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.updateStrategy', message: `apps.DaemonSetUpdateStrategy{Type:${JSON.stringify(type)}, RollingUpdate:${ru}}: supported values: "RollingUpdate", "OnDelete"` });
  }
  nonNegative(errs, 'spec.revisionHistoryLimit', spec.revisionHistoryLimit);
  return errs;
}

/** The spec fields a StatefulSet update may change (ValidateStatefulSetUpdate, v1.32). */
const STS_MUTABLE = ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy'];
const PVC_POLICIES = ['Retain', 'Delete'];

/** ValidateStatefulSetSpec (without the selector) and, on update, ValidateStatefulSetUpdate. */
export function validateStatefulSet(sts: Workload, old?: Workload): Errs {
  const errs: Errs = [];
  const spec = sts.spec ?? {};
  const pmp = str(spec.podManagementPolicy);
  if (!pmp) required(errs, 'spec.podManagementPolicy');
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') invalid(errs, 'spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'");
  const us = obj(spec.updateStrategy) ?? {};
  const type = str(us.type);
  if (!type) required(errs, 'spec.updateStrategy');
  else if (type === 'OnDelete') {
    if (us.rollingUpdate) invalidRendered(errs, 'spec.updateStrategy.rollingUpdate', '&apps.RollingUpdateStatefulSetStrategy{Partition:0, MaxUnavailable:(*intstr.IntOrString)(nil)}', "only allowed for updateStrategy 'RollingUpdate'");
  } else if (type === 'RollingUpdate') {
    nonNegative(errs, 'spec.updateStrategy.rollingUpdate.partition', obj(us.rollingUpdate)?.partition);
  } else {
    invalidRendered(errs, 'spec.updateStrategy', `apps.StatefulSetUpdateStrategy{Type:${JSON.stringify(type)}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}`, "must be 'RollingUpdate' or 'OnDelete'");
  }
  const retention = obj(spec.persistentVolumeClaimRetentionPolicy);
  if (retention) {
    for (const f of ['whenDeleted', 'whenScaled']) {
      const v = str(retention[f]);
      if (!PVC_POLICIES.includes(v)) notSupported(errs, `spec.persistentVolumeClaimRetentionPolicy.${f}`, v, PVC_POLICIES);
    }
  }
  const ordinals = obj(spec.ordinals);
  if (ordinals) nonNegative(errs, 'spec.ordinals.start', ordinals.start);
  nonNegative(errs, 'spec.replicas', spec.replicas);
  nonNegative(errs, 'spec.minReadySeconds', spec.minReadySeconds);
  validatePodTemplateSpec(errs, 'spec.template', spec.template);
  const ps = obj(obj(spec.template)?.spec);
  if (ps?.restartPolicy !== 'Always') notSupported(errs, 'spec.template.spec.restartPolicy', str(ps?.restartPolicy), ['Always']);
  if (ps && ps.activeDeadlineSeconds !== undefined && ps.activeDeadlineSeconds !== null) forbidden(errs, 'spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported');
  for (const [i, t] of arr(spec.volumeClaimTemplates).entries()) {
    if (!arr(obj(obj(t)?.spec)?.accessModes).length) required(errs, `spec.volumeClaimTemplates[${i}].spec.accessModes`, 'at least 1 access mode is required');
  }
  if (old) {
    const before = old.spec ?? {};
    const now: Record<string, unknown> = { ...spec };
    for (const f of STS_MUTABLE) now[f] = before[f];
    if (!semanticEqual(now, before)) {
      forbidden(errs, 'spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
    }
  }
  return errs;
}
