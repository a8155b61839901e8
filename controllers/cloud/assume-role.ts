/**
 * Credentials of an assumed RAM role (STS `AssumeRole`, 2015-04-01), e.g. the ACR
 * credential helper's per-registry `assumeRoleARN`. The temporary credentials are cached
 * and renewed once less than a fifth of their lifetime (at most 5 minutes) is left.
 * Goes through pop-core like the other RPC APIs, so it also works against the emulator
 * (`@alicloud/credentials`' own role provider insists on HTTPS).
 */
import type { CredentialsProvider, ResolvedCredentials } from './credentials.js';
import { RpcApi, str } from './rpc-client.js';
import { defaultRetryPolicy, type RetryPolicy } from './retry.js';

export interface AssumeRoleOptions {
  /** `acs:ram::<account-id>:role/<role-name>` */
  roleArn: string;
  /** default `kubeloop` */
  roleSessionName?: string;
  /** 900..43200, default 3600 */
  durationSeconds?: number;
  /** optional session policy (JSON) narrowing the role */
  policy?: string;
  /** the caller's own credentials */
  base: CredentialsProvider;
  /** STS endpoint URL; default `https://sts.<regionId>.aliyuncs.com` */
  endpoint?: string;
  regionId: string;
  retry?: Partial<RetryPolicy>;
}

export interface AssumedRoleProvider extends CredentialsProvider {
  /** expiry of the current credentials (epoch ms), 0 before the first call */
  expiresAt(): number;
}

export function assumeRole(opts: AssumeRoleOptions): AssumedRoleProvider {
  const api = new RpcApi('sts', opts.endpoint ?? `https://sts.${opts.regionId}.aliyuncs.com`, '2015-04-01', opts.base, { ...defaultRetryPolicy, ...opts.retry });
  let current: (ResolvedCredentials & { expiresAt: number; issuedAt: number }) | undefined;
  let inflight: Promise<ResolvedCredentials> | undefined;

  const refresh = async (): Promise<ResolvedCredentials> => {
    const issuedAt = Date.now();
    const r = await api.call('AssumeRole', {
      RoleArn: opts.roleArn, RoleSessionName: opts.roleSessionName ?? 'kubeloop', DurationSeconds: opts.durationSeconds ?? 3600, Policy: opts.policy,
    }, { idempotent: true });
    const c = r.Credentials ?? {};
    const expiresAt = Date.parse(str(c.Expiration));
    current = { accessKeyId: str(c.AccessKeyId), accessKeySecret: str(c.AccessKeySecret), securityToken: str(c.SecurityToken), expiresAt: Number.isFinite(expiresAt) ? expiresAt : issuedAt + 900_000, issuedAt };
    return current;
  };

  return {
    expiresAt: () => current?.expiresAt ?? 0,
    async getCredentials() {
      const now = Date.now();
      if (current) {
        const margin = Math.min(300_000, (current.expiresAt - current.issuedAt) / 5);
        if (current.expiresAt - now > margin) return current;
      }
      inflight ??= refresh().finally(() => { inflight = undefined; });
      return inflight;
    },
  };
}
