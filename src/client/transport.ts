/**
 * The HTTP layer: a lean `node:https` (or `node:http`) request on ONE keep-alive agent,
 * with TLS material and auth headers taken from client-node's `KubeConfig`. Lists and
 * watches are the hot paths of every controller, so bodies are read as raw bytes and
 * parsed exactly once (see README.md for why we do not go through client-node's
 * generated API classes here).
 */
import http from 'node:http';
import https from 'node:https';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type ConnectionOptions } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { connectionOf, type ClientConfig } from './config.js';
import { statusErrorFromResponse } from './errors.js';
import { Http1Pool, IdleTimeoutError, headerLines, requestHead, requestMethod, type HeaderLines } from './http1.js';

export interface TransportOptions {
  /** `User-Agent` header. Default `kubeloop/0.1.0`. */
  userAgent?: string;
  /** How long auth headers (tokens from exec plugins, token files) are reused. Default 10 s. */
  authCacheMs?: number;
  /**
   * Max sockets per host on the keep-alive agent. Default: unlimited — over HTTP/1.1 every
   * open watch holds a connection, and a cap would make requests queue behind them forever.
   */
  maxSockets?: number;
  /** Timeout of a non-streaming request, ms. Default 60 s; 0 disables. */
  requestTimeoutMs?: number;
  /**
   * Retries of a request the server turned away with 429 (or 503 with Retry-After) — it was
   * not processed, so any verb may be retried — after the delay the server asks for
   * (`Retry-After`, else 1 s; at most 10 s). Default 5.
   */
  maxRetries?: number;
  /** Observes every request as it is sent (metrics, tests). */
  onRequest?: (req: { method: string; path: string; query?: RequestSpec['query'] }) => void;
}

export interface RequestSpec {
  method: string;
  /** Absolute path, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: string | Buffer;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export { IdleTimeoutError };

export function buildQuery(query: RequestSpec['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

interface Prepared {
  mod: typeof http | typeof https;
  base: https.RequestOptions;
  /** The Host header Node would set from `base` (host, and the port unless the default). */
  host: string;
  /**
   * Complete requests' connections (http1.ts), made as the agent makes its own; none through a
   * proxy or with a `maxSockets` cap (the agent's queue enforces it), where they take the agent.
   */
  pool?: Http1Pool;
}

export class Transport {
  readonly server: URL;
  private readonly userAgent: string;
  private readonly authCacheMs: number;
  private readonly maxSockets: number;
  readonly requestTimeoutMs: number;
  private readonly onRequest?: TransportOptions['onRequest'];
  private readonly maxRetries: number;
  private prepared?: Promise<Prepared>;
  /** `prepared`, once it resolved: requests then start without waiting for a promise. */
  private ready?: Prepared;
  private authHeaders?: { at: number; pairs: string[] };
  private agent?: http.Agent;
  private pool?: Http1Pool;
  /** The header lines every request on the pool starts with, for these auth headers. */
  private fixed?: { auth: string[]; prepared: Prepared; lines: HeaderLines };
  /** The server URL's path, without a trailing slash ('' for `/`): put before every request path. */
  private readonly prefix: string;

  constructor(readonly config: ClientConfig, opts: TransportOptions = {}) {
    const cluster = connectionOf(config).getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    if (this.server.protocol === 'http:' && !cluster.skipTLSVerify) {
      throw new Error(`refusing plain HTTP to ${cluster.server}: set insecure-skip-tls-verify in the kubeconfig to allow it`);
    }
    this.userAgent = opts.userAgent ?? 'kubeloop/0.1.0';
    this.authCacheMs = opts.authCacheMs ?? 10_000;
    this.maxSockets = opts.maxSockets ?? Infinity;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.onRequest = opts.onRequest;
    this.maxRetries = opts.maxRetries ?? 5;
    const p = this.server.pathname;
    this.prefix = p === '/' ? '' : p.replace(/\/$/, '');
  }

