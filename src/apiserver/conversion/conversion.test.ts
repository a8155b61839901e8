import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call, openWatch } from '../test-client.js';
import { admissionResponse, conversionResponse, HttpReply, startWebhookServer, type WebhookServer } from '../webhook-testkit.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const V1 = '/apis/conv.example.com/v1/namespaces/default/widgets';
const V2 = '/apis/conv.example.com/v2/namespaces/default/widgets';
const STORAGE = 'conv.example.com/widgets';

const schema = (spec: Json) => ({ openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: spec } } } });

/** Widgets: v1 (storage) says `size: "10cm"`, v2 says `sizeCm: 10`. */
const crd = (conversion: Json) => ({
  metadata: { name: 'widgets.conv.example.com' },
  spec: {
    group: 'conv.example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', kind: 'Widget' },
    versions: [
      { name: 'v1', served: true, storage: true, schema: schema({ size: { type: 'string' } }) },
      { name: 'v2', served: true, storage: false, schema: schema({ sizeCm: { type: 'integer' } }), additionalPrinterColumns: [{ name: 'Cm', type: 'integer', jsonPath: '.spec.sizeCm' }] },
    ],
    conversion,
  },
});

/** The conversion the webhook implements. */
function convert(o: Json, desired: string): Json {
  const out = { ...o, apiVersion: desired, spec: { ...(o.spec ?? {}) } };
  if (desired.endsWith('/v2') && out.spec.size !== undefined) {
    out.spec.sizeCm = parseInt(out.spec.size, 10);
    delete out.spec.size;
  } else if (desired.endsWith('/v1') && out.spec.sizeCm !== undefined) {
    out.spec.size = `${out.spec.sizeCm}cm`;
    delete out.spec.sizeCm;
  }
  return out;
}

