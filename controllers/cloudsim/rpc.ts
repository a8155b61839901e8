/**
 * The RPC-style OpenAPI protocol (VPC, ESS, ECS, CR): parameters in the query string
 * (GET) or a form body (POST), `Action` + `Version` select the operation, an HMAC-SHA1
 * signature over the canonicalized parameters authenticates the caller. Responses and
 * errors are JSON with the cloud's shapes (`RequestId`, `Code`, `Message`, HTTP status).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError, type Cloud } from './cloud.js';
import type { Authenticator, Caller } from './auth.js';
import type { Faults, Service } from './faults.js';
import { arn, checkRam, type RamProduct } from './ram.js';
import type { CloudState } from './state.js';

export type RpcParams = Record<string, string>;

export interface RpcContext {
  cloud: Cloud;
  caller: Caller;
  /** `host:port` the request came to, used to render registry domains */
  port: number;
  now: number;
  options: RpcOptions;
}

export interface RpcOptions {
  /** refuse CreateRouteEntry to a next hop that is not an emulated instance (default false) */
  validateNextHop: boolean;
  /** custom route entries one route table holds (VPC CreateRouteEntry docs: "up to 200 custom route entries") */
  routeEntryQuota: number;
}

export type RpcHandler = (p: RpcParams, ctx: RpcContext) => Record<string, unknown>;

export interface RpcService {
  service: Service;
  version: string;
  handlers: Record<string, RpcHandler>;
  /** actions called without an AccessKey (no signature), e.g. STS AssumeRoleWithOIDC, whose proof is in its parameters */
  anonymous?: readonly string[];
  /** which permission error the product answers (default `rpc`: 403 Forbidden.RAM; see ram.ts) */
  ramProduct?: RamProduct;
  /**
   * The ARN (or its relative part, `routetable/vtb-1`) an action works on, for RAM; undefined:
   * the product's resources in the region as a whole (`acs:<code>:<region>:<account>:*`), what
   * actions without resource-level authorization are checked against.
   */
  resource?: (action: string, p: RpcParams, state: CloudState) => string | undefined;
}

/** RFC 3986 encoding as the RPC signature defines it (same as the SDK's). */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A');
}

export function rpcStringToSign(method: string, params: RpcParams): string {
  const canonical = Object.keys(params).filter((k) => k !== 'Signature').sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k])}`).join('&');
  return `${method}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

