// Job validation (strategies.ts, upstream pkg/apis/batch/validation ValidateJob): the generated
// selector and template labels of a Job without `manualSelector`, and the selector matching the
// template labels, with upstream's 422 messages.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';

const JOBS = '/apis/batch/v1/namespaces/default/jobs';
const podSpec = { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] };

describe('Job validation: ValidateGeneratedSelector', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  it('a selector of its own without manualSelector is a 422: `selector` not auto-generated', async () => {
    const r = await call(s, 'POST', JOBS, { metadata: { name: 'own' }, spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: podSpec } } });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.json.reason, 'Invalid');
    // The strategy's generateSelector adds the controller-uid key to the selector sent, as upstream's.
    const uid = /"batch.kubernetes.io\/controller-uid":"([0-9a-f-]+)"/.exec(r.json.message)?.[1];
    assert.ok(uid, r.json.message);
    assert.equal(
      r.json.message,
      `Job.batch "own" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x", "batch.kubernetes.io/controller-uid":"${uid}"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: \`selector\` not auto-generated`,
    );
    assert.equal((await call(s, 'GET', `${JOBS}/own`)).status, 404);
  });

  it('a template label that disagrees with the generated one is a 422 naming the label', async () => {
    const r = await call(s, 'POST', JOBS, { metadata: { name: 'clash' }, spec: { template: { metadata: { labels: { 'job-name': 'other' } }, spec: podSpec } } });
    assert.equal(r.status, 422, r.text);
    const uid = /"controller-uid":"([0-9a-f-]+)"/.exec(r.json.message)?.[1];
    assert.ok(uid, r.json.message);
    const labels = `map[string]string{"batch.kubernetes.io/controller-uid":"${uid}", "batch.kubernetes.io/job-name":"clash", "controller-uid":"${uid}", "job-name":"other"}`;
    assert.equal(r.json.message, `Job.batch "clash" is invalid: spec.template.metadata.labels[job-name]: Invalid value: ${labels}: must be 'clash'`);
    assert.equal(r.json.details.causes.length, 1);
    assert.equal(r.json.details.causes[0].field, 'spec.template.metadata.labels[job-name]');
  });

  it('manualSelector: true keeps its own selector, which must still match the template labels', async () => {
    const ok = await call(s, 'POST', JOBS, { metadata: { name: 'manual' }, spec: { manualSelector: true, selector: { matchLabels: { app: 'm' } }, template: { metadata: { labels: { app: 'm' } }, spec: podSpec } } });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.json.spec.selector, { matchLabels: { app: 'm' } });
    const bad = await call(s, 'POST', JOBS, { metadata: { name: 'manual-bad' }, spec: { manualSelector: true, selector: { matchLabels: { app: 'm' } }, template: { metadata: { labels: { app: 'n' } }, spec: podSpec } } });
    assert.equal(bad.status, 422, bad.text);
    assert.equal(bad.json.message, 'Job.batch "manual-bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"n"}: `selector` does not match template `labels`');
    const none = await call(s, 'POST', JOBS, { metadata: { name: 'manual-none' }, spec: { manualSelector: true, template: { spec: podSpec } } });
    assert.equal(none.status, 422, none.text);
    assert.equal(none.json.message, 'Job.batch "manual-none" is invalid: spec.selector: Required value');
  });

  it('a Job without selector or labels gets the generated ones and passes; updates keep passing', async () => {
    const r = await call(s, 'POST', JOBS, { metadata: { name: 'plain' }, spec: { template: { spec: podSpec } } });
    assert.equal(r.status, 201, r.text);
    const u = await call(s, 'PATCH', `${JOBS}/plain`, { metadata: { labels: { extra: 'yes' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(u.status, 200, u.text);
  });
});
