/**
 * Built-in create/update strategies (a small part of upstream's per-type strategies): status
 * on create, write-only fields, validation. Defaults are applied on decode (../defaults/).
 */
import { type FieldError, type KubeObject, labelSelectorFromSpec, type LabelSelectorSpec, rfc3339 } from '../../api/index.js';
import { validateLimitRange } from '../limitranger/index.js';
import { validateResourceQuota } from '../quota/index.js';
import { validateDaemonSet, validateDeployment, validateReplicaSet, validateStatefulSet } from '../validation/apps/index.js';
import { validateCronJob, validateJobRules } from '../validation/batch/index.js';
import { validateLease } from '../validation/coordination/index.js';
import { validateHorizontalPodAutoscaler, validateHorizontalPodAutoscalerStatus } from '../validation/autoscaling/index.js';
import { validateRuntimeClass } from '../validation/node/index.js';
import { validateStorageClass, validateVolumeAttachment } from '../validation/storage/index.js';
import { validateIngress, validateIngressClass, validateIngressStatus, validateNetworkPolicy } from '../validation/networking/index.js';
import { validateConfigMap, validatePodCreate, validatePodStatusUpdate, validatePodTemplateSpec, validatePodUpdate, validateSecret, validateService } from '../validation/core/index.js';
import { priorityClassStrategy } from './priorityclass.js';
import { podQOSClass } from './qos.js';
import type { Strategy } from './types.js';

type Obj = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Workload selectors (apps/v1): required, non-empty, matching the pod template's labels, and
 * immutable — the rules upstream validation enforces with these messages.
 */
function validateSelector(kind: string) {
  return (o: Obj, old?: Obj): FieldError[] => {
    const sel = o.spec?.selector as LabelSelectorSpec | undefined;
    if (!sel) return [{ type: 'FieldValueRequired', field: 'spec.selector', message: '' }];
    const errs: FieldError[] = [];
    if (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.selector', message: `${JSON.stringify(sel)}: empty selector is invalid for ${kind}` });
    } else {
      let matches = false;
      try {
        matches = labelSelectorFromSpec(sel).matches(o.spec?.template?.metadata?.labels);
      } catch (e) {
        errs.push({ type: 'FieldValueInvalid', field: 'spec.selector', message: `${JSON.stringify(sel)}: ${(e as Error).message}` });
        matches = true;
      }
      if (!matches) {
        errs.push({ type: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `${JSON.stringify(o.spec?.template?.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\`` });
      }
    }
    if (old?.spec?.selector && JSON.stringify(canonical(old.spec.selector)) !== JSON.stringify(canonical(sel))) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.selector', message: `${JSON.stringify(sel)}: field is immutable` });
    }
    return errs;
  };
}

/** Key-sorted copy, so selectors compare regardless of key order. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/** The selector rules, then the kind's own (validation/apps, not on status writes). */
function workload(kind: string, own: (o: Obj, old?: Obj) => FieldError[]): Strategy {
  const selector = validateSelector(kind);
  return { validate: (o: Obj, old?: Obj, sub?: string) => (sub ? selector(o, old) : [...selector(o, old), ...own(o, old)]) };
}

function sameMap(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  return ka.length === kb.length && ka.every((k) => (a ?? {})[k] === (b ?? {})[k]);
}

/** `stringData` is a write-only convenience: merged into `data` (base64) and never stored. */
function foldStringData(o: Obj): void {
  if (o.stringData && typeof o.stringData === 'object') {
    o.data ??= {};
    for (const [k, v] of Object.entries(o.stringData as Record<string, unknown>)) o.data[k] = Buffer.from(String(v)).toString('base64');
  }
  delete o.stringData;
}

/** ConfigMaps and Secrets marked `immutable: true` keep their data and the mark forever. */
/** No field errors (shared: a create of a ConfigMap or Secret allocates none). */
const NO_ERRORS: readonly FieldError[] = Object.freeze([]);

function immutableData(fields: string[]): Strategy {
  return {
    validate(o: Obj, old?: Obj): readonly FieldError[] {
      if (!old || old.immutable !== true) return NO_ERRORS;
      const errs: FieldError[] = [];
      if (o.immutable !== true) errs.push({ type: 'FieldValueForbidden', field: 'immutable', message: 'field is immutable when `immutable` is set' });
      for (const f of fields) {
        if (!sameMap(o[f], old[f])) errs.push({ type: 'FieldValueForbidden', field: f, message: 'field is immutable when `immutable` is set' });
      }
      return errs;
    },
  };
}

