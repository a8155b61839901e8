/**
 * The `system:*` part of kube-apiserver's bootstrap RBAC policy, v1.32, as data: the roles of
 * the control-plane components, nodes, kube-proxy, DNS, aggregated API servers and CSR
 * approvers with their ClusterRoleBindings, and the namespaced Roles/RoleBindings of
 * `kube-system` and `kube-public`. Facts from upstream's
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy (policy.go, namespace_policy.go and the golden
 * files testdata/{cluster-roles,cluster-role-bindings,namespace-roles,namespace-role-bindings}.yaml);
 * rules behind feature gates that are off by default in 1.32 (DRA, fine-grained kubelet
 * authorization, coordinated leader election's leasecandidates in cluster roles) are left out.
 * The `system:controller:*` ClusterRoles of kube-controller-manager's controllers are not modelled.
 */
import type { PolicyRule } from './rules.js';

const READ = ['get', 'list', 'watch'];
const EVENT_VERBS = ['create', 'patch', 'update'];

const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule =>
  resourceNames ? { verbs, apiGroups, resources, resourceNames } : { verbs, apiGroups, resources };
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });
/** upstream's eventsRule(): events in both the core and events.k8s.io groups */
const EVENTS = rule(EVENT_VERBS, ['', 'events.k8s.io'], ['events']);

export type Subject = { kind: 'User' | 'Group'; name: string } | { kind: 'ServiceAccount'; name: string; namespace: string };
const user = (name: string): Subject => ({ kind: 'User', name });
const group = (name: string): Subject => ({ kind: 'Group', name });
const sa = (name: string, namespace = 'kube-system'): Subject => ({ kind: 'ServiceAccount', name, namespace });

const approver = (signer: string): PolicyRule[] => [rule(['approve'], ['certificates.k8s.io'], ['signers'], [signer])];

