// The order of a write's steps, as kube-apiserver v1.32's: mutating admission first, then the
// strategy's PrepareForCreate / PrepareForUpdate (rest.BeforeCreate / rest.BeforeUpdate inside
// the storage's Create / Update), validation, then validating admission
// (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go, registry/generic/registry/store.go).
// Observable: what a mutating webhook sets where the strategy owns the field is overridden,
// and what the strategy derives is derived from the admitted object.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';
import { admissionResponse, startWebhookServer, type WebhookServer } from '../webhook-testkit.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';

describe('create and update: strategy after mutating admission', () => {
  let s: ApiServer;
  let wh: WebhookServer;
  let behave: Record<string, (review: Json) => unknown> = {};
  before(async () => {
    s = await startApiServer({ port: 0 });
    wh = await startWebhookServer((path, body) => (behave[path] ?? ((r: Json) => admissionResponse(r)))(body));
  });
  after(async () => {
    await wh.close();
    await s.stop();
  });
  afterEach(async () => {
    behave = {};
    wh.calls.length = 0;
    for (const p of [MWC, VWC]) await call(s, 'DELETE', p);
  });
  const hook = (name: string, path: string, resources: string[], apiGroups = [''], operations = ['CREATE']) => ({
    name,
    clientConfig: { url: `${wh.url}${path}`, caBundle: wh.caBundle },
    rules: [{ operations, apiGroups, apiVersions: ['v1'], resources }],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
  });

  it('a pod create: the strategy resets the status a mutating webhook set and computes the QoS class from its resources', async () => {
    behave['/m'] = (r) => admissionResponse(r, {
      patch: [
        { op: 'add', path: '/status', value: { phase: 'Running', podIP: '10.0.0.9' } },
        { op: 'add', path: '/spec/containers/0/resources', value: { limits: { cpu: '1', memory: '1Gi' } } },
      ],
    });
    assert.equal((await call(s, 'POST', MWC, { metadata: { name: 'm' }, webhooks: [hook('m.example.com', '/m', ['pods'])] })).status, 201);
    assert.equal((await call(s, 'POST', VWC, { metadata: { name: 'v' }, webhooks: [hook('v.example.com', '/v', ['pods'])] })).status, 201);
    const r = await call(s, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    assert.equal(r.status, 201, r.text);
    // PrepareForCreate (pkg/registry/core/pod/strategy.go): Pending, QoS of the admitted spec.
    assert.deepEqual(r.json.status, { phase: 'Pending', qosClass: 'Guaranteed' });
    // The mutating webhook saw neither the uid nor the strategy's status; the validating one both.
    const [m] = wh.callsTo('/m');
    assert.equal(m.body.request.object.metadata.uid, undefined);
    assert.equal(m.body.request.object.status, undefined);
    const [v] = wh.callsTo('/v');
    assert.equal(v.body.request.object.metadata.uid, r.json.metadata.uid);
    assert.deepEqual(v.body.request.object.status, { phase: 'Pending', qosClass: 'Guaranteed' });
  });

  it('a deployment create: the mutating webhook sees no generation, the validating one generation 1 and the reset status', async () => {
    behave['/m'] = (r) => admissionResponse(r, { patch: [{ op: 'add', path: '/status', value: { replicas: 7, readyReplicas: 7 } }] });
    assert.equal((await call(s, 'POST', MWC, { metadata: { name: 'm' }, webhooks: [hook('m.example.com', '/m', ['deployments'], ['apps'])] })).status, 201);
    assert.equal((await call(s, 'POST', VWC, { metadata: { name: 'v' }, webhooks: [hook('v.example.com', '/v', ['deployments'], ['apps'])] })).status, 201);
    const labels = { app: 'd' };
    const r = await call(s, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'd' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.metadata.generation, 1);
    assert.deepEqual(r.json.status, {});
    const [m] = wh.callsTo('/m');
    assert.equal(m.body.request.object.metadata.generation, undefined);
    const [v] = wh.callsTo('/v');
    assert.equal(v.body.request.object.metadata.generation, 1);
    assert.deepEqual(v.body.request.object.status, {});
  });

  it('a job create: the generated selector is made from the object the webhooks left (their template labels kept)', async () => {
    behave['/m'] = (r) => admissionResponse(r, { patch: [{ op: 'add', path: '/spec/template/metadata/labels', value: { team: 'a' } }] });
    assert.equal((await call(s, 'POST', MWC, { metadata: { name: 'm' }, webhooks: [hook('m.example.com', '/m', ['jobs'], ['batch'])] })).status, 201);
    const r = await call(s, 'POST', '/apis/batch/v1/namespaces/default/jobs', {
      metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    assert.equal(r.status, 201, r.text);
    const l = r.json.spec.template.metadata.labels;
    assert.equal(l.team, 'a');
    assert.equal(l['batch.kubernetes.io/controller-uid'], r.json.metadata.uid);
    assert.equal(r.json.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'], r.json.metadata.uid);
    const [m] = wh.callsTo('/m');
    assert.equal(m.body.request.object.spec.selector, undefined);
  });

  it('a secret update: stringData a mutating webhook adds is folded into data by PrepareForUpdate', async () => {
    assert.equal((await call(s, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'sec' }, data: { a: 'MQ==' } })).status, 201);
    behave['/m'] = (r) => admissionResponse(r, { patch: [{ op: 'add', path: '/stringData', value: { b: 'two' } }] });
    assert.equal((await call(s, 'POST', MWC, { metadata: { name: 'm' }, webhooks: [hook('m.example.com', '/m', ['secrets'], [''], ['UPDATE'])] })).status, 201);
    const r = await call(s, 'PATCH', '/api/v1/namespaces/default/secrets/sec', { metadata: { labels: { x: 'y' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.stringData, undefined);
    assert.deepEqual(r.json.data, { a: 'MQ==', b: Buffer.from('two').toString('base64') });
  });

  it('an update: mutating webhooks see the object as the client sent it; the status split and generation come after', async () => {
    behave['/m'] = (r) => admissionResponse(r, { patch: [{ op: 'add', path: '/status/readyReplicas', value: 3 }] });
    const labels = { app: 'u' };
    const c = await call(s, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'u' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((await call(s, 'POST', MWC, { metadata: { name: 'm' }, webhooks: [hook('m.example.com', '/m', ['deployments'], ['apps'], ['UPDATE'])] })).status, 201);
    const body = { ...c.json, metadata: { ...c.json.metadata, labels: { x: 'y' }, generation: 9 }, status: { replicas: 5 } };
    const r = await call(s, 'PUT', '/apis/apps/v1/namespaces/default/deployments/u', body);
    assert.equal(r.status, 200, r.text);
    const [m] = wh.callsTo('/m');
    assert.deepEqual(m.body.request.object.status, { replicas: 5 }, 'the client\'s status, as upstream (BeforeUpdate runs after the admission transformers)');
    assert.equal(m.body.request.object.metadata.generation, 9);
    assert.deepEqual(r.json.status, {}, 'the stored status: a main-resource write changes none of it, the webhook\'s patch included');
    assert.equal(r.json.metadata.generation, 1);
    assert.deepEqual(r.json.metadata.labels, { x: 'y' });
  });

  it('webhook configurations and APIServices are defaulted on decode, before admission and on every write', async () => {
    const r = await call(s, 'POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
      metadata: { name: 'v1.x.example.com' },
      spec: { group: 'x.example.com', version: 'v1', groupPriorityMinimum: 100, versionPriority: 10, insecureSkipTLSVerify: true, service: { namespace: 'default', name: 'x' } },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.spec.service.port, 443);
    assert.equal((await call(s, 'DELETE', '/apis/apiregistration.k8s.io/v1/apiservices/v1.x.example.com')).status, 200);
  });
});
