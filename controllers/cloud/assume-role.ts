/**
 * Credentials of an assumed RAM role (STS 2015-04-01), e.g. the ACR credential helper's
 * per-registry `assumeRoleARN` (`AssumeRole`, signed with the caller's credentials) and its
 * `rrsaRoleARN` (`AssumeRoleWithOIDC`: an anonymous call authenticated by the pod's RRSA OIDC
 * token). The temporary credentials are cached and renewed once less than a fifth of their
 * lifetime (at most 5 minutes) is left. `AssumeRole` goes through pop-core like the other RPC
 * APIs, so it also works against the emulator (`@alicloud/credentials`' own role provider
 * insists on HTTPS).
 */
import { readFile } from 'node:fs/promises';
import { CloudError, classify } from './errors.js';
import type { CredentialsProvider, ResolvedCredentials } from './credentials.js';
import { RpcApi, str, type RpcResponse } from './rpc-client.js';
import { callWithRetry, defaultRetryPolicy, type RetryPolicy } from './retry.js';

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
  return cachedRole(async () => (await api.call('AssumeRole', {
    RoleArn: opts.roleArn, RoleSessionName: opts.roleSessionName ?? 'kubeloop', DurationSeconds: opts.durationSeconds ?? 3600, Policy: opts.policy,
  }, { idempotent: true })).Credentials);
}

export interface OidcRoleOptions {
  /** `acs:ram::<account-id>:role/<role-name>`: the role the OIDC token may assume */
  roleArn: string;
  /** `acs:ram::<account-id>:oidc-provider/<name>`: the cluster's RRSA OIDC provider */
  oidcProviderArn: string;
  /** the projected service account token ACK mounts for RRSA (`ALIBABA_CLOUD_OIDC_TOKEN_FILE`); read at every renewal (it rotates) */
  tokenFile: string;
  /** default `kubeloop` */
  roleSessionName?: string;
  /** 900..43200, default 3600 */
  durationSeconds?: number;
  /** STS endpoint URL; default `https://sts.<regionId>.aliyuncs.com` */
  endpoint?: string;
  regionId: string;
  retry?: Partial<RetryPolicy>;
}

/**
 * STS `AssumeRoleWithOIDC`: no AccessKey at all — the request is anonymous (unsigned) and the
 * OIDC token is the proof, which is how RRSA works. Sent as a plain form POST since pop-core
 * always signs.
 */
export function assumeRoleWithOidc(opts: OidcRoleOptions): AssumedRoleProvider {
  const policy = { ...defaultRetryPolicy, ...opts.retry };
  const endpoint = opts.endpoint ?? `https://sts.${opts.regionId}.aliyuncs.com`;
  const action = 'AssumeRoleWithOIDC';
  return cachedRole(async () => {
    let token: string;
    try {
      token = (await readFile(opts.tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new CloudError('InvalidParameter', 'OIDCTokenFileUnreadable', `cannot read the RRSA OIDC token file ${opts.tokenFile}: ${(err as Error).message}`, 'sts', action);
    }
    const form = new URLSearchParams({
      Action: action, Version: '2015-04-01', Format: 'JSON', Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      RoleArn: opts.roleArn, OIDCProviderArn: opts.oidcProviderArn, OIDCToken: token,
      RoleSessionName: opts.roleSessionName ?? 'kubeloop', DurationSeconds: String(opts.durationSeconds ?? 3600),
    });
    const r = await callWithRetry(policy, async (timeoutMs) => {
      let res: Response;
      try {
        res = await fetch(endpoint, { method: 'POST', body: form, signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        throw new CloudError('Unavailable', (err as { cause?: { code?: string } }).cause?.code ?? 'NetworkError', (err as Error).message, 'sts', action, undefined, undefined, { cause: err });
      }
      const body = await res.json().catch(() => ({})) as RpcResponse;
      if (!res.ok) {
        const code = str(body.Code) || `HTTP${res.status}`;
        throw new CloudError(classify(code, res.status), code, str(body.Message) || res.statusText, 'sts', action, res.status, str(body.RequestId) || undefined);
      }
      return body;
    }, () => new CloudError('Timeout', 'Timeout', `no answer within ${policy.timeoutMs} ms`, 'sts', action), { idempotent: true });
    return r.Credentials;
  });
}

/** Caches the credentials an STS call returns (`{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}`) until near expiry. */
function cachedRole(obtain: () => Promise<RpcResponse | undefined>): AssumedRoleProvider {
  let current: (ResolvedCredentials & { expiresAt: number; issuedAt: number }) | undefined;
  let inflight: Promise<ResolvedCredentials> | undefined;

  const refresh = async (): Promise<ResolvedCredentials> => {
    const issuedAt = Date.now();
    const c = (await obtain()) ?? {};
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
