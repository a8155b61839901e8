/** Small helpers for the write path. */
import { randomBytes } from 'node:crypto';
import { pathSegmentProblems } from '../http/path-segment.js';
import { newNotFound, type StatusError } from '../../api/index.js';

/**
 * Structural equality of JSON-like values; a key whose value is undefined counts as absent.
 * Allocates nothing (every update compares the new object with the stored one).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  // every defined own key of a has an equal value in b, and b has as many defined own keys
  let left = 0;
  for (const k in x) {
    if (!Object.hasOwn(x, k) || x[k] === undefined) continue;
    if (!deepEqual(x[k], y[k])) return false;
    left++;
  }
  for (const k in y) if (Object.hasOwn(y, k) && y[k] !== undefined) left--;
  return left === 0;
}

/** A deep copy of a JSON value. */
export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5-character random suffix upstream appends to `generateName`. */
export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += SUFFIX_ALPHABET[bytes[i] % SUFFIX_ALPHABET.length];
  return s;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** No problems (shared: a valid name allocates nothing). */
const VALID: readonly string[] = Object.freeze([]);

/** Name rules per type, with upstream's messages (one per problem; empty when the name is valid). */
export function validateName(resource: string, group: string, name: string): readonly string[] {
  // RBAC names are path segment names (upstream's ValidateRBACName): `system:...` is fine.
  if (group === 'rbac.authorization.k8s.io') return pathSegmentProblems(name);
  // APIService names are path segments too (`v1.` names the core group); the strategy checks `<version>.<group>`.
  if (group === 'apiregistration.k8s.io') return pathSegmentProblems(name);
  if (resource === 'services' && group === '') {
    if (name.length > 63 || !DNS1035_LABEL.test(name)) {
      return ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"];
    }
    return VALID;
  }
  if (resource === 'namespaces' && group === '') {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) {
      return ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"];
    }
    return VALID;
  }
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return ["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"];
  }
  return VALID;
}


/**
 * The answer for a path no handler serves (an unknown group, version or resource, or a
 * namespaced path to a cluster-scoped resource): kube-apiserver's delegation chain ends in
 * notfoundhandler (k8s.io/apiserver/pkg/util/notfoundhandler), Go's plain `404 page not found`,
 * which client-go turns into NotFound "the server could not find the requested resource"
 * (NewGenericServerResponse) and kubectl prints as such. Answered here as that Status directly.
 */
export function notFoundPath(): StatusError {
  const e = newNotFound({ group: '', resource: '' }, '');
  e.status.message = 'the server could not find the requested resource';
  e.status.details = {};
  return e;
}