/**
 * A binding's `roleRef` never changes (upstream's ValidateRoleBindingUpdate): pointing an
 * existing binding at another role would grant its subjects that role with no new binding to
 * check. The value renders as Go's `%#v` of the internal type, as upstream's message does.
 */
const immutableRoleRef: Strategy = {
  validate(o: Obj, old?: Obj): FieldError[] {
    if (!old) return [];
    const ref = (r: Obj['roleRef']) => ({ apiGroup: r?.apiGroup || 'rbac.authorization.k8s.io', kind: r?.kind ?? '', name: r?.name ?? '' });
    const now = ref(o.roleRef);
    const before = ref(old.roleRef);
    if (now.apiGroup === before.apiGroup && now.kind === before.kind && now.name === before.name) return [];
    const goValue = `rbac.RoleRef{APIGroup:${JSON.stringify(now.apiGroup)}, Kind:${JSON.stringify(now.kind)}, Name:${JSON.stringify(now.name)}}`;
    return [{ type: 'FieldValueInvalid', field: 'roleRef', message: `${goValue}: cannot change roleRef` }];
  },
};

/**
 * The Job strategy's generated selector (pkg/registry/batch/job/strategy.go v1.32,
 * PrepareForCreate -> generateSelectorIfNeeded -> generateSelector), unless
 * `spec.manualSelector` is true: the template gets the labels `job-name` and
 * `batch.kubernetes.io/job-name` (the Job's name) and `controller-uid` and
 * `batch.kubernetes.io/controller-uid` (its uid), each unless already set; the selector gets
 * `matchLabels[batch.kubernetes.io/controller-uid] = uid` unless already set. A Job without
 * labels then shows the template's (SetDefaults_Job copies them when the stored object is
 * decoded, which upstream's create answer and every read go through).
 */
export function generateJobSelector(o: Obj): void {
  const spec = o.spec;
  if (!spec || typeof spec !== 'object' || spec.manualSelector === true) return;
  const name = o.metadata?.name ?? '';
  const uid = o.metadata?.uid ?? '';
  const template = (spec.template && typeof spec.template === 'object' ? spec.template : (spec.template = {})) as Obj;
  const tm = (template.metadata && typeof template.metadata === 'object' ? template.metadata : (template.metadata = {})) as Obj;
  const labels: Record<string, string> = (tm.labels && typeof tm.labels === 'object' ? tm.labels : (tm.labels = {}));
  for (const k of ['job-name', 'batch.kubernetes.io/job-name']) if (!(k in labels)) labels[k] = name;
  for (const k of ['controller-uid', 'batch.kubernetes.io/controller-uid']) if (!(k in labels)) labels[k] = uid;
  const sel = (spec.selector && typeof spec.selector === 'object' ? spec.selector : (spec.selector = {})) as Obj;
  const ml: Record<string, string> = (sel.matchLabels && typeof sel.matchLabels === 'object' ? sel.matchLabels : (sel.matchLabels = {}));
  if (!('batch.kubernetes.io/controller-uid' in ml)) ml['batch.kubernetes.io/controller-uid'] = uid;
  const m = o.metadata;
  if (m && (!m.labels || typeof m.labels !== 'object' || !Object.keys(m.labels).length)) m.labels = { ...labels };
}

/** Go's `%#v` of a map[string]string (keys sorted, as fmt prints maps). */
function goStringMap(m: unknown): string {
  if (!m || typeof m !== 'object') return 'map[string]string(nil)';
  const r = m as Record<string, unknown>;
  return `map[string]string{${Object.keys(r).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(r[k]))}`).join(', ')}}`;
}

/** Go's `%#v` of a metav1.LabelSelector, as field.Invalid prints a selector value. */
function goLabelSelector(sel: LabelSelectorSpec): string {
  const exprs = sel.matchExpressions;
  const reqs = exprs
    ? `[]v1.LabelSelectorRequirement{${exprs.map((e) => `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key ?? '')}, Operator:${JSON.stringify(e.operator ?? '')}, Values:${e.values ? `[]string{${e.values.map((v) => JSON.stringify(v)).join(', ')}}` : '[]string(nil)'}}`).join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${reqs}}`;
}

function selectorMatches(sel: LabelSelectorSpec, labels: Record<string, string> | undefined): boolean | undefined {
  try {
    return labelSelectorFromSpec(sel).matches(labels);
  } catch {
    return undefined; // an invalid selector: upstream's LabelSelectorAsSelector fails and the check is skipped
  }
}