  /** TLS options and the keep-alive agent, computed once from the KubeConfig. */
  private prepare(): Promise<Prepared> {
    this.prepared ??= (async () => {
      const opts: https.RequestOptions = {};
      let pool: Http1Pool | undefined;
      const connection = connectionOf(this.config);
      await connection.applyToHTTPSOptions(opts);
      const isHttps = this.server.protocol === 'https:';
      const hostname = this.server.hostname.replace(/^\[|\]$/g, ''); // IPv6 without brackets
      const cluster = connection.getCurrentCluster();
      if (cluster?.proxyUrl) {
        // client-node built a proxy agent for us; keep it (it is per transport anyway).
        this.agent = opts.agent as http.Agent;
      } else {
        // One SecureContext for every connection, instead of ca/cert/key on the agent: the
        // https agent names its socket pool by concatenating those PEMs (Buffers decoded to
        // strings), ~5 KB built and hashed several times per request, and it would build a new
        // context per connection.
        const agentOpts: https.AgentOptions = {
          keepAlive: true,
          maxSockets: this.maxSockets,
          // the kubeconfig's tls-server-name, else the SNI name Node's agent works out per
          // request when none is given (calculateServerName in lib/_http_agent.js: the host,
          // none for an IP address), worked out once
          servername: (opts as { servername?: string }).servername ?? (isIP(hostname) ? '' : hostname),
        };
        if (isHttps) {
          agentOpts.secureContext = createSecureContext({ ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx, passphrase: opts.passphrase });
        }
        if (opts.rejectUnauthorized !== undefined) agentOpts.rejectUnauthorized = opts.rejectUnauthorized;
        this.agent = isHttps ? new https.Agent(agentOpts) : new http.Agent({ keepAlive: true, maxSockets: this.maxSockets });
        if (this.maxSockets === Infinity) {
          const p = new Http1Pool(connector(isHttps, hostname, Number(this.server.port || (isHttps ? 443 : 80)), agentOpts));
          pool = p;
          // the agent's requests (watches, streamed lists) take an idle connection of the pool
          // before making one, as they took a free socket of the agent's when it sent every request
          // (http.Agent#createConnection, documented as the method an agent may override)
          const agent = this.agent as unknown as { createConnection: (...a: unknown[]) => unknown };
          const create = agent.createConnection;
          agent.createConnection = function (this: unknown, ...args: unknown[]) {
            return p.takeIdle() ?? create.apply(this, args);
          };
        }
      }
      // (send() passes these on one by one: a field added here must be added there)
      const base: https.RequestOptions = {
        protocol: this.server.protocol,
        hostname,
        port: this.server.port || (isHttps ? 443 : 80),
        agent: this.agent,
      };
      // the Host header as Node's ClientRequest builds it (IPv6 in brackets, the port unless
      // the scheme's default): requests pass their headers as one flat array, which Node writes
      // as given (no setHeader and header map per request) and so without a Host of its own
      const host = this.server.host;
      if (!cluster?.proxyUrl) {
        // This agent serves one server with one TLS context, so every request has the same
        // socket pool name: compute it once instead of concatenating ~20 options per request.
        const agent = this.agent;
        // (the options as the agent's addRequest merges them: the request's, then the agent's)
        const name = agent.getName({ ...base, host: base.hostname, ...(agent as unknown as { options: object }).options } as http.ClientRequestArgs);
        agent.getName = () => name;
      }
      return { mod: isHttps ? https : http, base, host, pool };
    })();
    const prepared = this.prepared;
    prepared.then(
      (p) => {
        if (this.prepared === prepared) {
          this.ready = p;
          this.pool = p.pool;
        } else {
          // closed meanwhile: its requests fail as those in flight at close() do, and no
          // connection is left open behind a closed transport
          p.pool?.destroy();
        }
      },
      () => (this.prepared = undefined),
    );
    return prepared;
  }

  /** The cached auth headers, as name/value pairs, while they are fresh. */
  private freshAuth(): string[] | undefined {
    const a = this.authHeaders;
    return a && Date.now() - a.at < this.authCacheMs ? a.pairs : undefined;
  }

  /**
   * Authorization (and impersonation) headers as name/value pairs, refreshed every
   * `authCacheMs` so rotating tokens are seen.
   */
  private async headersFor(): Promise<string[]> {
    const now = Date.now();
    if (this.authHeaders && now - this.authHeaders.at < this.authCacheMs) return this.authHeaders.pairs;
    const opts: https.RequestOptions = { headers: {} };
    await connectionOf(this.config).applyToHTTPSOptions(opts);
    (opts.agent as http.Agent | undefined)?.destroy?.();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const pairs: string[] = [];
    for (const k in headers) pairs.push(k, headers[k]);
    this.authHeaders = { at: now, pairs };
    return pairs;
  }

