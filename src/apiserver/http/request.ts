/** Request parsing for the API server: paths, bodies, content negotiation, responses. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseYaml } from './yaml.js';
import { newBadRequest, newUnsupportedMediaType, StatusError, type Status } from '../../api/index.js';
import { decodeProtobufObject } from '../protobuf/index.js';
import { checkNesting } from './nesting.js';

/** What a resource URL names (upstream's RequestInfo). */
export interface ResourcePath {
  group: string;
  version: string;
  /** True for the legacy `/watch/` prefix. */
  watchPrefix: boolean;
  namespace?: string;
  resource?: string;
  name?: string;
  subresource?: string;
}


/** A path segment as its name: percent-decoded (kept as sent when it does not decode). */
function decodeSegment(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Parses `/api/v1/...` and `/apis/G/V/...`; undefined for other paths. Segments are decoded one
 * by one after splitting, so `%2F` or `%2e%2e` stay inside the segment they were sent in (the
 * handlers refuse such names, `path-segment.ts`) instead of moving the request elsewhere. A
 * path with an empty segment (`namespaces//configmaps`) is no resource path at all.
 */
export function parseResourcePath(pathname: string): ResourcePath | undefined {
  // Leading and trailing slashes dropped by index (no regular expression per request).
  let from = 0;
  let to = pathname.length;
  while (from < to && pathname.charCodeAt(from) === 47) from++;
  while (to > from && pathname.charCodeAt(to - 1) === 47) to--;
  // The segments' bounds (no array of substrings: only the segments returned are cut out).
  let n = 0;
  let start = from;
  for (;;) {
    const slash = pathname.indexOf('/', start);
    const end = slash < 0 || slash > to ? to : slash;
    if (end === start) return undefined; // an empty segment
    BOUNDS[2 * n] = start;
    BOUNDS[2 * n + 1] = end;
    n++;
    if (end === to) break;
    start = end + 1;
  }
  path = pathname;
  decoded = pathname.includes('%') ? segmentTexts(n).map(decodeSegment) : undefined;
  try {
    return resourcePathOf(n);
  } finally {
    decoded = undefined;
  }
}

/** The path being parsed, its segments' bounds (start, end pairs) and, with `%` in it, its decoded segments: parsing is synchronous, one state for all. */
let path = '';
const BOUNDS: number[] = [];
let decoded: string[] | undefined;

/** Segment `k` of the path being parsed (undefined past the last). */
function seg(k: number, n: number): string | undefined {
  if (k >= n) return undefined;
  return decoded ? decoded[k] : path.slice(BOUNDS[2 * k], BOUNDS[2 * k + 1]);
}

/** Whether segment `k` is `word`, without cutting it out. */
function segIs(k: number, n: number, word: string): boolean {
  if (k >= n) return false;
  if (decoded) return decoded[k] === word;
  const s = BOUNDS[2 * k];
  return BOUNDS[2 * k + 1] - s === word.length && path.startsWith(word, s);
}

function segmentTexts(n: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(path.slice(BOUNDS[2 * k], BOUNDS[2 * k + 1]));
  return out;
}

/** What the `n` segments of the path being parsed name (see parseResourcePath). */
function resourcePathOf(n: number): ResourcePath | undefined {
  // segments read by index from `i` on (no array per step)
  let i: number;
  let group: string;
  if (segIs(0, n, 'api') && n >= 2) {
    group = '';
    i = 1;
  } else if (segIs(0, n, 'apis') && n >= 3) {
    group = seg(1, n)!;
    i = 2;
  } else return undefined;
  const out: ResourcePath = { group, version: seg(i++, n)!, watchPrefix: false };
  if (segIs(i, n, 'watch')) {
    out.watchPrefix = true;
    i++;
  }
  if (segIs(i, n, 'namespaces') && n - i > 1) {
    out.namespace = seg(i + 1, n);
    if (n - i > 2 && !segIs(i + 2, n, 'status') && !segIs(i + 2, n, 'finalize')) i += 2;
    else {
      // `/namespaces/{name}[/status]`: the namespace object itself.
      out.namespace = undefined;
    }
  }
  out.resource = seg(i, n);
  out.name = seg(i + 1, n);
  if (n - i > 3) out.subresource = decoded ? decoded.slice(i + 2).join('/') : path.slice(BOUNDS[2 * (i + 2)], BOUNDS[2 * (n - 1) + 1]);
  else out.subresource = seg(i + 2, n);
  return out;
}

/** A request's URL parsed once (the gate and the handlers both need it). */
export interface RequestTarget {
  /** The query parameters. */
  query: URLSearchParams;
  /** The path as sent, without trailing slashes (`/` stays `/`). */
  path: string;
  /** What the path names, for `/api/...` and `/apis/...` paths. */
  resource: ResourcePath | undefined;
}

/**
 * The path of a request-target as sent (origin form, or the path of an absolute form). Never
 * the WHATWG URL's pathname: that resolves `.`/`..` (also as `%2e`) and folds a backslash
 * into `/`, so `DELETE .../configmaps/.` would reach the collection and `.../secrets/%2e%2e`
 * the namespace; the request gate and the handlers must both see the segments sent.
 */
/** The first `?` or `#` of `s` (-1 for none): `s.search(/[?#]/)` without a regular expression per request. */
function queryOrFragment(s: string): number {
  const q = s.indexOf('?');
  const h = s.indexOf('#');
  return q < 0 ? h : h < 0 || h > q ? q : h;
}

function rawPathOf(rawUrl: string): string {
  if (rawUrl.charCodeAt(0) === 47) {
    // origin form (`/api/...`), what every client sends
    const end = queryOrFragment(rawUrl);
    return end < 0 ? rawUrl : rawUrl.slice(0, end);
  }
  const origin = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(rawUrl);
  const rest = origin ? rawUrl.slice(origin[0].length) : rawUrl;
  const end = rest.search(/[?#]/);
  const path = end < 0 ? rest : rest.slice(0, end);
  return path.startsWith('/') ? path : `/${path}`;
}

/**
 * Parses a request URL (`/api/v1/pods?watch=1`). The path is the one sent (see rawPathOf);
 * the query is parsed on its own (form-urlencoded, as a URL's `searchParams` reads it), so no
 * target resolves against a base and no WHATWG URL is built per request.
 */
export function parseTarget(rawUrl: string): RequestTarget {
  const raw = rawPathOf(rawUrl);
  const q = rawUrl.indexOf('?');
  let search = q >= 0 ? rawUrl.slice(q + 1) : '';
  const hash = search.indexOf('#');
  if (hash >= 0) search = search.slice(0, hash);
  const path = raw.length > 1 && raw.charCodeAt(raw.length - 1) === 47 ? raw.replace(/\/+$/, '') || '/' : raw;
  return { query: new URLSearchParams(search), path, resource: parseResourcePath(path) };
}

/**
 * A request's parsed target is kept on the request object under a symbol rather than in a
 * WeakMap: a WeakMap entry per request is work for every garbage collection.
 */
const TARGET = Symbol('kubeloop.apiserver.target');

/** The parsed URL of a request, computed on first use and shared for the rest of the request. */
export function requestTarget(req: IncomingMessage): RequestTarget {
  const r = req as IncomingMessage & { [TARGET]?: RequestTarget };
  return (r[TARGET] ??= parseTarget(req.url ?? '/'));
}

/** kube-apiserver's `--max-request-body-bytes` default (3 MiB): larger bodies get 413. */
const MAX_BODY = 3 * 1024 * 1024;

/** Upstream's `NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", limit))`. */
function entityTooLarge(): StatusError {
  return new StatusError({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Request entity too large: limit is ${MAX_BODY}`, reason: 'RequestEntityTooLarge', code: 413,
  });
}

/** Requests whose body was refused unread: their connection closes after the answer. */
const unread = new WeakSet<IncomingMessage>();

/**
 * What a request body is read into: told the whole body, or why there is none. A handler that
 * reads its body through an object of its own (see {@link readBodyInto}) has no promise, no
 * await and no closures per request.
 */
export interface BodySink {
  /** The whole body; called at most once, and never after `failed`. */
  body(buf: Buffer): void;
  /** The body could not be read (413, aborted, a stream error); called at most once. */
  failed(err: unknown): void;
}

/**
 * The whole request body (413 past {@link MAX_BODY}; at once when Content-Length announces
 * more). Plain stream events: an async iterator per request costs more than the small bodies
 * it reads.
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => readBodyInto(req, { body: resolve, failed: reject }));
}

/**
 * {@link readBody} told to `sink`: `sink.body(buf)` once the body is complete, from the
 * request's 'end' event, or `sink.failed(err)` (at once for a body announced too large).
 */
export function readBodyInto(req: IncomingMessage, sink: BodySink): void {
  if (Number(req.headers['content-length']) > MAX_BODY) {
    // Nothing of it is wanted: answer at once, then close the connection instead of reading it.
    unread.add(req);
    req.resume();
    sink.failed(entityTooLarge());
    return;
  }
  const r: BodyRead = { chunks: [], size: 0, failed: false, sink };
  if ((req as Reading)[READING]) {
    // a second reader of the same request (no handler does this) gets listeners of its own
    readWith(req, r);
    return;
  }
  (req as Reading)[READING] = r;
  // Plain listeners (not `once`: a wrapper each), shared by every request (their state is
  // the request's READING, found through `this`): the state ignores calls after it settled.
  req.on('data', onBodyData);
  req.on('end', onBodyEnd);
  req.on('error', onBodyError);
  req.on('close', onBodyClose);
}

/** The state of a body being read, kept on its request (no closures per request). */
interface BodyRead {
  chunks: Buffer[];
  size: number;
  /** Settled: the sink was told the body or the error (later events are ignored). */
  failed: boolean;
  sink: BodySink;
}

const READING = Symbol('kubeloop.apiserver.body');
type Reading = IncomingMessage & { [READING]: BodyRead };

/** {@link readBodyInto}'s listeners for a second reader: closures over its own state. */
function readWith(req: IncomingMessage, r: BodyRead): void {
  const onData = (chunk: Buffer) => bodyData(req, r, chunk, onData);
  req.on('data', onData);
  req.on('end', () => bodyEnd(r));
  req.on('error', (err) => bodyError(r, err));
  req.on('close', () => bodyClose(req, r));
}

function onBodyData(this: Reading, chunk: Buffer): void {
  bodyData(this, this[READING], chunk, onBodyData);
}

function onBodyEnd(this: Reading): void {
  bodyEnd(this[READING]);
}

function onBodyError(this: Reading, err: Error): void {
  bodyError(this[READING], err);
}

function onBodyClose(this: Reading): void {
  bodyClose(this, this[READING]);
}

function bodyData(req: IncomingMessage, r: BodyRead, chunk: Buffer, listener: (chunk: Buffer) => void): void {
  if (r.failed) return;
  r.size += chunk.length;
  if (r.size > MAX_BODY) {
    r.failed = true;
    req.off('data', listener);
    unread.add(req);
    req.resume();
    r.sink.failed(entityTooLarge());
    return;
  }
  r.chunks.push(chunk);
}

function bodyEnd(r: BodyRead): void {
  if (r.failed) return;
  // settled before the sink runs: whatever it does, no later event reaches it
  r.failed = true;
  r.sink.body(r.chunks.length === 1 ? r.chunks[0] : Buffer.concat(r.chunks, r.size));
}

function bodyError(r: BodyRead, err: unknown): void {
  if (r.failed) return;
  r.failed = true;
  r.sink.failed(err);
}

function bodyClose(req: IncomingMessage, r: BodyRead): void {
  if (!r.failed && !req.complete) {
    r.failed = true;
    r.sink.failed(new Error('request aborted'));
  }
}

export function mediaType(contentType: string | undefined): string {
  if (contentType === 'application/json') return contentType; // what clients send nearly always
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export const UNKNOWN_FORMAT_MESSAGE =
  'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, ' +
  'application/vnd.kubernetes.protobuf (protobuf only for the kinds typed `kubectl create` subcommands send)';

/**
 * The yaml package reports unknown directives and tags through process warnings by default:
 * any client could then write to the server's log at will. Level `error`: errors still throw
 * (`silent` would swallow them too), warnings are dropped.
 */
const YAML_OPTIONS = { logLevel: 'error' } as const;

/** YAML text to a JSON value (400 on bad syntax; nesting and alias expansion bounded by {@link checkNesting}). */
function parseYamlBody(text: string): unknown {
  let v: unknown;
  try {
    v = parseYaml(text, YAML_OPTIONS);
  } catch (e) {
    throw newBadRequest(`error converting YAML to JSON: ${(e as Error).message}`);
  }
  checkNesting(v, text.length);
  return v;
}

/** Decodes a JSON, YAML or (for some kinds) protobuf object body (400 on bad syntax or shape, 415 on other media types). */
export function decodeBody(buf: Buffer, contentType: string | undefined): unknown {
  const mt = mediaType(contentType);
  if (mt === 'application/vnd.kubernetes.protobuf') {
    const v = decodeProtobufObject(buf);
    checkNesting(v, buf.length);
    return v;
  }
  const text = buf.toString('utf8');
  const first = text.charCodeAt(0);
  // a JSON object or list starts with its bracket: only other bodies need the whitespace check
  if (first !== 123 && first !== 91 && text.trim() === '') return undefined;
  if (mt === 'application/yaml' || mt === 'application/x-yaml' || mt === 'text/yaml') return parseYamlBody(text);
  if (mt && mt !== 'application/json' && mt !== '*/*' && !mt.endsWith('+json')) throw newUnsupportedMediaType(`${UNKNOWN_FORMAT_MESSAGE} (got ${mt})`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw newBadRequest(`error decoding request body: ${(e as Error).message}`);
  }
  checkNesting(v, text.length);
  return v;
}

/**
 * A PATCH body parsed once here so its shape can be bounded before any patch algorithm walks
 * it. Returns the parsed value, or the raw buffer when it does not parse (the patch module
 * then answers with its own decoding error) or parses to a string (which the patch module
 * would take for text to parse).
 */
export function decodePatchBody(buf: Buffer, contentType: string | undefined): unknown {
  const text = buf.toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    if (mediaType(contentType) !== 'application/apply-patch+yaml') return buf;
    try {
      v = parseYaml(text, YAML_OPTIONS);
    } catch {
      return buf;
    }
  }
  checkNesting(v, text.length, 'patch');
  return typeof v === 'string' ? buf : v;
}

/** The Accept asks for a server-side Table. */
export function wantsTable(accept: string | undefined): boolean {
  for (const part of (accept ?? '').split(',')) {
    const p = part.replace(/\s+/g, '');
    if (p.includes('as=Table') && p.includes('g=meta.k8s.io')) return true;
    if (p.startsWith('application/json') && !p.includes('as=')) return false;
  }
  return false;
}

/** The Accept asks for PartialObjectMetadata (metadata-only clients). */
export function wantsPartialMetadata(accept: string | undefined): boolean {
  for (const part of (accept ?? '').split(',')) {
    const p = part.replace(/\s+/g, '');
    if (/as=PartialObjectMetadata(List)?(;|$)/.test(p) && p.includes('g=meta.k8s.io')) return true;
    if (p.startsWith('application/json') && !p.includes('as=')) return false;
  }
  return false;
}

/**
 * The headers of an answer of `length` bytes, or of unknown length (sent chunked). The
 * connection closes after it when the request body was refused unread.
 */
export function answerHeaders(res: ServerResponse, contentType: string, length?: number): Record<string, string | number> {
  const h: Record<string, string | number> = { 'Content-Type': contentType };
  if (length !== undefined) h['Content-Length'] = length;
  h['Cache-Control'] = 'no-cache, private';
  if (unread.has(res.req)) h.Connection = 'close';
  return h;
}

export function sendText(res: ServerResponse, code: number, body: string, contentType = 'application/json'): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const headers: Record<string, string | number> = { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' };
  if (unread.has(res.req)) headers.Connection = 'close';
  res.writeHead(code, headers);
  res.end(body);
}

/**
 * A Status as kube-apiserver encodes it: Go's json.Encoder (apimachinery
 * runtime/serializer/json, doEncode) ends the body with "\n", and clients that keep the body
 * as text (the Python client's FailToCreateError) show it with that newline. The encoder's
 * EscapeHTML is on (encoding/json's default): `<`, `>`, `&`, U+2028 and U+2029 in strings are
 * written as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`.
 */
export function statusJson(status: Status): string {
  return `${JSON.stringify(status).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** A Status response; the HTTP code is the Status's unless given (a DELETE's body has none). */
export function sendStatus(res: ServerResponse, status: Status, code = status.code): void {
  sendText(res, code, statusJson(status));
}
