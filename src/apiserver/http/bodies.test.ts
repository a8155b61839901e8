// Malformed and hostile request bodies get kube-apiserver's 4xx Status before any effect:
// regressions found by fuzzing the built-in API server (each crashed a handler with 500 or
// changed state before refusing).
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call, collect, type RawResponse } from '../test-client.js';
import { lengthDelimited as ld, varintField as vi } from '../protobuf/encode.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const deepObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

function assertStatus(r: RawResponse, code: number, reason: string): void {
  assert.equal(r.status, code, r.text.slice(0, 300));
  assert.equal(r.json?.kind, 'Status', r.text.slice(0, 300));
  assert.equal(r.json.reason, reason, r.text.slice(0, 300));
}

/** A GET with the request target exactly as given (URL objects would normalize `//`). */
function rawGet(s: ApiServer, path: string): Promise<RawResponse> {
  const cert = Buffer.from(/client-certificate-data: (\S+)/.exec(s.kubeconfig)![1], 'base64').toString();
  const key = Buffer.from(/client-key-data: (\S+)/.exec(s.kubeconfig)![1], 'base64').toString();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, path, method: 'GET', ca: s.caPem, cert, key, servername: 'localhost' }, (res) => collect(res, resolve, reject));
    req.on('error', reject);
    req.end();
  });
}


/** A protobuf ConfigMap whose metadata.creationTimestamp is `seconds`. */
function protobufConfigMap(name: string, seconds: bigint): Buffer {
  const typeMeta = ld(1, Buffer.concat([ld(1, Buffer.from('v1')), ld(2, Buffer.from('ConfigMap'))]));
  const meta = Buffer.concat([ld(1, Buffer.from(name)), ld(8, vi(1, seconds))]);
  return Buffer.concat([Buffer.from('k8s\0', 'binary'), typeMeta, ld(2, ld(1, meta))]);
}

