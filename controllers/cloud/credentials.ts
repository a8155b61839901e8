/**
 * Where cloud credentials come from. Explicit keys win; otherwise the standard
 * Alibaba Cloud chain of `@alicloud/credentials`:
 *   1. env `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET`
 *      (+ `ALIBABA_CLOUD_SECURITY_TOKEN` for STS)
 *   2. RRSA / OIDC: `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
 *      `ALIBABA_CLOUD_OIDC_TOKEN_FILE` (what ACK injects into pods using RRSA)
 *   3. the CLI profile / `~/.alibabacloud/credentials`
 *   4. the ECS instance RAM role (metadata service; `ALIBABA_CLOUD_ECS_METADATA` names the role)
 *   5. `ALIBABA_CLOUD_CREDENTIALS_URI`
 * Temporary credentials are refreshed by the chain before they expire. The chain's package is
 * imported when credentials are first asked for.
 */
import type credentialsModule from '@alicloud/credentials';

export interface StaticCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS token for temporary credentials */
  securityToken?: string;
}

export interface ResolvedCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** Anything that yields current credentials (re-asked before every call). */
export interface CredentialsProvider {
  getCredentials(): Promise<ResolvedCredentials>;
}

export function staticCredentials(c: StaticCredentials): CredentialsProvider {
  if (!c.accessKeyId || !c.accessKeySecret) throw new Error('credentials need both accessKeyId and accessKeySecret');
  const value = { ...c };
  return { getCredentials: async () => value };
}

/** The default chain described above. */
export function defaultCredentials(): CredentialsProvider {
  let chain: InstanceType<typeof credentialsModule.default> | undefined;
  return {
    async getCredentials() {
      if (!chain) {
        const { default: mod } = await import('@alicloud/credentials');
        chain ??= new mod.default();
      }
      const m = await chain.getCredential();
      if (!m.accessKeyId || !m.accessKeySecret) throw new Error('no Alibaba Cloud credentials found (env, RRSA/OIDC, profile, ECS RAM role)');
      return { accessKeyId: m.accessKeyId, accessKeySecret: m.accessKeySecret, securityToken: m.securityToken || undefined };
    },
  };
}

export function toProvider(c: StaticCredentials | CredentialsProvider | undefined): CredentialsProvider {
  if (!c) return defaultCredentials();
  if (typeof (c as CredentialsProvider).getCredentials === 'function') return c as CredentialsProvider;
  return staticCredentials(c as StaticCredentials);
}
