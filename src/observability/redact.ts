/**
 * Secret redaction for logs (and anything else that prints objects): values of
 * credential-like keys, the data of Kubernetes Secrets, and credentials embedded
 * in strings (Authorization headers, `password=...`, JSON `"token": "..."`) are
 * replaced by `[REDACTED]`. A controller is tested by grepping its logs for
 * credential text, so this errs on the side of hiding.
 */

export const REDACTED = '[REDACTED]';

/**
 * Keys whose values are always hidden, compared after lower-casing and removing
 * everything but letters and digits (so `access_token`, `accessToken` and
 * `Access-Token` are one key).
 */
const SECRET_KEYS = new Set([
  'password',
  'passwd',
  'passphrase',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'bearertoken',
  'securitytoken',
  'sessiontoken',
  'authorization',
  'proxyauthorization',
  'auth',
  'secret',
  'clientsecret',
  'secretkey',
  'accesskeysecret',
  'secretaccesskey',
  'apikey',
  'privatekey',
  'clientkey',
  'clientkeydata',
  'tlskey',
  'cookie',
  'setcookie',
  'dockerconfigjson',
  'dockercfg',
  'credential',
  'credentials',
]);

/** Suffixes that mark a key as secret too (`dbPassword`, `registryToken`, `AccessKeySecret`). */
const SECRET_SUFFIXES = ['password', 'passwd', 'token', 'secret', 'privatekey', 'apikey'];

function normalize(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** True when a value stored under `key` must not be printed. */
export function isSecretKey(key: string, extra?: ReadonlySet<string>): boolean {
  const k = normalize(key);
  if (SECRET_KEYS.has(k) || extra?.has(k)) return true;
  for (const s of SECRET_SUFFIXES) if (k.length > s.length && k.endsWith(s)) return true;
  return false;
}

// Credentials inside free text: HTTP auth schemes, key=value / key: value pairs
// (query strings, headers, JSON fragments) for the common credential names.
// Order matters: the auth-scheme rule runs first so that in
// "Authorization: Bearer xyz" the token itself is hidden, not just the word Bearer.
const STRING_PATTERNS: [RegExp, string][] = [
  // PEM private keys, JWTs (ServiceAccount and OIDC tokens) and passwords in URLs.
  [/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g, `-----BEGIN $1PRIVATE KEY----- ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:)[^\s@/]+@/gi, `$1${REDACTED}@`],
  [/\b(Bearer|Basic|Digest)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  [
    /((?:["']?)\b(?:password|passwd|passphrase|token|access_?token|refresh_?token|id_?token|secret|client_?secret|access_?key_?secret|security_?token|api_?key|auth|authorization|x-acr-token)\b["']?\s*[:=]\s*["']?)([^"'&\s,;}]+)/gi,
    `$1${REDACTED}`,
  ],
];

/** Replaces credentials embedded in a string. */
export function redactString(text: string): string {
  let out = text;
  for (const [re, rep] of STRING_PATTERNS) out = out.replace(re, rep);
  return out;
}

export interface RedactOptions {
  /** More keys to hide, in addition to the built-in list. Default: none. */
  extraKeys?: Iterable<string>;
  /** Deeper levels are replaced by '[Truncated]'. Default: 12. */
  maxDepth?: number;
}

/**
 * A copy of `value` with secrets hidden (the input is never modified). Handles
 * cycles, Errors (message, stack and own properties), Maps, arrays, Buffers and
 * Kubernetes Secrets (every `data`/`stringData` value and the last-applied
 * annotation are hidden).
 */
export function redactSecrets<T>(value: T, options: RedactOptions = {}): T {
  const extra = options.extraKeys ? new Set([...options.extraKeys].map(normalize)) : undefined;
  const maxDepth = options.maxDepth ?? 12;
  const seen = new WeakSet<object>();

  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return redactString(v);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '[Circular]';
    if (depth >= maxDepth) return '[Truncated]';
    if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return v;
    if (v instanceof Date) return v;
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
      if (v instanceof Map) {
        const out = new Map();
        for (const [k, x] of v) out.set(k, typeof k === 'string' && isSecretKey(k, extra) ? REDACTED : walk(x, depth + 1));
        return out;
      }
      const src = v as Record<string, unknown>;
      let out: Record<string, unknown>;
      if (v instanceof Error) {
        // Keep it an Error so loggers still serialize type, message and stack.
        const e = Object.create(Object.getPrototypeOf(v)) as Error;
        Object.defineProperty(e, 'message', { value: redactString(v.message), enumerable: false, writable: true, configurable: true });
        if (v.stack) Object.defineProperty(e, 'stack', { value: redactString(v.stack), enumerable: false, writable: true, configurable: true });
        if ((v as { cause?: unknown }).cause !== undefined) (e as { cause?: unknown }).cause = walk((v as { cause?: unknown }).cause, depth + 1);
        out = e as unknown as Record<string, unknown>;
      } else {
        out = {};
      }
      const isK8sSecret = src.kind === 'Secret' && typeof src.apiVersion === 'string';
      for (const key of Object.keys(src)) {
        const x = src[key];
        if (isSecretKey(key, extra) && x !== undefined && x !== null && x !== '' && !isKubeObject(x)) out[key] = REDACTED;
        else if (isK8sSecret && (key === 'data' || key === 'stringData') && x && typeof x === 'object') {
          out[key] = Object.fromEntries(Object.keys(x as object).map((k) => [k, REDACTED]));
        } else if (isK8sSecret && key === 'metadata' && x && typeof x === 'object') {
          out[key] = walk(redactLastApplied(x as Record<string, unknown>), depth + 1);
        } else out[key] = walk(x, depth + 1);
      }
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return walk(value, 0) as T;
}

const REFERENCE_KEYS = new Set(['name', 'namespace', 'kind', 'apiVersion', 'uid', 'resourceVersion']);

/**
 * `{ secret: secretObject }` and controller-runtime's `{ Secret: { name, namespace } }`
 * are common in controller logs: Kubernetes objects and object references under a
 * secret-like key are walked (a Secret's data is still hidden) rather than hidden whole.
 */
function isKubeObject(x: unknown): boolean {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return false;
  const o = x as { apiVersion?: unknown; kind?: unknown; metadata?: unknown };
  if (typeof o.apiVersion === 'string' && typeof o.kind === 'string' && !!o.metadata && typeof o.metadata === 'object') return true;
  const keys = Object.keys(x);
  return keys.length > 0 && keys.every((k) => REFERENCE_KEYS.has(k) && typeof (x as Record<string, unknown>)[k] === 'string');
}

function redactLastApplied(meta: Record<string, unknown>): Record<string, unknown> {
  const ann = meta.annotations as Record<string, string> | undefined;
  const key = 'kubectl.kubernetes.io/last-applied-configuration';
  if (!ann || !(key in ann)) return meta;
  return { ...meta, annotations: { ...ann, [key]: REDACTED } };
}
