import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { eventually } from '../semantics-testkit.js';
import { call } from '../test-client.js';

const SVC = '/api/v1/namespaces/default/services/kubernetes';
const EP = '/api/v1/namespaces/default/endpoints/kubernetes';
const SLICE = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes';

describe('the default/kubernetes Service (kubernetesservice controller)', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  it('exists from the start with the first service IP, port 443 -> the secure port', async () => {
    const r = await call(s, 'GET', SVC);
    assert.equal(r.status, 200);
    const svc = r.json;
    assert.deepEqual(svc.metadata.labels, { component: 'apiserver', provider: 'kubernetes' });
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.equal(svc.spec.clusterIP, '10.96.0.1');
    assert.equal(svc.spec.sessionAffinity, 'None');
    assert.equal(svc.spec.selector, undefined);
    assert.deepEqual(svc.spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: s.port }]);
  });

  it('has Endpoints and an EndpointSlice with the advertised address and port', async () => {
    const ep = (await call(s, 'GET', EP)).json;
    assert.deepEqual(ep.metadata.labels, { 'endpointslice.kubernetes.io/skip-mirror': 'true' });
    assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: s.port, protocol: 'TCP' }] }]);
    const slice = (await call(s, 'GET', SLICE)).json;
    assert.deepEqual(slice.metadata.labels, { 'kubernetes.io/service-name': 'kubernetes' });
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.endpoints, [{ addresses: ['127.0.0.1'], conditions: { ready: true } }]);
    assert.deepEqual(slice.ports, [{ name: 'https', port: s.port, protocol: 'TCP' }]);
  });

  it('keeps the first service IP for itself: no other Service gets it', async () => {
    const r = await call(s, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'thief' }, spec: { clusterIP: '10.96.0.1', ports: [{ port: 80 }] } });
    assert.equal(r.status, 422);
    assert.match(r.json.message, /already allocated/);
  });

  it('comes back when deleted, and its endpoints are put back when changed', async () => {
    for (const path of [SVC, EP, SLICE]) {
      const before = (await call(s, 'GET', path)).json.metadata.uid;
      assert.equal((await call(s, 'DELETE', path)).status, 200);
      await eventually(async () => {
        const r = await call(s, 'GET', path);
        return r.status === 200 && r.json.metadata.uid !== before;
      }, `${path} re-created`);
    }
    assert.equal((await call(s, 'GET', SVC)).json.spec.clusterIP, '10.96.0.1');
    const ep = (await call(s, 'GET', EP)).json;
    ep.subsets[0].addresses = [{ ip: '10.0.0.9' }];
    assert.equal((await call(s, 'PUT', EP, ep)).status, 200);
    await eventually(async () => (await call(s, 'GET', EP)).json.subsets?.[0]?.addresses?.[0]?.ip === '127.0.0.1', 'endpoints reset');
  });
});