describe('CRD conversion webhooks', () => {
  let s: ApiServer;
  let wh: WebhookServer;
  let behave: ((review: Json) => unknown) | undefined;
  before(async () => {
    s = await startApiServer({ port: 0 });
    wh = await startWebhookServer((path, review) => (path === '/convert' ? (behave ?? ((r: Json) => conversionResponse(r, convert)))(review) : admissionResponse(review)));
    const r = await call(s, 'POST', CRDS, crd({ strategy: 'Webhook', webhook: { clientConfig: { url: `${wh.url}/convert`, caBundle: wh.caBundle }, conversionReviewVersions: ['v1'] } }));
    assert.equal(r.status, 201, r.text);
  });
  after(async () => {
    await wh.close();
    await s.stop();
  });
  afterEach(() => {
    behave = undefined;
    wh.calls.length = 0;
  });

  it('validates spec.conversion as upstream', async () => {
    const bad = { ...crd({ strategy: 'Webhook' }), metadata: { name: 'others.conv.example.com' } };
    bad.spec.names = { plural: 'others', kind: 'Other' };
    let r = await call(s, 'POST', CRDS, bad);
    assert.equal(r.status, 422);
    assert.match(r.json.message, /spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook/);
    assert.match(r.json.message, /spec.conversion.conversionReviewVersions: Required value/);
    bad.spec.conversion = { strategy: 'Webhook', webhook: { clientConfig: { url: 'http://x/convert' }, conversionReviewVersions: ['v3'] } };
    r = await call(s, 'POST', CRDS, bad);
    assert.match(r.json.message, /spec.conversion.webhookClientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme/);
    assert.match(r.json.message, /spec.conversion.conversionReviewVersions: Invalid value: \[\]string\{"v3"\}: must include at least one of v1, v1beta1/);
    bad.spec.conversion = { strategy: 'None', webhook: { conversionReviewVersions: ['v1'] } };
    r = await call(s, 'POST', CRDS, bad);
    assert.match(r.json.message, /spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook/);
  });

  it('stores in the storage version and converts both ways on create, read, update and patch', async () => {
    // Created in v1 (the storage version): no conversion on the way in.
    let r = await call(s, 'POST', V1, { metadata: { name: 'a' }, spec: { size: '10cm' } });
    assert.equal(r.status, 201, r.text);
    r = await call(s, 'GET', `${V2}/a`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.apiVersion, 'conv.example.com/v2');
    assert.deepEqual(r.json.spec, { sizeCm: 10 });
    const [c] = wh.callsTo('/convert');
    assert.equal(c.body.apiVersion, 'apiextensions.k8s.io/v1');
    assert.equal(c.body.kind, 'ConversionReview');
    assert.equal(c.body.request.desiredAPIVersion, 'conv.example.com/v2');
    assert.equal(c.body.request.objects[0].apiVersion, 'conv.example.com/v1');
    // Created in v2: stored as v1, answered as v2.
    r = await call(s, 'POST', V2, { metadata: { name: 'b' }, spec: { sizeCm: 7 } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.spec, { sizeCm: 7 });
    assert.equal(r.json.apiVersion, 'conv.example.com/v2');
    const stored = s.store.get(STORAGE, 'default/b')!.obj as Json;
    assert.equal(stored.apiVersion, 'conv.example.com/v1');
    assert.deepEqual(stored.spec, { size: '7cm' });
    assert.equal((await call(s, 'GET', `${V1}/b`)).json.spec.size, '7cm');
    // Updates through v2 (PUT and merge patch) land in v1.
    const cur = (await call(s, 'GET', `${V2}/b`)).json;
    r = await call(s, 'PUT', `${V2}/b`, { ...cur, spec: { sizeCm: 8 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.spec, { sizeCm: 8 });
    assert.deepEqual((s.store.get(STORAGE, 'default/b')!.obj as Json).spec, { size: '8cm' });
    r = await call(s, 'PATCH', `${V2}/b`, { spec: { sizeCm: 9 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.spec, { sizeCm: 9 });
    assert.equal((await call(s, 'GET', `${V1}/b`)).json.spec.size, '9cm');
    // An update that changes nothing keeps the resourceVersion.
    const again = await call(s, 'PATCH', `${V2}/b`, { spec: { sizeCm: 9 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(again.json.metadata.resourceVersion, r.json.metadata.resourceVersion);
  });

  it('lists in another version with one ConversionReview for the page, also as a Table', async () => {
    for (const n of ['l1', 'l2', 'l3']) await call(s, 'POST', V1, { metadata: { name: n, labels: { list: 'yes' } }, spec: { size: '3cm' } });
    wh.calls.length = 0;
    const r = await call(s, 'GET', `${V2}?labelSelector=list%3Dyes`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.apiVersion, 'conv.example.com/v2');
    assert.deepEqual(r.json.items.map((i: Json) => [i.apiVersion, i.spec.sizeCm]), [['conv.example.com/v2', 3], ['conv.example.com/v2', 3], ['conv.example.com/v2', 3]]);
    assert.equal(wh.callsTo('/convert').length, 1);
    assert.equal(wh.callsTo('/convert')[0].body.request.objects.length, 3);
    const t = await call(s, 'GET', `${V2}?labelSelector=list%3Dyes`, undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.deepEqual(t.json.rows.map((row: Json) => row.cells[1]), [3, 3, 3]);
  });

  it('watches in another version: initial and live events converted, in order', async () => {
    await call(s, 'POST', V1, { metadata: { name: 'w1', labels: { watch: 'yes' } }, spec: { size: '1cm' } });
    const w = openWatch(s, `${V2}?watch=1&labelSelector=watch%3Dyes`);
    assert.equal(await w.status, 200);
    await waitFor(() => w.events.length >= 1);
    await call(s, 'POST', V1, { metadata: { name: 'w2', labels: { watch: 'yes' } }, spec: { size: '2cm' } });
    await call(s, 'PATCH', `${V1}/w1`, { spec: { size: '5cm' } }, { 'Content-Type': 'application/merge-patch+json' });
    await waitFor(() => w.events.length >= 3);
    w.stop();
    assert.deepEqual(w.events.map((e: Json) => [e.type, e.object.apiVersion, e.object.metadata.name, e.object.spec.sizeCm]), [
      ['ADDED', 'conv.example.com/v2', 'w1', 1],
      ['ADDED', 'conv.example.com/v2', 'w2', 2],
      ['MODIFIED', 'conv.example.com/v2', 'w1', 5],
    ]);
  });

  it('streams initial events converted, then the end-of-initial-events bookmark (watch-list)', async () => {
    await call(s, 'POST', V1, { metadata: { name: 'i1', labels: { stream: 'yes' } }, spec: { size: '11cm' } });
    const w = openWatch(s, `${V2}?watch=1&labelSelector=stream%3Dyes&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`);
    await waitFor(() => w.events.some((e: Json) => e.type === 'BOOKMARK'));
    w.stop();
    assert.deepEqual(w.events[0].object.spec, { sizeCm: 11 });
    assert.equal(w.events[1].type, 'BOOKMARK');
    assert.equal(w.events[1].object.metadata.annotations['k8s.io/initial-events-end'], 'true');
  });

  it('fails with upstream\'s message when the webhook fails or answers wrongly; a watch ends with an ERROR event', async () => {
    await call(s, 'POST', V1, { metadata: { name: 'e' }, spec: { size: '4cm' } });
    behave = (r) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response: { uid: r.request.uid, result: { status: 'Failure', message: 'cannot convert e' } } });
    let r = await call(s, 'GET', `${V2}/e`);
    assert.equal(r.status, 500);
    assert.equal(r.json.message, 'conversion webhook for conv.example.com/v1, Kind=Widget failed: cannot convert e');
    behave = (rv) => conversionResponse(rv, (o) => ({ ...o }));
    r = await call(s, 'GET', `${V2}/e`);
    assert.equal(r.json.message, 'conversion webhook for conv.example.com/v1, Kind=Widget returned invalid converted object at index 0: invalid groupVersion (expected conv.example.com/v2, received conv.example.com/v1)');
    behave = () => new HttpReply(503, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 503, message: 'busy' });
    r = await call(s, 'POST', V2, { metadata: { name: 'f' }, spec: { sizeCm: 1 } });
    assert.equal(r.status, 500);
    assert.equal(r.json.message, `conversion webhook for conv.example.com/v2, Kind=Widget failed: Post "${wh.url}/convert?timeout=30s": busy`);
    assert.equal((await call(s, 'GET', `${V1}/f`)).status, 404);
    const w = openWatch(s, `${V2}?watch=1&fieldSelector=metadata.name%3De`);
    await w.ended;
    assert.equal(w.events.at(-1).type, 'ERROR');
    assert.equal(w.events.at(-1).object.code, 500);
  });

  it('matchPolicy Equivalent calls a webhook registered for v1 on a v2 request, with the object in v1', async () => {
    const hook = (name: string, matchPolicy: string) => ({
      name, matchPolicy, clientConfig: { url: `${wh.url}/${name}`, caBundle: wh.caBundle }, sideEffects: 'None', admissionReviewVersions: ['v1'],
      rules: [{ operations: ['CREATE'], apiGroups: ['conv.example.com'], apiVersions: ['v1'], resources: ['widgets'] }],
    });
    const cfg = { metadata: { name: 'equivalent' }, webhooks: [hook('equivalent.example.com', 'Equivalent'), hook('exact.example.com', 'Exact')] };
    assert.equal((await call(s, 'POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg)).status, 201);
    try {
      const r = await call(s, 'POST', V2, { metadata: { name: 'eq' }, spec: { sizeCm: 6 } });
      assert.equal(r.status, 201, r.text);
      assert.equal(wh.callsTo('/exact.example.com').length, 0);
      const [c] = wh.callsTo('/equivalent.example.com');
      const q = c.body.request;
      assert.deepEqual(q.kind, { group: 'conv.example.com', version: 'v1', kind: 'Widget' });
      assert.deepEqual(q.resource, { group: 'conv.example.com', version: 'v1', resource: 'widgets' });
      assert.deepEqual(q.requestKind, { group: 'conv.example.com', version: 'v2', kind: 'Widget' });
      assert.deepEqual(q.requestResource, { group: 'conv.example.com', version: 'v2', resource: 'widgets' });
      assert.equal(q.object.apiVersion, 'conv.example.com/v1');
      assert.deepEqual(q.object.spec, { size: '6cm' });
    } finally {
      await call(s, 'DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/equivalent');
    }
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
