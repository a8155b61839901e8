import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';
import { admissionResponse, startWebhookServer, type WebhookServer } from '../webhook-testkit.js';

const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
const CMS = (ns = 'default') => `/api/v1/namespaces/${ns}/configmaps`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A webhook on configmaps CREATE/UPDATE calling `url` (overrides merge in). */
const hook = (name: string, clientConfig: Json, extra: Json = {}) => ({
  name,
  clientConfig,
  rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  ...extra,
});
const config = (name: string, webhooks: Json[]) => ({ metadata: { name }, webhooks });
const cm = (name: string, extra: Json = {}) => ({ metadata: { name, ...extra }, data: { a: '1' } });

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('admission webhooks', () => {
  let s: ApiServer;
  let wh: WebhookServer;
  /** Per-path behaviour of the webhook server, set by each test. */
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
  const url = (path: string) => ({ url: `${wh.url}${path}`, caBundle: wh.caBundle });

  it('serves the configurations with v1 defaults and upstream validation', async () => {
    const ok = await call(s, 'POST', MWC, config('defaults', [{ ...hook('m.example.com', url('/m')), clientConfig: { service: { namespace: 'default', name: 'svc' } } }]));
    assert.equal(ok.status, 201, ok.text);
    const h = ok.json.webhooks[0];
    assert.equal(h.failurePolicy, 'Fail');
    assert.equal(h.matchPolicy, 'Equivalent');
    assert.equal(h.timeoutSeconds, 10);
    assert.equal(h.reinvocationPolicy, 'Never');
    assert.deepEqual(h.namespaceSelector, {});
    assert.deepEqual(h.objectSelector, {});
    assert.equal(h.rules[0].scope, '*');
    assert.equal(h.clientConfig.service.port, 443);
    const bad = await call(s, 'POST', VWC, config('bad', [{
      name: 'short.name', clientConfig: { url: 'http://x', service: { namespace: 'a', name: 'b' } }, rules: [{ operations: ['GET'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      timeoutSeconds: 31,
    }, { ...hook('dup.example.com', { url: 'http://127.0.0.1/x?q=1' }), sideEffects: 'Some', admissionReviewVersions: ['v2'] }]));
    assert.equal(bad.status, 422);
    const m: string = bad.json.message;
    assert.match(m, /^ValidatingWebhookConfiguration.admissionregistration.k8s.io "bad" is invalid: \[/);
    for (const want of [
      'webhooks[0].name: Invalid value: "short.name": should be a domain with at least three segments separated by dots',
      'webhooks[0].rules[0].operations[0]: Unsupported value: "GET": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"',
      'webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun',
      'webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
      'webhooks[0].clientConfig: Required value: exactly one of url or service is required',
      'webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1',
      'webhooks[1].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
      'webhooks[1].clientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
      'webhooks[1].clientConfig.url: Invalid value: "q=1": query parameters are not permitted in the URL',
      'webhooks[1].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1',
    ]) assert.ok(m.includes(want), `missing ${want} in ${m}`);
    // Values of the wrong JSON type are refused by decoding, as Go's decoder refuses them (400), not a server error.
    const odd = await call(s, 'POST', VWC, config('odd', [{ ...hook('odd.example.com', url('/odd')), rules: [{ operations: 'CREATE', apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }], namespaceSelector: { matchExpressions: [null] } }]));
    assert.equal(odd.status, 400, odd.text);
    assert.match(odd.text, /cannot unmarshal string into Go struct field RuleWithOperations\.webhooks\.rules\.operations of type \[\]string/);
  });

  it('calls mutating webhooks with an AdmissionReview v1 and applies their JSON patches; warnings reach the client', async () => {
    behave['/m'] = (r) => admissionResponse(r, { patch: [{ op: 'add', path: '/metadata/labels', value: { mutated: 'yes' } }, { op: 'add', path: '/bogus', value: 1 }], warnings: ['from the webhook'] });
    assert.equal((await call(s, 'POST', MWC, config('m', [hook('m.example.com', url('/m'))]))).status, 201);
    const r = await call(s, 'POST', `${CMS()}?fieldManager=tester`, cm('one'));
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.metadata.labels, { mutated: 'yes' });
    // Unknown fields a webhook adds are dropped silently (no unknown-field warning), as Go decoding does.
    assert.equal(r.json.bogus, undefined);
    assert.equal(String(r.headers.warning), '299 - "from the webhook"');
    const [c] = wh.callsTo('/m');
    assert.equal(c.body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(c.body.kind, 'AdmissionReview');
    const q = c.body.request;
    assert.match(q.uid, /^[0-9a-f-]{36}$/);
    assert.deepEqual(q.kind, { group: '', version: 'v1', kind: 'ConfigMap' });
    assert.deepEqual(q.resource, { group: '', version: 'v1', resource: 'configmaps' });
    assert.deepEqual(q.requestKind, q.kind);
    assert.deepEqual(q.requestResource, q.resource);
    assert.equal(q.name, 'one');
    assert.equal(q.namespace, 'default');
    assert.equal(q.operation, 'CREATE');
    assert.equal(q.userInfo.username, 'kubernetes-admin');
    assert.ok(q.userInfo.groups.includes('system:masters'));
    assert.equal(q.object.data.a, '1');
    assert.equal(q.object.metadata.uid, undefined);
    assert.equal(q.object.metadata.creationTimestamp, undefined);
    assert.equal(q.oldObject, null);
    assert.equal(q.dryRun, false);
    assert.deepEqual(q.options, { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'tester' });
    // UPDATE carries the old object and UpdateOptions.
    const u = await call(s, 'PUT', `${CMS()}/one`, { ...r.json, data: { a: '2' } });
    assert.equal(u.status, 200, u.text);
    const upd = wh.callsTo('/m')[1].body.request;
    assert.equal(upd.operation, 'UPDATE');
    assert.equal(upd.oldObject.data.a, '1');
    assert.equal(upd.object.data.a, '2');
    assert.equal(upd.options.kind, 'UpdateOptions');
  });

  it('generateName: mutating webhooks see no name yet, validating webhooks the generated one', async () => {
    await call(s, 'POST', MWC, config('gen', [hook('gen.example.com', url('/gen-m'))]));
    await call(s, 'POST', VWC, config('gen', [hook('gen.example.com', url('/gen-v'))]));
    const r = await call(s, 'POST', CMS(), { metadata: { generateName: 'gen-' }, data: {} });
    assert.equal(r.status, 201, r.text);
    assert.match(r.json.metadata.name, /^gen-[a-z0-9]{5}$/);
    const m = wh.callsTo('/gen-m')[0].body.request;
    assert.equal(m.name, undefined);
    assert.equal(m.object.metadata.name, undefined);
    assert.equal(m.object.metadata.generateName, 'gen-');
    const v = wh.callsTo('/gen-v')[0].body.request;
    assert.equal(v.name, r.json.metadata.name);
    assert.equal(v.object.metadata.name, r.json.metadata.name);
    // A namespace created with generateName still gets its name label.
    const ns = await call(s, 'POST', '/api/v1/namespaces', { metadata: { generateName: 'genns-' } });
    assert.equal(ns.status, 201, ns.text);
    assert.equal(ns.json.metadata.labels['kubernetes.io/metadata.name'], ns.json.metadata.name);
  });

  it('a mutating webhook\'s spec change bumps the generation; its status change on a main-resource write is dropped', async () => {
    behave['/deploy'] = (r) => admissionResponse(r, r.request.operation === 'UPDATE' ? { patch: [{ op: 'add', path: '/spec/paused', value: true }, { op: 'add', path: '/status', value: { replicas: 99 } }] } : {});
    await call(s, 'POST', MWC, config('deploy', [{ ...hook('deploy.example.com', url('/deploy')), rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }] }]));
    const d = (await call(s, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    })).json;
    assert.equal(d.metadata.generation, 1);
    const r = await call(s, 'PUT', '/apis/apps/v1/namespaces/default/deployments/d', { ...d, metadata: { ...d.metadata, labels: { touched: 'yes' } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.spec.paused, true);
    assert.equal(r.json.metadata.generation, 2);
    assert.equal(r.json.status?.replicas, undefined);
  });

  it('runs mutating webhooks in configuration-name order and reinvokes IfNeeded ones once after a later change', async () => {
    const order: string[] = [];
    behave['/first'] = (r) => {
      order.push('first');
      return admissionResponse(r, r.request.object.metadata.labels?.first ? {} : { patch: [{ op: 'add', path: '/metadata/labels', value: { ...(r.request.object.metadata.labels ?? {}), first: 'x' } }] });
    };
    behave['/second'] = (r) => {
      order.push('second');
      return admissionResponse(r, r.request.object.metadata.annotations?.second ? {} : { patch: [{ op: 'add', path: '/metadata/annotations', value: { second: 'y' } }] });
    };
    behave['/never'] = (r) => {
      order.push('never');
      return admissionResponse(r);
    };
    await call(s, 'POST', MWC, config('b-second', [hook('second.example.com', url('/second'))]));
    await call(s, 'POST', MWC, config('a-first', [hook('first.example.com', url('/first'), { reinvocationPolicy: 'IfNeeded' }), hook('never.example.com', url('/never'))]));
    const r = await call(s, 'POST', CMS(), cm('reinvoked'));
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(order, ['first', 'never', 'second', 'first']);
    // The reinvoked webhook saw the later webhook's change.
    assert.equal(wh.callsTo('/first')[1].body.request.object.metadata.annotations.second, 'y');
    assert.equal(r.json.metadata.labels.first, 'x');
    assert.equal(r.json.metadata.annotations.second, 'y');
  });

  it('denies through validating webhooks with upstream\'s message and the webhook\'s code, after all of them were asked', async () => {
    behave['/deny'] = (r) => admissionResponse(r, { allowed: false, status: { code: 403, reason: 'Forbidden', message: 'configmaps named "bad" are not allowed' } });
    behave['/bare'] = (r) => admissionResponse(r, { allowed: r.request.object.metadata.name !== 'bare' });
    await call(s, 'POST', VWC, config('v', [
      hook('deny.example.com', url('/deny'), { objectSelector: { matchLabels: { check: 'deny' } } }),
      hook('bare.example.com', url('/bare')),
      hook('allow.example.com', url('/allow')),
    ]));
    let r = await call(s, 'POST', CMS(), cm('bad', { labels: { check: 'deny' } }));
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'admission webhook "deny.example.com" denied the request: configmaps named "bad" are not allowed');
    assert.equal(r.json.reason, 'Forbidden');
    assert.equal(wh.callsTo('/allow').length, 1);
    r = await call(s, 'POST', CMS(), cm('bare'));
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'admission webhook "bare.example.com" denied the request without explanation');
    assert.equal((await call(s, 'GET', `${CMS()}/bare`)).status, 404);
    // An invalid object is refused by its own validation before any validating webhook is asked.
    const asked = wh.calls.length;
    r = await call(s, 'POST', CMS(), cm('invalid', { labels: { 'bad key!': 'x' } }));
    assert.equal(r.status, 422);
    assert.equal(wh.calls.length, asked);
    // Validating webhooks see the object after mutation and may not patch.
    behave['/allow'] = (r2) => ({ ...(admissionResponse(r2) as Json), response: { ...(admissionResponse(r2) as Json).response, patchType: 'JSONPatch', patch: 'W10=' } });
    r = await call(s, 'POST', CMS(), cm('patching-validator'));
    assert.equal(r.status, 500);
    assert.match(r.json.message, /^Internal error occurred: failed calling webhook "allow.example.com": received invalid webhook response: validating webhook may not return response.patch$/);
  });

  it('applies failurePolicy to unreachable and slow webhooks: Fail is a 500, Ignore lets the request through', async () => {
    const port = await closedPort();
    behave['/slow'] = () => 'hang';
    await call(s, 'POST', VWC, config('down', [hook('down.example.com', { url: `https://127.0.0.1:${port}/x`, caBundle: wh.caBundle }, { objectSelector: { matchLabels: { hook: 'down' } } })]));
    await call(s, 'POST', MWC, config('slow', [hook('slow.example.com', url('/slow'), { timeoutSeconds: 1, objectSelector: { matchLabels: { hook: 'slow' } } })]));
    let r = await call(s, 'POST', CMS(), cm('down', { labels: { hook: 'down' } }));
    assert.equal(r.status, 500);
    assert.equal(r.json.reason, 'InternalError');
    assert.equal(r.json.message, `Internal error occurred: failed calling webhook "down.example.com": failed to call webhook: Post "https://127.0.0.1:${port}/x?timeout=10s": dial tcp 127.0.0.1:${port}: connect: connection refused`);
    const started = Date.now();
    r = await call(s, 'POST', CMS(), cm('slow', { labels: { hook: 'slow' } }));
    assert.equal(r.status, 500);
    assert.equal(r.json.message, `Internal error occurred: failed calling webhook "slow.example.com": failed to call webhook: Post "${wh.url}/slow?timeout=1s": context deadline exceeded`);
    assert.ok(Date.now() - started < 5000);
    // Ignore: both requests pass.
    for (const [path, name] of [[VWC, 'down'], [MWC, 'slow']]) {
      const cur = (await call(s, 'GET', `${path}/${name}`)).json;
      cur.webhooks[0].failurePolicy = 'Ignore';
      assert.equal((await call(s, 'PUT', `${path}/${name}`, cur)).status, 200);
    }
    assert.equal((await call(s, 'POST', CMS(), cm('down', { labels: { hook: 'down' } }))).status, 201);
    assert.equal((await call(s, 'POST', CMS(), cm('slow', { labels: { hook: 'slow' } }))).status, 201);
    // A webhook that fails verification of its certificate is a failed call too.
    await call(s, 'POST', VWC, config('untrusted', [hook('untrusted.example.com', { url: `${wh.url}/u` }, { objectSelector: { matchLabels: { hook: 'untrusted' } } })]));
    r = await call(s, 'POST', CMS(), cm('untrusted', { labels: { hook: 'untrusted' } }));
    assert.equal(r.status, 500);
    assert.match(r.json.message, /x509: certificate signed by unknown authority$/);
  });

  it('selects by namespaceSelector (the namespace\'s labels) and objectSelector (new or old object)', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'watched', labels: { webhooks: 'on' } } });
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'ignored' } });
    await call(s, 'POST', VWC, config('sel', [
      hook('ns.example.com', url('/ns'), { namespaceSelector: { matchExpressions: [{ key: 'webhooks', operator: 'In', values: ['on'] }] } }),
      hook('obj.example.com', url('/obj'), { objectSelector: { matchLabels: { pick: 'me' } } }),
    ]));
    await call(s, 'POST', CMS('watched'), cm('a'));
    await call(s, 'POST', CMS('ignored'), cm('b'));
    assert.deepEqual(wh.callsTo('/ns').map((c) => c.body.request.namespace), ['watched']);
    const picked = (await call(s, 'POST', CMS('ignored'), cm('c', { labels: { pick: 'me' } }))).json;
    assert.equal(wh.callsTo('/obj').length, 1);
    // The old object still matches when the update removes the label.
    delete picked.metadata.labels;
    assert.equal((await call(s, 'PUT', `${CMS('ignored')}/c`, picked)).status, 200);
    assert.equal(wh.callsTo('/obj').length, 2);
    // The namespace itself: its own new labels decide.
    await call(s, 'POST', VWC, config('ns-objects', [{ ...hook('nsobj.example.com', url('/nsobj'), { namespaceSelector: { matchLabels: { webhooks: 'on' } } }), rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'] }] }]));
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'labelled', labels: { webhooks: 'on' } } });
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'plain' } });
    assert.deepEqual(wh.callsTo('/nsobj').map((c) => c.body.request.object.metadata.name), ['labelled']);
  });

  it('matches subresources and scopes: pods/status only on status writes', async () => {
    await call(s, 'POST', VWC, config('status', [{ ...hook('status.example.com', url('/status')), rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/status'], scope: 'Namespaced' }] }]));
    const pod = (await call(s, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } })).json;
    assert.equal((await call(s, 'PUT', '/api/v1/namespaces/default/pods/p', { ...pod, metadata: { ...pod.metadata, labels: { a: 'b' } } })).status, 200);
    assert.equal(wh.callsTo('/status').length, 0);
    const cur = (await call(s, 'GET', '/api/v1/namespaces/default/pods/p')).json;
    assert.equal((await call(s, 'PUT', '/api/v1/namespaces/default/pods/p/status', { ...cur, status: { phase: 'Running' } })).status, 200);
    const [c] = wh.callsTo('/status');
    assert.equal(c.body.request.subResource, 'status');
    assert.equal(c.body.request.requestSubResource, 'status');
    assert.deepEqual(c.body.request.kind, { group: '', version: 'v1', kind: 'Pod' });
  });

  it('admits /scale writes as subresource scale with autoscaling/v1 Scale objects; a Scale patch sets the replicas', async () => {
    behave['/scale'] = (r) => admissionResponse(r, { patch: [{ op: 'replace', path: '/spec/replicas', value: r.request.object.spec.replicas + 1 }] });
    await call(s, 'POST', MWC, config('scale', [
      { ...hook('scale.example.com', url('/scale')), rules: [{ operations: ['UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments/scale'] }] },
      { ...hook('main.example.com', url('/main')), rules: [{ operations: ['UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }] },
      // A Scale has no labels: an objectSelector on the deployment's labels does not match it.
      { ...hook('labelled.example.com', url('/labelled'), { objectSelector: { matchLabels: { app: 'scaled' } } }), rules: [{ operations: ['UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments/scale'] }] },
    ]));
    const path = '/apis/apps/v1/namespaces/default/deployments';
    await call(s, 'POST', path, { metadata: { name: 'scaled', labels: { app: 'scaled' } }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } });
    const r = await call(s, 'PATCH', `${path}/scaled/scale`, { spec: { replicas: 3 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.spec.replicas, 4);
    assert.equal((await call(s, 'GET', `${path}/scaled`)).json.spec.replicas, 4);
    assert.equal(wh.callsTo('/main').length, 0);
    assert.equal(wh.callsTo('/labelled').length, 0);
    const q = wh.callsTo('/scale')[0].body.request;
    assert.equal(q.subResource, 'scale');
    assert.deepEqual(q.kind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    assert.deepEqual(q.resource, { group: 'apps', version: 'v1', resource: 'deployments' });
    assert.equal(q.object.kind, 'Scale');
    assert.equal(q.object.spec.replicas, 3);
    assert.equal(q.oldObject.spec.replicas, 1);
  });

  it('admits pods/binding as CREATE of the Binding (may change or refuse it); webhooks on pods UPDATE do not see the bind', async () => {
    // upstream's BindingREST (pkg/registry/core/pod/storage/storage.go): admission of the Binding, then the pod written in storage
    behave['/bind'] = (r) => admissionResponse(r, { patch: [{ op: 'replace', path: '/target/name', value: `${r.request.object.target.name}-patched` }] });
    behave['/deny'] = (r) => admissionResponse(r, r.request.object.target.name === 'no-patched' ? { allowed: false, status: { message: 'not there' } } : {});
    await call(s, 'POST', MWC, config('binding', [
      { ...hook('bind.example.com', url('/bind')), rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/binding'] }] },
      { ...hook('podupdate.example.com', url('/podupdate')), rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }] },
    ]));
    await call(s, 'POST', VWC, config('binding', [{ ...hook('deny.example.com', url('/deny')), rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/binding'] }] }]));
    const pods = '/api/v1/namespaces/default/pods';
    for (const n of ['b1', 'b2']) assert.equal((await call(s, 'POST', pods, { metadata: { name: n }, spec: { containers: [{ name: 'c', image: 'x' }] } })).status, 201);
    const r = await call(s, 'POST', `${pods}/b1/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b1', annotations: { x: 'y' } }, target: { kind: 'Node', name: 'n1' } });
    assert.equal(r.status, 201, r.text);
    const p = (await call(s, 'GET', `${pods}/b1`)).json;
    assert.equal(p.spec.nodeName, 'n1-patched');
    assert.equal(p.metadata.annotations.x, 'y');
    const [m] = wh.callsTo('/bind');
    assert.equal(m.body.request.operation, 'CREATE');
    assert.deepEqual(m.body.request.resource, { group: '', version: 'v1', resource: 'pods' });
    assert.equal(m.body.request.subResource, 'binding');
    assert.deepEqual(m.body.request.kind, { group: '', version: 'v1', kind: 'Binding' });
    assert.equal(m.body.request.name, 'b1');
    assert.equal(m.body.request.object.kind, 'Binding');
    assert.equal(m.body.request.oldObject, null);
    assert.equal(wh.callsTo('/deny')[0].body.request.object.target.name, 'n1-patched', 'validating webhooks see the mutated Binding');
    assert.equal(wh.callsTo('/podupdate').length, 0, 'the bind writes the pod in storage: no pod UPDATE admission');
    const denied = await call(s, 'POST', `${pods}/b2/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b2' }, target: { kind: 'Node', name: 'no' } });
    assert.equal(denied.status, 400, denied.text);
    assert.match(denied.json.message, /admission webhook "deny.example.com" denied the request: not there/);
    assert.equal((await call(s, 'GET', `${pods}/b2`)).json.spec.nodeName, undefined);
  });

  it('admits pods/eviction as CREATE of the Eviction (may change or refuse it); the pod writes that follow are not admitted', async () => {
    // upstream's EvictionREST (pkg/registry/core/pod/storage/eviction.go): the Eviction is admitted, then the
    // DisruptionTarget condition and the delete go to the storage with rest.ValidateAllObjectFunc
    behave['/evict'] = (r) => admissionResponse(r, { patch: [{ op: 'add', path: '/deleteOptions', value: { gracePeriodSeconds: 0, preconditions: { uid: 'not-the-uid' } } }] });
    behave['/deny'] = (r) => admissionResponse(r, r.request.name === 'e2' ? { allowed: false, status: { message: 'keep e2' } } : {});
    const rules = (resources: string[], operations: string[]) => [{ operations, apiGroups: [''], apiVersions: ['v1'], resources }];
    await call(s, 'POST', MWC, config('eviction', [
      { ...hook('evict.example.com', url('/evict')), rules: rules(['pods/eviction'], ['CREATE']) },
      { ...hook('podwrites.example.com', url('/podwrites')), rules: rules(['pods', 'pods/status'], ['UPDATE', 'DELETE']) },
    ]));
    await call(s, 'POST', VWC, config('eviction', [{ ...hook('deny.example.com', url('/deny')), rules: rules(['pods/eviction'], ['CREATE']) }]));
    const pods = '/api/v1/namespaces/default/pods';
    for (const n of ['e1', 'e2']) assert.equal((await call(s, 'POST', pods, { metadata: { name: n }, spec: { containers: [{ name: 'c', image: 'x' }] } })).status, 201);
    const ev = (n: string) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: n } });
    // the mutating webhook's uid precondition reaches the pod writes: a conflict, the pod kept
    const conflict = await call(s, 'POST', `${pods}/e1/eviction`, ev('e1'));
    assert.equal(conflict.status, 409, conflict.text);
    assert.match(conflict.json.message, /^Operation cannot be fulfilled on Pod "e1": the UID in the precondition \(not-the-uid\) does not match the UID in record/);
    const [m] = wh.callsTo('/evict');
    assert.equal(m.body.request.operation, 'CREATE');
    assert.deepEqual(m.body.request.resource, { group: '', version: 'v1', resource: 'pods' });
    assert.equal(m.body.request.subResource, 'eviction');
    assert.deepEqual(m.body.request.kind, { group: 'policy', version: 'v1', kind: 'Eviction' });
    assert.equal(m.body.request.name, 'e1');
    assert.equal(m.body.request.namespace, 'default');
    assert.equal(m.body.request.object.kind, 'Eviction');
    assert.equal(m.body.request.object.metadata.namespace, 'default');
    assert.equal(m.body.request.oldObject, null);
    assert.equal(wh.callsTo('/deny')[0].body.request.object.deleteOptions.preconditions.uid, 'not-the-uid', 'validating webhooks see the mutated Eviction');
    // without the patch the eviction goes through; no webhook sees the DisruptionTarget write or the delete
    behave['/evict'] = (r) => admissionResponse(r);
    const ok = await call(s, 'POST', `${pods}/e1/eviction`, ev('e1'));
    assert.equal(ok.status, 201, ok.text);
    assert.equal((await call(s, 'GET', `${pods}/e1`)).status, 404);
    assert.equal(wh.callsTo('/podwrites').length, 0, 'the eviction writes the pod in storage: no pods UPDATE/DELETE admission');
    const denied = await call(s, 'POST', `${pods}/e2/eviction`, ev('e2'));
    assert.equal(denied.status, 400, denied.text);
    assert.match(denied.json.message, /admission webhook "deny.example.com" denied the request: keep e2/);
    assert.equal((await call(s, 'GET', `${pods}/e2`)).status, 200);
    // the name in the Eviction must be the URL's (checked after mutating admission, as upstream)
    const named = await call(s, 'POST', `${pods}/e2/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: {} });
    assert.equal(named.status, 400, named.text);
    assert.equal(named.json.message, 'name in URL does not match name in Eviction object');
    await call(s, 'DELETE', `${pods}/e2`);
  });

  it('sends DELETE with the old object only; a mutating patch on DELETE is refused', async () => {
    await call(s, 'POST', CMS(), cm('gone'));
    await call(s, 'POST', VWC, config('del', [{ ...hook('del.example.com', url('/del')), rules: [{ operations: ['DELETE'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }] }]));
    assert.equal((await call(s, 'DELETE', `${CMS()}/gone`, { propagationPolicy: 'Background' })).status, 200);
    const [c] = wh.callsTo('/del');
    assert.equal(c.body.request.operation, 'DELETE');
    assert.equal(c.body.request.object, null);
    assert.equal(c.body.request.oldObject.metadata.name, 'gone');
    assert.deepEqual(c.body.request.options, { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', propagationPolicy: 'Background' });
    behave['/mdel'] = (r) => admissionResponse(r, { patch: [{ op: 'add', path: '/metadata/labels', value: { x: 'y' } }] });
    await call(s, 'POST', CMS(), cm('kept'));
    await call(s, 'POST', MWC, config('mdel', [{ ...hook('mdel.example.com', url('/mdel')), rules: [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }] }]));
    const r = await call(s, 'DELETE', `${CMS()}/kept`);
    assert.equal(r.status, 500);
    assert.equal(r.json.message, 'Internal error occurred: admission webhook "mdel.example.com" attempted to modify the object, which is not supported for this operation');
  });

  it('dry-run requests reach webhooks without side effects (dryRun: true) and are refused by those with side effects', async () => {
    await call(s, 'POST', VWC, config('dry', [hook('dry.example.com', url('/dry'), { sideEffects: 'NoneOnDryRun' })]));
    const r = await call(s, 'POST', `${CMS()}?dryRun=All`, cm('dry'));
    assert.equal(r.status, 201, r.text);
    const [c] = wh.callsTo('/dry');
    assert.equal(c.body.request.dryRun, true);
    assert.deepEqual(c.body.request.options.dryRun, ['All']);
    // v1 refuses sideEffects Some on create; objects stored by older API versions may have it.
    const stored = (await call(s, 'GET', `${VWC}/dry`)).json;
    stored.webhooks[0].sideEffects = 'Some';
    await s.store.durable(s.store.put('admissionregistration.k8s.io/validatingwebhookconfigurations', 'dry', stored));
    const refused = await call(s, 'POST', `${CMS()}?dryRun=All`, cm('dry'));
    assert.equal(refused.status, 400);
    assert.equal(refused.json.message, 'admission webhook "dry.example.com" does not support dry run');
    assert.equal(wh.callsTo('/dry').length, 1);
    // Not dry run: called as usual.
    assert.equal((await call(s, 'POST', CMS(), cm('wet'))).status, 201);
    assert.equal(wh.callsTo('/dry').length, 2);
  });

  it('speaks admission.k8s.io/v1beta1 to webhooks that list only it', async () => {
    behave['/beta'] = (r) => ({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', response: { allowed: true, patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/data/beta', value: 'yes' }])).toString('base64') } });
    await call(s, 'POST', MWC, config('beta', [hook('beta.example.com', url('/beta'), { admissionReviewVersions: ['v1beta1'] })]));
    const r = await call(s, 'POST', CMS(), cm('beta'));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.data.beta, 'yes');
    assert.equal(wh.callsTo('/beta')[0].body.apiVersion, 'admission.k8s.io/v1beta1');
  });

  it('calls a webhook behind a Service through its Endpoints, verifying the certificate for <name>.<namespace>.svc', async () => {
    const svcHook = await startWebhookServer((_p, body) => admissionResponse(body, { patch: [{ op: 'add', path: '/data/via', value: 'service' }] }), ['hooks.default.svc']);
    try {
      await call(s, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'hooks' }, spec: { ports: [{ name: 'https', port: 443, targetPort: svcHook.port }] } });
      await call(s, 'POST', MWC, config('svc', [hook('svc.example.com', { service: { namespace: 'default', name: 'hooks', path: '/mutate' }, caBundle: svcHook.caBundle })]));
      let r = await call(s, 'POST', CMS(), cm('no-endpoints'));
      assert.equal(r.status, 500);
      assert.equal(r.json.message, 'Internal error occurred: failed calling webhook "svc.example.com": failed to call webhook: Post "https://hooks.default.svc:443/mutate?timeout=10s": no endpoints available for service "hooks"');
      await call(s, 'POST', '/api/v1/namespaces/default/endpoints', { metadata: { name: 'hooks' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: svcHook.port }] }] });
      r = await call(s, 'POST', CMS(), cm('via-service'));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.data.via, 'service');
      assert.equal(svcHook.callsTo('/mutate').length, 1);
      // Without Endpoints, a ready address of the Service's EndpointSlices.
      await call(s, 'DELETE', '/api/v1/namespaces/default/endpoints/hooks');
      await call(s, 'POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
        metadata: { name: 'hooks-x1', labels: { 'kubernetes.io/service-name': 'hooks' } }, addressType: 'IPv4',
        endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }], ports: [{ name: 'https', port: svcHook.port, protocol: 'TCP' }],
      });
      r = await call(s, 'POST', CMS(), cm('via-slice'));
      assert.equal(r.status, 201, r.text);
      assert.equal(svcHook.callsTo('/mutate').length, 2);
    } finally {
      await svcHook.close();
    }
  });
});
