// Authentication for the built-in API server: client certificates, static bearer tokens and
// ServiceAccount JWTs (issued through the serviceaccounts/token subresource).
export { Authenticator, type AuthenticatorOptions, type StaticToken, type TokenRejection } from './authenticator.js';
export {
  DEFAULT_AUDIENCE, DEFAULT_ISSUER, keyId, loadOrCreateSigningKey, serviceAccountClaims, signJwt, verifyJwt,
  type IssueRequest, type KubernetesClaims, type ObjectRef, type TokenClaims,
} from './jwt.js';
export { registerTokenSubresource, tokenRequestHandler, type TokenRequestOptions } from './token-request.js';
export {
  ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS, MASTERS, SERVICE_ACCOUNT_PREFIX, parseServiceAccountUser, serviceAccountGroups, withAuthenticatedGroup,
  type UserInfo,
} from './user.js';
export { registerAuthProtobufKinds } from './protobuf.js';
export { parseTokenFile, readTokenFile } from './token-file.js';
