/**
 * Alibaba Cloud's RPC request signing (signature version 1.0, HMAC-SHA1), as the public API
 * reference describes it: the canonicalized query (parameters sorted, RFC 3986 percent-encoded)
 * in `METHOD&%2F&<encoded query>`, keyed with `<AccessKeySecret>&`. The fuzzer signs most
 * requests correctly so they reach the emulator's API handlers, not only its authentication.
 */
import { createHmac } from 'node:crypto';

/**
 * RFC 3986 encoding as the signature spec wants it: every UTF-8 byte but `A-Z a-z 0-9 - _ . ~`
 * as `%XX` (so a space is `%20` and `*` is `%2A`). Byte-wise, so any string (a lone surrogate
 * too, as U+FFFD) encodes instead of throwing as encodeURIComponent would.
 */
export function percentEncode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** The query string of a signed request (Signature last). */
export function signedQuery(method: string, params: Record<string, string>, secret: string): string {
  const canonical = Object.keys(params).sort().map((k) => `${percentEncode(k)}=${percentEncode(params[k])}`).join('&');
  const signature = createHmac('sha1', `${secret}&`).update(`${method}&${percentEncode('/')}&${percentEncode(canonical)}`).digest('base64');
  return `${canonical}&Signature=${percentEncode(signature)}`;
}
