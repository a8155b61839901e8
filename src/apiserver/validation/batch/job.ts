/**
 * batch/v1 Job and CronJob validation as kube-apiserver v1.32's
 * pkg/apis/batch/validation/validation.go does it (function named next to each rule), on the
 * defaulted object. The Job's generated-selector and selector-matches-template rules stay in
 * resources/strategies.ts (validateJob there calls these).
 * Not emulated: podFailurePolicy and successPolicy rule contents, managedBy's domain-prefixed
 * path, the high-completions limits of backoffLimitPerIndex.
 */
import { type Errs, invalid, invalidRendered, nonNegative, notSupported, obj, required, semanticEqual, str, validatePodTemplateSpec } from '../core/index.js';
import { dns1123Label } from '../core/names.js';
import { cronParseError } from './cron.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** maxParallelismForIndexedJob. */
const MAX_PARALLELISM_INDEXED = 100000;
const MAX_FAILED_INDEXES = 100000;
const set = (v: unknown) => v !== undefined && v !== null;
/** Semantic.DeepEqual where a nil pointer differs from a pointer to zero (`completions: 0` vs unset). */
const same = (a: unknown, b: unknown) => (a !== null && typeof a === 'object' && b !== null && typeof b === 'object' ? semanticEqual(a, b) : (a ?? null) === (b ?? null));

