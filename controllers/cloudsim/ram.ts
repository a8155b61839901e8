/**
 * RAM authorization of every API call: who the caller is (a RAM user by its AccessKey, or a
 * role session by its STS credentials), which identity policies apply, and the error each
 * product answers when they deny the call.
 *
 * Principals: the configured AccessKey is user `kubeloop`; `PUT /_sim/ram/users/{name}` adds
 * users with keys of their own; STS credentials act as the role they were issued for
 * (AssumeRole's `RoleArn`, RRSA's AssumeRoleWithOIDC, `POST /_sim/sts {"roleName"}` as the
 * metadata service hands an instance RAM role out), narrowed by AssumeRole's session `Policy`.
 *
 * A principal with no policy attached is unrestricted — the emulator's default, unlike real
 * RAM (where a new user may do nothing), so `kubeloop dev` works without any set-up. Once a
 * policy is attached, RAM's evaluation applies: an explicit Deny wins, an Allow grants,
 * anything else is implicitly denied.
 *
 * The refusals, per product:
 * - ECS, VPC, CR (RPC 2018-12-01 and the Personal Edition's `GET /tokens`): HTTP 403
 *   `Forbidden.RAM` "User not authorized to operate on the specified resource, or this API
 *   doesn't support RAM." (Alibaba Cloud's common error; seen verbatim from alidns/ECS in
 *   acmesh-official/acme.sh#1898, mgsky1/DDNS#27). POP adds an `AccessDeniedDetail` object
 *   (AuthAction, AuthPrincipalType SubUser|AssumedRoleUser, AuthPrincipalDisplayName,
 *   AuthPrincipalOwnerId, NoPermissionType ImplicitDeny|ExplicitDeny, PolicyType, as in ACK's
 *   RRSA demo output) that the SDKs surface as the error's data.
 * - ESS: HTTP 403 `Forbidden.Unauthorized` "A required authorization for the specified action
 *   is not supplied." (ESS API usage notes; what cluster-autoscaler logs without ESS permissions,
 *   aliyun/terraform-provider-alibabacloudstack#74, AliyunContainerService/kubernetes-ops-handbook#23).
 * - STS AssumeRole: HTTP 403 `NoPermission` "You are not authorized to do this action. You
 *   should be authorized by RAM." (STS AssumeRole reference and the RAM role FAQ).
 * - SLS: HTTP 401 `Unauthorized` "denied by sts or ram, action: log:<Api>, resource:
 *   acs:log:<region>:<account>:project/<p>[/logstore/<l>...]" (as SLS answers it:
 *   AliyunContainerService/log-pilot#85, aliyun/aliyun-log-go-sdk#38).
 */
import { SimError } from './cloud.js';
import type { Caller } from './auth.js';
import { evaluate, parsePolicy, policyProblems, type Decision, type PolicyDocument } from './ram-policy.js';
import { DEFAULT_RAM_USER, type CloudState, type RamState } from './state.js';

/** Who a request acts as: a RAM user, or a session of a RAM role. */
export type Principal =
  | { type: 'User'; name: string }
  | { type: 'Role'; name: string; session: string; sessionPolicy?: PolicyDocument };

/** How RAM answered one request. */
export interface RamVerdict {
  decision: Decision;
  /** which policies decided: the principal's own, or the session policy of an assumed role */
  policyType: 'AccountLevelIdentityBasedPolicy' | 'SessionPolicy';
}

/** The products whose permission errors differ (see the file comment). */
export type RamProduct = 'rpc' | 'ess' | 'sts' | 'sls';

/** The principal of an authenticated caller; undefined for anonymous calls (AssumeRoleWithOIDC). */
export function principalOf(caller: Caller, defaultUser = DEFAULT_RAM_USER): Principal | undefined {
  if (caller.sts) {
    return caller.sts.roleName ? { type: 'Role', name: caller.sts.roleName, session: caller.sts.sessionName ?? 'session', sessionPolicy: caller.sts.policy } : undefined;
  }
  if (caller.userName) return { type: 'User', name: caller.userName };
  return caller.accessKeyId ? { type: 'User', name: defaultUser } : undefined;
}