/**
 * Job validation (pkg/apis/batch/validation/validation.go v1.32): on create, ValidateJob's
 * validateGeneratedSelector with RequirePrefixedLabels (pkg/registry/batch/job/strategy.go
 * validationOptionsForJob): unless `manualSelector` is true, the template must carry the
 * generated labels with the Job's uid and name (ValidateHasLabel: `Required value: must be
 * '<v>'` when absent, `Invalid value: map[...]: must be '<v>'` when different), and the selector
 * must select them (`spec.selector: Invalid value: v1.LabelSelector{...}: \`selector\` not
 * auto-generated`); on create and update, ValidateJobSpec's selector (required) matching the
 * template labels.
 */
function validateJob(o: Obj, old?: Obj, sub?: string): FieldError[] {
  const errs: FieldError[] = [];
  const spec = o.spec && typeof o.spec === 'object' ? o.spec : {};
  const sel = spec.selector as LabelSelectorSpec | undefined;
  const tmplLabels = spec.template?.metadata?.labels as Record<string, string> | undefined;
  if (!old && spec.manualSelector !== true && sel) {
    const uid = o.metadata?.uid ?? '';
    const name = o.metadata?.name ?? '';
    if (!uid) errs.push({ type: 'FieldValueRequired', field: 'metadata.uid', message: '' });
    const expected: Record<string, string> = {};
    for (const [key, value] of [['controller-uid', uid], ['job-name', name], ['batch.kubernetes.io/controller-uid', uid], ['batch.kubernetes.io/job-name', name]]) {
      const field = `spec.template.metadata.labels[${key}]`;
      if (!tmplLabels || !Object.hasOwn(tmplLabels, key)) errs.push({ type: 'FieldValueRequired', field, message: `must be '${value}'` });
      else if (tmplLabels[key] !== value) errs.push({ type: 'FieldValueInvalid', field, message: `${goStringMap(tmplLabels)}: must be '${value}'` });
      expected[key] = value;
    }
    if (selectorMatches(sel, expected) === false) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.selector', message: `${goLabelSelector(sel)}: \`selector\` not auto-generated` });
    }
  }
  // ValidateJobSpec's validateJobSpec (validation/batch), then its selector rules; not on status writes
  if (!sub) errs.push(...validateJobRules(o, old));
  if (!sel) errs.push({ type: 'FieldValueRequired', field: 'spec.selector', message: '' });
  else if (selectorMatches(sel, tmplLabels) === false) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `${goStringMap(tmplLabels)}: \`selector\` does not match template \`labels\`` });
  }
  // ValidateJobSpecUpdate: ValidateImmutableField(spec.Selector)
  const oldSel = old?.spec?.selector as LabelSelectorSpec | undefined;
  if (!sub && old && JSON.stringify(canonical(oldSel ?? null)) !== JSON.stringify(canonical(sel ?? null))) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.selector', message: `${sel ? goLabelSelector(sel) : 'null'}: field is immutable` });
  }
  return errs;
}

/** ValidateSecret(Update): the type first, then the `immutable` rules, then the data (upstream's order). */
function secretValidate(immutable: Strategy): Strategy['validate'] {
  return (o: Obj, old?: Obj) => {
    const own = validateSecret(o, old);
    if (!old) return own;
    const imm = immutable.validate!(o, old);
    if (!imm.length) return own;
    const typeErrs = own.length && own[0].field === 'type' ? 1 : 0;
    return [...own.slice(0, typeErrs), ...imm, ...own.slice(typeErrs)];
  };
}

const configMapImmutable = immutableData(['data', 'binaryData']);

