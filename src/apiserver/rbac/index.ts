// RBAC authorization for the built-in API server, the request gate (authn -> impersonation ->
// authz) and the access/rules/self-subject review endpoints.
export { type Attributes, forbiddenMessage, requestAttributes } from './attributes.js';
export { AlwaysAllowAuthorizer, type Authorizer, type Decision, RbacAuthorizer, RBAC_GROUP, type Subject } from './authorizer.js';
export { bootstrapPolicy, ensureBootstrapPolicy } from './bootstrap.js';
export { impersonate, wantsImpersonation } from './impersonation.js';
export { answerReview, registerReviewTypes, reviewOf } from './reviews.js';
export { type PolicyRule, ruleAllows } from './rules.js';
export { type AuthorizationMode, Security, type SecurityOptions } from './security.js';
export { escalationCheck } from './escalation.js';