  /** Opens a request and resolves with the response once headers arrive. Non-2xx becomes a StatusError. */
  open(spec: RequestSpec, idleTimeoutMs = 0): Promise<{ res: IncomingMessage; req: http.ClientRequest }> {
    return this.retrying(spec, () => this.openOnce(spec, idleTimeoutMs, headersArrived));
  }

  /**
   * `once()`, and again after the delay a turned-away request asks for (429, or 503 with
   * Retry-After: see retryAfterMs), up to `maxRetries` more times. Promise callbacks, not an
   * async loop: this wraps every request.
   */
  private retrying<R>(spec: RequestSpec, once: () => Promise<R>, attempt = 0): Promise<R> {
    return once().catch((err: unknown) => {
      const wait = (err as { retryAfterMs?: number } | undefined)?.retryAfterMs;
      if (wait === undefined || attempt >= this.maxRetries || spec.signal?.aborted) throw err;
      return sleep(wait, spec.signal).then(() => this.retrying(spec, once, attempt + 1));
    });
  }

  /**
   * Sends one request; a 2xx response goes to `ok` (which settles the promise), any other
   * becomes a StatusError. After the first request the TLS set-up and auth headers are at
   * hand: the request starts at once, without a promise turn.
   */
  private openOnce<R>(spec: RequestSpec, idleTimeoutMs: number, ok: OnResponse<R>): Promise<R> {
    const prepared = this.ready;
    const auth = prepared && this.freshAuth();
    if (!prepared || !auth) {
      return Promise.all([this.prepare(), this.headersFor()]).then(([p, pairs]) => this.send(p, pairs, spec, idleTimeoutMs, ok));
    }
    return this.send(prepared, auth, spec, idleTimeoutMs, ok);
  }

  /** A request's headers, as one flat name/value array in the order they are sent. */
  private headerPairs(prepared: Prepared, auth: string[], spec: RequestSpec): string[] {
    const headers: string[] = ['Host', prepared.host];
    for (let i = 0; i < auth.length; i++) headers.push(auth[i]);
    headers.push('User-Agent', this.userAgent, 'Accept', spec.accept ?? 'application/json');
    if (spec.body !== undefined) headers.push('Content-Type', spec.contentType ?? 'application/json', 'Content-Length', String(Buffer.byteLength(spec.body)));
    return headers;
  }