/** The policies attached to a principal. */
export function attachedPolicies(ram: RamState, p: Principal): PolicyDocument[] {
  // role names are matched without regard to case (AssumeRole answers them lower-cased in AssumedRoleUser.Arn)
  const same = (n: string) => (p.type === 'Role' ? n.toLowerCase() === p.name.toLowerCase() : n === p.name);
  const names = ram.attachments.filter((a) => a.principalType === p.type && same(a.principalName)).map((a) => a.policyName);
  return ram.policies.filter((x) => names.includes(x.policyName)).map((x) => x.document);
}

/**
 * RAM's answer for `principal` doing `action` (`<ram-code>:<Api>`) on `resource`. No principal,
 * or one without policies: Allow (the emulator's default). A session policy narrows the role's.
 */
export function authorize(ram: RamState, principal: Principal | undefined, action: string, resource: string): RamVerdict {
  if (!principal) return { decision: 'Allow', policyType: 'AccountLevelIdentityBasedPolicy' };
  const own = attachedPolicies(ram, principal);
  const decision = own.length ? evaluate(own, action, resource) : 'Allow';
  if (decision !== 'Allow') return { decision, policyType: 'AccountLevelIdentityBasedPolicy' };
  if (principal.type === 'Role' && principal.sessionPolicy) {
    const session = evaluate([principal.sessionPolicy], action, resource);
    if (session !== 'Allow') return { decision: session, policyType: 'SessionPolicy' };
  }
  return { decision: 'Allow', policyType: 'AccountLevelIdentityBasedPolicy' };
}

/** The `AccessDeniedDetail` object POP adds to a RAM refusal. */
export function accessDeniedDetail(ram: RamState, principal: Principal | undefined, action: string, verdict: RamVerdict): Record<string, string> {
  const display = !principal ? '' : principal.type === 'User' ? principal.name : `${principal.name}:${principal.session}`;
  const detail = {
    AuthAction: action,
    AuthPrincipalType: principal?.type === 'Role' ? 'AssumedRoleUser' : 'SubUser',
    AuthPrincipalDisplayName: display,
    AuthPrincipalOwnerId: ram.accountId,
    NoPermissionType: verdict.decision === 'ExplicitDeny' ? 'ExplicitDeny' : 'ImplicitDeny',
    PolicyType: verdict.policyType,
  };
  // what RAM's DecodeDiagnosticMessage would decode: here simply the detail itself
  return { ...detail, EncodedDiagnosticMessage: Buffer.from(JSON.stringify(detail)).toString('base64') };
}

/** The refusal `product` answers for a denied `action` (`<ram-code>:<Api>`) on `resource`. */
export function ramDenied(product: RamProduct, action: string, resource: string, detail: Record<string, string>): SimError {
  switch (product) {
    case 'sls':
      return new SimError('Unauthorized', `denied by sts or ram, action: ${action}, resource: ${resource}`, 401);
    case 'ess':
      return new SimError('Forbidden.Unauthorized', 'A required authorization for the specified action is not supplied.', 403, { AccessDeniedDetail: detail });
    case 'sts':
      return new SimError('NoPermission', 'You are not authorized to do this action. You should be authorized by RAM.', 403, { AccessDeniedDetail: detail });
    default:
      return new SimError('Forbidden.RAM', 'User not authorized to operate on the specified resource, or this API doesn\'t support RAM.', 403, { AccessDeniedDetail: detail });
  }
}

/**
 * Checks one call: throws the product's refusal when RAM denies it. `forceDeny` is the
 * `deny` fault rule (`POST /_sim/faults`): an explicit Deny whoever the caller is.
 */
export function checkRam(state: CloudState, caller: Caller, product: RamProduct, action: string, resource: string, forceDeny = false): void {
  const principal = principalOf(caller);
  const verdict: RamVerdict = forceDeny ? { decision: 'ExplicitDeny', policyType: 'AccountLevelIdentityBasedPolicy' } : authorize(state.ram, principal, action, resource);
  if (verdict.decision === 'Allow') return;
  throw ramDenied(product, action, resource, accessDeniedDetail(state.ram, principal, action, verdict));
}

