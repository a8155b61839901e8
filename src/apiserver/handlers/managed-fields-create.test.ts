// A create's managedFields record the object as upstream decoded it: for a custom resource, its
// undeclared fields pruned and its schema's defaults applied (both happen in the decoder upstream,
// before the field manager), not the fields the client sent and the server then dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer } from '../index.js';
import { call } from '../test-client.js';

test('a custom resource\'s create records its pruned and defaulted fields, not the dropped ones', async () => {
  const s = await startApiServer({ port: 0 });
  try {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.ex.io' },
      spec: {
        group: 'ex.io', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'string', default: 'm' }, color: { type: 'string' } } } } } } }],
      },
    };
    assert.equal((await call(s, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status, 201);
    const base = '/apis/ex.io/v1/namespaces/default/widgets';
    for (let i = 0; (await call(s, 'GET', base)).status !== 200; i++) {
      assert.ok(i < 200, 'the CRD is served');
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const name of ['a', 'b']) { // (the second create may reuse the first's FieldsV1)
      const r = await call(s, 'POST', `${base}?fieldManager=maker`, { apiVersion: 'ex.io/v1', kind: 'Widget', metadata: { name }, spec: { color: 'red', junk: 1 } });
      assert.equal(r.status, 201);
      assert.deepEqual(r.json.spec, { color: 'red', size: 'm' });
      assert.deepEqual(r.json.metadata.managedFields.map((e: { manager: string; fieldsV1: unknown }) => [e.manager, e.fieldsV1]), [
        ['maker', { 'f:spec': { 'f:color': {}, 'f:size': {} } }],
      ]);
    }
  } finally {
    await s.stop();
  }
});