  private send<R>(prepared: Prepared, auth: string[], spec: RequestSpec, idleTimeoutMs: number, ok: OnResponse<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      spec.signal?.throwIfAborted();
      this.onRequest?.({ method: spec.method, path: spec.path, query: spec.query });
      const headers = this.headerPairs(prepared, auth, spec);
      const base = prepared.base;
      // one object literal of one shape (a spread of `base` made a slower, changing one)
      const req = prepared.mod.request({
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port,
        agent: base.agent,
        method: spec.method,
        path: this.prefix + spec.path + buildQuery(spec.query),
        headers,
      });
      const signal = spec.signal;
      if (signal) {
        const onAbort = () => destroyWith(req, signal.reason ?? new Error('aborted'));
        signal.addEventListener('abort', onAbort, { once: true });
        req.once('close', () => signal.removeEventListener('abort', onAbort));
      }
      if (idleTimeoutMs > 0) req.setTimeout(idleTimeoutMs, () => destroyWith(req, new IdleTimeoutError(idleTimeoutMs)));
      req.on('error', reject); // `on`: a destroyed request can report more than one error
      req.once('response', (res) => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) {
          ok(res, req, resolve, reject);
          return;
        }
        readAll(res).then((buf) => reject(statusFailure(spec, code, buf, res.headers)), reject);
      });
      req.end(spec.body);
    });
  }

  /** A complete request: the whole body as bytes. */
  request(spec: RequestSpec): Promise<RawResponse> {
    return this.retrying(spec, () => this.requestOnce(spec));
  }

  /** One complete request: on the pool's connections (http1.ts) when there is one, else through the agent. */
  private requestOnce(spec: RequestSpec): Promise<RawResponse> {
    const prepared = this.ready;
    const auth = prepared && this.freshAuth();
    if (!prepared || !auth) {
      return Promise.all([this.prepare(), this.headersFor()]).then(([p, pairs]) => this.sendWhole(p, pairs, spec));
    }
    return this.sendWhole(prepared, auth, spec);
  }

  private sendWhole(prepared: Prepared, auth: string[], spec: RequestSpec): Promise<RawResponse> {
    const pool = prepared.pool;
    if (!pool) return this.send(prepared, auth, spec, this.requestTimeoutMs, wholeBody);
    let sent: Promise<RawResponse>;
    try {
      spec.signal?.throwIfAborted();
      this.onRequest?.({ method: spec.method, path: spec.path, query: spec.query });
      const method = requestMethod(spec.method);
      // the lines headerPairs() gives, in its order: the fixed ones made once per auth refresh
      let fixed = this.fixed;
      if (fixed?.auth !== auth || fixed.prepared !== prepared) {
        fixed = this.fixed = { auth, prepared, lines: headerLines(['Host', prepared.host, ...auth, 'User-Agent', this.userAgent]) };
      }
      let lines = fixed.lines.text;
      const accept = spec.accept ?? JSON_TYPE;
      lines += accept === JSON_TYPE ? ACCEPT_JSON : headerLines(['Accept', accept]).text;
      let length = fixed.lines.length;
      if (spec.body !== undefined) {
        const type = spec.contentType ?? JSON_TYPE;
        lines += `${type === JSON_TYPE ? CONTENT_TYPE_JSON : headerLines(['Content-Type', type]).text}Content-Length: ${Buffer.byteLength(spec.body)}\r\n`;
        length = true;
      }
      const head = requestHead(method, this.prefix + spec.path + buildQuery(spec.query), lines, fixed.lines.connection, length, spec.body !== undefined && spec.body !== '');
      sent = pool.request({ method, head, body: spec.body === '' ? undefined : spec.body, timeoutMs: this.requestTimeoutMs, signal: spec.signal });
    } catch (err) {
      return Promise.reject(err);
    }
    return sent.then((r) => {
      if (r.status >= 200 && r.status < 300) return r;
      throw statusFailure(spec, r.status, r.body, r.headers);
    });
  }

  /**
   * Like `requestJSON`, and shows the first bytes of the body to `onHead` as they arrive
   * (latin1, up to 64 KiB) until it returns true — so a caller can act on a list's
   * metadata before the rest of a large body has been received.
   */
  async requestJSONWithHead<T>(spec: RequestSpec, onHead: (head: string) => boolean): Promise<T> {
    const { res, req } = await this.open(spec, this.requestTimeoutMs);
    let head = '';
    let watching = true;
    res.on('data', (c: Buffer) => {
      if (!watching) return;
      head += c.toString('latin1', 0, Math.min(c.length, 65536));
      if (onHead(head) || head.length >= 65536) watching = false;
    });
    try {
      const body = await readAll(res);
      return (body.length ? JSON.parse(body.toString('utf8')) : undefined) as T;
    } catch (err) {
      req.destroy();
      throw err;
    }
  }

  /** A complete request whose body is JSON, parsed once. */
  async requestJSON<T>(spec: RequestSpec): Promise<T> {
    const r = await this.request(spec);
    if (r.body.length === 0) return undefined as T;
    return JSON.parse(r.body.toString('utf8')) as T;
  }

  /** Closes idle keep-alive sockets (open watches end when their requests are aborted). */
  close(): void {
    this.agent?.destroy();
    this.pool?.destroy();
    this.pool = undefined;
    this.prepared = undefined;
    this.ready = undefined;
  }
}

const JSON_TYPE = 'application/json';
const ACCEPT_JSON = 'Accept: application/json\r\n';
const CONTENT_TYPE_JSON = 'Content-Type: application/json\r\n';

/** The StatusError of a non-2xx answer, with the delay a turned-away request asks for (`retryAfterMs`). */
function statusFailure(spec: RequestSpec, code: number, body: Buffer, headers: http.IncomingHttpHeaders): Error {
  const err = statusErrorFromResponse(code, body.toString('utf8'), `${spec.method} ${spec.path}`);
  const after = retryAfterMs(code, headers['retry-after'], err.status.details?.retryAfterSeconds);
  if (after !== undefined) Object.assign(err, { retryAfterMs: after });
  return err;
}