describe('apiserver request bodies', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
    await call(s, 'POST', CMS, { metadata: { name: 'target' } });
  });
  after(async () => {
    await s.stop();
  });

  it('refuses 10k-level nesting in JSON, YAML and every patch type with 400', async () => {
    assertStatus(await call(s, 'POST', CMS, `{"metadata":{"name":"deep"},"data":${deepObject(10_000)}}`), 400, 'BadRequest');
    assertStatus(await call(s, 'POST', CMS, `{"metadata":{"name":"deep"},"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`), 400, 'BadRequest');
    assertStatus(await call(s, 'POST', CMS, `metadata: {name: deep}\nx: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, { 'Content-Type': 'application/yaml' }), 400, 'BadRequest');
    const patches: [string, string][] = [
      ['application/merge-patch+json', `{"x":${deepObject(10_000)}}`],
      ['application/strategic-merge-patch+json', `{"x":${deepObject(10_000)}}`],
      ['application/json-patch+json', `[{"op":"add","path":"/x","value":${deepObject(10_000)}}]`],
      ['application/apply-patch+yaml', `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"target"},"x":${deepObject(10_000)}}`],
    ];
    for (const [ct, body] of patches) assertStatus(await call(s, 'PATCH', `${CMS}/target?fieldManager=t`, body, { 'Content-Type': ct }), 400, 'BadRequest');
    assert.equal((await call(s, 'GET', `${CMS}/deep`)).status, 404);
  });

  it('refuses YAML aliases that recurse or expand exponentially with 400', async () => {
    const yaml = { 'Content-Type': 'application/yaml' };
    assertStatus(await call(s, 'POST', CMS, 'metadata: &m {name: loop, labels: *m}\n', yaml), 400, 'BadRequest');
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [p, c] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g']]) laughs.push(`${c}: &${c} [${Array(9).fill(`*${p}`).join(',')}]`);
    assertStatus(await call(s, 'POST', CMS, `${laughs.join('\n')}\nmetadata: {name: lol}\n`, yaml), 400, 'BadRequest');
  });

  it('does not let a YAML body write warnings to the server log (unknown directives and tags)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const r = await call(s, 'POST', CMS, '%FOO bar\n---\nmetadata: {name: directive}\ndata: {a: !weird x}\n', { 'Content-Type': 'application/yaml' });
      assert.equal(r.status, 201, r.text);
      const patch = await call(s, 'PATCH', `${CMS}/directive?fieldManager=t`, '%FOO bar\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: directive}\ndata: {b: !odd y}\n', { 'Content-Type': 'application/apply-patch+yaml' });
      assert.equal(patch.status, 200, patch.text);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('answers wrong JSON types with the Go decoder 400, before defaults or admission run', async () => {
    for (const [path, name] of [['/api/v1/namespaces/default/pods', 'p'], ['/api/v1/namespaces/default/services', 's'], ['/api/v1/namespaces', 'n']]) {
      const r = await call(s, 'POST', path, { metadata: { name }, spec: 'x' });
      assertStatus(r, 400, 'BadRequest');
      assert.match(r.json.message, /cannot unmarshal string into Go struct field \w+\.spec of type v1\.\w+Spec/);
    }
  });

  it('refuses a quantity that does not parse with ParseQuantity\'s 400, on create and on update', async () => {
    const pod = (cpu: unknown) => ({ metadata: { name: 'q' }, spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu, memory: '64Mi' } } }] } });
    const r = await call(s, 'POST', '/api/v1/namespaces/default/pods', pod('lots'));
    assertStatus(r, 400, 'BadRequest');
    assert.equal(r.json.message, `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
    const bad = await call(s, 'POST', '/api/v1/namespaces/default/pods', { ...pod('1Qi'), spec: { ...pod('1Qi').spec, nodeName: 7 } });
    assertStatus(bad, 400, 'BadRequest');
    assert.match(bad.json.message, /quantities must match/, 'the quantity error stops decoding and wins over a saved type error');
    const suffix = await call(s, 'POST', '/api/v1/namespaces/default/pods', pod('1e'));
    assertStatus(suffix, 400, 'BadRequest');
    assert.match(suffix.json.message, /: unable to parse quantity's suffix$/);
    const ok = await call(s, 'POST', '/api/v1/namespaces/default/pods', pod(0.5));
    assert.equal(ok.status, 201, 'a JSON number is a quantity');
    const stored = (await call(s, 'GET', '/api/v1/namespaces/default/pods/q')).json;
    stored.spec.containers[0].resources.requests.cpu = 'lots';
    assertStatus(await call(s, 'PUT', '/api/v1/namespaces/default/pods/q', stored), 400, 'BadRequest');
    await call(s, 'DELETE', '/api/v1/namespaces/default/pods/q');
  });

  it('refuses null bodies of pods/binding, pods/eviction and namespaces/finalize with 400', async () => {
    await call(s, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'pod1' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    assertStatus(await call(s, 'POST', '/api/v1/namespaces/default/pods/pod1/binding', 'null'), 400, 'BadRequest');
    assertStatus(await call(s, 'POST', '/api/v1/namespaces/default/pods/pod1/eviction', 'null'), 400, 'BadRequest');
    assertStatus(await call(s, 'PUT', '/api/v1/namespaces/default/finalize', 'null'), 400, 'BadRequest');
    assert.equal((await call(s, 'GET', '/api/v1/namespaces/default/pods/pod1')).status, 200);
  });

  it('refuses a TokenReview whose token is not a string with 400', async () => {
    for (const token of [{ a: 1 }, 12, ['x']]) {
      const r = await call(s, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
      assertStatus(r, 400, 'BadRequest');
      assert.match(r.json.message, /TokenReviewSpec\.spec\.token of type string/);
    }
  });

  it('refuses protobuf timestamps outside 0001..9999 with 400', async () => {
    const pb = { 'Content-Type': 'application/vnd.kubernetes.protobuf' };
    assertStatus(await call(s, 'POST', CMS, protobufConfigMap('pb-late', 1n << 62n), pb), 400, 'BadRequest');
    assertStatus(await call(s, 'POST', CMS, protobufConfigMap('pb-early', -(1n << 62n)), pb), 400, 'BadRequest');
    assert.equal((await call(s, 'POST', CMS, protobufConfigMap('pb-ok', 1_700_000_000n), pb)).status, 201);
  });

  it('warns about an unknown field named outside Latin-1 instead of failing the write', async () => {
    const r = await call(s, 'POST', CMS, { metadata: { name: 'cyrillic' }, ключ: 1 });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.warning, '299 - "unknown field \\"\\u043a\\u043b\\u044e\\u0447\\""');
  });

  it('caps Warning headers as kube-apiserver does (4096 characters, then 256 per warning)', async () => {
    const fields = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`f${i}${'x'.repeat(300)}`, 1]));
    const r = await call(s, 'POST', CMS, { metadata: { name: 'many-warnings' }, ...fields });
    assert.equal(r.status, 201);
    const header = String(r.headers.warning);
    assert.ok(header.length < 4096 + 64 * 40, `Warning headers are ${header.length} bytes`);
    assert.match(header, /^299 - "unknown field \\"f0x+"/);
  });

  it('answers an authenticated GET // with 404, not 500', async () => {
    assertStatus(await rawGet(s, '//'), 404, 'NotFound');
    assertStatus(await rawGet(s, '//x'), 404, 'NotFound');
  });

  it('decodes null list items as Go zero values (a Service port null is an empty port, not a crash)', async () => {
    // The empty port then fails ValidateService (422), as upstream; a server-side apply of one too.
    const r = await call(s, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'nullport' }, spec: { type: 'NodePort', ports: [{ port: 80 }, null] } });
    assert.equal(r.status, 422, r.text);
    assert.ok(r.json.details.causes.some((c: { field: string; message: string }) => c.field === 'spec.ports[1].port' && c.message === 'Invalid value: 0: must be between 1 and 65535, inclusive'), r.text);
    assert.equal((await call(s, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'nullport' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } })).status, 201);
    const apply = await call(s, 'PATCH', '/api/v1/namespaces/default/services/nullport?fieldManager=t', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nullport' }, spec: { ports: [null] } }, { 'Content-Type': 'application/apply-patch+yaml' });
    assert.ok(apply.status < 500, apply.text);
  });

  it('type-checks a PUT body before reading its name (a name object that cannot be printed)', async () => {
    const r = await call(s, 'PUT', `${CMS}/target`, { metadata: { name: { toString: 1 } } });
    assertStatus(r, 400, 'BadRequest');
    assert.match(r.json.message, /ObjectMeta\.metadata\.name of type string/);
  });

  it('answers CONNECT with 405 instead of resetting the connection', async () => {
    const cert = Buffer.from(/client-certificate-data: (\S+)/.exec(s.kubeconfig)![1], 'base64').toString();
    const key = Buffer.from(/client-key-data: (\S+)/.exec(s.kubeconfig)![1], 'base64').toString();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: s.port, path: CMS, method: 'CONNECT', ca: s.caPem, cert, key, servername: 'localhost' });
      req.on('connect', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 405);
  });

  it('refuses metadata.finalizers that is not a list, so no undeletable object is stored', async () => {
    const r = await call(s, 'POST', CMS, { metadata: { name: 'fin', finalizers: 'x' } });
    assertStatus(r, 400, 'BadRequest');
    assert.match(r.json.message, /ObjectMeta\.metadata\.finalizers of type \[\]string/);
    assertStatus(await call(s, 'PATCH', `${CMS}/target`, { metadata: { finalizers: 'x' } }, { 'Content-Type': 'application/merge-patch+json' }), 400, 'BadRequest');
    assert.equal((await call(s, 'GET', `${CMS}/target`)).json.metadata.finalizers, undefined);
  });

  it('validates DeleteOptions of a deletecollection before deleting anything', async () => {
    for (const n of ['dc1', 'dc2', 'dc3']) await call(s, 'POST', CMS, { metadata: { name: n, labels: { dc: 'yes' } } });
    for (const bad of [{ gracePeriodSeconds: 'x' }, { gracePeriodSeconds: 1.5 }, { propagationPolicy: 7 }, { preconditions: 'x' }]) {
      assertStatus(await call(s, 'DELETE', `${CMS}?labelSelector=dc`, bad), 400, 'BadRequest');
    }
    assert.equal((await call(s, 'GET', `${CMS}?labelSelector=dc`)).json.items.length, 3);
    // A grace period of centuries marks the objects (no invalid date, no 500).
    await call(s, 'POST', CMS, { metadata: { name: 'long-grace', finalizers: ['example.com/keep'] } });
    assert.equal((await call(s, 'DELETE', `${CMS}/long-grace`, { gracePeriodSeconds: 9_000_000_000_000 })).status, 200);
  });

  it('limits request bodies to 3 MiB (413) and annotations to 256 KiB (422)', async () => {
    const big = await call(s, 'POST', CMS, { metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024) } });
    assertStatus(big, 413, 'RequestEntityTooLarge');
    assert.equal(big.json.message, 'Request entity too large: limit is 3145728');
    const annotated = await call(s, 'POST', CMS, { metadata: { name: 'annotated', annotations: { a: 'x'.repeat(256 * 1024) } } });
    assertStatus(annotated, 422, 'Invalid');
    assert.equal(annotated.json.details.causes[0].field, 'metadata.annotations');
    assert.equal((await call(s, 'POST', CMS, { metadata: { name: 'annotated', annotations: { a: 'x'.repeat(256 * 1024 - 1) } } })).status, 201);
  });
});
