import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forbiddenMessage, requestAttributes } from './attributes.js';
import { ruleAllows } from './rules.js';

const user = { name: 'u', groups: [] };

it('derives verbs and scopes from requests as upstream RequestInfo does', () => {
  const a = (m: string, url: string) => requestAttributes(user, m, url);
  assert.equal(a('GET', '/api/v1/pods').verb, 'list');
  assert.equal(a('GET', '/api/v1/pods?watch=true').verb, 'watch');
  assert.equal(a('GET', '/api/v1/watch/namespaces/x/pods').verb, 'watch');
  assert.equal(a('DELETE', '/api/v1/namespaces/x/pods').verb, 'deletecollection');
  assert.deepEqual({ ...a('POST', '/api/v1/namespaces/x/pods/p/eviction'), user: undefined }, {
    user: undefined, verb: 'create', resourceRequest: true, apiGroup: '', apiVersion: 'v1', namespace: 'x', resource: 'pods', subresource: 'eviction', name: 'p',
  });
  assert.equal(a('GET', '/api/v1/namespaces/kube-system').namespace, 'kube-system');
  assert.deepEqual(a('GET', '/apis/apps/v1'), { user, verb: 'get', resourceRequest: false, path: '/apis/apps/v1' });
  assert.equal(forbiddenMessage(a('PATCH', '/api/v1/nodes/n1/status')), 'User "u" cannot patch resource "nodes/status" in API group "" at the cluster scope');
});

it('matches rules: wildcards, */subresource, resourceNames, nonResourceURL prefixes', () => {
  const a = (m: string, url: string) => requestAttributes(user, m, url);
  assert.ok(ruleAllows(a('GET', '/apis/apps/v1/namespaces/x/deployments'), { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }));
  assert.ok(!ruleAllows(a('GET', '/apis/apps/v1/namespaces/x/deployments'), { verbs: ['list'], apiGroups: [''], resources: ['deployments'] }));
  assert.ok(ruleAllows(a('PUT', '/apis/apps/v1/namespaces/x/deployments/d/scale'), { verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }));
  assert.ok(!ruleAllows(a('PUT', '/apis/apps/v1/namespaces/x/deployments/d'), { verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }));
  assert.ok(!ruleAllows(a('PUT', '/apis/apps/v1/namespaces/x/deployments/d/scale'), { verbs: ['update'], apiGroups: ['apps'], resources: ['deployments'] }));
  const named = { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['c'] };
  assert.ok(ruleAllows(a('GET', '/api/v1/namespaces/x/configmaps/c'), named));
  assert.ok(!ruleAllows(a('GET', '/api/v1/namespaces/x/configmaps'), named), 'resourceNames never match a list');
  assert.ok(ruleAllows(a('GET', '/apis/apps/v1'), { verbs: ['get'], nonResourceURLs: ['/apis/*'] }));
  assert.ok(!ruleAllows(a('GET', '/metrics'), { verbs: ['get'], nonResourceURLs: ['/apis/*'] }));
  assert.ok(!ruleAllows(a('GET', '/api/v1/pods'), { verbs: ['get'], nonResourceURLs: ['*'] }), 'nonResourceURLs never grant resources');
});
