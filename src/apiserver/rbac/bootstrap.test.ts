import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

// The v1.32 bootstrap policy modelled (upstream's golden files in
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata, without system:controller:*).
const CLUSTER_ROLES = [
  'admin', 'cluster-admin', 'edit', 'system:aggregate-to-admin', 'system:aggregate-to-edit', 'system:aggregate-to-view', 'system:auth-delegator', 'system:basic-user',
  'system:certificates.k8s.io:certificatesigningrequests:nodeclient', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
  'system:certificates.k8s.io:kube-apiserver-client-approver', 'system:certificates.k8s.io:kube-apiserver-client-kubelet-approver',
  'system:certificates.k8s.io:kubelet-serving-approver', 'system:certificates.k8s.io:legacy-unknown-approver', 'system:discovery', 'system:heapster',
  'system:kube-aggregator', 'system:kube-controller-manager', 'system:kube-dns', 'system:kube-scheduler', 'system:kubelet-api-admin', 'system:monitoring',
  'system:node', 'system:node-bootstrapper', 'system:node-problem-detector', 'system:node-proxier', 'system:persistent-volume-provisioner',
  'system:public-info-viewer', 'system:service-account-issuer-discovery', 'system:volume-scheduler', 'view',
];
const CLUSTER_ROLE_BINDINGS = [
  'cluster-admin', 'system:basic-user', 'system:discovery', 'system:kube-controller-manager', 'system:kube-dns', 'system:kube-scheduler', 'system:monitoring',
  'system:node', 'system:node-proxier', 'system:public-info-viewer', 'system:service-account-issuer-discovery', 'system:volume-scheduler',
];
const ROLES = [
  'kube-public/system:controller:bootstrap-signer', 'kube-system/extension-apiserver-authentication-reader', 'kube-system/system::leader-locking-kube-controller-manager',
  'kube-system/system::leader-locking-kube-scheduler', 'kube-system/system:controller:bootstrap-signer', 'kube-system/system:controller:cloud-provider',
  'kube-system/system:controller:token-cleaner',
];
const ROLE_BINDINGS = [
  'kube-public/system:controller:bootstrap-signer', 'kube-system/system::extension-apiserver-authentication-reader', 'kube-system/system::leader-locking-kube-controller-manager',
  'kube-system/system::leader-locking-kube-scheduler', 'kube-system/system:controller:bootstrap-signer', 'kube-system/system:controller:cloud-provider',
  'kube-system/system:controller:token-cleaner',
];

type Obj = { metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };
const names = (items: Obj[]) => items.map((o) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name)).sort();

describe('bootstrap RBAC policy (v1.32)', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  const can = async (user: string, groups: string[], attrs: Record<string, string>, nonResource = false): Promise<boolean> => {
    const r = await call(s, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
      spec: { user, groups, ...(nonResource ? { nonResourceAttributes: attrs } : { resourceAttributes: attrs }) },
    });
    assert.equal(r.status, 201, r.text);
    return r.json.status.allowed;
  };
  const saGroups = (ns: string) => ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];

  it('creates upstream\'s roles and bindings, labelled and auto-updated', async () => {
    const lists = await Promise.all(['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'].map(async (r) => (await call(s, 'GET', `${RBAC}/${r}`)).json.items as Obj[]));
    assert.deepEqual(names(lists[0]), CLUSTER_ROLES);
    assert.deepEqual(names(lists[1]), CLUSTER_ROLE_BINDINGS);
    assert.deepEqual(names(lists[2]), ROLES);
    assert.deepEqual(names(lists[3]), ROLE_BINDINGS);
    for (const o of lists.flat()) {
      assert.equal(o.metadata.labels?.['kubernetes.io/bootstrapping'], 'rbac-defaults', o.metadata.name);
      assert.equal(o.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'], 'true', o.metadata.name);
    }
    const node = (await call(s, 'GET', `${RBAC}/clusterrolebindings/system:node`)).json;
    assert.equal(node.subjects, undefined);
    const reader = (await call(s, 'GET', `${RBAC}/namespaces/kube-system/rolebindings/system::leader-locking-kube-controller-manager`)).json;
    assert.deepEqual(reader.subjects, [
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:kube-controller-manager' },
      { kind: 'ServiceAccount', name: 'kube-controller-manager', namespace: 'kube-system' },
      { kind: 'ServiceAccount', name: 'leader-election-controller', namespace: 'kube-system' },
    ]);
  });

  it('grants what the bound roles say (auth-delegator, view, extension-apiserver-authentication-reader)', async () => {
    const ns = 'metrics';
    assert.equal((await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: ns } })).status, 201);
    const me = `system:serviceaccount:${ns}:metrics-server`;
    const sa = { kind: 'ServiceAccount', name: 'metrics-server', namespace: ns };
    // before any binding: nothing
    assert.equal(await can(me, saGroups(ns), { verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' }), false);
    assert.equal(await can(me, saGroups(ns), { verb: 'get', resource: 'configmaps', namespace: 'kube-system', name: 'extension-apiserver-authentication' }), false);
    // what metrics-server's chart binds
    assert.equal((await call(s, 'POST', `${RBAC}/clusterrolebindings`, { metadata: { name: 'metrics-server:system:auth-delegator' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' }, subjects: [sa] })).status, 201);
    assert.equal((await call(s, 'POST', `${RBAC}/namespaces/kube-system/rolebindings`, { metadata: { name: 'metrics-server-auth-reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' }, subjects: [sa] })).status, 201);
    assert.equal((await call(s, 'POST', `${RBAC}/namespaces/${ns}/rolebindings`, { metadata: { name: 'viewer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [sa] })).status, 201);
    assert.equal(await can(me, saGroups(ns), { verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' }), true);
    assert.equal(await can(me, saGroups(ns), { verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' }), true);
    assert.equal(await can(me, saGroups(ns), { verb: 'list', resource: 'secrets', namespace: ns }), false);
    assert.equal(await can(me, saGroups(ns), { verb: 'get', resource: 'configmaps', namespace: 'kube-system', name: 'extension-apiserver-authentication' }), true);
    assert.equal(await can(me, saGroups(ns), { verb: 'get', resource: 'configmaps', namespace: 'kube-system', name: 'other' }), false);
    assert.equal(await can(me, saGroups(ns), { verb: 'list', resource: 'pods', namespace: ns }), true);
    assert.equal(await can(me, saGroups(ns), { verb: 'list', resource: 'pods', namespace: 'default' }), false);
  });

  it('binds the component roles to their users and groups', async () => {
    assert.equal(await can('system:kube-scheduler', ['system:authenticated'], { verb: 'create', resource: 'pods', subresource: 'binding', namespace: 'default' }), true);
    assert.equal(await can('system:kube-scheduler', ['system:authenticated'], { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system', name: 'kube-scheduler' }), true);
    assert.equal(await can('system:kube-proxy', ['system:authenticated'], { verb: 'watch', group: 'discovery.k8s.io', resource: 'endpointslices' }), true);
    assert.equal(await can('system:kube-proxy', ['system:authenticated'], { verb: 'get', resource: 'secrets', namespace: 'default' }), false);
    assert.equal(await can('prometheus', ['system:monitoring', 'system:authenticated'], { verb: 'get', path: '/metrics' }, true), true);
    assert.equal(await can('system:serviceaccount:default:default', saGroups('default'), { verb: 'get', path: '/openid/v1/jwks' }, true), true);
    assert.equal(await can('bob', ['system:authenticated'], { verb: 'get', path: '/openid/v1/jwks' }, true), false);
  });
});
