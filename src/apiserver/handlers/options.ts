/**
 * The query options of a write (CreateOptions, UpdateOptions, PatchOptions) and the DeleteOptions
 * of a delete, checked as kube-apiserver checks them before it decodes the body: every problem at
 * once, answered 422 Invalid for the options' kind in meta.k8s.io, e.g.
 * `CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"bogus"}: supported values: "All"`.
 *
 * Upstream: apimachinery pkg/apis/meta/v1/validation/validation.go (ValidateCreateOptions,
 * ValidateUpdateOptions, ValidatePatchOptions, ValidateDeleteOptions, ValidateFieldManager,
 * ValidateDryRun, ValidateFieldValidation), called from apiserver endpoints/handlers create.go,
 * update.go, patch.go and delete.go as `errors.NewInvalid(GroupKind{meta.k8s.io, <Kind>}, "", errs)`.
 */
import { newInvalid, type FieldError } from '../../api/index.js';
import { fieldManagerErrors } from '../patch/manager.js';

export type WriteOptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions';

/** metav1.GroupName: the group the options kinds are reported in. */
const META_GROUP = 'meta.k8s.io';

/** The values a `fieldValidation` may take, sorted as Go's sets.List() prints them ("" = the default). */
const FIELD_VALIDATION_VALUES = ['', 'Ignore', 'Strict', 'Warn'];

/** A `[]string` as Go's `%#v` prints it in a field error: `[]string{"a", "b"}`. */
function goStringSlice(values: readonly string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

/** ValidateDryRun: every value must be "All". */
function dryRunErrors(values: readonly string[]): FieldError[] {
  if (values.every((v) => v === 'All')) return [];
  return [{ type: 'FieldValueNotSupported', field: 'dryRun', message: `${goStringSlice(values)}: supported values: "All"` }];
}

/** ValidateFieldValidation: "", Ignore, Strict or Warn. */
function fieldValidationErrors(value: string): FieldError[] {
  if (FIELD_VALIDATION_VALUES.includes(value)) return [];
  return [{ type: 'FieldValueNotSupported', field: 'fieldValidation', message: `${JSON.stringify(value)}: supported values: ${FIELD_VALIDATION_VALUES.map((v) => JSON.stringify(v)).join(', ')}` }];
}

/** Whether a PATCH's Content-Type is a server-side apply (upstream's ApplyPatchType; our dispatcher also reads apply-patch+json). */
function isApply(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase().startsWith('application/apply-patch+');
}

/**
 * Checks a write's query options; throws 422 Invalid naming each problem. `contentType` is the
 * PATCH's (an apply requires a fieldManager; `force` is for applies only).
 */
export function checkWriteOptions(kind: WriteOptionsKind, q: URLSearchParams, contentType?: string): void {
  const errs: FieldError[] = [];
  const fieldManager = q.get('fieldManager') ?? '';
  if (kind === 'PatchOptions') {
    // (force is a *bool: any value given counts as set)
    if (!isApply(contentType)) {
      if (q.has('force')) errs.push({ type: 'FieldValueForbidden', field: 'force', message: 'may not be specified for non-apply patch' });
    } else if (fieldManager === '') {
      // kubectl defaults it to "kubectl"; controllers must set it (upstream's comment)
      errs.push({ type: 'FieldValueRequired', field: 'fieldManager', message: 'is required for apply patch' });
    }
  }
  errs.push(...fieldManagerErrors(fieldManager, 'fieldManager'));
  if (q.has('dryRun')) errs.push(...dryRunErrors(q.getAll('dryRun')));
  errs.push(...fieldValidationErrors(q.get('fieldValidation') ?? ''));
  if (errs.length > 0) throw newInvalid(META_GROUP, kind, '', errs);
}

/** ValidateDeleteOptions, on the options as the query and the body set them (`orphanDependents` not yet folded into the policy). */
export function checkDeleteOptions(options: { propagationPolicy?: unknown; orphanDependents?: unknown; dryRun?: unknown }): void {
  const errs: FieldError[] = [];
  const policy = options.propagationPolicy;
  const hasPolicy = policy !== undefined && policy !== null;
  if (options.orphanDependents !== undefined && options.orphanDependents !== null && hasPolicy) {
    errs.push({ type: 'FieldValueInvalid', field: 'propagationPolicy', message: `${JSON.stringify(policy)}: orphanDependents and deletionPropagation cannot be both set` });
  }
  const bad = propagationPolicyError(policy);
  if (bad) errs.push(bad);
  if (Array.isArray(options.dryRun)) errs.push(...dryRunErrors(options.dryRun as string[]));
  if (errs.length > 0) throw newInvalid(META_GROUP, 'DeleteOptions', '', errs);
}

/** ValidateDeleteOptions' check of a propagationPolicy (none is fine); also run by in-process deletes (rest.ts). */
export function propagationPolicyError(policy: unknown): FieldError | undefined {
  if (policy === undefined || policy === null || ['Foreground', 'Background', 'Orphan'].includes(policy as string)) return undefined;
  return { type: 'FieldValueNotSupported', field: 'propagationPolicy', message: `${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"` };
}

/** {@link propagationPolicyError} as the 422 Invalid DeleteOptions it is answered with. */
export function checkPropagationPolicy(policy: unknown): void {
  const bad = propagationPolicyError(policy);
  if (bad) throw newInvalid(META_GROUP, 'DeleteOptions', '', [bad]);
}
