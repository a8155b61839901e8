/**
 * Protobuf shapes of the authentication/authorization kinds kubectl sends as protobuf
 * (`kubectl create token`, `kubectl auth can-i`, `kubectl auth whoami`), registered into the
 * server's protobuf decoder tables (field numbers from upstream's generated.proto).
 */
import { MESSAGES, TOP_LEVEL } from '../protobuf/schema.js';

let done = false;

export function registerAuthProtobufKinds(): void {
  if (done) return;
  done = true;
  Object.assign(MESSAGES, {
    TokenRequest: { 1: 'metadata:ObjectMeta', 2: 'spec:TokenRequestSpec', 3: 'status:Empty' },
    TokenRequestSpec: { 1: 'audiences:[]s', 3: 'boundObjectRef:BoundObjectReference', 4: 'expirationSeconds:i!' },
    BoundObjectReference: { 1: 'kind:s', 2: 'apiVersion:s', 3: 'name:s', 4: 'uid:s' },
    SelfSubjectReview: { 1: 'metadata:ObjectMeta', 2: 'status:SelfSubjectReviewStatus' },
    SelfSubjectReviewStatus: { 1: 'userInfo:AuthnUserInfo' },
    AuthnUserInfo: { 1: 'username:s', 2: 'uid:s', 3: 'groups:[]s' },
    SelfSubjectAccessReview: { 1: 'metadata:ObjectMeta', 2: 'spec:SelfSubjectAccessReviewSpec', 3: 'status:Empty' },
    SelfSubjectAccessReviewSpec: { 1: 'resourceAttributes:ResourceAttributes', 2: 'nonResourceAttributes:NonResourceAttributes' },
    ResourceAttributes: { 1: 'namespace:s', 2: 'verb:s', 3: 'group:s', 4: 'version:s', 5: 'resource:s', 6: 'subresource:s', 7: 'name:s' },
    NonResourceAttributes: { 1: 'path:s', 2: 'verb:s' },
    SelfSubjectRulesReview: { 1: 'metadata:ObjectMeta', 2: 'spec:SelfSubjectRulesReviewSpec', 3: 'status:Empty' },
    SelfSubjectRulesReviewSpec: { 1: 'namespace:s' },
    SubjectAccessReview: { 1: 'metadata:ObjectMeta', 2: 'spec:SubjectAccessReviewSpec', 3: 'status:Empty' },
    SubjectAccessReviewSpec: { 1: 'resourceAttributes:ResourceAttributes', 2: 'nonResourceAttributes:NonResourceAttributes', 3: 'user:s', 4: 'groups:[]s', 6: 'uid:s' },
  });
  Object.assign(TOP_LEVEL, {
    'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
    'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
    'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
    'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
    'authorization.k8s.io/v1/SubjectAccessReview': 'SubjectAccessReview',
    'authorization.k8s.io/v1/LocalSubjectAccessReview': 'SubjectAccessReview',
  });
}
