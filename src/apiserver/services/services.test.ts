import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';

const SVCS = '/api/v1/namespaces/default/services';
const svc = (name: string, spec: Record<string, unknown>) => ({ metadata: { name }, spec: { ports: [{ port: 80, targetPort: 8080 }], selector: { app: name }, ...spec } });

describe('service IP and node port allocation', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  it('allocates distinct cluster IPs from 10.96.0.0/12 and keeps them on update', async () => {
    const a = (await call(s, 'POST', SVCS, svc('a', {}))).json;
    const b = (await call(s, 'POST', SVCS, svc('b', {}))).json;
    assert.match(a.spec.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    assert.notEqual(a.spec.clusterIP, b.spec.clusterIP);
    assert.deepEqual(a.spec.clusterIPs, [a.spec.clusterIP]);
    assert.deepEqual(a.spec.ipFamilies, ['IPv4']);
    assert.equal(a.spec.type, 'ClusterIP');
    assert.deepEqual(a.status, { loadBalancer: {} });
    // A PUT without clusterIP keeps the allocated one; changing it is refused.
    const put = await call(s, 'PUT', `${SVCS}/a`, { ...a, spec: { ...a.spec, clusterIP: undefined, clusterIPs: undefined } });
    assert.equal(put.status, 200);
    assert.equal(put.json.spec.clusterIP, a.spec.clusterIP);
    const change = await call(s, 'PUT', `${SVCS}/a`, { ...put.json, spec: { ...put.json.spec, clusterIP: '10.96.9.9', clusterIPs: ['10.96.9.9'] } });
    assert.equal(change.status, 422);
  });

  it('honours a requested free IP, refuses a taken or out-of-range one, keeps headless', async () => {
    let r = await call(s, 'POST', SVCS, svc('fixed', { clusterIP: '10.96.100.100' }));
    assert.equal(r.json.spec.clusterIP, '10.96.100.100');
    r = await call(s, 'POST', SVCS, svc('dup', { clusterIP: '10.96.100.100' }));
    assert.equal(r.status, 422);
    assert.match(r.json.message, /provided IP is already allocated/);
    r = await call(s, 'POST', SVCS, svc('out', { clusterIP: '192.168.0.1' }));
    assert.equal(r.status, 422);
    r = await call(s, 'POST', SVCS, svc('headless', { clusterIP: 'None' }));
    assert.equal(r.json.spec.clusterIP, 'None');
    r = await call(s, 'POST', SVCS, { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
    assert.equal(r.json.spec.clusterIP, undefined);
  });

  it('allocates node ports for NodePort and LoadBalancer services', async () => {
    const np = (await call(s, 'POST', SVCS, svc('np', { type: 'NodePort' }))).json;
    const p = np.spec.ports[0].nodePort;
    assert.ok(p >= 30000 && p <= 32767);
    assert.equal(np.spec.externalTrafficPolicy, 'Cluster');
    const lb = (await call(s, 'POST', SVCS, svc('lb', { type: 'LoadBalancer' }))).json;
    assert.notEqual(lb.spec.ports[0].nodePort, p);
    let r = await call(s, 'POST', SVCS, { metadata: { name: 'np2' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: p }] } });
    assert.equal(r.status, 422);
    assert.match(r.json.message, /provided port is already allocated/);
    // Patching another field keeps the node port.
    r = await call(s, 'PATCH', `${SVCS}/np`, { metadata: { labels: { x: 'y' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(r.json.spec.ports[0].nodePort, p);
    // Switching to ClusterIP releases node ports.
    r = await call(s, 'PATCH', `${SVCS}/np`, { spec: { type: 'ClusterIP' } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.spec.ports[0].nodePort, undefined);
  });
});
