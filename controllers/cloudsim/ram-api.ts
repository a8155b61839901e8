/**
 * `/_sim/ram`: inspect and edit the emulated account's RAM — custom policies, RAM users with
 * AccessKeys of their own, and which policies are attached to which user or role (see ram.ts
 * for how they are evaluated and docs/cloud.md for curl examples):
 *
 *   GET    /_sim/ram                                   everything (accountId, users, policies, attachments)
 *   GET    /_sim/ram/policies                          custom policies
 *   GET|PUT|DELETE /_sim/ram/policies/{name}           one policy; PUT takes a policy document, or {document, description};
 *                                                      DELETE also detaches it
 *   GET    /_sim/ram/users                             users and their AccessKeys
 *   PUT|DELETE /_sim/ram/users/{name}                  create a user (body {accessKeys: [{accessKeyId, accessKeySecret}]}
 *                                                      or none: one key is generated) / delete it and its attachments
 *   GET    /_sim/ram/{users|roles}/{name}/policies     the policies attached to a user or a role
 *   PUT|DELETE /_sim/ram/{users|roles}/{name}/policies/{policy}
 *                                                      attach / detach; a PUT with a policy document in the body also
 *                                                      creates or replaces the policy first
 *   POST   /_sim/ram/evaluate                          {user | role | accessKeyId, action, resource?}: RAM's decision
 *
 * Bad documents and names are refused with 400 and the reason; unknown users, policies and
 * attachments are 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError, type Cloud } from './cloud.js';
import { parsePolicy } from './ram-policy.js';
import { arn, attachedPolicies, authorize, isRamName, type Principal } from './ram.js';
import { DEFAULT_RAM_USER, randomToken, type RamPolicy, type RamState } from './state.js';
import { readJson, sendJson } from './simhttp.js';

export interface RamApiDeps {
  cloud: Cloud;
  /** the configured AccessKeyId: user `kubeloop`'s, not reusable by other users */
  accessKeyId: string;
}

const isoNow = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function name(kind: string, raw: string): string {
  let n: string;
  try { n = decodeURIComponent(raw); } catch { n = raw; }
  if (!isRamName(n)) throw new SimError('InvalidParameter', `${JSON.stringify(n)} is not a valid ${kind} name (1-128 letters, digits, ".", "_", "@", "-")`, 400);
  return n;
}

/** A policy document from a PUT body: the document itself, or {document, description}. */
function policyFromBody(body: unknown): { document: RamPolicy['document']; description?: string } {
  if (body === undefined) throw new SimError('MalformedPolicyDocument', 'the body must be a policy document ({"Version":"1","Statement":[...]}) or {"document": ..., "description": ...}', 400);
  const wrapped = body && typeof body === 'object' && !Array.isArray(body) && 'document' in body;
  const raw = wrapped ? (body as { document: unknown }).document : body;
  const description = wrapped ? (body as { description?: unknown }).description : undefined;
  if (description !== undefined && typeof description !== 'string') throw new SimError('InvalidParameter', 'description must be a string', 400);
  if (wrapped) {
    const extra = Object.keys(body as object).filter((k) => k !== 'document' && k !== 'description');
    if (extra.length) throw new SimError('InvalidParameter', `unknown field(s) ${extra.join(', ')} (expected document, description)`, 400);
  }
  const { document, problems } = parsePolicy(raw);
  if (!document) throw new SimError('MalformedPolicyDocument', `the policy document is malformed: ${problems.join('; ')}`, 400);
  return { document, description };
}

