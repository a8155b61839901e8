/**
 * RBAC escalation prevention, as upstream's RBAC storage: a user may create or update a Role or
 * ClusterRole only with permissions it already holds (in the Role's namespace; cluster-wide for
 * a ClusterRole) unless it may `escalate` it, and may create or update a binding only to a role
 * whose permissions it holds unless it may `bind` that role. In-process writes (controllers,
 * bootstrap) carry no user and are not checked. The user of the HTTP request comes with the
 * admission request (`req.user`, from the request gate through the HTTP handlers).
 */
import { type KubeObject, newForbidden } from '../../api/index.js';
import type { AdmissionPlugin, AdmissionRequest } from '../admission/index.js';
import type { UserInfo } from '../auth/index.js';
import type { Store } from '../storage/index.js';
import type { Attributes } from './attributes.js';
import { RBAC_GROUP, type Authorizer } from './authorizer.js';
import type { PolicyRule } from './rules.js';

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

function missing(rules: PolicyRule[], user: UserInfo, namespace: string | undefined, authz: Authorizer): Attributes[] {
  const out: Attributes[] = [];
  for (const r of rules) for (const a of atoms(r, user, namespace)) if (!authz.authorize(a).allowed) out.push(a);
  return out;
}

function describe(a: Attributes): string {
  if (!a.resourceRequest) return `{NonResourceURLs:[${JSON.stringify(a.path)}], Verbs:[${JSON.stringify(a.verb)}]}`;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const names = a.name ? `, ResourceNames:[${JSON.stringify(a.name)}]` : '';
  return `{APIGroups:[${JSON.stringify(a.apiGroup)}], Resources:[${JSON.stringify(res)}]${names}, Verbs:[${JSON.stringify(a.verb)}]}`;
}

const ROLE_KINDS: Record<string, 'roles' | 'clusterroles'> = { roles: 'roles', clusterroles: 'clusterroles' };

export function escalationCheck(store: Store, authz: Authorizer): AdmissionPlugin {
  const refused = (req: AdmissionRequest, user: UserInfo, miss: Attributes[]) =>
    newForbidden({ group: RBAC_GROUP, resource: req.type.resource }, req.name,
      `user ${JSON.stringify(user.name)} (groups=${JSON.stringify(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${miss.map(describe).join('\n')}`);
  const may = (user: UserInfo, verb: string, resource: string, name: string, namespace: string | undefined) =>
    authz.authorize({ user, verb, resourceRequest: true, apiGroup: RBAC_GROUP, resource, name, namespace }).allowed;
  return {
    name: 'RBACEscalation',
    validate(req) {
      if (req.type.group !== RBAC_GROUP || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return;
      const user = req.user;
      if (!user) return;
      const ns = req.type.namespaced ? req.namespace : undefined;
      const obj = req.object as KubeObject & { rules?: PolicyRule[]; roleRef?: { kind?: string; name?: string } };
      if (ROLE_KINDS[req.type.resource]) {
        if (may(user, 'escalate', req.type.resource, req.name, ns)) return;
        const miss = missing(obj.rules ?? [], user, ns, authz);
        if (miss.length) throw refused(req, user, miss);
        return;
      }
      if (req.type.resource !== 'rolebindings' && req.type.resource !== 'clusterrolebindings') return;
      const ref = obj.roleRef;
      if (!ref?.name) return;
      const roleResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
      if (may(user, 'bind', roleResource, ref.name, ns)) return;
      const role = ref.kind === 'Role'
        ? store.get(`${RBAC_GROUP}/roles`, `${ns}/${ref.name}`)
        : store.get(`${RBAC_GROUP}/clusterroles`, ref.name);
      // A binding to a missing role grants nothing (yet); upstream refuses it without `bind`.
      const rules = ((role?.obj as { rules?: PolicyRule[] } | undefined)?.rules) ?? [{ verbs: ['bind'], apiGroups: [RBAC_GROUP], resources: [roleResource], resourceNames: [ref.name] }];
      const miss = missing(rules, user, ns, authz);
      if (miss.length) throw refused(req, user, miss);
    },
  };
}
