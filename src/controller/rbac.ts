/**
 * The RBAC a set of controllers needs, derived from their declarations:
 *
 *   for kind        get, list, watch (+ patch, update when a finalizer is used)
 *   for status      <plural>/status get, patch, update (kinds with a status subresource)
 *   finalizers      <plural>/finalizers update (when a finalizer is used)
 *   owns            get, list, watch, create, update, patch, delete
 *   watches, @Index get, list, watch
 *   events          "" events create, patch (the event recorder)
 *   leases          coordination.k8s.io leases get, create, update (leader election)
 *   + each controller's declared `rbac` extras.
 *
 * Rules are merged per API group and resource, then resources with the same verbs are
 * combined, and everything is sorted, so the output is deterministic.
 */
import { controllerMetadata } from './metadata.js';
import type { PolicyRule } from './metadata.js';
import type { KindRef } from './kinds.js';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete'];

class RuleSet {
  private readonly byResource = new Map<string, Set<string>>(); // "group\0resource" -> verbs
  private readonly special: PolicyRule[] = [];

  add(group: string, resource: string, verbs: string[]): void {
    const k = `${group}\u0000${resource}`;
    const s = this.byResource.get(k) ?? new Set<string>();
    for (const v of verbs) s.add(v);
    this.byResource.set(k, s);
  }

  addKind(kind: KindRef, verbs: string[]): void {
    this.add(kind.group, kind.plural, verbs);
  }

  addRule(r: PolicyRule): void {
    if (r.resourceNames?.length || r.nonResourceURLs?.length) {
      const norm: PolicyRule = {
        ...(r.apiGroups ? { apiGroups: [...new Set(r.apiGroups)].sort() } : {}),
        ...(r.resources ? { resources: [...new Set(r.resources)].sort() } : {}),
        ...(r.resourceNames?.length ? { resourceNames: [...new Set(r.resourceNames)].sort() } : {}),
        ...(r.nonResourceURLs?.length ? { nonResourceURLs: [...new Set(r.nonResourceURLs)].sort() } : {}),
        verbs: [...new Set(r.verbs)].sort(),
      };
      if (!this.special.some((x) => JSON.stringify(x) === JSON.stringify(norm))) this.special.push(norm);
      return;
    }
    for (const g of r.apiGroups ?? ['']) for (const res of r.resources ?? []) this.add(g, res, r.verbs);
  }

  rules(): PolicyRule[] {
    // group+verbs -> resources
    const combined = new Map<string, { group: string; verbs: string[]; resources: string[] }>();
    for (const [k, verbs] of this.byResource) {
      const [group, resource] = k.split('\u0000');
      const v = verbs.has('*') ? ['*'] : [...verbs].sort();
      const ck = `${group}\u0000${v.join(',')}`;
      const e = combined.get(ck) ?? { group, verbs: v, resources: [] };
      e.resources.push(resource);
      combined.set(ck, e);
    }
    const out = [...combined.values()]
      .map((e) => ({ apiGroups: [e.group], resources: e.resources.sort(), verbs: e.verbs }))
      .sort((a, b) => a.apiGroups[0].localeCompare(b.apiGroups[0]) || a.resources[0].localeCompare(b.resources[0]));
    const special = [...this.special].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return [...out, ...special];
  }
}

export interface RbacOptions {
  /** Include leases for leader election. Default true. */
  leaderElection?: boolean;
  /** Include events create/patch for the event recorder. Default true. */
  events?: boolean;
}

/** The merged, sorted rules the given @Controller classes need. */
export function rbacRules(controllers: readonly Function[], opts: RbacOptions = {}): PolicyRule[] {
  const set = new RuleSet();
  for (const c of controllers) {
    const m = controllerMetadata(c);
    if (m.for) {
      set.addKind(m.for, m.finalizer ? [...READ, 'patch', 'update'] : READ);
      if (m.for.hasStatus) set.add(m.for.group, `${m.for.plural}/status`, ['get', 'patch', 'update']);
      if (m.finalizer) set.add(m.for.group, `${m.for.plural}/finalizers`, ['update']);
    }
    for (const o of m.owns) set.addKind(o.kind, [...READ, ...WRITE]);
    for (const w of m.watches) set.addKind(w.kind, READ);
    for (const i of m.indexes) set.addKind(i.kind as KindRef, READ);
    for (const r of m.rbac) set.addRule(r);
  }
  if (opts.events ?? true) set.add('', 'events', ['create', 'patch']);
  if (opts.leaderElection ?? true) set.add('coordination.k8s.io', 'leases', ['create', 'get', 'update']);
  return set.rules();
}

/** A ClusterRole manifest with the rules the controllers need. */
export function clusterRoleManifest(controllers: readonly Function[], name = 'kubeloop-manager', opts: RbacOptions = {}): Record<string, unknown> {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: rbacRules(controllers, opts),
  };
}
