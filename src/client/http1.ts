/**
 * Complete HTTP/1.1 requests (whole body in, whole body out) on a pool of keep-alive
 * connections: what `Transport.request` does for every non-streaming call (get, create,
 * update, patch, delete, a binding), without Node's ClientRequest, agent queue, HTTP parser
 * object and IncomingMessage stream per request, which were half of a scheduler's CPU per
 * binding (src/simcluster/README.md "Performance").
 *
 * The wire is Node's http client's, byte for byte (`http1.test.ts` compares them): the request
 * head as `ClientRequest._storeHeader` writes it for a header array (the same validation of the
 * method, path and headers, `Connection: keep-alive`, an empty chunked body for a body-less
 * POST/PUT/PATCH), in the same encoding; connections as the keep-alive `https.Agent` makes them
 * (its options, TCP keep-alive after 1 s once idle, the TLS session of the last connection
 * offered for resumption), reused last-in-first-out, unreferenced while idle, and kept only when the
 * response allows it (`Connection: close`, HTTP/1.0 without keep-alive, a body delimited by the
 * connection's end, or a `Keep-Alive: timeout=` of 1 s or less end it, as Node's agent does). The
 * response is parsed here: status line, headers (named and joined as `IncomingMessage.headers`),
 * a body by Content-Length, chunked or to the connection's end, 1xx answers skipped.
 * Streaming requests (watches, logs, paged lists) stay on Node's client.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** Thrown when a stream received no bytes for longer than its idle timeout. */
export class IdleTimeoutError extends Error {
  constructor(ms: number) {
    super(`no data received for ${ms} ms`);
    this.name = 'IdleTimeoutError';
  }
}

export interface Http1Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Http1Request {
  /** Validated and upper-cased by {@link requestHead}. */
  method: string;
  /** The request head, from {@link requestHead}. */
  head: string;
  body?: string | Buffer;
  /** Idle time on the connection that fails the request (0: none), as `ClientRequest.setTimeout`. */
  timeoutMs: number;
  signal?: AbortSignal;
}

const tokenRegExp = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/; // _http_common.js checkIsHttpToken
/** tokenRegExp's characters, by code. */
const TOKEN = new Uint8Array(128);
for (const c of "^_`abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789!#$%&'*+.|~") TOKEN[c.charCodeAt(0)] = 1;

/** `s.slice(from, to)` is a non-empty HTTP token (no slice made). */
function isToken(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) return false;
  }
  return true;
}
const headerCharRegex = /[^\t\x20-\x7e\x80-\xff]/; // _http_common.js checkInvalidHeaderChar
const INVALID_PATH_REGEX = /[^\u0021-\u00ff]/; // _http_client.js
/** Methods Node sends without a body framing header when they have no body (useChunkedEncodingByDefault false). */
const NO_DEFAULT_BODY = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

function codeError(message: string, code: string, ctor: new (m: string) => Error = Error): Error {
  return Object.assign(new ctor(message), { code });
}

/** The request's method as ClientRequest sends it: an HTTP token, upper-cased (GET when empty). */
export function requestMethod(method: string | undefined): string {
  if (!method) return 'GET';
  if (!tokenRegExp.test(method)) throw codeError(`Method must be a valid HTTP token ["${method}"]`, 'ERR_INVALID_HTTP_TOKEN', TypeError);
  return method.toUpperCase();
}

/** Header lines (`Name: value\r\n` each) and whether they frame the body or name the connection themselves. */
export interface HeaderLines {
  text: string;
  connection: boolean;
  length: boolean;
}

/**
 * Header lines of a flat [name, value, ...] array, validated as Node validates a request's
 * headers (lib/_http_outgoing.js: the name an HTTP token, the value without control characters);
 * Node's errors otherwise. Lines of headers that do not change between requests are made once.
 */
