/**
 * Container Registry Personal Edition's token API: CR 2016-06-07 `GetAuthorizationToken`, a
 * ROA-style call (`GET /tokens` on the regional CR endpoint, version in `x-acs-version`),
 * answering `{ data: { authorizationToken, tempUserName, expireDate } }` with `expireDate` in
 * epoch milliseconds — the shape docker-credential-acr-helper and ACK's credential helper read.
 * The Personal Edition has no instance id: it is the account's registry of the region,
 * `registry[-vpc].<region>.aliyuncs.com`.
 *
 * ROA requests are signed over their headers (Alibaba Cloud's ROA signature v1):
 * `Authorization: acs <AccessKeyId>:<base64 HMAC-SHA1>` of
 * `METHOD\nAccept\nContent-MD5\nContent-Type\nDate\n` + the `x-acs-*` headers (lower-case,
 * sorted, `name:value\n`) + the path with its sorted query.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError, type Cloud } from './cloud.js';
import type { Authenticator } from './auth.js';
import type { Faults } from './faults.js';
import { randomToken } from './state.js';
import { arn, checkRam } from './ram.js';

export const CR_PERSONAL_VERSION = '2016-06-07';
export const CR_PERSONAL_TOKEN_PATH = '/tokens';
/** The registry credentials' owner in the emulator's state for the Personal Edition (it has no instance id). */
export const PERSONAL_INSTANCE = 'personal';

/** Whether a request is a Personal Edition token call. */
export function isCrPersonalRequest(req: IncomingMessage, url: URL): boolean {
  return url.pathname === CR_PERSONAL_TOKEN_PATH && req.headers['x-acs-version'] === CR_PERSONAL_VERSION;
}

function roaStringToSign(method: string, url: URL, headers: IncomingMessage['headers']): string {
  const h = (k: string) => String(headers[k] ?? '');
  const acs = Object.keys(headers).filter((k) => k.startsWith('x-acs-')).sort()
    .map((k) => `${k}:${h(k).replace(/[\t\n\r\f]/g, ' ').trim()}\n`).join('');
  const query = [...url.searchParams.keys()].sort().map((k) => `${k}=${url.searchParams.get(k)}`).join('&');
  return `${method}\n${h('accept')}\n${h('content-md5')}\n${h('content-type')}\n${h('date')}\n${acs}${url.pathname}${query ? `?${query}` : ''}`;
}

export interface CrPersonalDeps {
  cloud: Cloud;
  auth: Authenticator;
  faults: Faults;
}

export function createCrPersonalHandler(deps: CrPersonalDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  return async (req, res, url) => {
    const requestId = randomUUID().toUpperCase();
    const send = (status: number, body: Record<string, unknown>) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': requestId, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      if ((req.method ?? 'GET').toUpperCase() !== 'GET') throw new SimError('UnsupportedHTTPMethod', 'GetAuthorizationToken is GET /tokens.', 400);
      const now = Date.now();
      const fate = await deps.faults.apply('cr', 'GetAuthorizationToken', now);
      if (fate.kind === 'outage') throw new SimError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 503);
      if (fate.kind === 'throttle') throw new SimError('Throttling.User', 'Request was denied due to user flow control.', 400);
      if (fate.kind === 'error') throw new SimError('InternalError', 'The request processing has failed due to some unknown error, exception or failure.', 500);
      const m = /^acs ([^:]+):(.+)$/.exec(String(req.headers.authorization ?? ''));
      if (!m) throw new SimError('MissingAuthorization', 'The Authorization header is missing or malformed.', 400);
      const caller = deps.auth.resolve(m[1], req.headers['x-acs-security-token'] as string | undefined, 'rpc', now);
      const expected = createHmac('sha1', caller.secret).update(roaStringToSign('GET', url, req.headers)).digest('base64');
      const a = Buffer.from(expected);
      const b = Buffer.from(m[2]);
      if (a.length !== b.length || !timingSafeEqual(a, b)) throw new SimError('SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.', 400);
      // RAM: cr:GetAuthorizationToken on the account's registry of the region (403 Forbidden.RAM)
      checkRam(deps.cloud.state, caller, 'rpc', 'cr:GetAuthorizationToken', arn(deps.cloud.state, 'cr', '*'), fate.kind === 'deny');
      // credentials obtained with an STS token never outlive that token
      let expiresAt = now + deps.cloud.timings.registryTokenLifetimeMs;
      if (caller.sts) expiresAt = Math.min(expiresAt, caller.sts.expiresAt);
      const password = randomToken(32);
      const state = deps.cloud.state;
      state.registryCredentials = state.registryCredentials.filter((c) => c.expiresAt > now);
      state.registryCredentials.push({ instanceId: PERSONAL_INSTANCE, username: 'cr_temp_user', password, expiresAt });
      deps.cloud.changed();
      send(200, { data: { authorizationToken: password, tempUserName: 'cr_temp_user', expireDate: expiresAt }, requestId });
    } catch (err) {
      const e = err instanceof SimError ? err : new SimError('InternalError', (err as Error).message, 500);
      // ROA error bodies are lower-camel: {code, message, requestId, accessDeniedDetail}
      send(e.status, { code: e.code, message: e.message, requestId, ...(e.extra?.AccessDeniedDetail ? { accessDeniedDetail: e.extra.AccessDeniedDetail } : {}) });
    }
  };
}