export const BUILTIN_STRATEGIES: Record<string, Strategy> = {
  'batch/jobs': { prepareForCreate: generateJobSelector, validate: validateJob },
  // ValidateConfigMap(Update) (validation/core/configdata.ts): the `immutable` rules, then keys and size
  '/configmaps': {
    validate(o: Obj, old?: Obj) {
      const own = validateConfigMap(o); // a shared empty list when valid: nothing allocated
      if (!old) return own;
      const imm = configMapImmutable.validate!(o, old);
      return imm.length ? [...imm, ...own] : own;
    },
  },
  // ValidateCronJobCreate/Update (validation/batch); status writes: the status only
  'batch/cronjobs': { validate: (o: Obj, old?: Obj, sub?: string) => (sub ? [] : validateCronJob(o, old)) },
  // ValidateLease (validation/coordination), on create and update
  'coordination.k8s.io/leases': { validate: (o: Obj) => validateLease(o) },
  '/services': {
    // ValidateService(Update) (validation/core/service.ts); status writes: the status only
    validate: (o: Obj, old?: Obj, sub?: string) => (sub ? [] : validateService(o, old)),
    prepareForCreate(o: Obj) {
      // upstream's PrepareForCreate: a zero ServiceStatus (its LoadBalancer struct encodes as `{}`)
      o.status = { loadBalancer: {} };
    },
  },
  // ValidateLimitRange (limitranger/validation.ts), on create and update
  '/limitranges': { validate: (o: Obj) => validateLimitRange(o) },
  // ValidateResourceQuota(Update) (quota/validation.ts)
  '/resourcequotas': { validate: (o: Obj, old?: Obj) => validateResourceQuota(o, old) },
  '/namespaces': {
    prepareForCreate(o: Obj) {
      o.status = { phase: 'Active' };
    },
    prepareForUpdate(o: Obj, old: Obj) {
      // The phase is owned by the server (namespace lifecycle), not by updates of the main resource.
      if (old.status) o.status = old.status;
    },
  },
  '/pods': {
    // ValidatePodCreate / ValidatePodUpdate / ValidatePodStatusUpdate (validation/core/pod.ts)
    validate: (o: Obj, old?: Obj, sub?: string) => (!old ? validatePodCreate(o) : sub ? validatePodStatusUpdate(o, old) : validatePodUpdate(o, old)),
    prepareForCreate(o: Obj) {
      // upstream's PrepareForCreate: Pending with the QoS class, and the PodScheduled=False
      // condition of a pod that waits for scheduling gates (applySchedulingGatedCondition)
      o.status = { phase: 'Pending', qosClass: podQOSClass(o) };
      if (Array.isArray(o.spec?.schedulingGates) && o.spec.schedulingGates.length) {
        o.status.conditions = [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: rfc3339(), reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }];
      }
    },
  },
  '/secrets': {
    prepareForCreate(o: Obj) {
      foldStringData(o);
    },
    prepareForUpdate(o: Obj) {
      foldStringData(o);
    },
    // ValidateSecret / ValidateSecretUpdate (validation/core/configdata.ts)
    validate: secretValidate(immutableData(['data'])),
  },
  '/podtemplates': { validate: (o: Obj) => { const errs: FieldError[] = []; validatePodTemplateSpec(errs, 'template', o.template); return errs; } },
  'apps/deployments': workload('deployment', validateDeployment),
  'apps/replicasets': workload('replicaset', validateReplicaSet),
  'apps/statefulsets': workload('statefulset', validateStatefulSet),
  'apps/daemonsets': workload('daemonset', validateDaemonSet),
  'scheduling.k8s.io/priorityclasses': priorityClassStrategy,
  // ValidateIngressCreate/Update, ValidateIngressStatusUpdate (validation/networking)
  'networking.k8s.io/ingresses': { validate: (o: Obj, old?: Obj, sub?: string) => (sub ? validateIngressStatus(o) : validateIngress(o, old)) },
  // ValidateIngressClass(Update)
  'networking.k8s.io/ingressclasses': { validate: (o: Obj, old?: Obj) => validateIngressClass(o, old) },
  // ValidateHorizontalPodAutoscaler(Update), ValidateHorizontalPodAutoscalerStatusUpdate (validation/autoscaling)
  'autoscaling/horizontalpodautoscalers': { validate: (o: Obj, _old?: Obj, sub?: string) => (sub ? validateHorizontalPodAutoscalerStatus(o) : validateHorizontalPodAutoscaler(o)) },
  // ValidateRuntimeClass, + ValidateRuntimeClassUpdate on update (validation/node)
  'node.k8s.io/runtimeclasses': { validate: (o: Obj, old?: Obj) => validateRuntimeClass(o, old) },
  // ValidateStorageClass, + ValidateStorageClassUpdate on update (validation/storage)
  'storage.k8s.io/storageclasses': { validate: (o: Obj, old?: Obj) => validateStorageClass(o, old) },
  // ValidateVolumeAttachment; status writes: the status only
  'storage.k8s.io/volumeattachments': { validate: (o: Obj, _old?: Obj, sub?: string) => (sub ? [] : validateVolumeAttachment(o)) },
  // ValidateNetworkPolicy(Update)
  'networking.k8s.io/networkpolicies': { validate: (o: Obj) => validateNetworkPolicy(o) },
  'rbac.authorization.k8s.io/rolebindings': immutableRoleRef,
  'rbac.authorization.k8s.io/clusterrolebindings': immutableRoleRef,
};

/** Types whose status may be set on create (others start with an empty status when they have a status subresource). */
export const KEEP_STATUS_ON_CREATE = new Set(['/nodes', '/persistentvolumes', 'apiextensions.k8s.io/customresourcedefinitions']);