export function createRamApi(deps: RamApiDeps): (req: IncomingMessage, res: ServerResponse, path: string, method: string) => Promise<void> {
  const { cloud } = deps;
  const ram = (): RamState => cloud.state.ram;

  const upsertPolicy = (policyName: string, body: unknown): { policy: RamPolicy; created: boolean } => {
    const { document, description } = policyFromBody(body);
    const existing = ram().policies.find((p) => p.policyName === policyName);
    if (existing) {
      existing.document = document;
      if (description !== undefined) existing.description = description;
      existing.updateDate = isoNow();
      return { policy: existing, created: false };
    }
    const now = isoNow();
    const policy: RamPolicy = { policyName, description: description ?? '', document, createDate: now, updateDate: now };
    ram().policies.push(policy);
    return { policy, created: true };
  };

  const principal = (kind: string, n: string): Principal => {
    if (kind === 'users') {
      if (!ram().users.some((u) => u.userName === n)) throw new SimError('EntityNotExist.User', `The user does not exist: ${n} (create it with PUT /_sim/ram/users/${n})`, 404);
      return { type: 'User', name: n };
    }
    return { type: 'Role', name: n, session: 'evaluate' };
  };

  return async (req, res, path, method) => {
    const parts = path.split('/').slice(3); // after '', '_sim', 'ram'
    const [a, b, c, d] = parts;
    const n = parts.length;

    if (n === 0 && method === 'GET') return sendJson(res, 200, { ...ram(), defaultUser: { userName: DEFAULT_RAM_USER, accessKeyId: deps.accessKeyId } });

    if (a === 'policies') {
      if (n === 1 && method === 'GET') return sendJson(res, 200, { policies: ram().policies });
      if (n === 2) {
        const policyName = name('policy', b);
        const policy = ram().policies.find((p) => p.policyName === policyName);
        if (method === 'GET') {
          if (!policy) throw new SimError('EntityNotExist.Policy', `The policy does not exist: ${policyName}`, 404);
          const attachedTo = ram().attachments.filter((x) => x.policyName === policyName).map(({ principalType, principalName }) => ({ principalType, principalName }));
          return sendJson(res, 200, { ...policy, attachedTo });
        }
        if (method === 'PUT') {
          const out = upsertPolicy(policyName, await readJson(req));
          cloud.changed();
          return sendJson(res, out.created ? 201 : 200, out.policy);
        }
        if (method === 'DELETE') {
          if (!policy) throw new SimError('EntityNotExist.Policy', `The policy does not exist: ${policyName}`, 404);
          const detached = ram().attachments.filter((x) => x.policyName === policyName);
          ram().policies = ram().policies.filter((p) => p !== policy);
          ram().attachments = ram().attachments.filter((x) => x.policyName !== policyName);
          cloud.changed();
          return sendJson(res, 200, { deleted: policyName, detached });
        }
      }
    }

    if (a === 'users' && n === 1 && method === 'GET') return sendJson(res, 200, { users: ram().users });
    if (a === 'users' && n === 2) {
      const userName = name('user', b);
      const user = ram().users.find((u) => u.userName === userName);
      if (method === 'GET') {
        if (!user) throw new SimError('EntityNotExist.User', `The user does not exist: ${userName}`, 404);
        return sendJson(res, 200, user);
      }
      if (method === 'PUT') {
        const body = await readJson(req) as { accessKeys?: unknown } | undefined;
        if (body !== undefined && (!body || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).some((k) => k !== 'accessKeys'))) {
          throw new SimError('InvalidParameter', 'the body must be {"accessKeys": [{"accessKeyId", "accessKeySecret"}]} (or empty: one key is generated)', 400);
        }
        let keys = body?.accessKeys as Array<{ accessKeyId: string; accessKeySecret: string }> | undefined;
        if (keys !== undefined) {
          if (!Array.isArray(keys) || keys.some((k) => !k || typeof k !== 'object' || typeof k.accessKeyId !== 'string' || !/^[\w.-]{8,128}$/.test(k.accessKeyId) || typeof k.accessKeySecret !== 'string' || k.accessKeySecret.length < 8)) {
            throw new SimError('InvalidParameter', 'accessKeys must be a list of {accessKeyId (8-128 letters, digits, ".", "_", "-"), accessKeySecret (8+ characters)}', 400);
          }
          keys = keys.map(({ accessKeyId, accessKeySecret }) => ({ accessKeyId, accessKeySecret }));
          const taken = new Set([deps.accessKeyId, ...ram().users.filter((u) => u.userName !== userName).flatMap((u) => u.accessKeys.map((k) => k.accessKeyId)), ...cloud.state.stsCredentials.map((k) => k.accessKeyId)]);
          const clash = keys.find((k) => taken.has(k.accessKeyId));
          if (clash) throw new SimError('InvalidParameter', `AccessKeyId ${clash.accessKeyId} is already in use by another credential`, 400);
        }
        if (user) {
          if (keys) user.accessKeys = keys;
          cloud.changed();
          return sendJson(res, 200, user);
        }
        const created = { userName, accessKeys: keys ?? [{ accessKeyId: `LTAI5t${randomToken(12).replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}`, accessKeySecret: randomToken(24) }] };
        ram().users.push(created);
        cloud.changed();
        return sendJson(res, 201, created);
      }
      if (method === 'DELETE') {
        if (!user) throw new SimError('EntityNotExist.User', `The user does not exist: ${userName}`, 404);
        if (userName === DEFAULT_RAM_USER) throw new SimError('DeleteConflict.User', `user ${DEFAULT_RAM_USER} owns the emulator's configured AccessKey and cannot be deleted; detach its policies instead`, 409);
        ram().users = ram().users.filter((u) => u !== user);
        ram().attachments = ram().attachments.filter((x) => !(x.principalType === 'User' && x.principalName === userName));
        cloud.changed();
        return sendJson(res, 200, { deleted: userName });
      }
    }

    if ((a === 'users' || a === 'roles') && c === 'policies' && (n === 3 || n === 4)) {
      const who = principal(a, name(a === 'users' ? 'user' : 'role', b));
      const principalType = who.type;
      const principalName = who.name;
      const same = (x: { principalType: string; principalName: string }) => x.principalType === principalType
        && (principalType === 'Role' ? x.principalName.toLowerCase() === principalName.toLowerCase() : x.principalName === principalName);
      if (n === 3 && method === 'GET') {
        const names = ram().attachments.filter(same).map((x) => x.policyName);
        return sendJson(res, 200, { principalType, principalName, policies: ram().policies.filter((p) => names.includes(p.policyName)) });
      }
      if (n === 4) {
        const policyName = name('policy', d);
        if (method === 'PUT') {
          const body = await readJson(req);
          if (body !== undefined) upsertPolicy(policyName, body);
          else if (!ram().policies.some((p) => p.policyName === policyName)) {
            throw new SimError('EntityNotExist.Policy', `The policy does not exist: ${policyName} (PUT /_sim/ram/policies/${policyName} first, or send the document in this request's body)`, 404);
          }
          if (!ram().attachments.some((x) => same(x) && x.policyName === policyName)) ram().attachments.push({ policyName, principalType, principalName });
          cloud.changed();
          return sendJson(res, 200, { attached: policyName, principalType, principalName });
        }
        if (method === 'DELETE') {
          const before = ram().attachments.length;
          ram().attachments = ram().attachments.filter((x) => !(same(x) && x.policyName === policyName));
          if (ram().attachments.length === before) throw new SimError('EntityNotExist.Attachment', `policy ${policyName} is not attached to ${principalType.toLowerCase()} ${principalName}`, 404);
          cloud.changed();
          return sendJson(res, 200, { detached: policyName, principalType, principalName });
        }
      }
    }

    if (a === 'evaluate' && n === 1 && method === 'POST') {
      const body = await readJson(req) as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new SimError('InvalidParameter', 'the body must be {user | role | accessKeyId, action, resource?}', 400);
      const { user, role, accessKeyId, action, resource } = body;
      if (typeof action !== 'string' || !/^[a-z0-9-]+:[A-Za-z0-9]+$/i.test(action)) throw new SimError('InvalidParameter', 'action must be "<service>:<Action>", e.g. "vpc:CreateRouteEntry"', 400);
      if (resource !== undefined && typeof resource !== 'string') throw new SimError('InvalidParameter', 'resource must be an ARN string', 400);
      let who: Principal;
      if (typeof user === 'string') who = principal('users', name('user', user));
      else if (typeof role === 'string') who = principal('roles', name('role', role));
      else if (typeof accessKeyId === 'string') {
        const owner = accessKeyId === deps.accessKeyId ? DEFAULT_RAM_USER : ram().users.find((u) => u.accessKeys.some((k) => k.accessKeyId === accessKeyId))?.userName;
        const sts = cloud.state.stsCredentials.find((k) => k.accessKeyId === accessKeyId);
        if (owner) who = { type: 'User', name: owner };
        else if (sts?.roleName) who = { type: 'Role', name: sts.roleName, session: sts.sessionName ?? 'session', sessionPolicy: sts.policy };
        else throw new SimError('InvalidParameter', `AccessKeyId ${accessKeyId} belongs to no user or role session`, 400);
      } else throw new SimError('InvalidParameter', 'name the principal: user, role or accessKeyId', 400);
      const target = resource ?? arn(cloud.state, action.split(':')[0].toLowerCase(), '*');
      const verdict = authorize(ram(), who, action, target);
      const policies = attachedPolicies(ram(), who).length;
      return sendJson(res, 200, { principal: who.type === 'User' ? { type: 'User', name: who.name } : { type: 'Role', name: who.name }, action, resource: target, ...verdict, attachedPolicies: policies, ...(policies ? {} : { note: 'no policy attached: unrestricted (the emulator\'s default)' }) });
    }

    throw new SimError('NotFound', `${method} ${path} is not part of the /_sim/ram API (see docs/cloud.md)`, 404);
  };
}
