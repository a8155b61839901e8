/**
 * The request gate of the built-in API server: authenticate (401), impersonate (403), authorize
 * (403 with upstream's message), and answer the review endpoints. Also installs the pieces the
 * rest of the server needs: the serviceaccounts/token subresource, the review types in
 * discovery and the bootstrap RBAC policy.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newForbidden, newMethodNotSupported } from '../../api/index.js';
import {
  Authenticator, DEFAULT_AUDIENCE, DEFAULT_ISSUER, loadOrCreateSigningKey, registerAuthProtobufKinds, registerTokenSubresource, type StaticToken, tokenRequestHandler, type UserInfo,
} from '../auth/index.js';
import type { ResourceOps } from '../handlers/rest.js';
import { answerError } from '../http/errors.js';
import { checkPathSegments } from '../http/path-segment.js';
import { decodeBody, readBody, requestTarget, type ResourcePath, sendText } from '../http/request.js';
import type { Change } from '../storage/index.js';
import { type Attributes, forbiddenMessage, requestAttributes } from './attributes.js';
import { AlwaysAllowAuthorizer, type Authorizer, RbacAuthorizer } from './authorizer.js';
import { ensureBootstrapPolicy } from './bootstrap.js';
import { escalationCheck } from './escalation.js';
import { impersonate, wantsImpersonation } from './impersonation.js';
import { answerReview, registerReviewTypes, reviewOf } from './reviews.js';

export type AuthorizationMode = 'RBAC' | 'AlwaysAllow';

export interface SecurityOptions {
  /** `RBAC` (default) or `AlwaysAllow` (every authenticated request is allowed). */
  authorization?: AuthorizationMode;
  /** Static bearer tokens (default none). */
  tokens?: StaticToken[];
  /** Serve requests without credentials as `system:anonymous` (default false: 401). */
  anonymous?: boolean;
  /** ServiceAccount token issuer (default `https://kubernetes.default.svc.cluster.local`). */
  serviceAccountIssuer?: string;
  /** Audiences the server accepts and issues by default (default [`https://kubernetes.default.svc`]). */
  apiAudiences?: string[];
  /** Where the ServiceAccount signing key is kept (`<dataDir>/pki/sa.key`); in memory without. */
  dataDir?: string;
}


/** The user the gate authenticated, kept on the request (not in a WeakMap: an entry per request is work for every GC). */
const USER = Symbol('kubeloop.apiserver.user');
type WithUser = IncomingMessage & { [USER]?: UserInfo };

export class Security {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;

  constructor(private readonly ops: ResourceOps, onChange: (fn: (c: Change) => void, storageKeys?: readonly string[]) => () => void, opts: SecurityOptions = {}) {
    const signingKey = loadOrCreateSigningKey(opts.dataDir);
    const issuer = opts.serviceAccountIssuer ?? DEFAULT_ISSUER;
    const audiences = opts.apiAudiences ?? [DEFAULT_AUDIENCE];
    this.authenticator = new Authenticator(ops.store, { tokens: opts.tokens, anonymous: opts.anonymous, signingKey, issuer, audiences });
    const mode = opts.authorization ?? 'RBAC';
    if (mode !== 'RBAC' && mode !== 'AlwaysAllow') throw new Error(`unknown authorization mode ${String(mode)} (RBAC or AlwaysAllow)`);
    this.authorizer = mode === 'RBAC' ? new RbacAuthorizer(ops.store, onChange) : new AlwaysAllowAuthorizer();
    registerTokenSubresource(ops.registry);
    registerAuthProtobufKinds();
    registerReviewTypes(ops.registry);
    if (mode === 'RBAC') ops.admission.add(escalationCheck(ops.store, this.authorizer));
    ops.subresourceHandlers.set('/serviceaccounts/token', tokenRequestHandler({ signingKey, issuer, audiences }));
  }

  /** Creates the bootstrap roles and bindings that are missing. */
  bootstrap(): Promise<void> {
    return ensureBootstrapPolicy(this.ops);
  }

  stop(): void {
    if (this.authorizer instanceof RbacAuthorizer) this.authorizer.stop();
  }

  /** The authenticated (possibly impersonated) user of a request that passed the gate. */
  userOf(req: IncomingMessage): UserInfo | undefined {
    return (req as WithUser)[USER];
  }

  authorize(a: Attributes): boolean {
    return this.authorizer.authorize(a).allowed;
  }

  /** {@link authorize} as a function made once (a closure in `intercept` would cost every request a context). */
  private readonly allowed = (a: Attributes): boolean => this.authorize(a);

  /**
   * Runs the gate. Returns true when the request was answered here (401/403, or a review);
   * false when the server should go on serving it.
   */
  intercept(req: IncomingMessage, res: ServerResponse): boolean {
    let user: UserInfo;
    let attrs: Attributes;
    try {
      user = this.authenticator.authenticate(req);
      if (wantsImpersonation(req)) user = impersonate(req, user, this.allowed);
      attrs = requestAttributes(user, req.method ?? 'GET', requestTarget(req));
      if (!this.authorize(attrs)) {
        const gr = attrs.resourceRequest ? { group: attrs.apiGroup ?? '', resource: attrs.resource ?? '' } : { group: '', resource: '' };
        const e = newForbidden(gr, attrs.name ?? '', forbiddenMessage(attrs));
        if (!attrs.resourceRequest) e.status.message = `forbidden: ${forbiddenMessage(attrs)}`;
        throw e;
      }
    } catch (err) {
      answerError(req, res, err);
      return true;
    }
    // The handlers hand the user to admission (escalation checks) through `userOf`.
    (req as WithUser)[USER] = user;
    const target = requestTarget(req).resource;
    const review = target ? reviewOf(target) : undefined;
    if (!target || !review) return false;
    this.serveReview(req, res, attrs, user, target, review);
    return true;
  }

  /**
   * Answers a review request. A method of its own: closures in `intercept` would make V8
   * allocate a context for every request, reviews or not.
   */
  private serveReview(req: IncomingMessage, res: ServerResponse, attrs: Attributes, user: UserInfo, target: ResourcePath, review: NonNullable<ReturnType<typeof reviewOf>>): void {
    void (async () => {
      if (req.method !== 'POST') throw newMethodNotSupported({ group: attrs.apiGroup ?? '', resource: attrs.resource ?? '' }, (req.method ?? '').toLowerCase());
      checkPathSegments(target);
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      const out = answerReview(review.kind, review.namespace, body, user, this.authorizer, this.authenticator);
      sendText(res, 201, JSON.stringify(out));
    })().catch((err: unknown) => answerError(req, res, err));
  }
}