/**
 * How the keep-alive agent connects (lib/_http_agent.js createSocket, lib/https.js
 * createConnection): its options (TLS context, server name, `rejectUnauthorized`, and `noDelay`
 * and TCP keep-alive after its `keepAliveMsecs`, which `tls.connect` ignores and `net.connect`
 * applies: `noDelay` is set on TLS connections here, keep-alive when a connection first goes
 * idle), and the last connection's TLS session offered for resumption (dropped when a
 * connection closes with an error).
 */
function connector(isHttps: boolean, host: string, port: number, agentOpts: https.AgentOptions): () => Socket {
  const base = { host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 1000 };
  if (!isHttps) return () => netConnect(base);
  const opts: ConnectionOptions = { ...base, servername: agentOpts.servername, secureContext: agentOpts.secureContext };
  if (agentOpts.rejectUnauthorized !== undefined) opts.rejectUnauthorized = agentOpts.rejectUnauthorized;
  let session: Buffer | undefined;
  return () => {
    const s = tlsConnect(session ? { ...opts, session } : opts);
    // Nagle off, as the agent asks (http.Agent's noDelay defaults to true) and as client-go's
    // connections have it (Go's net sets TCP_NODELAY on every TCP connection); tls.connect drops
    // the option, so it is set here on the socket underneath
    s.setNoDelay(true);
    s.on('session', (b: Buffer) => (session = b));
    s.once('close', (hadError) => {
      if (hadError) session = undefined;
    });
    return s;
  };
}

/** How long to wait before retrying a turned-away request, or undefined when it must not be retried. */
export function retryAfterMs(code: number, header: string | undefined, detailSeconds: number | undefined): number | undefined {
  if (code !== 429 && !(code === 503 && header !== undefined)) return undefined;
  let seconds = header !== undefined && /^\d+$/.test(header.trim()) ? Number(header) : detailSeconds ?? 1;
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 1;
  return Math.min(seconds, 10) * 1000;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const destroyReason = new WeakMap<http.ClientRequest, unknown>();

/** Destroys a request, remembering why (the response only reports a generic 'aborted'). */
export function destroyWith(req: http.ClientRequest, reason: unknown): void {
  if (!destroyReason.has(req)) destroyReason.set(req, reason);
  req.destroy(reason instanceof Error ? reason : new Error(String(reason)));
}

/** Why a request was destroyed by us (abort signal, idle timeout), if it was. */
export function reasonOf(req: http.ClientRequest): unknown {
  return destroyReason.get(req);
}

export function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => collect(res, resolve, reject));
}

/** Gathers a response's body: `done` with all of it, or `fail` once if the body breaks off first. */
function collect(res: IncomingMessage, done: (body: Buffer) => void, fail: (err: Error) => void): void {
  const chunks: Buffer[] = [];
  let len = 0;
  let settled = false;
  const failOnce = (err: Error) => {
    if (settled) return;
    settled = true;
    fail(err);
  };
  res.on('data', (c: Buffer) => {
    chunks.push(c);
    len += c.length;
  });
  res.once('end', () => {
    if (settled) return;
    settled = true;
    done(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, len));
  });
  res.on('error', failOnce);
  res.once('aborted', () => failOnce(new Error('response aborted')));
  // 'close' without 'end' means the connection died mid-body.
  res.once('close', () => {
    if (!res.complete) failOnce(new Error('connection closed before the response was complete'));
  });
}

/** What a request does with a 2xx response: settle its promise. */
type OnResponse<R> = (res: IncomingMessage, req: http.ClientRequest, resolve: (r: R) => void, reject: (err: unknown) => void) => void;

/** `open`: the response itself, once its headers arrived. */
const headersArrived: OnResponse<{ res: IncomingMessage; req: http.ClientRequest }> = (res, req, resolve) => resolve({ res, req });

/** `request`: the whole body; a body that breaks off destroys the request. */
const wholeBody: OnResponse<RawResponse> = (res, req, resolve, reject) =>
  collect(res, (body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }), (err) => {
    req.destroy();
    reject(err);
  });
