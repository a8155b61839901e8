// Status bodies byte for byte as kube-apiserver writes them. Clients compare them as text: the
// official Python client's e2e suite (kubernetes-client/python v22.6.0, test_utils.py) asserts
// `str(FailToCreateError)`, which carries the body verbatim. kube-apiserver encodes every JSON
// response with Go's json.Encoder (apimachinery runtime/serializer/json, doEncode), which ends it
// with "\n"; Status fields go in metav1.Status declaration order (kind, apiVersion, metadata,
// status, message, reason, details, code) and StatusDetails in its own (name, group, kind, uid).
// A DELETE answered with a Status carries no code in the body: the generic registry's
// finalizeDelete returns Status{Status: Success, Details} and the delete handler does not fill it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const APISERVICES = '/apis/apiregistration.k8s.io/v1/apiservices';

describe('apiserver Status bytes', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  it('AlreadyExists on create, for a core resource and for a grouped one', async () => {
    assert.equal((await call(s, 'POST', CMS, { metadata: { name: 'dup' } })).status, 201);
    const again = await call(s, 'POST', CMS, { metadata: { name: 'dup' } });
    assert.equal(again.status, 409);
    assert.equal(again.text,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"dup\\" already exists",'
      + '"reason":"AlreadyExists","details":{"name":"dup","kind":"configmaps"},"code":409}\n');

    const svc = { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1alpha1.wardle.k8s.io' },
      spec: { group: 'wardle.k8s.io', version: 'v1alpha1', groupPriorityMinimum: 1000, versionPriority: 15, insecureSkipTLSVerify: true, service: { name: 'api', namespace: 'wardle' } } };
    assert.equal((await call(s, 'POST', APISERVICES, svc)).status, 201);
    const dup = await call(s, 'POST', APISERVICES, svc);
    assert.equal(dup.status, 409);
    assert.equal(dup.text,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"apiservices.apiregistration.k8s.io \\"v1alpha1.wardle.k8s.io\\" already exists",'
      + '"reason":"AlreadyExists","details":{"name":"v1alpha1.wardle.k8s.io","group":"apiregistration.k8s.io","kind":"apiservices"},"code":409}\n');
  });

  it('Conflict on an update with a stale resourceVersion, and NotFound', async () => {
    const created = await call(s, 'POST', CMS, { metadata: { name: 'stale' }, data: { a: '1' } });
    const rv = created.json.metadata.resourceVersion;
    assert.equal((await call(s, 'PUT', `${CMS}/stale`, { metadata: { name: 'stale', resourceVersion: rv }, data: { a: '2' } })).status, 200);
    const conflict = await call(s, 'PUT', `${CMS}/stale`, { metadata: { name: 'stale', resourceVersion: rv }, data: { a: '3' } });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.text,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on configmaps \\"stale\\": '
      + 'the object has been modified; please apply your changes to the latest version and try again",'
      + '"reason":"Conflict","details":{"name":"stale","kind":"configmaps"},"code":409}\n');

    const missing = await call(s, 'GET', `${CMS}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.text,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"nope\\" not found",'
      + '"reason":"NotFound","details":{"name":"nope","kind":"configmaps"},"code":404}\n');
  });

  it('escapes <, > and & as Go\'s json.Encoder does (SetEscapeHTML is on by default)', async () => {
    const missing = await call(s, 'GET', `${CMS}/a%26b%3Cc%3E`);
    assert.equal(missing.status, 404);
    assert.equal(missing.text,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"a\\u0026b\\u003cc\\u003e\\" not found",'
      + '"reason":"NotFound","details":{"name":"a\\u0026b\\u003cc\\u003e","kind":"configmaps"},"code":404}\n');
  });

  it('a DELETE answered with a Status: Success with details, no code in the body', async () => {
    const uid = (await call(s, 'POST', CMS, { metadata: { name: 'gone' } })).json.metadata.uid;
    const del = await call(s, 'DELETE', `${CMS}/gone`);
    assert.equal(del.status, 200);
    assert.equal(del.text,
      `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"gone","kind":"configmaps","uid":"${uid}"}}\n`);
  });
});
