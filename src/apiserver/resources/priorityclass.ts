/**
 * PriorityClass validation, as kube-apiserver v1.32's (kubernetes/kubernetes
 * pkg/apis/scheduling/validation/validation.go ValidatePriorityClass / ValidatePriorityClassUpdate,
 * with the system classes of pkg/apis/scheduling/v1/helpers.go IsKnownSystemPriorityClass and the
 * constants of pkg/apis/scheduling/types.go):
 * - a name with the reserved `system-` prefix must be one of the system classes, with its value
 *   and globalDefault (false): `metadata.name: Forbidden: priority class names with 'system-'
 *   prefix are reserved for system use only. error: <why>`;
 * - any other class may not go above HighestUserDefinablePriority (1e9): `value: Forbidden:
 *   maximum allowed value of a user defined priority is 1000000000`;
 * - `preemptionPolicy` is `PreemptLowerPriority` or `Never` (ValidatePreemptionPolicy);
 * - on update `value` (`Forbidden: may not be changed in an update.`) and `preemptionPolicy`
 *   (`Invalid value: ...: field is immutable`) keep their values.
 * "Only one globalDefault" is the Priority admission plugin's (podadmission/priority.ts, 403).
 */
import type { FieldError, KubeObject } from '../../api/index.js';
import type { Strategy } from './types.js';

/** pkg/apis/scheduling/types.go HighestUserDefinablePriority. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
/** SystemCriticalPriority = 2 * HighestUserDefinablePriority. */
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
/** SystemPriorityClassPrefix. */
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';

/** The system PriorityClasses (names, values, descriptions), created at server start. */
export const SYSTEM_PRIORITY_CLASSES: readonly { name: string; value: number; description: string }[] = [
  { name: 'system-node-critical', value: SYSTEM_CRITICAL_PRIORITY + 1000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: SYSTEM_CRITICAL_PRIORITY, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

type PriorityClass = KubeObject & { value?: number; globalDefault?: boolean; preemptionPolicy?: string | null };

/** IsKnownSystemPriorityClass: undefined when `pc` is a system class as defined, else why not. */
function unknownSystemClass(name: string, value: number, globalDefault: boolean): string | undefined {
  const spc = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
  if (!spc) return `${name} is not a known system priority class`;
  if (spc.value !== value) return `value of ${spc.name} PriorityClass must be ${spc.value}`;
  if (globalDefault) return `globalDefault of ${spc.name} PriorityClass must be false`;
  return undefined;
}

const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

function validatePriorityClass(pc: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  const name = pc.metadata.name ?? '';
  const value = pc.value ?? 0;
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const why = unknownSystemClass(name, value, pc.globalDefault === true);
    if (why) errs.push({ type: 'FieldValueForbidden', field: 'metadata.name', message: `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}` });
  } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push({ type: 'FieldValueForbidden', field: 'value', message: `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}` });
  }
  const policy = pc.preemptionPolicy;
  if (policy !== undefined && policy !== null) {
    if (policy === '') errs.push({ type: 'FieldValueRequired', field: 'preemptionPolicy', message: '' });
    else if (!PREEMPTION_POLICIES.includes(policy)) {
      errs.push({ type: 'FieldValueNotSupported', field: 'preemptionPolicy', message: `${JSON.stringify(policy)}: supported values: ${PREEMPTION_POLICIES.map((p) => JSON.stringify(p)).join(', ')}` });
    }
  }
  return errs;
}

function validatePriorityClassUpdate(pc: PriorityClass, old: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  if ((pc.value ?? 0) !== (old.value ?? 0)) errs.push({ type: 'FieldValueForbidden', field: 'value', message: 'may not be changed in an update.' });
  const now = pc.preemptionPolicy ?? null;
  if (now !== (old.preemptionPolicy ?? null)) {
    errs.push({ type: 'FieldValueInvalid', field: 'preemptionPolicy', message: `${now === null ? 'null' : JSON.stringify(now)}: field is immutable` });
  }
  return errs;
}

/** The PriorityClass strategy's validation (create: ValidatePriorityClass; update: ValidatePriorityClassUpdate only, as upstream). */
export const priorityClassStrategy: Strategy = {
  validate: (o, old) => (old ? validatePriorityClassUpdate(o as PriorityClass, old as PriorityClass) : validatePriorityClass(o as PriorityClass)),
};