export function headerLines(headers: readonly string[]): HeaderLines {
  let text = '';
  let connection = false;
  let length = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    if (typeof name !== 'string' || !name || !tokenRegExp.test(name)) throw codeError(`Header name must be a valid HTTP token ["${name}"]`, 'ERR_INVALID_HTTP_TOKEN', TypeError);
    if (value === undefined) throw codeError(`Invalid value "undefined" for header "${name}"`, 'ERR_HTTP_INVALID_HEADER_VALUE', TypeError);
    if (headerCharRegex.test(value)) throw codeError(`Invalid character in header content ["${name}"]`, 'ERR_INVALID_CHAR', TypeError);
    text += `${name}: ${value}\r\n`;
    const n = name.length === 10 || name.length === 14 || name.length === 17 ? name.toLowerCase() : '';
    if (n === 'connection') connection = true;
    else if (n === 'content-length' || n === 'transfer-encoding') length = true;
  }
  return { text, connection, length };
}

/**
 * The request head as Node's `ClientRequest` writes it for `headers` given as a flat
 * [name, value, ...] array on a keep-alive agent (lib/_http_outgoing.js `_storeHeader`): the
 * request line, the header lines in order, `Connection: keep-alive`, the blank line; a POST, PUT,
 * PATCH... without a body or a length of its own gets Node's empty chunked body (`req.end()`
 * there sends `Transfer-Encoding: chunked` and the last chunk). Throws Node's error for a path
 * with unescaped characters. `lines` come from {@link headerLines}, whose flags say whether they
 * hold a Connection header (`connection`) or frame the body (`length`).
 */
export function requestHead(method: string, path: string, lines: string, connection: boolean, length: boolean, hasBody: boolean): string {
  if (INVALID_PATH_REGEX.test(path)) throw codeError('Request path contains unescaped characters', 'ERR_UNESCAPED_CHARACTERS', TypeError);
  let head = `${method} ${path} HTTP/1.1\r\n${lines}`;
  if (!connection) head += 'Connection: keep-alive\r\n';
  // `req.end()` without a body on a method that has one by default: a chunked, empty body
  if (!length && !hasBody && !NO_DEFAULT_BODY.has(method)) return head + 'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
  return head + '\r\n';
}

/** Header fields `IncomingMessage` keeps the first of (lib/_http_incoming.js matchKnownFields). */
const FIRST_WINS = new Set([
  'age', 'host', 'from', 'etag', 'server', 'referer', 'expires', 'location', 'user-agent', 'retry-after', 'content-type',
  'max-forwards', 'authorization', 'last-modified', 'content-length', 'if-modified-since', 'proxy-authorization', 'if-unmodified-since',
]);

function addHeader(dest: IncomingHttpHeaders, name: string, value: string): void {
  const field = name.toLowerCase();
  const d = dest as Record<string, string | string[] | undefined>;
  if (field === 'set-cookie') {
    const had = d[field] as string[] | undefined;
    if (had) had.push(value);
    else d[field] = [value];
  } else if (FIRST_WINS.has(field)) {
    if (d[field] === undefined) d[field] = value;
  } else {
    const had = d[field];
    d[field] = had === undefined ? value : `${had as string}${field === 'cookie' ? '; ' : ', '}${value}`;
  }
}

const enum Body { None, Length, Chunked, UntilClose }
const enum Chunk { Size, Data, DataEnd, Trailer }

/** The parse error Node reports for a malformed response (llhttp's HPE_* codes). */
function parseError(reason: string, code = 'HPE_INVALID_CONSTANT'): Error {
  return Object.assign(new Error(`Parse Error: ${reason}`), { code });
}

/** Longest response head accepted: Node's default --max-http-header-size. */
const MAX_HEAD = 16 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_UINT64 = 2n ** 64n - 1n;

/**
 * One response read from a connection's bytes, as they arrive. `push` returns true once the
 * response is complete; `rest` then says whether bytes beyond it arrived (the connection can
 * not be reused).
 */
export class ResponseReader {
  status = 0;
  /** HTTP/1.1 without `Connection: close` (or 1.0 with keep-alive): the connection may be reused. */
  keepAlive = false;
  /** No `Keep-Alive: timeout=` too short to reuse the connection (see keepAliveHintAllows). */
  hintAllowsReuse = true;
  /** The header lines of the final answer (after its status line). */
  private headText = '';
  private parsed: IncomingHttpHeaders | undefined;
  /** Bytes after the response's end. */
  rest = false;
  private pending: Buffer | undefined;
  private inHead = true;
  private body = Body.None;
  private left = 0;
  private chunkState = Chunk.Size;
  private readonly chunks: Buffer[] = [];
  private len = 0;
  done = false;

