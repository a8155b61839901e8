/**
 * The review endpoints (create-only, nothing stored):
 * - authorization.k8s.io/v1 `selfsubjectaccessreviews`, `subjectaccessreviews`,
 *   `namespaces/<ns>/localsubjectaccessreviews` (`kubectl auth can-i`),
 * - authorization.k8s.io/v1 `selfsubjectrulesreviews` (`kubectl auth can-i --list`),
 * - authentication.k8s.io/v1 `selfsubjectreviews` (`kubectl auth whoami`) and `tokenreviews`.
 * The request itself is authorized like any create (bootstrap `system:basic-user` allows the
 * self reviews to every authenticated user).
 */
import { type KubeObject, newBadRequest, newInvalid } from '../../api/index.js';
import type { Authenticator, UserInfo } from '../auth/index.js';
import type { ResourcePath } from '../http/request.js';
import type { ResourceRegistry, ResourceType } from '../resources/index.js';
import type { Attributes } from './attributes.js';
import type { Authorizer } from './authorizer.js';
import type { PolicyRule } from './rules.js';
import { decodeErrorBuiltin } from '../schema/index.js';

export const AUTHZ_GROUP = 'authorization.k8s.io';
export const AUTHN_GROUP = 'authentication.k8s.io';

const REVIEWS: { group: string; resource: string; kind: string; namespaced: boolean }[] = [
  { group: AUTHZ_GROUP, resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false },
  { group: AUTHZ_GROUP, resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false },
  { group: AUTHZ_GROUP, resource: 'localsubjectaccessreviews', kind: 'LocalSubjectAccessReview', namespaced: true },
  { group: AUTHZ_GROUP, resource: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview', namespaced: false },
  { group: AUTHN_GROUP, resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false },
  { group: AUTHN_GROUP, resource: 'tokenreviews', kind: 'TokenReview', namespaced: false },
];

/** Adds the review kinds to the registry (discovery lists them, verb `create`). */
export function registerReviewTypes(registry: ResourceRegistry): void {
  for (const r of REVIEWS) {
    if (registry.get(r.group, 'v1', r.resource)) continue;
    const t: ResourceType = {
      group: r.group, version: 'v1', resource: r.resource, kind: r.kind, listKind: `${r.kind}List`, singular: r.kind.toLowerCase(), namespaced: r.namespaced,
      verbs: ['create'], shortNames: [], categories: [], subresources: [], hasStatus: false, returnDeletedObject: false,
      storageKey: `${r.group}/${r.resource}`, builtin: true,
    };
    registry.add(t);
  }
}

/**
 * Which review a request names, if any, from the request's one parse (`requestTarget`): the
 * namespace answered for is the one the request gate authorized (decoded), never a second
 * reading of the raw path.
 */
export function reviewOf(p: ResourcePath): { kind: string; namespace?: string } | undefined {
  if (p.version !== 'v1' || p.watchPrefix || p.name !== undefined) return undefined;
  // a loop, not find() with a closure: every request asks
  for (const r of REVIEWS) {
    if (r.group === p.group && r.resource === p.resource && r.namespaced === (p.namespace !== undefined)) return { kind: r.kind, namespace: p.namespace };
  }
  return undefined;
}

interface ResourceAttributes {
  namespace?: string; verb?: string; group?: string; version?: string; resource?: string; subresource?: string; name?: string;
}
interface ReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string; groups?: string[]; uid?: string; extra?: Record<string, string[]>;
  namespace?: string; token?: string; audiences?: string[];
}