/** ClusterRoles (name -> rules). */
export const SYSTEM_CLUSTER_ROLES: [string, PolicyRule[]][] = [
  ['system:monitoring', [urls(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*'])]],
  ['system:auth-delegator', [
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
  ]],
  ['system:heapster', [
    rule(READ, [''], ['events', 'namespaces', 'nodes', 'pods']),
    rule(READ, ['extensions'], ['deployments']),
  ]],
  ['system:kube-aggregator', [rule(READ, [''], ['endpoints', 'services'])]],
  ['system:kube-controller-manager', [
    EVENTS,
    rule(['create'], ['coordination.k8s.io'], ['leases']),
    rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager']),
    rule(['create'], [''], ['secrets', 'serviceaccounts']),
    rule(['delete'], [''], ['secrets']),
    rule(['get'], [''], ['configmaps', 'namespaces', 'secrets', 'serviceaccounts']),
    rule(['update'], [''], ['secrets', 'serviceaccounts']),
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    rule(['list', 'watch'], ['*'], ['*']),
    rule(['create'], [''], ['serviceaccounts/token']),
  ]],
  ['system:kube-dns', [rule(['list', 'watch'], [''], ['endpoints', 'services'])]],
  ['system:kube-scheduler', [
    EVENTS,
    rule(['create'], ['coordination.k8s.io'], ['leases']),
    rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
    rule(READ, [''], ['nodes']),
    rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
    rule(['create'], [''], ['bindings', 'pods/binding']),
    rule(['patch', 'update'], [''], ['pods/status']),
    rule(READ, [''], ['replicationcontrollers', 'services']),
    rule(READ, ['apps', 'extensions'], ['replicasets']),
    rule(READ, ['apps'], ['statefulsets']),
    rule(READ, ['policy'], ['poddisruptionbudgets']),
    rule(READ, [''], ['persistentvolumeclaims', 'persistentvolumes']),
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    rule(READ, ['storage.k8s.io'], ['csinodes']),
    rule(READ, [''], ['namespaces']),
    rule(READ, ['storage.k8s.io'], ['csidrivers']),
    rule(READ, ['storage.k8s.io'], ['csistoragecapacities']),
  ]],
  ['system:kubelet-api-admin', [
    rule(['get', 'list', 'watch', 'proxy'], [''], ['nodes']),
    rule(['*'], [''], ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/stats']),
  ]],
  ['system:node', [
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews', 'subjectaccessreviews']),
    rule(READ, [''], ['services']),
    rule(['create', 'get', 'list', 'watch'], [''], ['nodes']),
    rule(['patch', 'update'], [''], ['nodes/status']),
    rule(['patch', 'update'], [''], ['nodes']),
    EVENTS,
    rule(READ, [''], ['pods']),
    rule(['create', 'delete'], [''], ['pods']),
    rule(['patch', 'update'], [''], ['pods/status']),
    rule(['create'], [''], ['pods/eviction']),
    rule(['get'], [''], ['configmaps', 'secrets']),
    rule(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
    rule(['get'], [''], ['endpoints']),
    rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
    rule(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
    rule(['get'], ['storage.k8s.io'], ['volumeattachments']),
    rule(['create'], [''], ['serviceaccounts/token']),
    rule(['patch', 'update'], [''], ['persistentvolumeclaims/status']),
    rule(READ, ['storage.k8s.io'], ['csidrivers']),
    rule(['create', 'delete', 'get', 'patch', 'update'], ['storage.k8s.io'], ['csinodes']),
    rule(READ, ['node.k8s.io'], ['runtimeclasses']),
  ]],
  ['system:node-bootstrapper', [rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests'])]],
  ['system:node-problem-detector', [
    rule(['get'], [''], ['nodes']),
    rule(['patch'], [''], ['nodes/status']),
    EVENTS,
  ]],
  ['system:node-proxier', [
    rule(['list', 'watch'], [''], ['endpoints', 'services']),
    rule(READ, [''], ['nodes']),
    EVENTS,
    rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
  ]],
  ['system:persistent-volume-provisioner', [
    rule(['create', 'delete', 'get', 'list', 'watch'], [''], ['persistentvolumes']),
    rule(['get', 'list', 'update', 'watch'], [''], ['persistentvolumeclaims']),
    rule(READ, ['storage.k8s.io'], ['storageclasses']),
    rule(['watch'], ['', 'events.k8s.io'], ['events']),
    EVENTS,
  ]],
  ['system:service-account-issuer-discovery', [
    urls(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/']),
  ]],
  ['system:volume-scheduler', [
    rule(['get', 'list', 'patch', 'update', 'watch'], [''], ['persistentvolumes']),
    rule(READ, ['storage.k8s.io'], ['storageclasses']),
    rule(['get', 'list', 'patch', 'update', 'watch'], [''], ['persistentvolumeclaims']),
  ]],
  ['system:certificates.k8s.io:certificatesigningrequests:nodeclient', [rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/nodeclient'])]],
  ['system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/selfnodeclient'])]],
  ['system:certificates.k8s.io:kube-apiserver-client-approver', approver('kubernetes.io/kube-apiserver-client')],
  ['system:certificates.k8s.io:kube-apiserver-client-kubelet-approver', approver('kubernetes.io/kube-apiserver-client-kubelet')],
  ['system:certificates.k8s.io:kubelet-serving-approver', approver('kubernetes.io/kubelet-serving')],
  ['system:certificates.k8s.io:legacy-unknown-approver', approver('kubernetes.io/legacy-unknown')],
];

/** ClusterRoleBindings (name = role name -> subjects); `system:node` has none (the Node authorizer serves nodes). */
export const SYSTEM_CLUSTER_ROLE_BINDINGS: [string, Subject[]][] = [
  ['system:monitoring', [group('system:monitoring')]],
  ['system:kube-controller-manager', [user('system:kube-controller-manager')]],
  ['system:kube-dns', [sa('kube-dns')]],
  ['system:kube-scheduler', [user('system:kube-scheduler')]],
  ['system:node', []],
  ['system:node-proxier', [user('system:kube-proxy')]],
  ['system:service-account-issuer-discovery', [group('system:serviceaccounts')]],
  ['system:volume-scheduler', [user('system:kube-scheduler')]],
];

const LEADER_LOCKING = [
  rule(['create', 'get', 'list', 'update', 'watch'], ['coordination.k8s.io'], ['leases']),
  rule(['create', 'get', 'list', 'update', 'watch'], ['coordination.k8s.io'], ['leasecandidates']),
];

/** Roles: [namespace, name, rules]. */
export const SYSTEM_ROLES: [string, string, PolicyRule[]][] = [
  ['kube-public', 'system:controller:bootstrap-signer', [
    rule(READ, [''], ['configmaps']),
    rule(['update'], [''], ['configmaps'], ['cluster-info']),
    EVENTS,
  ]],
  ['kube-system', 'extension-apiserver-authentication-reader', [rule(READ, [''], ['configmaps'], ['extension-apiserver-authentication'])]],
  ['kube-system', 'system::leader-locking-kube-controller-manager', LEADER_LOCKING],
  ['kube-system', 'system::leader-locking-kube-scheduler', LEADER_LOCKING],
  ['kube-system', 'system:controller:bootstrap-signer', [rule(READ, [''], ['secrets'])]],
  ['kube-system', 'system:controller:cloud-provider', [rule(['create', 'get', 'list', 'watch'], [''], ['configmaps'])]],
  ['kube-system', 'system:controller:token-cleaner', [rule(['delete', 'get', 'list', 'watch'], [''], ['secrets']), EVENTS]],
];

/** RoleBindings: [namespace, name, role, subjects]. */
export const SYSTEM_ROLE_BINDINGS: [string, string, string, Subject[]][] = [
  ['kube-public', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', [sa('bootstrap-signer')]],
  ['kube-system', 'system::extension-apiserver-authentication-reader', 'extension-apiserver-authentication-reader', [user('system:kube-controller-manager'), user('system:kube-scheduler')]],
  ['kube-system', 'system::leader-locking-kube-controller-manager', 'system::leader-locking-kube-controller-manager', [user('system:kube-controller-manager'), sa('kube-controller-manager'), sa('leader-election-controller')]],
  ['kube-system', 'system::leader-locking-kube-scheduler', 'system::leader-locking-kube-scheduler', [user('system:kube-scheduler'), sa('kube-scheduler')]],
  ['kube-system', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', [sa('bootstrap-signer')]],
  ['kube-system', 'system:controller:cloud-provider', 'system:controller:cloud-provider', [sa('cloud-provider')]],
  ['kube-system', 'system:controller:token-cleaner', 'system:controller:token-cleaner', [sa('token-cleaner')]],
];
