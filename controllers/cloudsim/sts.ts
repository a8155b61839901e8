/**
 * STS 2015-04-01 `AssumeRole`: any caller the emulator accepts may assume any
 * well-formed role ARN (`acs:ram::<account>:role/<name>`) and gets STS credentials that
 * the other services accept until they expire. Trust policies are not modelled.
 */
import { SimError } from './cloud.js';
import { newId, randomToken } from './state.js';
import { intParam, required, type RpcService } from './rpc.js';

export const stsService: RpcService = {
  service: 'sts',
  version: '2015-04-01',
  handlers: {
    AssumeRole(p, ctx) {
      const roleArn = required(p, 'RoleArn');
      const m = /^acs:ram::(\d+|\*?[\w-]+):role\/([\w.@-]{1,64})$/i.exec(roleArn);
      if (!m) throw new SimError('InvalidParameter.RoleArn', `The parameter RoleArn is wrongly formed: ${roleArn}`, 400);
      const session = required(p, 'RoleSessionName');
      if (!/^[\w.@-]{2,64}$/.test(session)) throw new SimError('InvalidParameter.RoleSessionName', 'RoleSessionName must be 2-64 characters of letters, digits, ".", "@", "-", "_".', 400);
      const duration = intParam(p, 'DurationSeconds', 3600)!;
      if (duration < 900 || duration > 43200) throw new SimError('InvalidParameter.DurationSeconds', 'DurationSeconds must be between 900 and 43200.', 400);
      // Role chaining: credentials never outlive the caller's own STS token.
      let expiresAt = ctx.now + duration * 1000;
      if (ctx.caller.sts) expiresAt = Math.min(expiresAt, ctx.caller.sts.expiresAt);
      const cred = { accessKeyId: `STS.${newId('k').slice(2)}`, accessKeySecret: randomToken(24), securityToken: `CAIS${randomToken(48)}`, expiresAt };
      const state = ctx.cloud.state;
      state.stsCredentials = state.stsCredentials.filter((c) => c.expiresAt > ctx.now);
      state.stsCredentials.push(cred);
      ctx.cloud.changed();
      const roleId = `3${String(Math.abs(hash(roleArn))).padStart(17, '0').slice(0, 17)}`;
      return {
        AssumedRoleUser: { Arn: `acs:ram::${m[1]}:role/${m[2].toLowerCase()}/${session}`, AssumedRoleId: `${roleId}:${session}` },
        Credentials: { AccessKeyId: cred.accessKeyId, AccessKeySecret: cred.accessKeySecret, SecurityToken: cred.securityToken, Expiration: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z') },
      };
    },
  },
};

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}
