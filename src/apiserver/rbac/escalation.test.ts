// Privilege escalation through RBAC objects (the "Hostile input and faults" issue): each case is
// a way a user with a narrow RBAC write permission became cluster-admin or read every Secret.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiServer, startApiServer } from '../index.js';
import { call, callAs } from '../test-client.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const ref = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
const user = (name: string) => [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name }];
const NOT_HELD = /is attempting to grant RBAC permissions not currently held:\n/;
const AGGREGATION = 'must have cluster-admin privileges to use the aggregationRule';

/** Gives `name` exactly `rules` cluster-wide (admin writes: not subject to the checks under test). */
async function grantCluster(s: ApiServer, name: string, rules: object[]): Promise<void> {
  assert.equal((await call(s, 'POST', `${RBAC}/clusterroles`, { metadata: { name: `${name}-grant` }, rules })).status, 201);
  assert.equal((await call(s, 'POST', `${RBAC}/clusterrolebindings`, { metadata: { name: `${name}-grant` }, roleRef: ref('ClusterRole', `${name}-grant`), subjects: user(name) })).status, 201);
}

/** Gives `name` exactly `rules` in `ns`. */
async function grantIn(s: ApiServer, ns: string, name: string, rules: object[]): Promise<void> {
  assert.equal((await call(s, 'POST', `${RBAC}/namespaces/${ns}/roles`, { metadata: { name: `${name}-grant` }, rules })).status, 201);
  assert.equal((await call(s, 'POST', `${RBAC}/namespaces/${ns}/rolebindings`, { metadata: { name: `${name}-grant` }, roleRef: ref('Role', `${name}-grant`), subjects: user(name) })).status, 201);
}

const canI = async (s: ApiServer, token: string, attrs: object) =>
  (await callAs(s, token, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } })).json.status.allowed as boolean;

