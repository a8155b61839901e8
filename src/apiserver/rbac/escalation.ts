/**
 * RBAC escalation prevention, as upstream's policy-based RBAC storage
 * (pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased):
 *
 * - a Role or ClusterRole may be created or updated only with rules the user already holds (in
 *   the Role's namespace; cluster-wide for a ClusterRole), unless the user may `escalate` it;
 * - a ClusterRole with an `aggregationRule` (or one that had it, on update) needs cluster-admin
 *   privileges (`*` on everything), unless the user may `escalate` it: the selector can gather
 *   any role's rules, the bootstrap ones included;
 * - a binding may be created or updated only to a role whose rules the user holds where the
 *   binding grants them (its namespace; cluster-wide for a ClusterRoleBinding), unless the user
 *   may `bind` that role there. The rules are the ones the authorizer would grant through the
 *   binding (`roleRefRules`: aggregation included), never only the role's stored `rules`,
 *   which are empty for an aggregated role.
 *
 * In-process writes (controllers, bootstrap) carry no user and are not checked. The user of
 * the HTTP request comes with the admission request (`req.user`, from the request gate through
 * the HTTP handlers).
 */
import { type KubeObject, newForbidden, newNotFound } from '../../api/index.js';
import type { AdmissionPlugin, AdmissionRequest } from '../admission/index.js';
import type { UserInfo } from '../auth/index.js';
import type { Store } from '../storage/index.js';
import type { Attributes } from './attributes.js';
import type { Authorizer } from './authorizer.js';
import { hasAggregationRule, RBAC_GROUP, type Role, type RoleRef, roleRefRules } from './roles.js';
import type { PolicyRule } from './rules.js';

/** Upstream's `fullAuthority`: what cluster-admin holds. */
const FULL_AUTHORITY: PolicyRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];

/** Every concrete permission a rule grants (wildcards stay as `*`, which only `*` covers). */
function atoms(rule: PolicyRule, user: UserInfo, namespace: string | undefined): Attributes[] {
  const out: Attributes[] = [];
  for (const verb of rule.verbs ?? []) {
    for (const path of rule.nonResourceURLs ?? []) out.push({ user, verb, resourceRequest: false, path });
    for (const apiGroup of rule.apiGroups ?? []) {
      for (const res of rule.resources ?? []) {
        const [resource, ...sub] = res.split('/');
        const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
        for (const name of names) out.push({ user, verb, resourceRequest: true, apiGroup, namespace, resource, subresource: sub.join('/') || undefined, name });
      }
    }
  }
  return out;
}

/** The permissions in `rules` that `user` does not hold in `namespace` (upstream's ConfirmNoEscalation). */
function missing(rules: PolicyRule[], user: UserInfo, namespace: string | undefined, authz: Authorizer): Attributes[] {
  const out: Attributes[] = [];
  for (const r of rules) for (const a of atoms(r, user, namespace)) if (!authz.authorize(a).allowed) out.push(a);
  return out;
}

/** Go's `%q` of a []string: `["a" "b"]`. */
const goQuoted = (list: string[]) => `[${list.map((x) => JSON.stringify(x)).join(' ')}]`;

/**
 * Upstream's list of missing permissions: resource permissions that differ only by verb are
 * merged (CompactRules), each is rendered as PolicyRule.CompactString, and the lines are
 * sorted without duplicates (one line per resource, not one per verb).
 */
function describeMissing(miss: Attributes[]): string {
  const lines = new Set<string>();
  const byResource = new Map<string, { a: Attributes; verbs: string[] }>();
  for (const a of miss) {
    if (!a.resourceRequest) {
      lines.add(`{NonResourceURLs:${goQuoted([a.path ?? ''])}, Verbs:${goQuoted([a.verb])}}`);
      continue;
    }
    const key = JSON.stringify([a.apiGroup, a.resource, a.subresource, a.name]);
    const entry = byResource.get(key) ?? { a, verbs: [] };
    entry.verbs.push(a.verb);
    byResource.set(key, entry);
  }
  for (const { a, verbs } of byResource.values()) {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource ?? '';
    const names = a.name ? `, ResourceNames:${goQuoted([a.name])}` : '';
    lines.add(`{APIGroups:${goQuoted([a.apiGroup ?? ''])}, Resources:${goQuoted([resource])}${names}, Verbs:${goQuoted(verbs)}}`);
  }
  return [...lines].sort().join('\n');
}

const ROLE_RESOURCES = new Set(['roles', 'clusterroles']);
const BINDING_RESOURCES = new Set(['rolebindings', 'clusterrolebindings']);

export function escalationCheck(store: Store, authz: Authorizer): AdmissionPlugin {
  const may = (user: UserInfo, verb: string, resource: string, name: string, namespace: string | undefined) =>
    authz.authorize({ user, verb, resourceRequest: true, apiGroup: RBAC_GROUP, resource, name, namespace }).allowed;

  /** Refuses unless `user` holds every rule in `rules` (upstream's wording). */
  const confirmHeld = (req: AdmissionRequest, user: UserInfo, rules: PolicyRule[], namespace: string | undefined) => {
    const miss = missing(rules, user, namespace, authz);
    if (!miss.length) return;
    throw newForbidden({ group: RBAC_GROUP, resource: req.type.resource }, req.name,
      `user ${JSON.stringify(user.name)} (groups=${goQuoted(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${describeMissing(miss)}`);
  };

  const checkRole = (req: AdmissionRequest, user: UserInfo, namespace: string | undefined) => {
    if (may(user, 'escalate', req.type.resource, req.name, namespace)) return;
    const role = req.object as Role;
    confirmHeld(req, user, role.rules ?? [], namespace);
    if (req.type.resource !== 'clusterroles') return;
    if (!hasAggregationRule(role) && !hasAggregationRule(req.oldObject as Role | undefined)) return;
    if (missing(FULL_AUTHORITY, user, undefined, authz).length) {
      throw newForbidden({ group: RBAC_GROUP, resource: 'clusterroles' }, req.name, 'must have cluster-admin privileges to use the aggregationRule');
    }
  };

  const checkBinding = (req: AdmissionRequest, user: UserInfo, namespace: string | undefined) => {
    const ref = (req.object as KubeObject & { roleRef?: RoleRef }).roleRef;
    if (!ref?.name) return;
    const roleResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    // Upstream's BindingAuthorized: `bind` is checked where the binding grants (its namespace).
    if (may(user, 'bind', roleResource, ref.name, namespace)) return;
    const rules = roleRefRules(store, ref, namespace);
    if (!rules) throw newNotFound({ group: RBAC_GROUP, resource: roleResource }, ref.name);
    confirmHeld(req, user, rules, namespace);
  };

  return {
    name: 'RBACEscalation',
    appliesTo: (t) => t.group === RBAC_GROUP && (ROLE_RESOURCES.has(t.resource) || BINDING_RESOURCES.has(t.resource)),
    validate(req) {
      if (req.type.group !== RBAC_GROUP || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return;
      const user = req.user;
      if (!user) return;
      const namespace = req.type.namespaced ? req.namespace : undefined;
      if (ROLE_RESOURCES.has(req.type.resource)) checkRole(req, user, namespace);
      else if (BINDING_RESOURCES.has(req.type.resource)) checkBinding(req, user, namespace);
    },
  };
}
