/**
 * STS 2015-04-01 `AssumeRole`: any caller the emulator accepts may assume any
 * well-formed role ARN (`acs:ram::<account>:role/<name>`) and gets STS credentials that
 * the other services accept until they expire. `AssumeRoleWithOIDC` (RRSA) is anonymous —
 * no AccessKey, the OIDC token is the proof — and needs a well-formed OIDC provider ARN
 * (`acs:ram::<account>:oidc-provider/<name>`) and an unexpired JWT. Trust policies are not modelled.
 * The credentials act as the role: the policies attached to it (`/_sim/ram`), narrowed by
 * AssumeRole's session `Policy`, decide what they may do (ram.ts).
 */
import { SimError } from './cloud.js';
import { newId, randomToken, type StsCredential } from './state.js';
import { sessionPolicy } from './ram.js';
import { intParam, required, type RpcContext, type RpcParams, type RpcService } from './rpc.js';

export const stsService: RpcService = {
  service: 'sts',
  version: '2015-04-01',
  anonymous: ['AssumeRoleWithOIDC'],
  // the caller needs sts:AssumeRole on the role (`acs:ram:*:<account>:role/<name>`); refusals are 403 NoPermission
  ramProduct: 'sts',
  resource: (action, p) => (action === 'AssumeRole' && p.RoleArn ? p.RoleArn : undefined),
  handlers: {
    AssumeRole: (p, ctx) => issue(p, ctx),

    AssumeRoleWithOIDC(p, ctx) {
      const provider = required(p, 'OIDCProviderArn');
      if (!/^acs:ram::\d+:oidc-provider\/[\w.-]{1,128}$/i.test(provider)) {
        throw new SimError('InvalidParameter.OIDCProviderArn', `The parameter OIDCProviderArn is wrongly formed: ${provider}`, 400);
      }
      const claims = jwtClaims(required(p, 'OIDCToken'));
      if (!claims) throw new SimError('InvalidParameter.OIDCToken', 'The OIDCToken is not a well-formed JWT.', 400);
      if (typeof claims.exp === 'number' && claims.exp * 1000 <= ctx.now) throw new SimError('AuthenticationFail.OIDCToken.Expired', 'The OIDCToken has expired.', 400);
      return issue(p, ctx);
    },
  },
};

/** The payload of a JWT (`header.payload.signature`, base64url), undefined when it is not one. */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** STS credentials for the role of `p` (RoleArn, RoleSessionName, DurationSeconds), as AssumeRole and AssumeRoleWithOIDC answer. */
function issue(p: RpcParams, ctx: RpcContext): Record<string, unknown> {
  const roleArn = required(p, 'RoleArn');
  const m = /^acs:ram::(\d+|\*?[\w-]+):role\/([\w.@-]{1,64})$/i.exec(roleArn);
  if (!m) throw new SimError('InvalidParameter.RoleArn', `The parameter RoleArn is wrongly formed: ${roleArn}`, 400);
  const session = required(p, 'RoleSessionName');
  if (!/^[\w.@-]{2,64}$/.test(session)) throw new SimError('InvalidParameter.RoleSessionName', 'RoleSessionName must be 2-64 characters of letters, digits, ".", "@", "-", "_".', 400);
  const duration = intParam(p, 'DurationSeconds', 3600)!;
  const policy = sessionPolicy(p.Policy);
  if (duration < 900 || duration > 43200) throw new SimError('InvalidParameter.DurationSeconds', 'DurationSeconds must be between 900 and 43200.', 400);
  // Role chaining: credentials never outlive the caller's own STS token.
  let expiresAt = ctx.now + duration * 1000;
  if (ctx.caller.sts) expiresAt = Math.min(expiresAt, ctx.caller.sts.expiresAt);
  const cred: StsCredential = {
    accessKeyId: `STS.${newId('k').slice(2)}`, accessKeySecret: randomToken(24), securityToken: `CAIS${randomToken(48)}`, expiresAt,
    roleName: m[2], sessionName: session, ...(policy ? { policy } : {}),
  };
  const state = ctx.cloud.state;
  state.stsCredentials = state.stsCredentials.filter((c) => c.expiresAt > ctx.now);
  state.stsCredentials.push(cred);
  ctx.cloud.changed();
  const roleId = `3${String(Math.abs(hash(roleArn))).padStart(17, '0').slice(0, 17)}`;
  return {
    AssumedRoleUser: { Arn: `acs:ram::${m[1]}:role/${m[2].toLowerCase()}/${session}`, AssumedRoleId: `${roleId}:${session}` },
    Credentials: { AccessKeyId: cred.accessKeyId, AccessKeySecret: cred.accessKeySecret, SecurityToken: cred.securityToken, Expiration: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}
