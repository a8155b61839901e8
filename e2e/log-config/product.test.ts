// productCode/productLang: in ACK they name a product's logstore (the dashboards and indexes
// ACK sets up for its own products, e.g. the Ingress access logs). This controller creates no
// product resources, so an object asking for one is refused with a clear message instead of
// being synced as if the fields were absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alc, apply, eventually, eventsFor, fileSpec, getAlc, ready, slsConfig,
  type LogEnv,
  withLogController,
} from './harness.js';

let env: LogEnv;
withLogController((e) => { env = e; });

test('an object with productCode is refused with a clear message, never silently synced without it', async () => {
  assert.equal((await apply(env, alc('ingress-logs', fileSpec('ingress-logs', { productCode: 'k8s-nginx-ingress', productLang: 'en' })))).code, 0);
  const o = await eventually('refused', async () => {
    const x = await getAlc(env, 'ingress-logs');
    return x?.status?.statusCode === 'ProductNotSupported' ? x : undefined;
  });
  assert.match(o.status.message, /spec\.productCode "k8s-nginx-ingress"/);
  assert.match(o.status.message, /remove spec\.productCode/);
  assert.equal(o.status.conditions.find((c: any) => c.type === 'Ready').status, 'False');
  assert.ok((await eventsFor(env, 'ingress-logs')).some((e) => e.type === 'Warning' && e.reason === 'SLS.LogController.ResolveSpec.Fail'));
  assert.equal((await slsConfig(env, 'ingress-logs')), undefined, 'nothing created in SLS');
  // without the product fields the same object syncs
  assert.equal((await apply(env, alc('ingress-logs', fileSpec('ingress-logs')))).code, 0);
  await eventually('synced', async () => ready(await getAlc(env, 'ingress-logs')));
});
