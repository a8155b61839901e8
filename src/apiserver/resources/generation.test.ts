// metadata.generation only on the kinds whose upstream strategy keeps one (generation.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';
import { BUILTIN_GENERATION } from './generation.js';
import { BUILTIN_RESOURCES } from './builtins.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const PODS = '/api/v1/namespaces/default/pods';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
const VWCS = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
const MERGE = { 'Content-Type': 'application/merge-patch+json' };

const deployment = (name: string) => ({
  metadata: { name },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
});

describe('metadata.generation', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  it('names only served resources', () => {
    const served = new Set(Object.entries(BUILTIN_RESOURCES).flatMap(([gv, rs]) => rs.map((r) => `${gv.includes('/') ? gv.split('/')[0] : ''}/${r}`)));
    for (const k of Object.keys(BUILTIN_GENERATION)) assert.ok(served.has(k), k);
  });

  it('a ConfigMap has none, after create and updates', async () => {
    const c = await call(s, 'POST', CMS, { metadata: { name: 'nogen' }, data: { a: '1' } });
    assert.equal(c.status, 201);
    assert.equal(c.json.metadata.generation, undefined);
    const u = await call(s, 'PUT', `${CMS}/nogen`, { ...c.json, data: { a: '2' } });
    assert.equal(u.status, 200);
    assert.equal(u.json.data.a, '2');
    assert.equal(u.json.metadata.generation, undefined);
    const p = await call(s, 'PATCH', `${CMS}/nogen`, { data: { b: '3' }, metadata: { generation: 7 } }, MERGE);
    assert.equal(p.status, 200);
    assert.equal(p.json.metadata.generation, undefined, 'an update cannot set it');
  });

  it('a Pod has none (v1.32), even when its spec changes', async () => {
    const c = await call(s, 'POST', PODS, { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } });
    assert.equal(c.status, 201);
    assert.equal(c.json.metadata.generation, undefined);
    const p = await call(s, 'PATCH', `${PODS}/p`, { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    assert.equal(p.status, 200);
    assert.equal(p.json.spec.containers[0].image, 'nginx:2');
    assert.equal(p.json.metadata.generation, undefined);
  });

  it('a generation sent on create of a kind without one is kept as sent and then fixed', async () => {
    const c = await call(s, 'POST', CMS, { metadata: { name: 'sent', generation: 5 }, data: { a: '1' } });
    assert.equal(c.status, 201);
    assert.equal(c.json.metadata.generation, 5);
    const u = await call(s, 'PUT', `${CMS}/sent`, { ...c.json, metadata: { ...c.json.metadata, generation: 9 }, data: { a: '2' } });
    assert.equal(u.json.metadata.generation, 5);
    const bad = await call(s, 'POST', CMS, { metadata: { name: 'neg', generation: -1 } });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.details.causes[0].field, 'metadata.generation');
  });

  it('a Deployment gets 1, then 2 on a spec change and 3 on an annotation change, not on a label change', async () => {
    const c = await call(s, 'POST', DEPLOYS, { ...deployment('d'), metadata: { name: 'd', generation: 42 } });
    assert.equal(c.status, 201);
    assert.equal(c.json.metadata.generation, 1, 'the client cannot choose it');
    const spec = await call(s, 'PATCH', `${DEPLOYS}/d`, { spec: { replicas: 3 } }, MERGE);
    assert.equal(spec.json.metadata.generation, 2);
    const labels = await call(s, 'PATCH', `${DEPLOYS}/d`, { metadata: { labels: { x: 'y' } } }, MERGE);
    assert.notEqual(labels.json.metadata.resourceVersion, spec.json.metadata.resourceVersion);
    assert.equal(labels.json.metadata.generation, 2);
    const ann = await call(s, 'PATCH', `${DEPLOYS}/d`, { metadata: { annotations: { a: 'b' } } }, MERGE);
    assert.equal(ann.json.metadata.generation, 3, 'deployment strategy: annotations bump too');
    const st = await call(s, 'PATCH', `${DEPLOYS}/d/status`, { status: { replicas: 3 } }, MERGE);
    assert.equal(st.status, 200);
    assert.equal(st.json.metadata.generation, 3, 'status writes do not bump');
  });

  it('an EndpointSlice bumps on endpoints and labels; a webhook configuration on webhooks only', async () => {
    const e = await call(s, 'POST', SLICES, { metadata: { name: 'es' }, addressType: 'IPv4', endpoints: [], ports: [] });
    assert.equal(e.status, 201);
    assert.equal(e.json.metadata.generation, 1);
    const ep = await call(s, 'PATCH', `${SLICES}/es`, { endpoints: [{ addresses: ['10.0.0.1'] }] }, MERGE);
    assert.equal(ep.json.metadata.generation, 2);
    const lab = await call(s, 'PATCH', `${SLICES}/es`, { metadata: { labels: { a: 'b' } } }, MERGE);
    assert.equal(lab.json.metadata.generation, 3);
    const ann = await call(s, 'PATCH', `${SLICES}/es`, { metadata: { annotations: { a: 'b' } } }, MERGE);
    assert.equal(ann.json.metadata.generation, 3);

    const v = await call(s, 'POST', VWCS, { metadata: { name: 'vw' }, webhooks: [] });
    assert.equal(v.status, 201);
    assert.equal(v.json.metadata.generation, 1);
    const vl = await call(s, 'PATCH', `${VWCS}/vw`, { metadata: { labels: { a: 'b' } } }, MERGE);
    assert.equal(vl.json.metadata.generation, 1);
  });
});