function specAttributes(kind: string, user: UserInfo, spec: ReviewSpec): Attributes {
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  if (!!ra === !!nra) {
    throw newInvalid(AUTHZ_GROUP, kind, '', [{ type: 'FieldValueInvalid', field: 'spec', message: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
  }
  if (nra) return { user, verb: nra.verb ?? '', resourceRequest: false, path: nra.path ?? '' };
  return {
    user, verb: ra!.verb ?? '', resourceRequest: true, apiGroup: ra!.group ?? '', apiVersion: ra!.version, namespace: ra!.namespace || undefined,
    resource: ra!.resource ?? '', subresource: ra!.subresource || undefined, name: ra!.name || undefined,
  };
}

function compactRules(rules: PolicyRule[]) {
  const resourceRules: object[] = [];
  const nonResourceRules: object[] = [];
  for (const r of rules) {
    if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs });
    if (r.resources?.length) {
      const o: Record<string, unknown> = { verbs: r.verbs ?? [], apiGroups: r.apiGroups ?? [], resources: r.resources };
      if (r.resourceNames?.length) o.resourceNames = r.resourceNames;
      resourceRules.push(o);
    }
  }
  return { resourceRules, nonResourceRules, incomplete: false };
}

/** Answers a review; returns the response object (code 201). */
export function answerReview(kind: string, namespace: string | undefined, body: unknown, requester: UserInfo, authz: Authorizer, authn: Authenticator): KubeObject {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw newBadRequest(`a ${kind} body is required`);
  const group = kind === 'SelfSubjectReview' || kind === 'TokenReview' ? AUTHN_GROUP : AUTHZ_GROUP;
  // Go's decoder types every field first (a TokenReview's `spec.token` must be a string).
  const decodeErr = decodeErrorBuiltin({ group, version: 'v1', kind }, body);
  if (decodeErr) throw decodeErr;
  const obj = body as KubeObject & { spec?: ReviewSpec };
  const spec: ReviewSpec = obj.spec ?? {};
  const out = { ...obj, apiVersion: `${group}/v1`, kind, metadata: { ...(obj.metadata ?? {}), creationTimestamp: null } } as unknown as KubeObject & Record<string, unknown>;
  switch (kind) {
    case 'SelfSubjectAccessReview':
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview': {
      let user = requester;
      if (kind !== 'SelfSubjectAccessReview') {
        if (!spec.user && !spec.groups?.length) {
          throw newInvalid(AUTHZ_GROUP, kind, '', [{ type: 'FieldValueInvalid', field: 'spec.user', message: 'at least one of user or group must be specified' }]);
        }
        user = { name: spec.user ?? '', groups: spec.groups ?? [], uid: spec.uid, extra: spec.extra };
      }
      const a = specAttributes(kind, user, spec);
      if (kind === 'LocalSubjectAccessReview') {
        if (!a.resourceRequest || (a.namespace && a.namespace !== namespace)) {
          throw newInvalid(AUTHZ_GROUP, kind, '', [{ type: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', message: 'must match metadata.namespace' }]);
        }
        a.namespace = namespace;
        out.metadata = { ...out.metadata, namespace };
      }
      const d = authz.authorize(a);
      out.status = d.allowed ? { allowed: true, reason: d.reason } : { allowed: false };
      return out;
    }
    case 'SelfSubjectRulesReview': {
      if (!spec.namespace) throw newInvalid(AUTHZ_GROUP, kind, '', [{ type: 'FieldValueRequired', field: 'spec.namespace', message: '' }]);
      out.status = compactRules(authz.rulesFor(requester, spec.namespace));
      return out;
    }
    case 'SelfSubjectReview':
      out.status = { userInfo: { username: requester.name, uid: requester.uid, groups: requester.groups, extra: requester.extra } };
      return out;
    case 'TokenReview': {
      const u = spec.token ? authn.authenticateToken(spec.token) : undefined;
      out.status = u
        ? { authenticated: true, user: { username: u.name, uid: u.uid, groups: [...u.groups, 'system:authenticated'], extra: u.extra }, audiences: spec.audiences?.length ? spec.audiences : authn.audiences }
        : { authenticated: false, error: 'invalid bearer token' };
      return out;
    }
  }
  throw newBadRequest(`unknown review kind ${kind}`);
}