/** `acs:<code>:<region>:<account>:<relative>`, the ARN of a resource of this account. */
export function arn(state: CloudState, code: string, relative: string, region: string = state.regionId): string {
  return `acs:${code}:${region}:${state.ram.accountId}:${relative}`;
}

const NAME_RE = /^[A-Za-z0-9._@-]{1,128}$/;

/** Whether `name` can name a RAM user, role or policy (letters, digits, `.`, `_`, `@`, `-`; 1-128). */
export function isRamName(name: string): boolean {
  return NAME_RE.test(name);
}

/**
 * What makes `ram` unusable as the RAM part of a state document (the API would otherwise
 * fail on it): wrong types, unparsable policy documents, attachments to unknown policies.
 */
export function ramProblems(ram: unknown): string[] {
  if (!ram || typeof ram !== 'object' || Array.isArray(ram)) return ['"ram" must be an object with accountId, users, policies and attachments'];
  const r = ram as Record<string, unknown>;
  const out: string[] = [];
  if (typeof r.accountId !== 'string' || !/^\d{1,32}$/.test(r.accountId)) out.push('"ram.accountId" must be a string of digits');
  for (const k of ['users', 'policies', 'attachments'] as const) if (!Array.isArray(r[k])) out.push(`"ram.${k}" must be a list`);
  if (out.length) return out;
  (r.users as unknown[]).forEach((u, i) => {
    const x = u as Record<string, unknown> | null;
    if (!x || typeof x !== 'object' || typeof x.userName !== 'string' || !isRamName(x.userName)) return void out.push(`ram.users[${i}].userName must be a RAM name`);
    if (!Array.isArray(x.accessKeys) || x.accessKeys.some((k) => !k || typeof k.accessKeyId !== 'string' || !k.accessKeyId || typeof k.accessKeySecret !== 'string' || !k.accessKeySecret)) {
      out.push(`ram.users[${i}].accessKeys must be a list of {accessKeyId, accessKeySecret}`);
    }
  });
  const names = new Set<string>();
  (r.policies as unknown[]).forEach((p, i) => {
    const x = p as Record<string, unknown> | null;
    if (!x || typeof x !== 'object' || typeof x.policyName !== 'string' || !isRamName(x.policyName)) return void out.push(`ram.policies[${i}].policyName must be a RAM name`);
    names.add(x.policyName);
    if (typeof x.description !== 'string' || typeof x.createDate !== 'string' || typeof x.updateDate !== 'string') out.push(`ram.policies[${i}] needs description, createDate and updateDate strings`);
    const problems = policyProblems(x.document);
    if (problems.length) out.push(`ram.policies[${i}].document: ${problems.join('; ')}`);
  });
  (r.attachments as unknown[]).forEach((a, i) => {
    const x = a as Record<string, unknown> | null;
    if (!x || typeof x !== 'object' || (x.principalType !== 'User' && x.principalType !== 'Role') || typeof x.principalName !== 'string' || typeof x.policyName !== 'string') {
      return void out.push(`ram.attachments[${i}] must be {policyName, principalType: "User"|"Role", principalName}`);
    }
    if (!names.has(x.policyName)) out.push(`ram.attachments[${i}] names the unknown policy ${x.policyName}`);
  });
  return out.slice(0, 10);
}

/** A session policy (AssumeRole `Policy`) or the STS error for a bad one. */
export function sessionPolicy(text: string | undefined): PolicyDocument | undefined {
  if (text === undefined || text === '') return undefined;
  const { document, problems } = parsePolicy(text);
  // STS: 400 InvalidParameter.PolicyGrammar "The parameter Policy has not passed grammar check."
  if (!document) throw new SimError('InvalidParameter.PolicyGrammar', `The parameter Policy has not passed grammar check: ${problems.join('; ')}`, 400);
  return document;
}