describe('RBAC escalation through aggregated and bound roles', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({
      tokens: ['mallory', 'ari', 'esc', 'nina', 'ned', 'viewer', 'boss'].map((u) => ({ token: `${u}-token`, user: u, groups: u === 'mallory' ? ['devs'] : [] })),
    });
    for (const ns of ['victim', 'team']) await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
    await call(s, 'POST', '/api/v1/namespaces/victim/secrets', { metadata: { name: 'db' }, stringData: { password: 'hunter2' } });
    await call(s, 'POST', '/api/v1/namespaces/team/secrets', { metadata: { name: 'db' }, stringData: { password: 'hunter2' } });
  });
  after(() => s.stop());

  it('refuses a ClusterRoleBinding to the aggregated edit/admin roles from a user who holds none of their rules', async () => {
    await grantCluster(s, 'mallory', [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterrolebindings'], verbs: ['create'] }]);
    for (const role of ['edit', 'admin']) {
      const r = await callAs(s, 'mallory-token', 'POST', `${RBAC}/clusterrolebindings`, { metadata: { name: `mallory-${role}` }, roleRef: ref('ClusterRole', role), subjects: user('mallory') });
      assert.equal(r.status, 403, `binding ${role}: ${r.text}`);
      // Upstream's wording: Go-quoted groups, one line per resource with its missing verbs, sorted.
      assert.ok(r.json.message.startsWith(`clusterrolebindings.rbac.authorization.k8s.io "mallory-${role}" is forbidden: user "mallory" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n`), r.json.message);
      assert.match(r.json.message, /\n\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get" "list" "watch" [^\n]*\]\}\n/);
      const lines = r.json.message.split('\n').slice(1);
      assert.deepEqual(lines, [...new Set(lines)].sort());
    }
    assert.equal((await callAs(s, 'mallory-token', 'GET', '/api/v1/secrets')).status, 403);
  });

  it('lets a holder of an aggregated role\'s effective rules bind it (view), and admin includes edit as upstream\'s aggregation does', async () => {
    await grantCluster(s, 'viewer', [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterrolebindings'], verbs: ['create'] }]);
    assert.equal((await call(s, 'POST', `${RBAC}/clusterrolebindings`, { metadata: { name: 'viewer-view' }, roleRef: ref('ClusterRole', 'view'), subjects: user('viewer') })).status, 201);
    const r = await callAs(s, 'viewer-token', 'POST', `${RBAC}/clusterrolebindings`, { metadata: { name: 'eve-view' }, roleRef: ref('ClusterRole', 'view'), subjects: user('eve') });
    assert.equal(r.status, 201, r.text);
    // `edit` is labelled aggregate-to-admin: its (aggregated) rules are part of admin's.
    assert.equal((await call(s, 'POST', `${RBAC}/namespaces/team/rolebindings`, { metadata: { name: 'boss-admin' }, roleRef: ref('ClusterRole', 'admin'), subjects: user('boss') })).status, 201);
    assert.equal(await canI(s, 'boss-token', { verb: 'get', resource: 'secrets', namespace: 'team' }), true);
    assert.equal(await canI(s, 'boss-token', { verb: 'get', resource: 'secrets', namespace: 'victim' }), false);
  });

  it('refuses an aggregationRule to a user without cluster-admin privileges (or escalate), on create and update', async () => {
    await grantCluster(s, 'ari', [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings'], verbs: ['create', 'update', 'patch', 'get'] }]);
    for (const [name, labels] of [['steal-admin', { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' }], ['steal-all', { 'kubernetes.io/bootstrapping': 'rbac-defaults' }]] as const) {
      const r = await callAs(s, 'ari-token', 'POST', `${RBAC}/clusterroles`, { metadata: { name }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: labels }] }, rules: [] });
      assert.equal(r.status, 403, `${name}: ${r.text}`);
      assert.equal(r.json.message, `clusterroles.rbac.authorization.k8s.io "${name}" is forbidden: ${AGGREGATION}`);
    }
    // Adding one to a role she created, or keeping one on a role that has it, is refused too.
    assert.equal((await callAs(s, 'ari-token', 'POST', `${RBAC}/clusterroles`, { metadata: { name: 'plain' }, rules: [] })).status, 201);
    const patch = await callAs(s, 'ari-token', 'PATCH', `${RBAC}/clusterroles/plain`, { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }] } },
      { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(patch.status, 403, patch.text);
    assert.equal(patch.json.message, `clusterroles.rbac.authorization.k8s.io "plain" is forbidden: ${AGGREGATION}`);
    const relabel = await callAs(s, 'ari-token', 'PATCH', `${RBAC}/clusterroles/view`, { metadata: { labels: { x: 'y' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(relabel.status, 403, relabel.text);
    assert.equal((await callAs(s, 'ari-token', 'GET', '/api/v1/secrets')).status, 403);
    // `escalate` on clusterroles lifts the check, as upstream's RoleEscalationAuthorized.
    await grantCluster(s, 'esc', [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['create', 'escalate'] }]);
    const esc = await callAs(s, 'esc-token', 'POST', `${RBAC}/clusterroles`, { metadata: { name: 'esc-agg' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] }, rules: [] });
    assert.equal(esc.status, 201, esc.text);
  });

  it('refuses a RoleBinding to ClusterRole edit/admin in a namespace where the writer lacks their rules, unless she may bind them', async () => {
    await grantIn(s, 'team', 'nina', [
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
    ]);
    for (const role of ['edit', 'admin']) {
      const r = await callAs(s, 'nina-token', 'POST', `${RBAC}/namespaces/team/rolebindings`, { metadata: { name: `nina-${role}` }, roleRef: ref('ClusterRole', role), subjects: user('nina') });
      assert.equal(r.status, 403, `${role}: ${r.text}`);
      assert.match(r.json.message, new RegExp(`^rolebindings.rbac.authorization.k8s.io "nina-${role}" is forbidden: user "nina" .*${NOT_HELD.source}`));
    }
    assert.equal((await callAs(s, 'nina-token', 'GET', '/api/v1/namespaces/team/secrets/db')).status, 403);
    // `bind` on that ClusterRole in the namespace is upstream's delegation: allowed.
    await grantIn(s, 'team', 'ned', [
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['edit'] },
    ]);
    assert.equal((await callAs(s, 'ned-token', 'POST', `${RBAC}/namespaces/team/rolebindings`, { metadata: { name: 'eve-edit' }, roleRef: ref('ClusterRole', 'edit'), subjects: user('eve') })).status, 201);
    assert.equal((await callAs(s, 'ned-token', 'POST', `${RBAC}/namespaces/team/rolebindings`, { metadata: { name: 'eve-admin' }, roleRef: ref('ClusterRole', 'admin'), subjects: user('eve') })).status, 403);
    // Holding edit's rules in the namespace (boss is admin there) is enough too.
    await grantIn(s, 'team', 'boss', [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] }]);
    assert.equal((await callAs(s, 'boss-token', 'POST', `${RBAC}/namespaces/team/rolebindings`, { metadata: { name: 'eve-edit2' }, roleRef: ref('ClusterRole', 'edit'), subjects: user('eve') })).status, 201);
  });

  it('keeps roleRef immutable: 422 "cannot change roleRef" on update and patch', async () => {
    assert.equal((await call(s, 'POST', `${RBAC}/namespaces/team/rolebindings`, { metadata: { name: 'fixed' }, roleRef: ref('ClusterRole', 'view'), subjects: user('eve') })).status, 201);
    const put = await call(s, 'PUT', `${RBAC}/namespaces/team/rolebindings/fixed`, { metadata: { name: 'fixed' }, roleRef: ref('ClusterRole', 'cluster-admin'), subjects: user('eve') });
    assert.equal(put.status, 422, put.text);
    assert.equal(put.json.reason, 'Invalid');
    assert.equal(put.json.message,
      'RoleBinding.rbac.authorization.k8s.io "fixed" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"cluster-admin"}: cannot change roleRef');
    assert.equal((await call(s, 'POST', `${RBAC}/clusterrolebindings`, { metadata: { name: 'fixed' }, roleRef: ref('ClusterRole', 'view'), subjects: user('eve') })).status, 201);
    const patch = await call(s, 'PATCH', `${RBAC}/clusterrolebindings/fixed`, { roleRef: { name: 'cluster-admin' } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(patch.status, 422, patch.text);
    assert.match(patch.json.message, /^ClusterRoleBinding.rbac.authorization.k8s.io "fixed" is invalid: roleRef: Invalid value: .*: cannot change roleRef$/);
    // Subjects may still change.
    assert.equal((await call(s, 'PATCH', `${RBAC}/clusterrolebindings/fixed`, { subjects: user('zed') }, { 'Content-Type': 'application/merge-patch+json' })).status, 200);
  });
});
