/**
 * Impersonation (`kubectl --as/--as-group`): the `Impersonate-User`, `Impersonate-Group`,
 * `Impersonate-Uid` and `Impersonate-Extra-<key>` headers replace the requesting user when it may
 * `impersonate` each of them (users, groups, serviceaccounts for `system:serviceaccount:` names,
 * authentication.k8s.io `uids` and `userextras/<key>`), as upstream's impersonation filter.
 */
import type { IncomingMessage } from 'node:http';
import { newBadRequest, newForbidden } from '../../api/index.js';
import { ALL_AUTHENTICATED, ANONYMOUS, parseServiceAccountUser, serviceAccountGroups, type UserInfo } from '../auth/index.js';
import { type Attributes, forbiddenMessage } from './attributes.js';

const EXTRA_PREFIX = 'impersonate-extra-';

function values(req: IncomingMessage, name: string): string[] {
  const d = (req as IncomingMessage & { headersDistinct?: Record<string, string[]> }).headersDistinct;
  if (d) return d[name] ?? [];
  const v = req.headers[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** True when the request carries impersonation headers. */
export function wantsImpersonation(req: IncomingMessage): boolean {
  // for-in over the header names: no array of them per request
  const headers = req.headers;
  for (const h in headers) if (Object.hasOwn(headers, h) && h.startsWith('impersonate-')) return true;
  return false;
}

/** The impersonated user, after checking `requester` may impersonate every part of it (403 otherwise). */
export function impersonate(req: IncomingMessage, requester: UserInfo, allowed: (a: Attributes) => boolean): UserInfo {
  const users = values(req, 'impersonate-user');
  const groups = values(req, 'impersonate-group');
  const uids = values(req, 'impersonate-uid');
  const extra: Record<string, string[]> = {};
  for (const h of Object.keys(req.headers)) {
    if (!h.startsWith(EXTRA_PREFIX)) continue;
    let key = h.slice(EXTRA_PREFIX.length);
    try {
      key = decodeURIComponent(key);
    } catch {
      // keep as sent
    }
    extra[key] = values(req, h);
  }
  if (users.length !== 1 || !users[0]) {
    throw newBadRequest('requested impersonation of groups, uid or extra without impersonating a user (Impersonate-User)');
  }
  const name = users[0];
  const check = (a: Omit<Attributes, 'user' | 'verb' | 'resourceRequest'>) => {
    const attrs: Attributes = { user: requester, verb: 'impersonate', resourceRequest: true, ...a };
    if (!allowed(attrs)) throw newForbidden({ group: a.apiGroup ?? '', resource: a.resource ?? '' }, a.name ?? '', forbiddenMessage(attrs));
  };
  const sa = parseServiceAccountUser(name);
  const outGroups: string[] = [];
  if (sa) {
    check({ apiGroup: '', resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name });
    if (groups.length === 0) outGroups.push(...serviceAccountGroups(sa.namespace));
  } else check({ apiGroup: '', resource: 'users', name });
  for (const g of groups) {
    check({ apiGroup: '', resource: 'groups', name: g });
    if (!outGroups.includes(g)) outGroups.push(g);
  }
  for (const u of uids) check({ apiGroup: 'authentication.k8s.io', resource: 'uids', name: u });
  for (const [k, vs] of Object.entries(extra)) for (const v of vs) check({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: k, name: v });
  if (name !== ANONYMOUS && !outGroups.includes(ALL_AUTHENTICATED)) outGroups.push(ALL_AUTHENTICATED);
  const out: UserInfo = { name, groups: outGroups };
  if (uids[0]) out.uid = uids[0];
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}