  constructor(private readonly method: string) {}

  /** The body read so far (all of it once done). */
  bodyBytes(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.len);
  }

  /** Feeds bytes; true when the response is complete. Throws a parse error. */
  push(chunk: Buffer): boolean {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let at = 0;
    while (this.inHead) {
      const end = buf.indexOf(CRLFCRLF, at);
      if (end < 0) {
        if (buf.length - at > MAX_HEAD) throw parseError('Header overflow', 'HPE_HEADER_OVERFLOW');
        this.pending = buf.subarray(at);
        return false;
      }
      if (end - at > MAX_HEAD) throw parseError('Header overflow', 'HPE_HEADER_OVERFLOW');
      const interim = this.head(buf.toString('latin1', at, end));
      at = end + 4;
      if (!interim) this.inHead = false;
    }
    if (at > 0) buf = buf.subarray(at);
    if (this.done) {
      if (buf.length) this.rest = true;
      return true;
    }
    return this.take(buf);
  }

  /** The final answer's head has been read. */
  get answered(): boolean {
    return !this.inHead;
  }

  /** The connection ended: true when that completes the response (a body read to the end). */
  end(): boolean {
    if (!this.done && !this.inHead && this.body === Body.UntilClose) this.done = true;
    return this.done;
  }

  /**
   * Parses a head; true for a 1xx answer (another head follows). Only what frames the body and
   * decides the connection's reuse is read here (every header name is checked); the headers
   * object is made when asked for (`headers`), which most callers never do.
   */
  private head(text: string): boolean {
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const minor = text.charCodeAt(7);
    if (eol < 12 || !text.startsWith('HTTP/1.') || (minor !== 48 && minor !== 49) || text.charCodeAt(8) !== 32 || (eol > 12 && text.charCodeAt(12) !== 32)) {
      throw parseError('Expected HTTP/');
    }
    let status = 0;
    for (let i = 9; i < 12; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) throw parseError('Invalid status code', 'HPE_INVALID_STATUS');
      status = status * 10 + d;
    }
    // the framing headers, as IncomingMessage would hold them (Content-Length: the first; others joined)
    let connection: string | undefined;
    let te: string | undefined;
    let length: string | undefined;
    let hint: string | undefined;
    for (let at = eol + 2; at < text.length; ) {
      let end = text.indexOf('\r\n', at);
      if (end < 0) end = text.length;
      const colon = text.indexOf(':', at);
      if (colon <= at || colon > end || !isToken(text, at, colon)) throw parseError('Invalid header token', 'HPE_INVALID_HEADER_TOKEN');
      const n = colon - at;
      if (n === 10 || n === 14 || n === 17) {
        const name = text.slice(at, colon).toLowerCase();
        if (name === 'connection' || name === 'keep-alive' || name === 'content-length' || name === 'transfer-encoding') {
          const value = text.slice(colon + 1, end).trim();
          if (name === 'connection') connection = connection === undefined ? value : `${connection}, ${value}`;
          else if (name === 'keep-alive') hint = hint === undefined ? value : `${hint}, ${value}`;
          else if (name === 'content-length') {
            // llhttp refuses a second Content-Length, or one beside Transfer-Encoding (two framings of one body)
            if (length !== undefined) throw parseError('Duplicate Content-Length', 'HPE_UNEXPECTED_CONTENT_LENGTH');
            if (te !== undefined) throw parseError('Content-Length can\'t be present with Transfer-Encoding', 'HPE_INVALID_CONTENT_LENGTH');
            length = value;
          } else {
            if (length !== undefined) throw parseError('Transfer-Encoding can\'t be present with Content-Length', 'HPE_INVALID_TRANSFER_ENCODING');
            te = te === undefined ? value : `${te}, ${value}`;
          }
        }
      }
      at = end + 2;
    }
    if (status < 200) return true; // 100 Continue, 102, 103: informational, the answer follows
    this.status = status;
    this.headText = eol < text.length ? text.slice(eol + 2) : '';
    const conn = (connection ?? '').toLowerCase();
    this.keepAlive = minor === 49 ? !/(^|,)\s*close\s*(,|$)/.test(conn) : /(^|,)\s*keep-alive\s*(,|$)/.test(conn);
    this.hintAllowsReuse = keepAliveHintAllows(hint);
    if (this.method === 'HEAD' || status === 204 || status === 304) {
      this.body = Body.None;
    } else if (te !== undefined && /(^|,)\s*chunked\s*$/i.test(te)) {
      this.body = Body.Chunked;
    } else if (te !== undefined) {
      this.body = Body.UntilClose;
    } else if (length !== undefined) {
      if (!/^\d+$/.test(length)) throw parseError('Invalid character in Content-Length', 'HPE_INVALID_CONTENT_LENGTH');
      // llhttp's length is a uint64: more is an overflow (not a body waited for until the end)
      if (length.length > 19 && BigInt(length) > MAX_UINT64) throw parseError('Content-Length overflow', 'HPE_INVALID_CONTENT_LENGTH');
      this.left = Number(length);
      this.body = this.left > 0 ? Body.Length : Body.None;
    } else {
      this.body = Body.UntilClose;
    }
    if (this.body === Body.UntilClose) this.keepAlive = false;
    if (this.body === Body.None) this.done = true;
    return false;
  }

  /** The response's headers as `IncomingMessage.headers` holds them (names lower-cased, repeats joined or dropped as there). */
  get headers(): IncomingHttpHeaders {
    if (this.parsed) return this.parsed;
    const headers: IncomingHttpHeaders = {};
    const text = this.headText;
    for (let at = 0; at < text.length; ) {
      let end = text.indexOf('\r\n', at);
      if (end < 0) end = text.length;
      const colon = text.indexOf(':', at);
      addHeader(headers, text.slice(at, colon), text.slice(colon + 1, end).trim());
      at = end + 2;
    }
    return (this.parsed = headers);
  }

  private add(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.len += b.length;
  }

  private take(buf: Buffer): boolean {
    if (this.body === Body.UntilClose) {
      this.add(buf);
      return false;
    }
    if (this.body === Body.Length) {
      if (buf.length <= this.left) {
        this.add(buf);
        this.left -= buf.length;
      } else {
        this.add(buf.subarray(0, this.left));
        this.left = 0;
        this.rest = true;
      }
      if (this.left === 0) this.done = true;
      return this.done;
    }
    return this.chunked(buf);
  }

  /** Transfer-Encoding: chunked; trailers are read and dropped (Node keeps them apart from the headers). */
  private chunked(buf: Buffer): boolean {
    let at = 0;
    while (at < buf.length && !this.done) {
      if (this.chunkState === Chunk.Data) {
        const n = Math.min(this.left, buf.length - at);
        this.add(buf.subarray(at, at + n));
        at += n;
        this.left -= n;
        if (this.left === 0) this.chunkState = Chunk.DataEnd;
        continue;
      }
      const eol = buf.indexOf('\r\n', at, 'latin1');
      if (eol < 0) {
        if (buf.length - at > MAX_HEAD) throw parseError('Chunk line too long', 'HPE_INVALID_CHUNK_SIZE');
        this.pending = buf.subarray(at);
        return false;
      }
      const line = buf.toString('latin1', at, eol);
      at = eol + 2;
      if (this.chunkState === Chunk.DataEnd) {
        if (line !== '') throw parseError('Expected LF after chunk data', 'HPE_STRICT');
        this.chunkState = Chunk.Size;
      } else if (this.chunkState === Chunk.Size) {
        // as llhttp reads it: hex digits (any number of leading zeros), then at once an extension or the end
        const m = /^0*([0-9a-fA-F]+)(;.*)?$/.exec(line);
        if (!m) throw parseError('Invalid character in chunk size', 'HPE_INVALID_CHUNK_SIZE');
        if (m[1].length > 16) throw parseError('Chunk size overflow', 'HPE_INVALID_CHUNK_SIZE');
        this.left = parseInt(m[1], 16);
        this.chunkState = this.left === 0 ? Chunk.Trailer : Chunk.Data;
      } else if (line === '') {
        this.done = true; // Chunk.Trailer: the blank line after the trailers
      }
    }
    if (at < buf.length) this.rest = true;
    return this.done;
  }
}

