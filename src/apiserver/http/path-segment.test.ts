// One URL, the wrong objects: names that are dot segments (or decode to them), or hold `/` or
// `%`, must be refused for every verb, never resolved into another path.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requestAttributes } from '../rbac/index.js';
import { type ApiServer, startApiServer } from '../index.js';
import { call, callAs } from '../test-client.js';
import { pathSegmentProblems } from './path-segment.js';

const NS = '/api/v1/namespaces/victim';
const MERGE = { 'Content-Type': 'application/merge-patch+json' };

it('pathSegmentProblems has upstream IsValidPathSegmentName messages', () => {
  assert.deepEqual(pathSegmentProblems('.'), ["may not be '.'"]);
  assert.deepEqual(pathSegmentProblems('..'), ["may not be '..'"]);
  assert.deepEqual(pathSegmentProblems('a/b%c'), ["may not contain '/'", "may not contain '%'"]);
  assert.deepEqual(pathSegmentProblems('system:node:a.b'), []);
});

it('the request gate sees the segments as sent: a dot-segment name stays a name', () => {
  const user = { name: 'u', groups: [] };
  const del = requestAttributes(user, 'DELETE', `${NS}/configmaps/.`);
  assert.deepEqual([del.verb, del.namespace, del.resource, del.name], ['delete', 'victim', 'configmaps', '.']);
  const up = requestAttributes(user, 'DELETE', `${NS}/secrets/%2e%2e`);
  assert.deepEqual([up.verb, up.namespace, up.resource, up.name], ['delete', 'victim', 'secrets', '..']);
  const slash = requestAttributes(user, 'GET', `${NS}/secrets/a%2Fb`);
  assert.deepEqual([slash.verb, slash.resource, slash.name, slash.subresource], ['get', 'secrets', 'a/b', undefined]);
  const back = requestAttributes(user, 'DELETE', `${NS}/configmaps/x\\..`);
  assert.deepEqual([back.verb, back.name], ['delete', 'x\\..']);
  assert.equal(requestAttributes(user, 'GET', '/api/v1/namespaces//configmaps').resourceRequest, false);
});

