// batch/v1 Job and CronJob validation as kube-apiserver v1.32's pkg/apis/batch/validation does it.
export { validateCronJob, validateJobRules, validateJobSpecFields } from './job.js';
export { cronParseError } from './cron.js';