/** One keep-alive connection and the exchange it carries, if any. */
class Connection {
  exchange: Exchange | undefined;
  /** the idle timeout currently set on the socket */
  timeoutMs = 0;
  /** TCP keep-alive set (on its first return to the idle list) */
  keptAlive = false;
  private readonly onData = (b: Buffer) => {
    const x = this.exchange;
    if (x) x.data(b);
    else this.socket.destroy(); // bytes nobody asked for: the connection's state is unknown
  };
  // a free connection the server ended (its FIN while idle) takes no more requests: writing one
  // would fail (EPIPE, "This socket has been ended by the other party") where a new connection works
  private readonly onEnd = () => {
    if (this.exchange) this.exchange.ended();
    else this.socket.destroy();
  };
  private readonly onClose = () => {
    this.pool.removeIdle(this);
    this.exchange?.closed();
  };
  // a free connection's error only ends it (Node's agent: freeSocketErrorListener)
  private readonly onError = (err: Error) => {
    if (this.exchange) this.exchange.fail(err);
    else this.socket.destroy();
  };
  // the timeout is left set between requests and heeded only during one: writing the next
  // request restarts it, as setting it again per request would
  private readonly onTimeout = () => this.exchange?.timedOut();

  constructor(readonly socket: Socket, readonly pool: Http1Pool) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('timeout', this.onTimeout);
  }

  /** Hands the (idle) socket over: none of this connection's listeners or its timeout left on it. */
  detach(): Socket {
    const s = this.socket;
    s.removeListener('data', this.onData);
    s.removeListener('end', this.onEnd);
    s.removeListener('close', this.onClose);
    s.removeListener('error', this.onError);
    s.removeListener('timeout', this.onTimeout);
    if (this.timeoutMs) s.setTimeout(0);
    s.ref();
    return s;
  }
}

