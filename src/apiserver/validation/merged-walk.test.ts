/**
 * A create of a built-in kind walks its schema once: the Go decoding's type check also collects
 * the undeclared fields (schema/decode.ts), which BuiltinFieldValidation then takes instead of
 * walking the object again. Property test: on many random objects of every built-in kind (known
 * fields, undeclared ones at any depth, nulls, wrong types, quantities and int-or-strings good
 * and bad), the one walk gives the decoding's error and object exactly as before, and, when the
 * object decodes, the undeclared fields the second walk finds: same paths, same order, the same
 * parent objects. Custom resources are not part of this: their decoding checks only metadata,
 * and the CRD layer prunes against their structural schema.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StatusError } from '../../api/index.js';
import { startApiServer, type ApiServer } from '../index.js';
import { builtinDecoder, type BuiltinDecoder, builtinSchemaNode, type UnknownField } from '../schema/index.js';
import { kindDefinitions, loadBuiltinDefinitions } from '../schema/openapi-files.js';
import { call } from '../test-client.js';
import { unknownBuiltinFields } from './index.js';
import { seededRandom } from '../../testing/index.js';

/** mulberry32 (kubeloop/testing): the same cases on every run. */
const rng = seededRandom;

type Schema = { $ref?: string; type?: string; format?: string; properties?: Record<string, Schema>; additionalProperties?: Schema | boolean; items?: Schema };

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

function generator(definitions: Record<string, Schema>, r: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const odd = (): unknown => pick([{}, [], 'x', 7, 1.5, true, [1, 'a'], { a: { b: null } }]);
  const unknownKey = () => pick(['foo', 'replicaz', 'imag', 'x1', 'extra', 'Name', 'spec2']);
  const free = (depth: number): unknown => (depth > 3 ? pick(['s', 1, true, null]) : pick([() => 's', () => 2, () => null, () => ({ k: free(depth + 1) }), () => [free(depth + 1)]])());

  const value = (s: Schema, depth: number): unknown => {
    if (r() < 0.04) return null;
    if (r() < 0.03) return odd();
    if (s.$ref) {
      const name = s.$ref.replace('#/definitions/', '');
      if (name === QUANTITY) return pick(['1', '100m', '1Gi', '1000m', '0.5', 2, 0.25, 'bad!', '1e3', '+1', '']);
      if (name === INT_OR_STRING) return pick([1, 'http', '80%', 2.5, 0, -1]);
      return value(definitions[name] ?? {}, depth);
    }
    if (s.properties || s.type === 'object') {
      const o: Record<string, unknown> = {};
      if (s.properties) {
        for (const [k, p] of Object.entries(s.properties)) {
          if (r() < (depth < 3 ? 0.35 : 0.12) && depth < 7) o[k] = value(p, depth + 1);
        }
      }
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        const n = Math.floor(r() * 3);
        for (let i = 0; i < n; i++) o[`key${i}`] = value(s.additionalProperties, depth + 1);
      }
      if (s.properties && r() < 0.2) o[unknownKey()] = r() < 0.5 ? free(depth) : { nested: free(depth), more: [free(depth)] };
      return o;
    }
    switch (s.type) {
      case 'array': {
        const n = depth < 6 ? Math.floor(r() * 3) : 0;
        return Array.from({ length: n }, () => value(s.items ?? {}, depth + 1));
      }
      case 'string':
        return pick(['a', 'nginx', '2024-01-01T00:00:00Z', 'TCP']);
      case 'integer':
        return pick([0, 1, 3, 80, 2.5]);
      case 'number':
        return pick([0, 1.5, 3]);
      case 'boolean':
        return r() < 0.5;
      default:
        return free(depth);
    }
  };
  return value;
}

/** The object at `path` (`a.b[0].c`) without its last segment: the undeclared field's parent. */
function parentAt(root: unknown, path: string): unknown {
  const segs = path.match(/[^.[\]]+|\[\d+\]/g)!;
  let v = root as Record<string, unknown>;
  for (const seg of segs.slice(0, -1)) v = (seg.startsWith('[') ? (v as unknown as unknown[])[Number(seg.slice(1, -1))] : v[seg]) as Record<string, unknown>;
  return v;
}