export function rpcSign(method: string, params: RpcParams, secret: string): string {
  return createHmac('sha1', `${secret}&`).update(rpcStringToSign(method, params)).digest('base64');
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---- parameter helpers for handlers ----

export function required(p: RpcParams, name: string): string {
  const v = p[name];
  if (v === undefined || v === '') throw new SimError(`MissingParameter`, `The input parameter "${name}" that is mandatory for processing this request is not supplied.`, 400);
  return v;
}

export function intParam(p: RpcParams, name: string, def?: number): number | undefined {
  const v = p[name];
  if (v === undefined || v === '') return def;
  if (!/^-?\d+$/.test(v)) throw new SimError(`InvalidParameter`, `The specified parameter "${name}" is not valid: ${v}`, 400);
  return Number(v);
}

export function boolParam(p: RpcParams, name: string, def: boolean): boolean {
  const v = p[name];
  if (v === undefined || v === '') return def;
  return v === 'true' || v === 'True';
}

/** `Name.1`, `Name.2`, ... (the SDK's flattening of arrays) in index order. */
export function listParam(p: RpcParams, name: string): string[] {
  const out: Array<[number, string]> = [];
  const re = new RegExp(`^${name.replace('.', '\\.')}\\.(\\d+)$`);
  for (const [k, v] of Object.entries(p)) {
    const m = re.exec(k);
    if (m) out.push([Number(m[1]), v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/** A JSON array parameter (e.g. ECS `InstanceIds=["i-1","i-2"]`). */
export function jsonListParam(p: RpcParams, name: string): string[] | undefined {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  try {
    const parsed = JSON.parse(v);
    if (Array.isArray(parsed)) return parsed.map(String);
  } catch { /* fall through */ }
  throw new SimError('InvalidParameter', `The specified parameter "${name}" must be a JSON array.`, 400);
}

/** `Tag.N.Key` / `Tag.N.Value` pairs. */
export function tagParams(p: RpcParams, name = 'Tag'): Array<{ key: string; value: string }> {
  const byIndex = new Map<number, { key: string; value: string }>();
  const re = new RegExp(`^${name}\\.(\\d+)\\.(Key|Value)$`);
  for (const [k, v] of Object.entries(p)) {
    const m = re.exec(k);
    if (!m) continue;
    const e = byIndex.get(Number(m[1])) ?? { key: '', value: '' };
    if (m[2] === 'Key') e.key = v; else e.value = v;
    byIndex.set(Number(m[1]), e);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e).filter((e) => e.key);
}

/** PageNumber/PageSize paging with the API's bounds. */
export function paged<T>(items: T[], p: RpcParams, maxSize: number, defaultSize = 10, numberKey = 'PageNumber', sizeKey = 'PageSize'): { page: T[]; pageNumber: number; pageSize: number; totalCount: number } {
  const pageNumber = intParam(p, numberKey, 1)!;
  const pageSize = intParam(p, sizeKey, defaultSize)!;
  if (pageNumber < 1) throw new SimError('InvalidParameter', `The specified parameter "${numberKey}" is not valid.`, 400);
  if (pageSize < 1 || pageSize > maxSize) throw new SimError('InvalidParameter', `The specified parameter "${sizeKey}" must be between 1 and ${maxSize}.`, 400);
  const start = (pageNumber - 1) * pageSize;
  return { page: items.slice(start, start + pageSize), pageNumber, pageSize, totalCount: items.length };
}

/** NextToken paging (token = opaque offset). */
export function tokenPaged<T>(items: T[], p: RpcParams, maxSize: number, defaultSize: number, sizeKey: string): { page: T[]; nextToken: string; size: number } {
  const size = intParam(p, sizeKey, defaultSize)!;
  if (size < 1 || size > maxSize) throw new SimError('InvalidParameter', `The specified parameter "${sizeKey}" must be between 1 and ${maxSize}.`, 400);
  let offset = 0;
  const token = p.NextToken;
  if (token) {
    const n = Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^off:/, ''));
    if (!Number.isInteger(n) || n < 0) throw new SimError('InvalidNextToken', 'The specified NextToken is invalid.', 400);
    offset = n;
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(`off:${offset + size}`).toString('base64url') : '';
  return { page, nextToken: next, size };
}

// ---- the protocol ----

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': requestId, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function errorBody(e: SimError, requestId: string, host: string): Record<string, unknown> {
  return { RequestId: requestId, HostId: host, Code: e.code, Message: e.message, Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(e.code)}`, ...e.extra };
}

export interface RpcServerDeps {
  cloud: Cloud;
  auth: Authenticator;
  faults: Faults;
  services: RpcService[];
  port: () => number;
  options: RpcOptions;
}

/**
 * Nonces seen in the last 15 minutes (the cloud refuses replays with SignatureNonceUsed). The
 * map is in arrival order, so expired nonces are dropped from its front and each check costs
 * O(1) amortized — not a scan of every nonce per request, which a busy client made quadratic.
 */
class NonceCache {
  private seen = new Map<string, number>();
  check(nonce: string, now: number): boolean {
    for (const [k, t] of this.seen) {
      if (now - t <= 15 * 60_000) break;
      this.seen.delete(k);
    }
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, now);
    return true;
  }
}

export function createRpcHandler(deps: RpcServerDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const nonces = new NonceCache();
  const byVersion = new Map(deps.services.map((s) => [s.version, s]));
  return async (req, res, url) => {
    const requestId = randomUUID().toUpperCase();
    const host = req.headers.host ?? '127.0.0.1';
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      const params: RpcParams = {};
      for (const [k, v] of url.searchParams) params[k] = v;
      if (method === 'POST') {
        const body = await readBody(req);
        const ct = String(req.headers['content-type'] ?? '');
        if (body && (ct.includes('application/x-www-form-urlencoded') || !ct)) for (const [k, v] of new URLSearchParams(body)) params[k] = v;
      } else if (method !== 'GET') {
        throw new SimError('UnsupportedHTTPMethod', `HTTP method ${method} is not supported for RPC requests.`, 400);
      }
      const action = required(params, 'Action');
      const version = required(params, 'Version');
      const svc = byVersion.get(version);
      if (!svc) throw new SimError('InvalidVersion', `Specified parameter Version is not valid: ${version}.`, 400);
      const handler = Object.prototype.hasOwnProperty.call(svc.handlers, action) ? svc.handlers[action] : undefined;
      if (!handler) throw new SimError('InvalidAction.NotFound', `Specified api is not found, please check your url and method: ${action}.`, 404);
      const now = Date.now();
      const fate = await deps.faults.apply(svc.service, action, now);
      if (fate.kind === 'outage') throw new SimError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 503);
      if (fate.kind === 'throttle') throw new SimError('Throttling.User', 'Request was denied due to user flow control.', 400);
      if (fate.kind === 'error') throw new SimError('InternalError', 'The request processing has failed due to some unknown error, exception or failure.', 500);

      const caller = svc.anonymous?.includes(action) ? { accessKeyId: '', secret: '' } : authenticate(params, method, now);
      // RAM is checked after authentication, against the caller's policies (a `deny` fault: whoever calls)
      const state = deps.cloud.state;
      const code = svc.service; // the products' RAM codes are their service names (vpc, ess, ecs, cr, sts)
      const rel = svc.resource?.(action, params, state);
      const resource = rel === undefined ? arn(state, code, '*') : rel.startsWith('acs:') ? rel : arn(state, code, rel);
      checkRam(state, caller, svc.ramProduct ?? 'rpc', `${code}:${action}`, resource, fate.kind === 'deny');

      deps.cloud.tick(now);
      const out = handler(params, { cloud: deps.cloud, caller, port: deps.port(), now, options: deps.options });
      send(res, 200, { RequestId: requestId, ...out }, requestId);
    } catch (err) {
      const e = err instanceof SimError ? err : new SimError('InternalError', `The request processing has failed: ${(err as Error).message}`, 500);
      send(res, e.status, errorBody(e, requestId, host), requestId);
    }
  };

  /** The caller of a signed request: signature over every parameter but Signature itself, fresh timestamp, unused nonce. */
  function authenticate(params: RpcParams, method: string, now: number): Caller {
    const caller = deps.auth.resolve(params.AccessKeyId, params.SecurityToken, 'rpc', now);
    if (params.SignatureMethod && params.SignatureMethod !== 'HMAC-SHA1') {
      throw new SimError('InvalidSignatureMethod', `Specified signature method ${params.SignatureMethod} is not supported.`, 400);
    }
    const signature = required(params, 'Signature');
    if (!sameString(rpcSign(method, params, caller.secret), signature)) {
      throw new SimError('SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.', 400);
    }
    const ts = Date.parse(required(params, 'Timestamp'));
    if (!Number.isFinite(ts)) throw new SimError('InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.', 400);
    if (Math.abs(now - ts) > 15 * 60_000) throw new SimError('InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.', 400);
    if (params.SignatureNonce && !nonces.check(`${caller.accessKeyId}/${params.SignatureNonce}`, now)) {
      throw new SimError('SignatureNonceUsed', 'Specified signature nonce was used already.', 400);
    }
    return caller;
  }
}
