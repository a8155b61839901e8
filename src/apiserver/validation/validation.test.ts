import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';
import { unknownBuiltinFields } from './index.js';

const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const deployment = (name: string, extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx', ...container }] } }, ...extra },
});

describe('unknown fields of built-in kinds', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  it('finds unknown fields at any depth, not in maps', () => {
    const obj = { apiVersion: 'apps/v1', kind: 'Deployment', ...deployment('x', { replicaz: 2 }, { imag: 'typo' }) };
    (obj.metadata as Record<string, unknown>).labels = { 'any-key': 'fine' };
    assert.deepEqual(unknownBuiltinFields({ group: 'apps', version: 'v1', kind: 'Deployment' }, obj).sort(), ['spec.replicaz', 'spec.template.spec.containers[0].imag']);
    assert.deepEqual(unknownBuiltinFields({ group: '', version: 'v1', kind: 'ConfigMap' }, { metadata: { name: 'x' }, data: { anything: 'goes' } }), []);
  });

  it('Strict refuses with 400, Warn drops with a Warning header, Ignore drops silently', async () => {
    let r = await call(s, 'POST', `${DEPLOYS}?fieldValidation=Strict`, deployment('strict', { replicaz: 2 }));
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replicaz"');
    r = await call(s, 'POST', `${DEPLOYS}?fieldValidation=Warn`, deployment('warn', {}, { imag: 'typo' }));
    assert.equal(r.status, 201);
    assert.equal(r.json.spec.template.spec.containers[0].imag, undefined);
    assert.match(String(r.headers.warning), /unknown field \\"spec.template.spec.containers\[0\].imag\\"/);
    r = await call(s, 'POST', DEPLOYS, deployment('default', { replicaz: 2 }));
    assert.equal(r.status, 201, 'unset means Warn');
    assert.equal(r.json.spec.replicaz, undefined);
    r = await call(s, 'POST', `${DEPLOYS}?fieldValidation=Ignore`, deployment('ignore', { replicaz: 2 }));
    assert.equal(r.status, 201);
    assert.equal(r.headers.warning, undefined);
    // Patches are checked on their result too.
    r = await call(s, 'PATCH', `${DEPLOYS}/ignore?fieldValidation=Strict`, { spec: { pause: true } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /unknown field "spec.pause"/);
  });
});