/** One request/response on a connection. */
class Exchange {
  private readonly reader: ResponseReader;
  private onAbort: (() => void) | undefined;
  private settled = false;
  constructor(
    private readonly conn: Connection,
    private readonly req: Http1Request,
    private readonly resolve: (r: Http1Response) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.reader = new ResponseReader(req.method);
    const signal = req.signal;
    if (signal) {
      this.onAbort = () => this.fail(signal.reason ?? new Error('aborted'));
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  data(b: Buffer): void {
    if (this.settled) return;
    let complete: boolean;
    try {
      complete = this.reader.push(b);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (complete) this.finish();
  }

  ended(): void {
    if (!this.settled && this.reader.end()) this.finish();
  }

  closed(): void {
    if (this.settled) return;
    if (this.reader.end()) {
      this.finish();
      return;
    }
    // Node's errors: no answer (or part of its head) is a hang-up; an answer cut short is aborted
    this.fail(this.reader.answered ? new Error('response aborted') : codeError('socket hang up', 'ECONNRESET'));
  }

  timedOut(): void {
    this.fail(new IdleTimeoutError(this.req.timeoutMs));
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.settle();
    this.conn.socket.destroy();
    this.reject(err);
  }

  private settle(): void {
    this.settled = true;
    this.conn.exchange = undefined;
    this.conn.pool.settled();
    if (this.onAbort) this.req.signal!.removeEventListener('abort', this.onAbort);
  }

  private finish(): void {
    const r = this.reader;
    this.settle();
    this.conn.pool.release(this.conn, r.keepAlive && !r.rest && r.hintAllowsReuse);
    this.resolve(new Answer(r, r.bodyBytes()));
  }
}

/** A complete response; its headers object is made on first use. */
class Answer implements Http1Response {
  readonly status: number;
  constructor(private readonly reader: ResponseReader, readonly body: Buffer) {
    this.status = reader.status;
  }
  get headers(): IncomingHttpHeaders {
    return this.reader.headers;
  }
}

/**
 * Node's agent keeps a connection only when the server's `Keep-Alive: timeout=N` hint leaves
 * it more than its 1 s margin (lib/_http_agent.js keepSocketAlive).
 */
function keepAliveHintAllows(hint: string | undefined): boolean {
  if (!hint) return true;
  const m = /^timeout=(\d+)/.exec(hint);
  return !m || Number(m[1]) * 1000 - 1000 > 0;
}

const noop = () => {};

/** An idle socket that can carry another request: not destroyed, not ended by either side. */
function usable(socket: Socket): boolean {
  return !socket.destroyed && socket.writable && !socket.readableEnded;
}

/** Keep-alive connections to one server, made by `connect`, and complete requests on them. */
export class Http1Pool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private closed = false;
  /** Exchanges not settled yet. */
  private inFlight = 0;
  private hold: NodeJS.Timeout | undefined;

  /** `connect` makes a connection as the agent would (its options, the last TLS session offered for resumption). */
  constructor(private readonly connect: () => Socket, private readonly maxIdle = 256) {}

  /** Sends one request and reads its whole response (any status). Rejects on connection errors, timeouts and aborts. */
  request(req: Http1Request): Promise<Http1Response> {
    return new Promise<Http1Response>((resolve, reject) => {
      if (this.closed) throw new Error('transport closed');
      req.signal?.throwIfAborted();
      // no idle timeout unless a positive, finite one, as the agent's path reads it (`> 0`);
      // socket.setTimeout would throw on a negative one after a connection was taken and the
      // process held (never released: a process that does not exit)
      const timeoutMs = req.timeoutMs > 0 && Number.isFinite(req.timeoutMs) ? req.timeoutMs : 0;
      let conn: Connection | undefined;
      while ((conn = this.idle.pop()) && !usable(conn.socket));
      if (!conn) {
        conn = new Connection(this.connect(), this);
        conn.socket.unref(); // the process is held by `hold` while requests are in flight
        this.all.add(conn);
      }
      const socket = conn.socket;
      if (this.inFlight++ === 0) this.holdLoop(true);
      if (conn.timeoutMs !== timeoutMs) {
        socket.setTimeout(timeoutMs);
        conn.timeoutMs = timeoutMs;
      }
      conn.exchange = new Exchange(conn, req, resolve, reject);
      const body = req.body;
      if (body === undefined) socket.write(req.head, 'latin1');
      else if (typeof body === 'string') socket.write(req.head + body, 'utf8');
      else {
        // as Node writes a Buffer body: the head in latin1, then the bytes, in one writev
        socket.cork();
        socket.write(req.head, 'latin1');
        socket.write(body);
        socket.uncork();
      }
    });
  }

  /** After a complete exchange: back to the idle list (most recent first out), or closed. */
  release(conn: Connection, reusable: boolean): void {
    const socket = conn.socket;
    if (!reusable || this.closed || socket.destroyed || !socket.writable || this.idle.length >= this.maxIdle) {
      socket.destroy();
      return;
    }
    if (!conn.keptAlive) {
      // as the agent's keepSocketAlive on every free socket (TCP keep-alive after its
      // keepAliveMsecs; tls.connect ignores the keepAlive option the agent also passes)
      socket.setKeepAlive(true, 1000);
      conn.keptAlive = true;
    }
    this.idle.push(conn);
  }

  /** An exchange ended (answered or failed). */
  settled(): void {
    if (--this.inFlight === 0) this.holdLoop(false);
  }

  /**
   * Keeps the process alive while requests are in flight, as the agent does by ref'ing a socket
   * while it carries a request and unref'ing it when it is idle: one timer's ref count, not two
   * handle calls per request (the connections stay unreferenced).
   */
  private holdLoop(on: boolean): void {
    if (on) (this.hold ??= setInterval(noop, 2 ** 31 - 1)).ref();
    else this.hold?.unref();
  }

  /**
   * An idle connection's socket, taken out of the pool (for the agent's streaming requests: one
   * set of connections for both, as one agent had), or undefined when none is idle.
   */
  takeIdle(): Socket | undefined {
    let conn: Connection | undefined;
    while ((conn = this.idle.pop()) && !usable(conn.socket));
    if (!conn) return undefined;
    this.all.delete(conn);
    return conn.detach();
  }

  removeIdle(conn: Connection): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Closes every connection (requests in flight fail). */
  destroy(): void {
    this.closed = true;
    if (this.hold) clearInterval(this.hold);
    this.hold = undefined;
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }
}