describe('names that are not path segments', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ tokens: [{ token: 'cm-token', user: 'cm' }] });
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'victim' } });
    for (const name of ['a', 'b']) await call(s, 'POST', `${NS}/configmaps`, { metadata: { name }, data: { k: 'v' } });
    await call(s, 'POST', `${NS}/secrets`, { metadata: { name: 's' }, stringData: { k: 'v' } });
  });
  after(() => s.stop());

  const intact = async () => {
    assert.equal((await call(s, 'GET', NS)).status, 200, 'the namespace is still there');
    const names = (await call(s, 'GET', `${NS}/configmaps`)).json.items.map((o: { metadata: { name: string } }) => o.metadata.name);
    assert.ok(names.includes('a') && names.includes('b'), `configmaps left: ${names}`);
    assert.equal((await call(s, 'GET', `${NS}/secrets/s`)).status, 200);
  };

  it('answers 400 "Name parameter invalid" for every verb, and deletes nothing', async () => {
    const cases: [string, string, string, unknown?][] = [
      ['DELETE', `${NS}/configmaps/.`, "Name parameter invalid: \".\": may not be '.'"],
      ['DELETE', `${NS}/secrets/%2e%2e`, "Name parameter invalid: \"..\": may not be '..'"],
      ['DELETE', `${NS}/secrets/%2E%2e`, "Name parameter invalid: \"..\": may not be '..'"],
      ['DELETE', `${NS}/secrets/..`, "Name parameter invalid: \"..\": may not be '..'"],
      ['GET', `${NS}/configmaps/.`, "Name parameter invalid: \".\": may not be '.'"],
      ['PUT', `${NS}/configmaps/.`, "Name parameter invalid: \".\": may not be '.'", { metadata: { name: '.' } }],
      ['PATCH', `${NS}/configmaps/..`, "Name parameter invalid: \"..\": may not be '..'", {}],
      ['GET', `${NS}/configmaps/a%2Fb`, "Name parameter invalid: \"a/b\": may not contain '/'"],
      ['DELETE', `${NS}/configmaps/a%25b`, "Name parameter invalid: \"a%b\": may not contain '%'"],
      ['DELETE', '/api/v1/namespaces/%2e%2e', "Name parameter invalid: \"..\": may not be '..'"],
      ['DELETE', '/api/v1/namespaces/%2e%2e/configmaps/a', "Namespace parameter invalid: \"..\": may not be '..'"],
      ['DELETE', '/api/v1/namespaces/./configmaps', "Namespace parameter invalid: \".\": may not be '.'"],
    ];
    for (const [method, path, message, body] of cases) {
      const r = await call(s, method, path, body, method === 'PATCH' ? MERGE : {});
      assert.equal(r.status, 400, `${method} ${path}: ${r.text}`);
      assert.equal(r.json.reason, 'BadRequest');
      assert.equal(r.json.message, message, `${method} ${path}`);
    }
    await intact();
  });

  it('never resolves a subresource or backslash into another path (404, nothing deleted)', async () => {
    for (const path of [`${NS}/configmaps/a/..`, `${NS}/configmaps/a/%2e%2e`, `${NS}/configmaps/x\\..`, `${NS}/configmaps/a/.`, '/api/v1/namespaces/victim/secrets/s/../../..']) {
      const r = await call(s, 'DELETE', path);
      assert.equal(r.status, 404, `${path}: ${r.text}`);
    }
    assert.equal((await call(s, 'DELETE', '/api/v1/namespaces//configmaps')).status, 404);
    await intact();
  });

  it('refuses such names in bodies (POST) with 422', async () => {
    for (const name of ['.', '..']) {
      const r = await call(s, 'POST', `${NS}/configmaps`, { metadata: { name } });
      assert.equal(r.status, 422, r.text);
    }
    const role = await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { metadata: { name: '..' }, rules: [] });
    assert.equal(role.status, 422, role.text);
    assert.equal(role.json.message, 'ClusterRole.rbac.authorization.k8s.io ".." is invalid: metadata.name: Invalid value: "..": may not be \'..\'');
    const both = await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { metadata: { name: 'a/b%c' }, rules: [] });
    assert.equal(both.json.message,
      'ClusterRole.rbac.authorization.k8s.io "a/b%c" is invalid: [metadata.name: Invalid value: "a/b%c": may not contain \'/\', metadata.name: Invalid value: "a/b%c": may not contain \'%\']');
    await intact();
  });

  it('the review endpoints read the same parse: a LocalSubjectAccessReview is answered for the decoded namespace RBAC checked', async () => {
    const lsar = (ns: string) => ({
      apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', metadata: { namespace: ns },
      spec: { user: 'cm', resourceAttributes: { namespace: ns, verb: 'get', resource: 'configmaps' } },
    });
    const encoded = await call(s, 'POST', '/apis/authorization.k8s.io/v1/namespaces/vict%69m/localsubjectaccessreviews', lsar('victim'));
    assert.equal(encoded.status, 201, encoded.text);
    const dots = await call(s, 'POST', '/apis/authorization.k8s.io/v1/namespaces/%2e%2e/localsubjectaccessreviews', lsar('..'));
    assert.equal(dots.status, 400, dots.text);
    assert.equal(dots.json.message, "Namespace parameter invalid: \"..\": may not be '..'");
  });

  it('authorizes the name that was sent: a delete of "." is a delete, not a deletecollection', async () => {
    const r = await callAs(s, 'cm-token', 'DELETE', `${NS}/configmaps/.`);
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'configmaps "." is forbidden: User "cm" cannot delete resource "configmaps" in API group "" in the namespace "victim"');
  });
});
