// CRD schemas a client can abuse: malformed junctors and properties (crashed the CRD
// validation with 500, or were stored), backtracking patterns (a 33-byte value stalled the
// server for 22 s) and large list-type sets (checked in quadratic time).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { eventually } from '../semantics-testkit.js';
import { call } from '../test-client.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

function crd(plural: string, schema: unknown) {
  const kind = plural[0].toUpperCase() + plural.slice(1, -1);
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.schemas.example.com` },
    spec: {
      group: 'schemas.example.com', scope: 'Namespaced', names: { plural, kind },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
    },
  };
}

describe('CRD schemas', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  it('refuses malformed allOf, not and properties with a 4xx and stores nothing', async () => {
    const bad: [string, unknown][] = [
      ['allofstrs', { type: 'object', allOf: 'x' }],
      ['allofnums', { type: 'object', allOf: [1] }],
      ['notstrs', { type: 'object', not: 'x' }],
      ['propstrs', { type: 'object', properties: 'x' }],
    ];
    for (const [plural, schema] of bad) {
      const r = await call(s, 'POST', CRDS, crd(plural, schema));
      assert.equal(r.status, 400, `${plural}: ${r.text}`);
      assert.equal(r.json.reason, 'BadRequest');
      assert.match(r.json.message, /^CustomResourceDefinition in version "v1" cannot be handled as a CustomResourceDefinition: json: cannot unmarshal/);
      assert.equal((await call(s, 'GET', `${CRDS}/${plural}.schemas.example.com`)).status, 404);
    }
  });

  it('refuses schemas server-side apply and scale cannot use (found by fuzzing: they crashed later writes)', async () => {
    const spec = (props: unknown) => ({ type: 'object', properties: { spec: { type: 'object', properties: props } } });
    const cases: [string, unknown, string][] = [
      ['itemsnums', spec({ l: { type: 'array', items: 5 } }), 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[l].items'],
      ['itemslists', spec({ l: { type: 'array', items: [{ type: 'string' }] } }), 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[l].items'],
      ['nullprops', spec({ a: null }), 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[a].type'],
      ['refs', spec({ a: { type: 'string', $ref: '#/x' } }), 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[a].$ref'],
      ['itemprops', spec({ l: { type: 'array', items: { type: 'object', properties: { a: 5 } } } }), 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[l].items.properties[a]'],
      ['itemjunctors', spec({ l: { type: 'array', items: { type: 'string', allOf: [5], not: 'x' } } }), 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[l].items.allOf[0]'],
    ];
    for (const [plural, schema, field] of cases) {
      const r = await call(s, 'POST', CRDS, crd(plural, schema));
      assert.equal(r.status, 422, `${plural}: ${r.text}`);
      assert.equal(r.json.details.causes[0].field, field);
    }
    const scaled = crd('scaleds', { type: 'object' }) as { spec: { versions: Record<string, unknown>[] } };
    scaled.spec.versions[0].subresources = { scale: {} };
    const r = await call(s, 'POST', CRDS, scaled);
    assert.equal(r.status, 422, r.text);
    assert.deepEqual(r.json.details.causes.map((c: { field: string }) => c.field), ['spec.versions[0].subresources.scale.specReplicasPath', 'spec.versions[0].subresources.scale.statusReplicasPath']);
  });

  it('refuses patterns RE2 does not accept at CRD creation, with upstream wording', async () => {
    const r = await call(s, 'POST', CRDS, crd('lookaheads', { type: 'object', properties: { spec: { type: 'string', pattern: '(?=a)b' } } }));
    assert.equal(r.status, 422, r.text);
    assert.equal(r.json.details.causes[0].field, 'spec.versions[0].schema.openAPIV3Schema.properties[spec].pattern');
    assert.match(r.json.details.causes[0].message, /must be a valid regular expression, but isn't: error parsing regexp: invalid or unsupported Perl syntax: `\(\?=`/);
  });

  it('matches patterns in linear time and checks list-type sets in linear time', async () => {
    const schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            word: { type: 'string', pattern: '^(a+)+$' },
            tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'integer' } },
          },
        },
      },
    };
    assert.equal((await call(s, 'POST', CRDS, crd('redoses', schema))).status, 201);
    const path = '/apis/schemas.example.com/v1/namespaces/default/redoses';
    await eventually(async () => (await call(s, 'GET', path)).status === 200, 'custom resources served');
    const cr = (name: string, spec: unknown) => ({ apiVersion: 'schemas.example.com/v1', kind: 'Redose', metadata: { name }, spec });

    let t = performance.now();
    const r = await call(s, 'POST', path, cr('slow', { word: `${'a'.repeat(32)}!` }));
    assert.ok(performance.now() - t < 1000, `pattern took ${performance.now() - t} ms`);
    assert.equal(r.status, 422);
    assert.match(r.json.message, /spec\.word in body should match '\^\(a\+\)\+\$'/);
    assert.equal((await call(s, 'POST', path, cr('fine', { word: 'aaaa' }))).status, 201);

    t = performance.now();
    const tags = Array.from({ length: 60_000 }, (_, i) => i);
    assert.equal((await call(s, 'POST', path, cr('many', { tags }))).status, 201);
    const dup = await call(s, 'POST', path, cr('dup', { tags: [...tags, 59_999] }));
    assert.ok(performance.now() - t < 2000, `set checks took ${performance.now() - t} ms`);
    assert.equal(dup.status, 422);
    assert.equal(dup.json.details.causes[0].field, 'spec.tags[60000]');
    assert.match(dup.json.details.causes[0].message, /^Duplicate value: 59999/);
  });

  it('refuses a custom resource whose kind is not a string with 400 (found by fuzzing: it answered 500)', async () => {
    const r = await call(s, 'POST', '/apis/schemas.example.com/v1/namespaces/default/redoses', {
      apiVersion: 'schemas.example.com/v1', kind: [{ toString: true }], metadata: { name: 'badkind' }, spec: {},
    });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.message, /TypeMeta\.kind of type string/);
  });
});
