/**
 * batch/v1 defaults (kube-apiserver v1.32): kubernetes/kubernetes pkg/apis/batch/v1/defaults.go
 * with the beta gates v1.32 turns on (JobBackoffLimitPerIndex, JobPodReplacementPolicy), pod
 * templates as pkg/apis/batch/v1/zz_generated.defaults.go walks them. A CronJob's job template
 * gets its pod template's defaults, not SetDefaults_Job's (that one takes a Job).
 */
import { podTemplate, templateMetadata } from './core.js';
import { child, each, isObj, type Obj, ptr, str } from './types.js';

const MAX_INT32 = 2147483647;

/**
 * SetDefaults_Job: completions and parallelism 1 (when neither is set), backoffLimit 6 (max
 * int32 with backoffLimitPerIndex), labels from the template when the Job has none,
 * completionMode NonIndexed, suspend false, pod failure policy condition status True,
 * podReplacementPolicy Failed with a podFailurePolicy, TerminatingOrFailed without.
 */
function job(o: Obj): void {
  const spec = child(o, 'spec');
  if (!spec) return;
  const unset = (k: string) => spec[k] === undefined || spec[k] === null;
  if (unset('completions') && unset('parallelism')) spec.completions = 1;
  ptr(spec, 'parallelism', 1);
  if (unset('backoffLimit')) spec.backoffLimit = unset('backoffLimitPerIndex') ? 6 : MAX_INT32;
  const template = child(spec, 'template');
  const labels = template && isObj(template.metadata) && isObj(template.metadata.labels) ? template.metadata.labels : undefined;
  const m = child(o, 'metadata');
  if (labels && Object.keys(labels).length && m && (!isObj(m.labels) || !Object.keys(m.labels).length)) m.labels = { ...labels };
  ptr(spec, 'completionMode', 'NonIndexed');
  ptr(spec, 'suspend', false);
  const pfp = isObj(spec.podFailurePolicy) ? spec.podFailurePolicy : undefined;
  for (const rule of each(pfp, 'rules')) for (const p of each(rule, 'onPodConditions')) str(p, 'status', 'True');
  if (unset('podReplacementPolicy')) spec.podReplacementPolicy = pfp ? 'Failed' : 'TerminatingOrFailed';
  podTemplate(template);
}

/** SetDefaults_CronJob: Allow, not suspended, history limits 3 and 1. */
function cronJob(o: Obj): void {
  const spec = child(o, 'spec');
  if (!spec) return;
  str(spec, 'concurrencyPolicy', 'Allow');
  ptr(spec, 'suspend', false);
  ptr(spec, 'successfulJobsHistoryLimit', 3);
  ptr(spec, 'failedJobsHistoryLimit', 1);
  const jobTemplate = child(spec, 'jobTemplate');
  if (!jobTemplate) return;
  templateMetadata(jobTemplate);
  const jobSpec = child(jobTemplate, 'spec');
  if (jobSpec) podTemplate(child(jobSpec, 'template'));
}

export const BATCH_DEFAULTS: Record<string, (o: Obj) => void> = {
  'batch/jobs': job,
  'batch/cronjobs': cronJob,
};
