// Cloud provider interfaces and the Alibaba Cloud adapters (official SDK clients).
export type * from './types.js';
export { CloudTokens } from './types.js';
export {
  CloudError, classify, isCloudError, isScalingActivityInProgress, isNotFound, isAlreadyExists, isThrottled, isForbidden, isInvalidParameter, isQuotaExceeded,
  isConflict, isUnavailable, isTimeout,
} from './errors.js';
export type { CloudErrorKind, CloudService } from './errors.js';
export { createAlibabaCloud, alibabaCloudOptionsFromEnv, defaultEndpoints, emulatorEndpoints } from './factory.js';
export type { AlibabaCloud, AlibabaCloudOptions, Endpoints } from './factory.js';
export { defaultCredentials, staticCredentials } from './credentials.js';
export { assumeRole, assumeRoleWithOidc } from './assume-role.js';
export type { AssumeRoleOptions, AssumedRoleProvider, OidcRoleOptions } from './assume-role.js';
export type { CredentialsProvider, StaticCredentials, ResolvedCredentials } from './credentials.js';
export { defaultRetryPolicy } from './retry.js';
export type { RetryPolicy, CloudCallEvent, CloudCallHook } from './retry.js';
export { pullManifest, parseImageReference, credentialsFor, ImagePullError } from './pull.js';
export type { DockerConfigAuths, PulledManifest, ImageReference, PullFailure } from './pull.js';
export { resolveSuffixTo, resolveSuffixToLoopback, EMULATOR_DNS_SUFFIX } from './emulator-dns.js';
export { parseKubeletFlags, buildUserData, decodeUserDataText } from './userdata.js';
export { requireVendored, vendoredPath } from './vendor.js';
