// batch/v1 Job and CronJob validation as kube-apiserver v1.32 answers it
// (pkg/apis/batch/validation, functions cited in job.ts and cron.ts), through kubectl 1.32.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../semantics-testkit.js';
import { cronParseError } from './index.js';

function causes(stderr: string): string[] {
  const lines = stderr.trim().split('\n');
  if (lines.length === 1) return [lines[0].replace(/^.* is invalid: /, '')];
  return lines.filter((l) => l.startsWith('* ')).map((l) => l.slice(2));
}

const job = (name: string, spec: string, podSpec = 'restartPolicy: Never, containers: [{name: c, image: busybox}]') => `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
  template:
    spec: {${podSpec}}
${spec}`;

const cronJob = (name: string, spec: string, jobSpec = '') => `apiVersion: batch/v1
kind: CronJob
metadata: {name: ${name}}
spec:
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: OnFailure, containers: [{name: c, image: busybox}]}
${jobSpec}
${spec}`;

describe('batch/v1 validation (upstream v1.32 rules and messages)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
  });
  after(async () => {
    await s.close();
  });

  it('a Job: counts, completion mode, replacement policy, the pod template and its restartPolicy', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], job('bad', `  parallelism: -1
  completions: -2
  backoffLimit: -3
  activeDeadlineSeconds: -4
  ttlSecondsAfterFinished: -5
  completionMode: Sometimes
  podReplacementPolicy: Never
`, 'containers: [{name: C, image: busybox}]'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The Job "bad" is invalid:/);
    assert.deepEqual(causes(r.stderr), [
      'spec.parallelism: Invalid value: -1: must be greater than or equal to 0',
      'spec.completions: Invalid value: -2: must be greater than or equal to 0',
      'spec.activeDeadlineSeconds: Invalid value: -4: must be greater than or equal to 0',
      'spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0',
      'spec.ttlSecondsAfterFinished: Invalid value: -5: must be greater than or equal to 0',
      'spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"',
      'spec.podReplacementPolicy: Unsupported value: "Never": supported values: "Failed", "TerminatingOrFailed"',
      "spec.template.spec.containers[0].name: Invalid value: \"C\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]);
    const idx = await s.kubectl(['apply', '-f', '-'], job('indexed', '  completionMode: Indexed\n  completions: null\n  parallelism: 2\n  backoffLimitPerIndex: 1\n'));
    assert.deepEqual(causes(idx.stderr), ['spec.completions: Required value: when completion mode is Indexed']);
    const nonIdx = await s.kubectl(['apply', '-f', '-'], job('plain', '  maxFailedIndexes: 1\n'));
    assert.deepEqual(causes(nonIdx.stderr), [
      'spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified',
      'spec.maxFailedIndexes: Invalid value: 1: requires indexed completion mode',
    ]);
    const ok = await s.kubectl(['apply', '-f', '-'], job('ok', '  completions: 2\n'));
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('a Job update keeps the template, completions and mode; a suspended, unstarted Job may move its pods', async () => {
    assert.equal((await s.kubectl(['apply', '-f', '-'], job('run', '  completions: 2\n'))).code, 0);
    const tmpl = await s.kubectl(['patch', 'job', 'run', '--type=json', '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx"}]']);
    assert.equal(tmpl.code, 1);
    assert.match(tmpl.stderr, /spec\.template: Invalid value: .*: field is immutable/);
    const counts = await s.kubectl(['patch', 'job', 'run', '-p', '{"spec":{"completions":3,"completionMode":"Indexed"}}']);
    assert.deepEqual(causes(counts.stderr), [
      'spec.completions: Invalid value: 3: can only be modified in tandem with spec.parallelism',
      'spec.completionMode: Invalid value: "Indexed": field is immutable',
    ]);
    const nodeSel = await s.kubectl(['patch', 'job', 'run', '-p', '{"spec":{"template":{"spec":{"nodeSelector":{"zone":"a"}}}}}']);
    assert.equal(nodeSel.code, 1, 'a running Job keeps its scheduling directives');
    assert.equal((await s.kubectl(['apply', '-f', '-'], job('held', '  suspend: true\n'))).code, 0);
    const moved = await s.kubectl(['patch', 'job', 'held', '-p', '{"spec":{"template":{"metadata":{"annotations":{"a":"b"}},"spec":{"nodeSelector":{"zone":"a"},"tolerations":[{"key":"k","operator":"Exists"}]}}}}']);
    assert.equal(moved.code, 0, moved.stderr);
    const image = await s.kubectl(['patch', 'job', 'held', '--type=json', '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx"}]']);
    assert.equal(image.code, 1, 'only the scheduling directives are mutable');
  });

  it('a CronJob: schedule syntax and TZ, time zone, concurrency policy, deadlines, history, job template', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], cronJob('bad', `  schedule: "61 * * * *"
  timeZone: Mars/Olympus
  startingDeadlineSeconds: -1
  concurrencyPolicy: Sometimes
  successfulJobsHistoryLimit: -1
  failedJobsHistoryLimit: -2
`, '      backoffLimit: -1\n      selector: {matchLabels: {a: b}}'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The CronJob "bad" is invalid:/);
    const got = causes(r.stderr);
    assert.deepEqual(got.filter((c) => !c.startsWith('spec.jobTemplate.spec.selector')), [
      'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
      'spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
      'spec.jobTemplate.spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
      'spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
      'spec.failedJobsHistoryLimit: Invalid value: -2: must be greater than or equal to 0',
    ]);
    assert.ok(got.some((c) => /^spec\.jobTemplate\.spec\.selector: Invalid value: .*: `selector` will be auto-generated$/.test(c)), got.join('\n'));
    const tz = await s.kubectl(['apply', '-f', '-'], cronJob('tz', '  schedule: "CRON_TZ=UTC 0 * * * *"\n'));
    assert.deepEqual(causes(tz.stderr), ['spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
    const long = await s.kubectl(['apply', '-f', '-'], cronJob('a'.repeat(53), '  schedule: "@hourly"\n'));
    assert.deepEqual(causes(long.stderr), [`metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`]);
    const ok = await s.kubectl(['apply', '-f', '-'], cronJob('nightly', '  schedule: "30 2 * jan-dec mon-fri"\n  timeZone: Asia/Shanghai\n'));
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('cron parse errors are robfig/cron v3\'s', () => {
    assert.equal(cronParseError('*/5 * * * *'), undefined);
    assert.equal(cronParseError('@every 1h30m'), undefined);
    assert.equal(cronParseError('* * *'), 'expected exactly 5 fields, found 3: [* * *]');
    assert.equal(cronParseError('0 0 * * 7'), 'end of range (7) above maximum (6): 7');
    assert.equal(cronParseError('0 0 0 * *'), 'beginning of range (0) below minimum (1): 0');
    assert.equal(cronParseError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    assert.equal(cronParseError('*/0 * * * *'), 'step of range should be a positive number: */0');
    assert.equal(cronParseError('1-2-3 * * * *'), 'too many hyphens: 1-2-3');
    assert.equal(cronParseError('@fortnightly'), 'unrecognized descriptor: @fortnightly');
    assert.equal(cronParseError('@every 5'), 'failed to parse duration @every 5: time: missing unit in duration "5"');
  });
});
