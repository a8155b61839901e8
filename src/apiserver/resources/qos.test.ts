// status.qosClass as kube-apiserver sets it on create (qos.ts), and the exact quantity values it sums.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';
import { quantityNanos } from '../schema/quantity.js';
import { podQOSClass } from './qos.js';

const pod = (...resources: object[]) => ({ spec: { containers: resources.map((resources, i) => ({ name: `c${i}`, resources })) } });

describe('QoS class', () => {
  it('reads quantities exactly', () => {
    assert.equal(quantityNanos('1'), 1_000_000_000n);
    assert.equal(quantityNanos('1000m'), 1_000_000_000n);
    assert.equal(quantityNanos('0.1'), 100_000_000n);
    assert.equal(quantityNanos('1Gi'), 2n ** 30n * 1_000_000_000n);
    assert.equal(quantityNanos('1.5Ki'), 1536n * 1_000_000_000n);
    assert.equal(quantityNanos('1e3'), 1000n * 1_000_000_000n);
    assert.equal(quantityNanos('1n'), 1n);
    assert.equal(quantityNanos('0.5n'), 1n, 'finer than a billionth rounds up');
    assert.equal(quantityNanos('-2m'), -2_000_000n);
    assert.equal(quantityNanos('lots'), undefined);
    assert.equal(quantityNanos('1e100000'), undefined);
    assert.equal((quantityNanos('100m')! + quantityNanos('200m')!), quantityNanos('300m'), 'sums are exact');
  });

  it('classifies as upstream GetPodQOS', () => {
    assert.equal(podQOSClass(pod({})), 'BestEffort');
    assert.equal(podQOSClass(pod({ requests: { 'ephemeral-storage': '1Gi' } })), 'BestEffort', 'only cpu and memory count');
    assert.equal(podQOSClass(pod({ requests: { cpu: '0' } })), 'BestEffort', 'zero does not count');
    assert.equal(podQOSClass(pod({ requests: { cpu: '100m' } })), 'Burstable');
    assert.equal(podQOSClass(pod({ limits: { cpu: '1', memory: '1Gi' } })), 'Guaranteed', 'requests default to limits');
    assert.equal(podQOSClass(pod({ requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '1', memory: '1Gi' } })), 'Guaranteed');
    assert.equal(podQOSClass(pod({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } })), 'Burstable');
    assert.equal(podQOSClass(pod({ limits: { cpu: '1', memory: '1Gi' } }, {})), 'Burstable', 'every container must limit both');
    assert.equal(podQOSClass(pod({ limits: { cpu: '1' } })), 'Burstable');
    assert.equal(podQOSClass(pod(
      { requests: { cpu: '100m', memory: '1Gi' }, limits: { cpu: '300m', memory: '1Gi' } },
      { requests: { cpu: '200m', memory: '1Gi' }, limits: { cpu: '0', memory: '1Gi' } },
    )), 'Burstable', 'a zero limit is no limit');
  });

  describe('on create', () => {
    let s: ApiServer;
    before(async () => {
      s = await startApiServer({ port: 0 });
    });
    after(async () => {
      await s.stop();
    });

    it('is set by the server and kept through updates of the main resource', async () => {
      const PODS = '/api/v1/namespaces/default/pods';
      const c = await call(s, 'POST', PODS, { metadata: { name: 'g' }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }, status: { qosClass: 'BestEffort' } });
      assert.equal(c.status, 201, c.text);
      assert.equal(c.json.status.qosClass, 'Guaranteed');
      const b = await call(s, 'POST', PODS, { metadata: { name: 'b' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
      assert.equal(b.json.status.qosClass, 'BestEffort');
    });
  });
});
