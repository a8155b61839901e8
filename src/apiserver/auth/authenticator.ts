/**
 * Request authentication, as kube-apiserver's union authenticator: a client certificate signed
 * by the server CA (CN = user, O = groups), else a bearer token (static tokens, then
 * ServiceAccount JWTs), else anonymous (only when enabled). A presented but invalid token is
 * 401 even with anonymous enabled, as upstream. Every authenticated user gets
 * `system:authenticated`.
 */
import type { IncomingMessage } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { newUnauthorized } from '../../api/index.js';
import type { Store } from '../storage/index.js';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, type KubernetesClaims, verifyJwt } from './jwt.js';
import { ALL_UNAUTHENTICATED, ANONYMOUS, serviceAccountGroups, type UserInfo, withAuthenticatedGroup } from './user.js';

/** A static bearer token (upstream's `--token-auth-file` line). */
export interface StaticToken {
  token: string;
  user: string;
  uid?: string;
  groups?: string[];
}

export interface AuthenticatorOptions {
  /** Static bearer tokens (default none). */
  tokens?: StaticToken[];
  /** Serve unauthenticated requests as `system:anonymous` (default false: 401). */
  anonymous?: boolean;
  /** ServiceAccount token verification key (private key; its public half verifies). */
  signingKey: KeyObject;
  /** Accepted `iss` (default `https://kubernetes.default.svc.cluster.local`). */
  issuer?: string;
  /** Accepted audiences: a token must name one (default [`https://kubernetes.default.svc`]). */
  audiences?: string[];
}

/** Why a token was turned away (kept for logs and tests; clients only see 401). */
export type TokenRejection = 'malformed-or-tampered' | 'wrong-issuer' | 'wrong-audience' | 'expired' | 'not-yet-valid' | 'serviceaccount-gone' | 'bound-object-gone' | 'unknown-token';

export class Authenticator {
  readonly issuer: string;
  readonly audiences: string[];
  private readonly tokens = new Map<string, StaticToken>();
  /**
   * The client-certificate user of each TLS connection (null: no usable certificate), read
   * once per connection: getPeerCertificate() decodes the whole certificate into a fresh
   * object on every call, which cost ~15% of the server's CPU per request. A connection's
   * peer certificate is fixed: the server disables renegotiation on every connection.
   */
  private readonly certUsers = new WeakMap<TLSSocket, { name: string; groups: string[] } | null>();
  /** The reason of the last token rejection (debugging aid). */
  lastRejection: TokenRejection | undefined;

  constructor(private readonly store: Store, private readonly opts: AuthenticatorOptions) {
    this.issuer = opts.issuer ?? DEFAULT_ISSUER;
    this.audiences = opts.audiences ?? [DEFAULT_AUDIENCE];
    for (const t of opts.tokens ?? []) {
      if (!t.token || !t.user) throw new Error('static tokens need a token and a user');
      this.tokens.set(t.token, t);
    }
  }

  /** The user of a request; throws 401 Unauthorized. */
  authenticate(req: IncomingMessage): UserInfo {
    const cert = this.fromCertificate(req);
    if (cert) return withAuthenticatedGroup(cert);
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^\s*bearer\s+(\S+)\s*$/i.exec(auth);
      const user = m ? this.authenticateToken(m[1]) : undefined;
      if (!user) throw newUnauthorized();
      return withAuthenticatedGroup(user);
    }
    if (this.opts.anonymous) return { name: ANONYMOUS, groups: [ALL_UNAUTHENTICATED] };
    throw newUnauthorized();
  }

  private fromCertificate(req: IncomingMessage): UserInfo | undefined {
    const sock = req.socket as TLSSocket;
    // The TLS server requests but does not require a certificate; `authorized` says it chains
    // to the server CA (and is within its validity period).
    if (!sock || typeof sock.getPeerCertificate !== 'function' || !sock.authorized) return undefined;
    let known = this.certUsers.get(sock);
    if (known === undefined) {
      // kept with `system:authenticated` already added: `authenticate` then copies it once
      const u = certificateUser(sock);
      known = u && withAuthenticatedGroup(u);
      this.certUsers.set(sock, known);
    }
    return known ? { name: known.name, groups: known.groups.slice() } : undefined;
  }

  /** The user a bearer token stands for, or undefined (see `lastRejection`). */
  authenticateToken(token: string): UserInfo | undefined {
    const st = this.tokens.get(token);
    if (st) return { name: st.user, uid: st.uid, groups: [...(st.groups ?? [])] };
    const r = this.serviceAccountToken(token);
    if (typeof r === 'string') {
      this.lastRejection = r;
      return undefined;
    }
    return r;
  }

  private serviceAccountToken(token: string): UserInfo | TokenRejection {
    if (token.split('.').length !== 3) return 'unknown-token';
    const c = verifyJwt(token, this.opts.signingKey);
    if (!c) return 'malformed-or-tampered';
    if (c.iss !== this.issuer) return 'wrong-issuer';
    const aud = Array.isArray(c.aud) ? c.aud : typeof c.aud === 'string' ? [c.aud] : [];
    if (!aud.some((a) => this.audiences.includes(a as string))) return 'wrong-audience';
    const now = Math.floor(Date.now() / 1000);
    if (typeof c.exp !== 'number' || now >= c.exp) return 'expired';
    // Upstream allows a little clock skew on nbf.
    if (typeof c.nbf === 'number' && now + 60 < c.nbf) return 'not-yet-valid';
    const k = c['kubernetes.io'] as KubernetesClaims | undefined;
    if (!k || typeof k.namespace !== 'string' || !k.serviceaccount?.name) return 'malformed-or-tampered';
    const sa = this.store.get('/serviceaccounts', `${k.namespace}/${k.serviceaccount.name}`);
    if (!sa || sa.obj.metadata.uid !== k.serviceaccount.uid || sa.obj.metadata.deletionTimestamp) return 'serviceaccount-gone';
    const extra: Record<string, string[]> = {};
    if (k.pod) {
      const pod = this.store.get('/pods', `${k.namespace}/${k.pod.name}`);
      if (!pod || pod.obj.metadata.uid !== k.pod.uid || pod.obj.metadata.deletionTimestamp) return 'bound-object-gone';
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    if (k.secret) {
      const s = this.store.get('/secrets', `${k.namespace}/${k.secret.name}`);
      if (!s || s.obj.metadata.uid !== k.secret.uid) return 'bound-object-gone';
    }
    if (typeof c.jti === 'string') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.jti}`];
    return {
      name: `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`,
      uid: k.serviceaccount.uid,
      groups: serviceAccountGroups(k.namespace),
      extra,
    };
  }
}

/** CN = user, O = groups of a connection's peer certificate; null when it names no user. */
function certificateUser(sock: TLSSocket): { name: string; groups: string[] } | null {
  const cert = sock.getPeerCertificate();
  const subject = cert?.subject as unknown as Record<string, string | string[]> | undefined;
  const cn = subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (!name) return null;
  const o = subject?.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { name, groups: [...groups] };
}