/** validateJobSpec (the part ValidateJobTemplateSpec shares): counts, modes, the pod template. */
export function validateJobSpecFields(errs: Errs, at: string, spec: Obj): void {
  nonNegative(errs, `${at}.parallelism`, spec.parallelism);
  nonNegative(errs, `${at}.completions`, spec.completions);
  nonNegative(errs, `${at}.activeDeadlineSeconds`, spec.activeDeadlineSeconds);
  nonNegative(errs, `${at}.backoffLimit`, spec.backoffLimit);
  nonNegative(errs, `${at}.ttlSecondsAfterFinished`, spec.ttlSecondsAfterFinished);
  nonNegative(errs, `${at}.backoffLimitPerIndex`, spec.backoffLimitPerIndex);
  if (set(spec.maxFailedIndexes)) {
    nonNegative(errs, `${at}.maxFailedIndexes`, spec.maxFailedIndexes);
    if (!set(spec.backoffLimitPerIndex)) required(errs, `${at}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified');
  }
  const mode = spec.completionMode;
  if (set(mode)) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') notSupported(errs, `${at}.completionMode`, mode, ['NonIndexed', 'Indexed']);
    if (mode === 'Indexed') {
      if (!set(spec.completions)) required(errs, `${at}.completions`, 'when completion mode is Indexed');
      if (typeof spec.parallelism === 'number' && spec.parallelism > MAX_PARALLELISM_INDEXED) invalid(errs, `${at}.parallelism`, spec.parallelism, `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`);
      if (typeof spec.completions === 'number' && typeof spec.maxFailedIndexes === 'number' && spec.maxFailedIndexes > spec.completions) invalid(errs, `${at}.maxFailedIndexes`, spec.maxFailedIndexes, 'must be less than or equal to completions');
      if (typeof spec.maxFailedIndexes === 'number' && spec.maxFailedIndexes > MAX_FAILED_INDEXES) invalid(errs, `${at}.maxFailedIndexes`, spec.maxFailedIndexes, `must be less than or equal to ${MAX_FAILED_INDEXES}`);
    }
  }
  if (!set(mode) || mode === 'NonIndexed') {
    if (set(spec.backoffLimitPerIndex)) invalid(errs, `${at}.backoffLimitPerIndex`, spec.backoffLimitPerIndex, 'requires indexed completion mode');
    if (set(spec.maxFailedIndexes)) invalid(errs, `${at}.maxFailedIndexes`, spec.maxFailedIndexes, 'requires indexed completion mode');
  }
  if (set(spec.successPolicy) && mode !== 'Indexed') invalidRendered(errs, `${at}.successPolicy`, 'batch.SuccessPolicy{...}', 'requires indexed completion mode');
  // validatePodReplacementPolicy
  const prp = spec.podReplacementPolicy;
  if (set(prp)) {
    if (set(spec.podFailurePolicy)) {
      if (prp !== 'Failed') notSupported(errs, `${at}.podReplacementPolicy`, prp, ['Failed']);
    } else if (prp !== 'Failed' && prp !== 'TerminatingOrFailed') notSupported(errs, `${at}.podReplacementPolicy`, prp, ['Failed', 'TerminatingOrFailed']);
  }
  validatePodTemplateSpec(errs, `${at}.template`, spec.template);
  // restartPolicy is defaulted to Always when unset, so both mean "not chosen"
  const rp = str(obj(obj(spec.template)?.spec)?.restartPolicy);
  const rpAt = `${at}.template.spec.restartPolicy`;
  if (rp === 'Always' || rp === '') required(errs, rpAt, 'valid values: "OnFailure", "Never"');
  else if (rp !== 'OnFailure' && rp !== 'Never') notSupported(errs, rpAt, rp, ['OnFailure', 'Never']);
  else if (set(spec.podFailurePolicy) && rp !== 'Never') invalid(errs, rpAt, rp, 'only "Never" is supported when podFailurePolicy is specified');
}

/** The spec fields ValidateJobSpecUpdate keeps (besides selector, completions and template). */
const JOB_IMMUTABLE = ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy'];

/**
 * validatePodTemplateUpdate: the template is immutable, except, while the old Job is suspended
 * and never started (the strategy's AllowMutableSchedulingDirectives), node affinity, node
 * selector, tolerations, template labels and annotations and scheduling gates.
 */
function templateUpdate(errs: Errs, job: Obj, old: Obj): void {
  const t = obj(job.spec?.template) ?? {};
  let before = obj(old.spec?.template) ?? {};
  if (old.spec?.suspend === true && !old.status?.startTime) {
    const ts = obj(t.spec) ?? {};
    const bs = { ...(obj(before.spec) ?? {}) };
    const aff = obj(ts.affinity);
    const oldAff = obj(bs.affinity);
    if (!aff && oldAff) {
      const rest = { ...oldAff };
      delete rest.nodeAffinity;
      bs.affinity = Object.keys(rest).length ? rest : undefined;
    } else if (aff) {
      bs.affinity = { ...(oldAff ?? {}), nodeAffinity: aff.nodeAffinity };
    }
    bs.nodeSelector = ts.nodeSelector;
    bs.tolerations = ts.tolerations;
    bs.schedulingGates = ts.schedulingGates;
    const tm = obj(t.metadata) ?? {};
    before = { ...before, metadata: { ...(obj(before.metadata) ?? {}), labels: tm.labels, annotations: tm.annotations }, spec: bs };
  }
  if (!semanticEqual(t, before)) invalidRendered(errs, 'spec.template', 'core.PodTemplateSpec{...}', 'field is immutable');
}

/** ValidateJob's own part (the Indexed hostname rule) and ValidateJobSpecUpdate (not the selector, the strategy's). */
export function validateJobRules(job: Obj, old?: Obj): Errs {
  const errs: Errs = [];
  const spec = obj(job.spec) ?? {};
  validateJobSpecFields(errs, 'spec', spec);
  if (!old) {
    if (spec.completionMode === 'Indexed' && typeof spec.completions === 'number' && spec.completions > 0) {
      const name = str(job.metadata?.name);
      const host = `${name}-${spec.completions - 1}`;
      if (dns1123Label(host).length) invalid(errs, 'metadata.name', name, `will not able to create pod with invalid DNS label: ${host}`);
    }
    return errs;
  }
  const before = obj(old.spec) ?? {};
  // validateCompletions (ElasticIndexedJob, GA): an Indexed Job may change completions along with parallelism
  if (!same(spec.completions, before.completions)) {
    if (spec.completionMode !== 'Indexed') invalid(errs, 'spec.completions', spec.completions ?? null, 'field is immutable');
    else if (set(spec.completions) && spec.completions !== spec.parallelism) invalid(errs, 'spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism');
  }
  templateUpdate(errs, job, old);
  for (const f of JOB_IMMUTABLE) {
    if (!same(spec[f], before[f])) {
      const v = spec[f];
      if (v === undefined || v === null || typeof v !== 'object') invalid(errs, `spec.${f}`, v ?? null, 'field is immutable');
      else invalidRendered(errs, `spec.${f}`, JSON.stringify(v), 'field is immutable');
    }
  }
  return errs;
}

const CONCURRENCY = ['Allow', 'Forbid', 'Replace'];
const TZ_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** Go's time.LoadLocation as far as the zone database Node carries (ICU) answers it. */
function loadLocation(tz: string): boolean {
  if (tz === 'UTC' || tz === 'Local') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** validateTimeZone. */
function timeZone(errs: Errs, at: string, tz: unknown): void {
  if (!set(tz)) return;
  const z = str(tz);
  if (!z) {
    invalid(errs, at, z, 'timeZone must be nil or non-empty string');
    return;
  }
  for (const part of z.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TZ_PART.test(part)) {
      invalid(errs, at, z, `unknown time zone ${z}`);
      return;
    }
  }
  if (z.toLowerCase() === 'local') invalid(errs, at, z, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones');
  if (!loadLocation(z)) invalid(errs, at, z, `unknown time zone ${z}`);
}

/** ValidateCronJobCreate / ValidateCronJobUpdate (validateCronJobSpec, ValidateJobTemplateSpec). */
export function validateCronJob(cj: Obj, old?: Obj): Errs {
  const errs: Errs = [];
  const spec = obj(cj.spec) ?? {};
  const before = old ? obj(old.spec) ?? {} : undefined;
  const schedule = str(spec.schedule);
  if (!schedule) required(errs, 'spec.schedule');
  else {
    // validateScheduleFormat: robfig/cron/v3's ParseStandard, and TZ only where the old schedule had it
    const err = cronParseError(schedule);
    if (err) invalid(errs, 'spec.schedule', schedule, err);
    const allowTZ = !!before && str(before.schedule).includes('TZ');
    if (allowTZ && schedule.includes('TZ') && set(spec.timeZone)) invalid(errs, 'spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule');
    else if (!allowTZ && schedule.includes('TZ')) invalid(errs, 'spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  }
  nonNegative(errs, 'spec.startingDeadlineSeconds', spec.startingDeadlineSeconds);
  if (!before || (before.timeZone ?? null) !== (spec.timeZone ?? null)) timeZone(errs, 'spec.timeZone', spec.timeZone);
  const cp = str(spec.concurrencyPolicy);
  if (!cp) required(errs, 'spec.concurrencyPolicy');
  else if (!CONCURRENCY.includes(cp)) notSupported(errs, 'spec.concurrencyPolicy', cp, CONCURRENCY);
  // ValidateJobTemplateSpec
  const jobSpec = obj(obj(spec.jobTemplate)?.spec) ?? {};
  validateJobSpecFields(errs, 'spec.jobTemplate.spec', jobSpec);
  if (set(jobSpec.selector)) invalidRendered(errs, 'spec.jobTemplate.spec.selector', JSON.stringify(jobSpec.selector), '`selector` will be auto-generated');
  if (jobSpec.manualSelector === true) notSupported(errs, 'spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']);
  nonNegative(errs, 'spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit);
  nonNegative(errs, 'spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit);
  // the cronjob controller appends an 11-character suffix to Job names (63 - 11), on create only
  const name = str(cj.metadata?.name);
  if (!old && name.length > 52) invalid(errs, 'metadata.name', name, 'must be no more than 52 characters');
  return errs;
}


