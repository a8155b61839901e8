/**
 * The default RBAC objects kube-apiserver creates at start (its rbac/bootstrap-roles post-start
 * hook): `cluster-admin` (bound to `system:masters`), `system:discovery`, `system:basic-user`
 * and `system:public-info-viewer` (discovery, `/version`, `/healthz` and self reviews for every
 * authenticated user), the user-facing `admin`/`edit`/`view`, built by aggregation from
 * `system:aggregate-to-*` as upstream (rules rougher than upstream's), and the `system:*` roles
 * and bindings of the components (system-policy.ts), with the Roles/RoleBindings of
 * `kube-system` and `kube-public`. All carry `kubernetes.io/bootstrapping: rbac-defaults` and
 * `rbac.authorization.kubernetes.io/autoupdate: "true"`.
 * Missing objects are created; existing ones are left as the user changed them.
 */
import type { KubeObject } from '../../api/index.js';
import type { ResourceOps } from '../handlers/rest.js';
import type { PolicyRule } from './rules.js';
import { SYSTEM_CLUSTER_ROLE_BINDINGS, SYSTEM_CLUSTER_ROLES, SYSTEM_ROLE_BINDINGS, SYSTEM_ROLES, type Subject } from './system-policy.js';

const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };
const READ = ['get', 'list', 'watch'];
const RBAC_GROUP = 'rbac.authorization.k8s.io';
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({ verbs, apiGroups, resources });

function clusterRole(name: string, rules: PolicyRule[], extra: { labels?: Record<string, string>; aggregateTo?: string } = {}): KubeObject {
  const o: KubeObject & { rules: PolicyRule[]; aggregationRule?: object } = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS, ...extra.labels }, annotations: { ...AUTOUPDATE } },
    rules,
  };
  if (extra.aggregateTo) o.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${extra.aggregateTo}`]: 'true' } }] };
  return o;
}

/** A subject as upstream writes it: User and Group with the RBAC apiGroup, ServiceAccount with its namespace. */
const subject = (s: Subject) => (s.kind === 'ServiceAccount' ? { kind: s.kind, name: s.name, namespace: s.namespace } : { apiGroup: RBAC_GROUP, kind: s.kind, name: s.name });

function clusterRoleBinding(name: string, role: string, subjects: (string | Subject)[]): KubeObject {
  const o: KubeObject & { subjects?: object[] } = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS }, annotations: { ...AUTOUPDATE } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
  } as KubeObject;
  // (upstream's system:node binding has no subjects at all)
  if (subjects.length) o.subjects = subjects.map((g) => subject(typeof g === 'string' ? { kind: 'Group', name: g } : g));
  return o;
}

function role(namespace: string, name: string, rules: PolicyRule[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role',
    metadata: { name, namespace, labels: { ...BOOTSTRAP_LABELS }, annotations: { ...AUTOUPDATE } },
    rules,
  } as KubeObject;
}

function roleBinding(namespace: string, name: string, roleName: string, subjects: Subject[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
    metadata: { name, namespace, labels: { ...BOOTSTRAP_LABELS }, annotations: { ...AUTOUPDATE } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: roleName },
    subjects: subjects.map(subject),
  } as KubeObject;
}

const VIEW_RULES: PolicyRule[] = [
  rule(READ, [''], [
    'configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'pods/log', 'pods/status', 'replicationcontrollers',
    'replicationcontrollers/scale', 'replicationcontrollers/status', 'serviceaccounts', 'services', 'services/status', 'bindings', 'events', 'limitranges',
    'namespaces', 'namespaces/status', 'resourcequotas', 'resourcequotas/status',
  ]),
  rule(READ, ['apps'], [
    'controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale',
    'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status',
  ]),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, ['events.k8s.io'], ['events']),
];

const EDIT_RULES: PolicyRule[] = [
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule([...WRITE], [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction', 'serviceaccounts/token']),
  rule(READ, [''], ['secrets', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'services/proxy']),
  rule(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
  rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
  rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(WRITE, ['discovery.k8s.io'], ['endpointslices']),
];

const ADMIN_RULES: PolicyRule[] = [
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule([...WRITE, ...READ], ['rbac.authorization.k8s.io'], ['rolebindings', 'roles']),
];

const DISCOVERY_URLS = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'];
const PUBLIC_INFO_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/'];

/** The bootstrap ClusterRoles, ClusterRoleBindings and the namespaced Roles and RoleBindings. */
export function bootstrapPolicy(): { clusterRoles: KubeObject[]; clusterRoleBindings: KubeObject[]; roles: KubeObject[]; roleBindings: KubeObject[] } {
  return {
    clusterRoles: [
      clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), { verbs: ['*'], nonResourceURLs: ['*'] }]),
      clusterRole('system:discovery', [{ verbs: ['get'], nonResourceURLs: DISCOVERY_URLS }]),
      clusterRole('system:public-info-viewer', [{ verbs: ['get'], nonResourceURLs: PUBLIC_INFO_URLS }]),
      clusterRole('system:basic-user', [
        rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
        rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
      ]),
      clusterRole('admin', [], { aggregateTo: 'admin' }),
      clusterRole('edit', [], { aggregateTo: 'edit', labels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }),
      clusterRole('view', [], { aggregateTo: 'view', labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }),
      clusterRole('system:aggregate-to-admin', ADMIN_RULES, { labels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }),
      clusterRole('system:aggregate-to-edit', EDIT_RULES, { labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }),
      clusterRole('system:aggregate-to-view', VIEW_RULES, { labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }),
      ...SYSTEM_CLUSTER_ROLES.map(([name, rules]) => clusterRole(name, rules)),
    ],
    clusterRoleBindings: [
      clusterRoleBinding('cluster-admin', 'cluster-admin', ['system:masters']),
      clusterRoleBinding('system:discovery', 'system:discovery', ['system:authenticated']),
      clusterRoleBinding('system:basic-user', 'system:basic-user', ['system:authenticated']),
      clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
      ...SYSTEM_CLUSTER_ROLE_BINDINGS.map(([name, subjects]) => clusterRoleBinding(name, name, subjects)),
    ],
    roles: SYSTEM_ROLES.map(([ns, name, rules]) => role(ns, name, rules)),
    roleBindings: SYSTEM_ROLE_BINDINGS.map(([ns, name, roleName, subjects]) => roleBinding(ns, name, roleName, subjects)),
  };
}

/** Creates the bootstrap objects that are missing. */
export async function ensureBootstrapPolicy(ops: ResourceOps): Promise<void> {
  const crT = ops.registry.get('rbac.authorization.k8s.io', 'v1', 'clusterroles');
  const crbT = ops.registry.get('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings');
  const rT = ops.registry.get('rbac.authorization.k8s.io', 'v1', 'roles');
  const rbT = ops.registry.get('rbac.authorization.k8s.io', 'v1', 'rolebindings');
  if (!crT || !crbT || !rT || !rbT) return;
  const p = bootstrapPolicy();
  for (const [t, objs] of [[crT, p.clusterRoles], [crbT, p.clusterRoleBindings], [rT, p.roles], [rbT, p.roleBindings]] as const) {
    for (const o of objs) {
      const ns = o.metadata.namespace;
      if (ops.store.get(t.storageKey, ns ? `${ns}/${o.metadata.name}` : o.metadata.name!)) continue;
      await ops.create(t, ns, o);
    }
  }
}
