/**
 * The RBAC authorizer over the server's own store. Bindings are indexed by subject
 * (`User:<name>`, `Group:<name>`, `ServiceAccount:<ns>:<name>`); the index is rebuilt lazily
 * after any change to a RoleBinding or ClusterRoleBinding seen on the change bus, so a request
 * only looks at the bindings naming its user or one of its groups. Roles are read from the
 * store at decision time (always current), aggregation included (`roles.ts`).
 * `system:masters` is always allowed (upstream's privileged-group short cut).
 * Decisions are cached per user (name and groups) and request attributes; the cache is
 * dropped on any change to a Role, ClusterRole or binding (the change bus runs synchronously
 * with the write), so a decision never outlives the policy it was made from.
 */
import type { KubeObject } from '../../api/index.js';
import { MASTERS, type UserInfo } from '../auth/index.js';
import type { Change, Store } from '../storage/index.js';
import type { Attributes } from './attributes.js';
import { CLUSTER_ROLES, RBAC_GROUP, type RoleRef, ROLES, roleRefRules } from './roles.js';
import { type PolicyRule, ruleAllows } from './rules.js';

export { RBAC_GROUP } from './roles.js';
const ROLE_BINDINGS = `${RBAC_GROUP}/rolebindings`;
const CLUSTER_ROLE_BINDINGS = `${RBAC_GROUP}/clusterrolebindings`;
const POLICY_KINDS = new Set([ROLES, CLUSTER_ROLES, ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS]);
/** Cached decisions kept at most (per-name requests make many keys; the cache restarts when full). */
const MAX_CACHED_DECISIONS = 10_000;

const MASTERS_REASON = `RBAC: allowed for group "${MASTERS}"`;

/** Everything an RBAC decision depends on (uid and extra play no part in it). */
function decisionKey(a: Attributes): string {
  return JSON.stringify([a.user.name, a.user.groups, a.verb, a.resourceRequest, a.path, a.apiGroup, a.namespace, a.resource, a.subresource, a.name]);
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

type Binding = KubeObject & { subjects?: Subject[]; roleRef?: RoleRef };

export interface Decision {
  allowed: boolean;
  /** Why it was allowed (`RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to User "u"`). */
  reason: string;
}

/** Rules that apply to a user in a namespace (for SelfSubjectRulesReview). */
export interface AppliedRules {
  rules: PolicyRule[];
}

export interface Authorizer {
  authorize(a: Attributes): Decision;
  /** The rules `user` has in `namespace` (cluster-wide ones included). */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[];
}

/** Allows everything (`authorization: 'AlwaysAllow'`). */
export class AlwaysAllowAuthorizer implements Authorizer {
  authorize(): Decision {
    return { allowed: true, reason: '' };
  }

  rulesFor(): PolicyRule[] {
    return [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];
  }
}

function subjectKeys(user: UserInfo): string[] {
  const keys = [`User:${user.name}`, ...user.groups.map((g) => `Group:${g}`)];
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user.name);
  if (m) keys.push(`ServiceAccount:${m[1]}:${m[2]}`);
  return keys;
}

function subjectKey(s: Subject, bindingNs: string | undefined): string | undefined {
  if (!s || typeof s.name !== 'string') return undefined;
  if (s.kind === 'User' || s.kind === 'Group') return `${s.kind}:${s.name}`;
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace || bindingNs;
    return ns ? `ServiceAccount:${ns}:${s.name}` : undefined;
  }
  return undefined;
}

export class RbacAuthorizer implements Authorizer {
  /** subject -> bindings naming it (cluster-wide and namespaced). */
  private index: Map<string, Binding[]> | undefined;
  private readonly decisions = new Map<string, Decision>();
  private readonly unsubscribe: () => void;

  constructor(private readonly store: Store, onChange: (fn: (c: Change) => void, storageKeys?: readonly string[]) => () => void) {
    this.unsubscribe = onChange((c) => {
      if (!POLICY_KINDS.has(c.storageKey)) return;
      this.decisions.clear();
      if (c.storageKey === ROLE_BINDINGS || c.storageKey === CLUSTER_ROLE_BINDINGS) this.index = undefined;
    }, [...POLICY_KINDS]);
  }

  stop(): void {
    this.unsubscribe();
  }

  private bindingsFor(user: UserInfo): Binding[] {
    if (!this.index) {
      const idx = new Map<string, Binding[]>();
      for (const sk of [CLUSTER_ROLE_BINDINGS, ROLE_BINDINGS]) {
        for (const [, s] of this.store.scan(sk)) {
          const b = s.obj as Binding;
          for (const subj of b.subjects ?? []) {
            const k = subjectKey(subj, b.metadata.namespace);
            if (!k) continue;
            const list = idx.get(k) ?? [];
            if (!list.includes(b)) list.push(b);
            idx.set(k, list);
          }
        }
      }
      this.index = idx;
    }
    const out = new Set<Binding>();
    for (const k of subjectKeys(user)) for (const b of this.index.get(k) ?? []) out.add(b);
    return [...out];
  }

  private roleRules(b: Binding): PolicyRule[] {
    return roleRefRules(this.store, b.roleRef, b.metadata.namespace) ?? [];
  }

  authorize(a: Attributes): Decision {
    if (a.user.groups.includes(MASTERS)) return { allowed: true, reason: MASTERS_REASON };
    const key = decisionKey(a);
    const known = this.decisions.get(key);
    if (known) return { ...known };
    const d = this.decide(a);
    if (this.decisions.size >= MAX_CACHED_DECISIONS) this.decisions.clear();
    this.decisions.set(key, d);
    return { ...d };
  }

  private decide(a: Attributes): Decision {
    for (const b of this.bindingsFor(a.user)) {
      const ns = b.metadata.namespace;
      // A RoleBinding grants only in its namespace (cluster-scoped requests never match it).
      if (ns && a.namespace !== ns) continue;
      for (const r of this.roleRules(b)) {
        if (ruleAllows(a, r)) {
          // Upstream's wording: `RBAC: allowed by RoleBinding "name/ns" of Role "r" to User "u"`.
          const keys = subjectKeys(a.user);
          const subj = (b.subjects ?? []).find((x) => keys.includes(subjectKey(x, ns) ?? ''));
          const kind = ns ? 'RoleBinding' : 'ClusterRoleBinding';
          const name = ns ? `${b.metadata.name}/${ns}` : b.metadata.name;
          const to = subj ? ` to ${subj.kind} "${subj.kind === 'ServiceAccount' ? `${subj.namespace || ns}/${subj.name}` : subj.name}"` : '';
          return { allowed: true, reason: `RBAC: allowed by ${kind} "${name}" of ${b.roleRef?.kind} "${b.roleRef?.name}"${to}` };
        }
      }
    }
    return { allowed: false, reason: '' };
  }

  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    if (user.groups.includes(MASTERS)) return new AlwaysAllowAuthorizer().rulesFor();
    const out: PolicyRule[] = [];
    for (const b of this.bindingsFor(user)) {
      if (b.metadata.namespace && b.metadata.namespace !== namespace) continue;
      out.push(...this.roleRules(b));
    }
    return out;
  }
}
