/**
 * Who may call the emulator: the configured AccessKey pair (RAM user `kubeloop`), the
 * AccessKeys of RAM users added through `/_sim/ram/users`, and STS credentials (AssumeRole,
 * AssumeRoleWithOIDC, `POST /_sim/sts`). The RPC, ROA and SLS signatures resolve the
 * caller's secret here; ram.ts decides what the caller may do.
 */
import type { CloudState, StsCredential } from './state.js';
import { SimError } from './cloud.js';

export interface KeyPair { accessKeyId: string; accessKeySecret: string }

export interface Caller {
  accessKeyId: string;
  secret: string;
  /** set when the caller used STS credentials */
  sts?: StsCredential;
  /** the RAM user owning the AccessKey (unset: the configured key's user) */
  userName?: string;
}

export class Authenticator {
  constructor(private readonly key: KeyPair, private readonly state: () => CloudState) {}

  /**
   * Resolves an AccessKeyId (and the security token that must accompany STS keys).
   * `flavour` picks the error codes of the protocol asking. SLS answers every credential
   * problem with 401 `Unauthorized` and says which in the message ("AccessKeyId not found: <id>",
   * "The security token you provided is invalid.", "... has expired.": SLS "Error codes", common
   * error codes table; aliyun-log-go-sdk logstore_e2e_test.go checks "AccessKeyId not found: <id>" against SLS).
   */
  resolve(accessKeyId: string | undefined, securityToken: string | undefined, flavour: 'rpc' | 'sls', now = Date.now()): Caller {
    if (!accessKeyId) {
      throw flavour === 'rpc'
        ? new SimError('MissingAccessKeyId', 'AccessKeyId is mandatory for this action.', 400)
        : new SimError('Unauthorized', 'The Authorization header is missing or malformed.', 401);
    }
    if (accessKeyId === this.key.accessKeyId) return { accessKeyId, secret: this.key.accessKeySecret };
    for (const u of this.state().ram.users) {
      const k = u.accessKeys.find((x) => x.accessKeyId === accessKeyId);
      if (k) return { accessKeyId, secret: k.accessKeySecret, userName: u.userName };
    }
    const sts = this.state().stsCredentials.find((c) => c.accessKeyId === accessKeyId);
    if (!sts) {
      throw flavour === 'rpc'
        ? new SimError('InvalidAccessKeyId.NotFound', 'Specified access key is not found.', 404)
        : new SimError('Unauthorized', `AccessKeyId not found: ${accessKeyId}`, 401);
    }
    if (securityToken !== sts.securityToken) {
      throw flavour === 'rpc'
        ? new SimError('InvalidSecurityToken.MismatchWithAccessKey', 'Specified SecurityToken mismatch with the AccessKey.', 400)
        : new SimError('Unauthorized', 'The security token you provided is invalid.', 401);
    }
    if (sts.expiresAt <= now) {
      throw flavour === 'rpc'
        ? new SimError('InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.', 403)
        : new SimError('Unauthorized', 'The security token you provided has expired.', 401);
    }
    return { accessKeyId, secret: sts.accessKeySecret, sts };
  }
}
