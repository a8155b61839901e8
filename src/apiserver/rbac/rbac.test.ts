import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { generatePki, startApiServer, type ApiServer } from '../index.js';
import { call, collect } from '../test-client.js';

/** A request with a bearer token (or no credentials), no client certificate. */
function raw(s: ApiServer, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const req = httpsRequest(new URL(path, s.url), {
      method, ca: s.caPem,
      headers: {
        ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
        ...(payload ? { 'Content-Type': 'application/json' } : {}),
        ...opts.headers,
      },
    }, (res) => collect(res, (r) => resolve({ status: r.status, json: r.json === undefined ? r.text : r.json }), reject));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

const ssar = (attrs: object) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: attrs });

describe('RBAC authorization', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ tokens: [{ token: 'alice-token', user: 'alice', groups: ['devs'] }, { token: 'bob-token', user: 'bob' }] });
  });
  after(() => s.stop());

  it('refuses requests without credentials with a 401 Unauthorized Status', async () => {
    const r = await raw(s, 'GET', '/api/v1/namespaces');
    assert.equal(r.status, 401);
    assert.equal(r.json.reason, 'Unauthorized');
    assert.equal(r.json.message, 'Unauthorized');
    assert.equal((await raw(s, 'GET', '/api', { token: 'nope' })).status, 401);
  });

  it('ignores a client certificate from another CA (401 without a token)', async () => {
    const other = generatePki();
    const r = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(new URL('/api/v1/nodes', s.url), { ca: s.caPem, cert: other.client.certPem, key: other.client.keyPem }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(r, 401);
  });

  it('lets the admin certificate (system:masters) do anything', async () => {
    assert.equal((await call(s, 'GET', '/api/v1/nodes')).status, 200);
    const who = await call(s, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    assert.equal(who.status, 201);
    assert.equal(who.json.status.userInfo.username, 'kubernetes-admin');
    assert.deepEqual(who.json.status.userInfo.groups, ['system:masters', 'system:authenticated']);
  });

  it('gives authenticated users discovery, /version and self reviews, nothing else', async () => {
    for (const p of ['/api', '/apis', '/api/v1', '/apis/apps/v1', '/version', '/healthz']) assert.equal((await raw(s, 'GET', p, { token: 'bob-token' })).status, 200, p);
    const nodes = await raw(s, 'GET', '/api/v1/nodes', { token: 'bob-token' });
    assert.equal(nodes.status, 403);
    assert.equal(nodes.json.reason, 'Forbidden');
    assert.equal(nodes.json.message, 'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope');
    const pods = await raw(s, 'GET', '/api/v1/namespaces/y/pods/p1', { token: 'bob-token' });
    assert.equal(pods.json.message, 'pods "p1" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "y"');
    const ev = await raw(s, 'POST', '/api/v1/namespaces/y/pods/p1/eviction', { token: 'bob-token', body: {} });
    assert.equal(ev.status, 403);
    assert.match(ev.json.message, /User "bob" cannot create resource "pods\/eviction" in API group "" in the namespace "y"$/);
    const np = await raw(s, 'GET', '/metrics', { token: 'bob-token' });
    assert.equal(np.json.message, 'forbidden: User "bob" cannot get path "/metrics"');
  });

  it('grants by Role/RoleBinding only in the binding namespace, by group, with resourceNames', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'team' } });
    await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', {
      metadata: { name: 'cm-reader' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }, { apiGroups: [''], resources: ['secrets'], resourceNames: ['open'], verbs: ['get'] }],
    });
    const rb = await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', {
      metadata: { name: 'devs-read' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'devs' }],
    });
    assert.equal(rb.status, 201);
    assert.equal((await raw(s, 'GET', '/api/v1/namespaces/team/configmaps', { token: 'alice-token' })).status, 200);
    assert.equal((await raw(s, 'GET', '/api/v1/namespaces/default/configmaps', { token: 'alice-token' })).status, 403);
    assert.equal((await raw(s, 'GET', '/api/v1/configmaps', { token: 'alice-token' })).status, 403);
    assert.equal((await raw(s, 'GET', '/api/v1/namespaces/team/configmaps', { token: 'bob-token' })).status, 403);
    assert.equal((await raw(s, 'GET', '/api/v1/namespaces/team/secrets/open', { token: 'alice-token' })).status, 404);
    assert.equal((await raw(s, 'GET', '/api/v1/namespaces/team/secrets/closed', { token: 'alice-token' })).status, 403);
    assert.equal((await raw(s, 'GET', '/api/v1/namespaces/team/secrets', { token: 'alice-token' })).status, 403);
    // The binding index follows deletions on the change bus.
    await call(s, 'DELETE', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings/devs-read');
    assert.equal((await raw(s, 'GET', '/api/v1/namespaces/team/configmaps', { token: 'alice-token' })).status, 403);
  });

  it('follows changes to a Role\'s rules and to ClusterRole aggregation labels at once (decisions are not kept past a policy change)', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'churn' } });
    await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/churn/roles', {
      metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
    });
    await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/churn/rolebindings', {
      metadata: { name: 'alice-r' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    });
    const list = () => raw(s, 'GET', '/api/v1/namespaces/churn/configmaps', { token: 'alice-token' });
    const pods = () => raw(s, 'GET', '/api/v1/namespaces/churn/pods', { token: 'alice-token' });
    assert.equal((await list()).status, 200);
    assert.equal((await list()).status, 200);
    assert.equal((await pods()).status, 403);
    // The Role loses the rule: the next request is refused.
    await call(s, 'PUT', '/apis/rbac.authorization.k8s.io/v1/namespaces/churn/roles/r', {
      metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
    });
    assert.equal((await list()).status, 403);
    assert.equal((await pods()).status, 200);
    // A ClusterRole aggregated into one alice is bound to: granted as soon as its label matches.
    await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'churn-agg': 'true' } }] }, rules: [],
    });
    await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/churn/rolebindings', {
      metadata: { name: 'alice-agg' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'agg' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    });
    await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      metadata: { name: 'part' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
    });
    assert.equal((await list()).status, 403);
    await call(s, 'PATCH', '/apis/rbac.authorization.k8s.io/v1/clusterroles/part', { metadata: { labels: { 'churn-agg': 'true' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal((await list()).status, 200);
  });

  it('honours wildcards, subresources and ClusterRole aggregation (view)', async () => {
    await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: 'bob-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
    });
    assert.equal((await raw(s, 'GET', '/api/v1/pods', { token: 'bob-token' })).status, 200);
    assert.equal((await raw(s, 'GET', '/apis/apps/v1/namespaces/x/deployments', { token: 'bob-token' })).status, 200);
    assert.equal((await raw(s, 'GET', '/api/v1/secrets', { token: 'bob-token' })).status, 403);
    assert.equal((await raw(s, 'POST', '/api/v1/namespaces/default/configmaps', { token: 'bob-token', body: { metadata: { name: 'x' } } })).status, 403);
    await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      metadata: { name: 'scaler' }, rules: [{ apiGroups: ['*'], resources: ['*/scale'], verbs: ['*'] }],
    });
    await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: 'bob-scaler' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'scaler' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
    });
    const r = await raw(s, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      token: 'bob-token', body: ssar({ resourceAttributes: { verb: 'update', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'x' } }),
    });
    assert.equal(r.status, 201);
    assert.equal(r.json.status.allowed, true);
    assert.equal(r.json.status.reason, 'RBAC: allowed by ClusterRoleBinding "bob-scaler" of ClusterRole "scaler" to User "bob"');
    const no = await raw(s, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      token: 'bob-token', body: ssar({ resourceAttributes: { verb: 'update', group: 'apps', resource: 'deployments', namespace: 'x' } }),
    });
    assert.equal(no.json.status.allowed, false);
  });

  it('answers SelfSubjectRulesReview and admin-only SubjectAccessReview', async () => {
    const rr = await raw(s, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
      token: 'bob-token', body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } },
    });
    assert.equal(rr.status, 201);
    assert.ok(rr.json.status.resourceRules.some((x: { resources: string[] }) => x.resources.includes('selfsubjectaccessreviews')));
    assert.ok(rr.json.status.nonResourceRules.some((x: { nonResourceURLs: string[] }) => x.nonResourceURLs.includes('/version')));
    const sar = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'bob', resourceAttributes: { verb: 'list', resource: 'pods' } } };
    assert.equal((await raw(s, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { token: 'bob-token', body: sar })).status, 403);
    const ok = await call(s, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', sar);
    assert.equal(ok.status, 201);
    assert.equal(ok.json.status.allowed, true);
    const bad = await call(s, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { ...sar, spec: { user: 'bob' } });
    assert.equal(bad.status, 422);
  });

  it('impersonates when allowed (kubectl --as), refuses otherwise', async () => {
    const asSa = { 'Impersonate-User': 'system:serviceaccount:kube-system:kubeloop' };
    const r = await call(s, 'GET', '/api/v1/nodes', undefined, asSa);
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'nodes is forbidden: User "system:serviceaccount:kube-system:kubeloop" cannot list resource "nodes" in API group "" at the cluster scope');
    const who = await call(s, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, asSa);
    assert.deepEqual(who.json.status.userInfo.groups, ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']);
    const grp = await call(s, 'GET', '/api/v1/nodes', undefined, { 'Impersonate-User': 'carol', 'Impersonate-Group': 'system:masters' });
    assert.equal(grp.status, 200);
    const denied = await raw(s, 'GET', '/api/v1/nodes', { token: 'bob-token', headers: { 'Impersonate-User': 'admin' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.message, 'users "admin" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
  });
});

describe('AlwaysAllow authorization', () => {
  it('still authenticates but allows every authenticated request', async () => {
    const s = await startApiServer({ authorization: 'AlwaysAllow', tokens: [{ token: 't', user: 'u' }] });
    try {
      assert.equal((await raw(s, 'GET', '/api/v1/nodes', { token: 't' })).status, 200);
      assert.equal((await raw(s, 'GET', '/api/v1/nodes')).status, 401);
    } finally {
      await s.stop();
    }
  });

  it('serves anonymous requests as system:anonymous when enabled', async () => {
    const s = await startApiServer({ anonymous: true });
    try {
      assert.equal((await raw(s, 'GET', '/version')).status, 200);
      const r = await raw(s, 'GET', '/api/v1/nodes');
      assert.equal(r.status, 403);
      assert.match(r.json.message, /User "system:anonymous" cannot list/);
    } finally {
      await s.stop();
    }
  });
});

describe('RBAC escalation prevention', () => {
  it('grants only held permissions unless escalate/bind is allowed', async () => {
    const s = await startApiServer({ tokens: [{ token: 'dana', user: 'dana' }] });
    try {
      // dana may manage roles and bindings in "team" and read configmaps there, nothing else.
      await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'team' } });
      await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', {
        metadata: { name: 'rbac-manager' },
        // Not `*`: that would include `escalate` and `bind`.
        rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create', 'get', 'list', 'update', 'delete'] }, { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      });
      await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', {
        metadata: { name: 'dana' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rbac-manager' }, subjects: [{ kind: 'User', name: 'dana' }],
      });
      const role = (name: string, rules: object[]) => raw(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', { token: 'dana', body: { metadata: { name }, rules } });
      assert.equal((await role('cm-get', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }])).status, 201);
      const esc = await role('secrets', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
      assert.equal(esc.status, 403);
      assert.match(esc.json.message, /roles.rbac.authorization.k8s.io "secrets" is forbidden: user "dana" .* is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get"\]\}/);
      assert.equal((await role('wild', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['*'] }])).status, 403, '* is only covered by *');

      const bind = (name: string, kind: string, roleName: string) => raw(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', {
        token: 'dana', body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: roleName }, subjects: [{ kind: 'User', name: 'eve' }] },
      });
      assert.equal((await bind('eve-cm', 'Role', 'cm-get')).status, 201);
      assert.equal((await bind('eve-admin', 'ClusterRole', 'cluster-admin')).status, 403);
      // `bind` on a role lets dana bind it without holding its permissions.
      await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', {
        metadata: { name: 'binder' }, rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['view'] }],
      });
      await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', {
        metadata: { name: 'dana-binder' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'binder' }, subjects: [{ kind: 'User', name: 'dana' }],
      });
      assert.equal((await bind('eve-view', 'ClusterRole', 'view')).status, 201);
      // The admin (system:masters) is never limited.
      assert.equal((await call(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', { metadata: { name: 'all' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] })).status, 201);
    } finally {
      await s.stop();
    }
  });
});
