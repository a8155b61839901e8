/**
 * The request signatures of the APIs the emulator serves, written from the public references
 * (not from the emulator's code, so a verification that drifts from the real scheme shows up
 * as signature errors in the fuzz): RPC signature 1.0 (VPC, ESS, ECS, CR, STS), SLS v1 and v4,
 * and ROA v1 (CR Personal Edition). The fuzzer signs most requests correctly so they reach the
 * emulator's API handlers, not only its authentication.
 *
 * RPC (signature version 1.0, HMAC-SHA1), as the public API reference describes it: the
 * canonicalized query (parameters sorted, RFC 3986 percent-encoded) in
 * `METHOD&%2F&<encoded query>`, keyed with `<AccessKeySecret>&`.
 */
import { createHash, createHmac } from 'node:crypto';

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

/** Lower-case header names and values, as the signatures below read them. */
export type SignedHeaders = Record<string, string>;

/**
 * SLS signature v1, as SLS' "Request signatures" reference defines it: `Authorization: LOG
 * <AccessKeyId>:<base64 HMAC>` over `VERB\nContent-MD5\nContent-Type\nDate\n` + the `x-log-*` and
 * `x-acs-*` headers (`name:value\n`, sorted) + the path with its parameters sorted (`?k=v&...`,
 * values as decoded, not percent-encoded). The HMAC is the one `x-log-signaturemethod` names:
 * `hmac-sha1` in the reference, `hmac-sha256` in the SDK the controllers use
 * (@alicloud/gateway-sls getSignature).
 */
export function slsV1Authorization(method: string, path: string, query: Record<string, string>, headers: SignedHeaders, accessKeyId: string, secret: string): string {
  const resource = path + Object.keys(query).sort().map((k, i) => `${i ? '&' : '?'}${k}=${query[k]}`).join('');
  const logHeaders = Object.keys(headers).filter((h) => h.startsWith('x-log-') || h.startsWith('x-acs-')).sort().map((h) => `${h}:${headers[h]}\n`).join('');
  const toSign = `${method}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${headers.date ?? ''}\n${logHeaders}${resource}`;
  const algorithm = headers['x-log-signaturemethod'] === 'hmac-sha1' ? 'sha1' : 'sha256';
  return `LOG ${accessKeyId}:${createHmac(algorithm, secret).update(toSign).digest('base64')}`;
}

/**
 * The SDK's query encoding for signature v4 (@alicloud/darabonba-encode-util percentEncode:
 * encodeURIComponent, then the first `+`, `*` and `%7E` rewritten, as its JavaScript does).
 */
function v4Encode(v: string): string {
  return encodeURIComponent(v).replace('+', '%20').replace('*', '%2A').replace('%7E', '~');
}
const hmac256 = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * SLS signature v4 (`SLS4-HMAC-SHA256`, SLS "Request signatures (V4)"; @alicloud/gateway-sls
 * getAuthorizationV4): a canonical request over method, path, sorted query, the `x-log-*`,
 * `x-acs-*`, `host` and `content-type` headers and the body's SHA-256 (`x-log-content-sha256`),
 * signed with a key derived from `aliyun_v4<secret>`, the day, the region and `sls`. `headers`
 * must already hold `x-log-date` and `x-log-content-sha256`.
 */
export function slsV4Authorization(method: string, path: string, query: Record<string, string>, headers: SignedHeaders, accessKeyId: string, secret: string, region: string): string {
  const date = headers['x-log-date'];
  const day = date.slice(0, 8);
  const signed = Object.keys(headers).filter((h) => h.startsWith('x-log-') || h.startsWith('x-acs-') || h === 'host' || h === 'content-type').sort().join(';');
  const canonicalQuery = Object.keys(query).sort().map((k) => (query[k] ? `${k}=${v4Encode(query[k])}` : k)).join('&');
  const canonicalHeaders = signed.split(';').map((h) => `${h}:${headers[h].trim()}\n`).join('');
  const canonical = `${method}\n${path || '/'}\n${canonicalQuery}\n${canonicalHeaders}\n${signed}\n${headers['x-log-content-sha256']}`;
  const scope = `${day}/${region}/sls/aliyun_v4_request`;
  const toSign = `SLS4-HMAC-SHA256\n${date}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const key = hmac256(hmac256(hmac256(hmac256(`aliyun_v4${secret}`, day), region), 'sls'), 'aliyun_v4_request');
  return `SLS4-HMAC-SHA256 Credential=${accessKeyId}/${scope},Signature=${createHmac('sha256', key).update(toSign).digest('hex')}`;
}

/**
 * Alibaba Cloud's ROA signature v1 (Container Registry Personal Edition's `GET /tokens`):
 * `Authorization: acs <AccessKeyId>:<base64 HMAC-SHA1>` of `VERB\nAccept\nContent-MD5\nContent-Type\nDate\n`
 * + the `x-acs-*` headers (`name:value\n`, sorted) + the path with its sorted (decoded) query.
 */
export function roaAuthorization(method: string, path: string, query: Record<string, string>, headers: SignedHeaders, accessKeyId: string, secret: string): string {
  const acs = Object.keys(headers).filter((h) => h.startsWith('x-acs-')).sort().map((h) => `${h}:${headers[h].trim()}\n`).join('');
  const q = Object.keys(query).sort().map((k) => `${k}=${query[k]}`).join('&');
  const toSign = `${method}\n${headers.accept ?? ''}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${headers.date ?? ''}\n${acs}${path}${q ? `?${q}` : ''}`;
  return `acs ${accessKeyId}:${createHmac('sha1', secret).update(toSign).digest('base64')}`;
}
