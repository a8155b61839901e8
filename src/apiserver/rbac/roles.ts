/**
 * What a role grants: the one place that turns a binding's `roleRef` into rules, shared by the
 * authorizer (decisions) and the escalation check (may this user bind that role?). Both must
 * see the same rules, or a role that grants more than its stored `rules` (an aggregated one)
 * can be bound by someone who does not hold what it grants.
 *
 * Aggregation: upstream's clusterrole-aggregation controller rewrites an aggregated
 * ClusterRole's `rules` with the rules of every ClusterRole its `aggregationRule` selects, and
 * since those may be aggregated themselves (`edit` is selected by `admin`), the controller's
 * fixed point is the transitive union. This server has no such controller: it computes that
 * union from the store when asked (always current, never stale). Unlike upstream, the
 * aggregated role's own stored `rules` stay part of it (upstream's controller overwrites them).
 */
import { type KubeObject, labelSelectorFromSpec, type LabelSelectorSpec } from '../../api/index.js';
import type { Store } from '../storage/index.js';
import type { PolicyRule } from './rules.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const ROLES = `${RBAC_GROUP}/roles`;
export const CLUSTER_ROLES = `${RBAC_GROUP}/clusterroles`;

export interface RoleRef {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

export type Role = KubeObject & { rules?: PolicyRule[]; aggregationRule?: { clusterRoleSelectors?: LabelSelectorSpec[] } };

export function hasAggregationRule(role: Role | undefined): boolean {
  return !!role?.aggregationRule?.clusterRoleSelectors?.length;
}

/** A stored selector upstream validation would have refused selects nothing (never a failed decision). */
function selects(spec: LabelSelectorSpec, labels: Record<string, string>): boolean {
  try {
    return labelSelectorFromSpec(spec).matches(labels);
  } catch {
    return false;
  }
}

/** Every rule a ClusterRole grants: its own and, transitively, those of the ClusterRoles it aggregates. */
export function clusterRoleRules(store: Store, role: Role): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const seen = new Set<string>();
  const visit = (r: Role) => {
    const name = r.metadata.name ?? '';
    if (seen.has(name)) return;
    seen.add(name);
    rules.push(...(r.rules ?? []));
    const selectors = r.aggregationRule?.clusterRoleSelectors ?? [];
    if (!selectors.length) return;
    for (const [, s] of store.scan(CLUSTER_ROLES)) {
      const labels = s.obj.metadata.labels ?? {};
      if (selectors.some((sel) => selects(sel, labels))) visit(s.obj as Role);
    }
  };
  visit(role);
  return rules;
}

/**
 * The rules a binding in `namespace` (undefined for a ClusterRoleBinding) to `ref` grants, as
 * upstream's GetRoleReferenceRules: a Role is looked up in the binding's namespace, a
 * ClusterRole cluster-wide. Undefined when the role does not exist (or the kind is unknown).
 */
export function roleRefRules(store: Store, ref: RoleRef | undefined, namespace: string | undefined): PolicyRule[] | undefined {
  if (!ref?.name) return undefined;
  if (ref.kind === 'Role') {
    const role = namespace ? (store.get(ROLES, `${namespace}/${ref.name}`)?.obj as Role | undefined) : undefined;
    return role ? role.rules ?? [] : undefined;
  }
  if (ref.kind !== 'ClusterRole') return undefined;
  const role = store.get(CLUSTER_ROLES, ref.name)?.obj as Role | undefined;
  return role ? clusterRoleRules(store, role) : undefined;
}
