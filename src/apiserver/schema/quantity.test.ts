// Quantities in canonical form, as kube-apiserver stores and returns those of built-in kinds
// (quantity.ts canonicalQuantity; cases from apimachinery's quantity_test.go).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';
import { canonicalQuantity, roundUpToMilli } from './quantity.js';

// TestQuantityParseEmit, the alternates of TestQuantityString and the rounding rows of TestQuantityParse
const CANONICAL: Record<string, string> = {
  '1Ki': '1Ki', '1Mi': '1Mi', '1Gi': '1Gi', '1024Mi': '1Gi', '1000M': '1G', '.001Ki': '1024m', '.000001Ki': '1024u',
  '.000000001Ki': '1024n', '.000000000001Ki': '2n', '307200Ki': '300Mi', '1025024Mi': '1001Gi', '1024Gi': '1Ti',
  '5000m': '5', '0.5': '500m', '0.001T': '1G', '1000u': '1m', '1.08': '1080m', '1080000000n': '1080m', '1000E': '1e21',
  '.001e12': '1e9', '0.001e0': '1e-3', '1000e-12': '1e-9', '00': '0', '3.001n': '4n', '1.1E-9': '2e-9',
  '0.00000012345': '124n', '9Ei': '9223372036854775807', '12E': '12E', '100.035Ki': '102435840m', '0.5Mi': '512Ki',
  '1.G': '1G', '.0001k': '100m', '1025': '1025', '80e-3': '80e-3', '300e6': '300e6', '1.5Gi': '1536Mi', '1000': '1k',
};

describe('canonical quantities', () => {
  it('are what apimachinery emits', () => {
    for (const [input, want] of Object.entries(CANONICAL)) {
      assert.equal(canonicalQuantity(input), want, input);
      assert.equal(canonicalQuantity(`-${input}`), want === '0' ? '0' : `-${want}`, `-${input}`);
    }
    assert.equal(canonicalQuantity('lots'), undefined);
  });

  describe('in a built-in object', () => {
    let s: ApiServer;
    before(async () => {
      s = await startApiServer({ port: 0 });
    });
    after(async () => {
      await s.stop();
    });

    it('are stored and returned canonical, a JSON number too', async () => {
      const c = await call(s, 'POST', '/api/v1/namespaces/default/pods', {
        metadata: { name: 'q' },
        spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '1000m', memory: 2 }, limits: { cpu: 1.5, memory: '1024Mi' } } }] },
      });
      assert.equal(c.status, 201, c.text);
      assert.deepEqual(c.json.spec.containers[0].resources, { requests: { cpu: '1', memory: '2' }, limits: { cpu: '1500m', memory: '1Gi' } });
      const got = await call(s, 'GET', '/api/v1/namespaces/default/pods/q');
      assert.deepEqual(got.json.spec.containers[0].resources.limits, { cpu: '1500m', memory: '1Gi' });
      const rq = await call(s, 'POST', '/api/v1/namespaces/default/resourcequotas', { metadata: { name: 'rq' }, spec: { hard: { 'requests.cpu': '2000m', pods: '10' } } });
      assert.equal(rq.status, 201, rq.text);
      assert.deepEqual(rq.json.spec.hard, { 'requests.cpu': '2', pods: '10' });
    });
  });
});

describe('rounding up to milli scale (Quantity.RoundUp(-3), SetDefaults_ResourceList)', () => {
  it('rounds a finer value away from zero to the next thousandth, keeping the format', () => {
    const cases: Record<string, string> = {
      '1n': '1m', '999999n': '1m', '999999999n': '1', '1000001n': '2m', '0.0001': '1m', '1.0001': '1001m', '-1u': '-1m', '-1.0001': '-1001m',
      '1500u': '2m', '1e-7': '1e-3', '1.5': '1500m', '100m': '100m', '1Gi': '1Gi', '0.5Ki': '512', '1.0001Ki': '1024103m', '0': '0', '1n0': '1n0',
    };
    for (const [text, want] of Object.entries(cases)) assert.equal(roundUpToMilli(text), want, text);
  });
});
