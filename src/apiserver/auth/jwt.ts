/**
 * ServiceAccount tokens: compact JWS (ES256, P-256 key from node:crypto) with the claims
 * kube-apiserver puts in them (`iss`, `aud`, `exp`, `nbf`, `iat`, `sub`, `jti` and the
 * `kubernetes.io` claim naming the namespace, ServiceAccount and bound pod).
 *
 * The signing key is kept in `<dataDir>/pki/sa.key` so tokens survive a restart; without a data
 * dir it is generated per server.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const DEFAULT_AUDIENCE = 'https://kubernetes.default.svc';

export interface ObjectRef {
  name: string;
  uid: string;
}

/** The private claims under `kubernetes.io`. */
export interface KubernetesClaims {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
}

export interface TokenClaims {
  iss: string;
  aud: string[];
  sub: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  'kubernetes.io': KubernetesClaims;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Loads the ServiceAccount signing key from `<dataDir>/pki/sa.key`, creating it when missing. */
export function loadOrCreateSigningKey(dataDir?: string): KeyObject {
  const gen = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  if (!dataDir) return gen();
  const path = join(dataDir, 'pki', 'sa.key');
  if (existsSync(path)) return createPrivateKey(readFileSync(path, 'utf8'));
  const key = gen();
  mkdirSync(join(dataDir, 'pki'), { recursive: true, mode: 0o700 });
  writeFileSync(path, key.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  return key;
}

/** Signs `claims` as an ES256 JWT with `key` (a P-256 private key). */
export function signJwt(claims: object, key: KeyObject, kid = keyId(key)): string {
  const head = b64url(JSON.stringify({ alg: 'ES256', kid, typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${head}.${body}.${b64url(sig)}`;
}

/** A stable key id: the first bytes of the public key's DER, base64url. */
export function keyId(key: KeyObject): string {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' }) as Buffer;
  return b64url(der.subarray(der.length - 24));
}

/** Verifies the signature; returns the payload or undefined (malformed, other alg, bad signature). */
export function verifyJwt(token: string, key: KeyObject): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const head = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: string };
    if (head.alg !== 'ES256') return undefined;
    const pub = createPublicKey(key);
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2], 'base64url'));
    if (!ok) return undefined;
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface IssueRequest {
  namespace: string;
  serviceAccount: ObjectRef;
  audiences: string[];
  expirationSeconds: number;
  pod?: ObjectRef;
  secret?: ObjectRef;
  /** Seconds since the epoch (default now). */
  now?: number;
}

/** Builds the claims of a ServiceAccount token. */
export function serviceAccountClaims(issuer: string, r: IssueRequest): TokenClaims {
  const now = r.now ?? Math.floor(Date.now() / 1000);
  const k: KubernetesClaims = { namespace: r.namespace, serviceaccount: r.serviceAccount };
  if (r.pod) k.pod = r.pod;
  if (r.secret) k.secret = r.secret;
  return {
    iss: issuer,
    aud: r.audiences,
    sub: `system:serviceaccount:${r.namespace}:${r.serviceAccount.name}`,
    exp: now + r.expirationSeconds,
    nbf: now,
    iat: now,
    jti: randomUUID(),
    'kubernetes.io': k,
  };
}