describe('one schema walk for decoding and undeclared fields', () => {
  it('gives the same error, object and undeclared fields as the two walks, on random objects of every built-in kind', () => {
    const doc = loadBuiltinDefinitions();
    const definitions = doc.definitions as Record<string, Schema>;
    const r = rng(20261207);
    const gen = generator(definitions, r);
    let cases = 0;
    let withUnknown = 0;
    let refused = 0;
    for (const [key, def] of kindDefinitions(doc)) {
      const [group, version, kind] = key.split('/');
      const gvk = { group, version, kind };
      const decode: BuiltinDecoder | undefined = builtinDecoder(gvk);
      if (!decode || !builtinSchemaNode(gvk)) continue;
      for (let i = 0; i < 60; i++) {
        const obj = gen(definitions[def], 0);
        if (!obj || typeof obj !== 'object' || Array.isArray(obj)) continue;
        const text = JSON.stringify({ apiVersion: group ? `${group}/${version}` : version, kind, ...obj });
        const twice = JSON.parse(text) as Record<string, unknown>;
        const once = JSON.parse(text) as Record<string, unknown>;
        const errTwice: StatusError | undefined = decode(twice);
        const found: UnknownField[] = [];
        const errOnce: StatusError | undefined = decode(once, found);
        cases++;
        assert.equal(errOnce?.message, errTwice?.message, `${key}: ${text}`);
        assert.deepEqual(once, twice, `${key}: the decoded object`);
        if (errTwice) {
          refused++;
          continue;
        }
        // the second walk, on the decoded object, as BuiltinFieldValidation made it
        const walked = unknownBuiltinFields(gvk, once);
        assert.deepEqual(found.map((u) => u.path), walked, `${key}: ${text}`);
        for (const u of found) {
          assert.equal(u.parent, parentAt(once, u.path), `${key}: parent of ${u.path}`);
          assert.ok(Object.hasOwn(u.parent, u.key));
        }
        if (found.length) withUnknown++;
      }
    }
    // the cases cover every branch: refused bodies, undeclared fields, clean ones
    assert.ok(cases > 5000, `${cases} cases`);
    assert.ok(withUnknown > 500, `${withUnknown} with undeclared fields`);
    assert.ok(refused > 500, `${refused} refused`);
    assert.ok(cases - refused - withUnknown > 500, 'clean objects');
  });
});

describe('undeclared fields of a create whose decoding found them', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });
  const CMS = '/api/v1/namespaces/default/configmaps';
  const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { a: 'b' }, ...extra }, data: { k: 'v' } });

  it('Strict refuses with 400 naming them in order, Warn drops them with warnings, Ignore silently', async () => {
    let r = await call(s, 'POST', `${CMS}?fieldValidation=Strict`, { ...cm('strict', { annotationz: { x: '1' } }), dataz: 1 });
    assert.equal(r.status, 400);
    assert.match(String(r.json.message), /strict decoding error: unknown field "metadata.annotationz", unknown field "dataz"/);
    r = await call(s, 'POST', CMS, { ...cm('warn'), dataz: 1, immutable: false });
    assert.equal(r.status, 201);
    assert.equal(r.json.dataz, undefined);
    assert.equal(r.json.immutable, false);
    assert.match(String(r.headers.warning), /unknown field \\"dataz\\"/);
    r = await call(s, 'POST', `${CMS}?fieldValidation=Ignore`, { ...cm('ignore'), dataz: 1 });
    assert.equal(r.status, 201);
    assert.equal(r.json.dataz, undefined);
    assert.equal(r.headers.warning, undefined);
  });

  it('a type error is answered before undeclared fields, as Go decodes before strict checks', async () => {
    const r = await call(s, 'POST', `${CMS}?fieldValidation=Strict`, { ...cm('typed'), dataz: 1, data: { k: 5 } });
    assert.equal(r.status, 400);
    assert.match(String(r.json.message), /cannot unmarshal number into Go struct field ConfigMap.data.k of type string/);
  });

  it('a namespace that is not there is a 404 before undeclared fields are refused', async () => {
    const r = await call(s, 'POST', '/api/v1/namespaces/nowhere/configmaps?fieldValidation=Strict', { ...cm('x'), dataz: 1 });
    assert.equal(r.status, 404);
  });
});
