/**
 * The console's HTTP server: the single-page app (built into dist/console by
 * scripts/build-console.mjs) and the read-mostly API it is fed from. The server holds the
 * credentials; the page holds none. Everything it shows comes through public surfaces:
 *
 *   GET  /api/config                     what the page needs to know: extensions, metric targets
 *   GET  /api/kube/<path>?<query>        the API server (lists and watches), with the kubeconfig's
 *                                        credentials; GET only
 *   GET  /api/metrics/<target>           a controller process's Prometheus `/metrics`
 *   GET  /api/metrics/<target>/controllers  its `/debug/controllers` (queue, last error)
 *   ANY  /api/up/<ext>/<upstream>/<path> an extension's upstream (e.g. the cloud emulator's
 *                                        `/_sim/` API); writes only where the extension allows
 *   GET  /ext/<ext>.js                   an extension's browser module (its panels)
 *
 * It listens on loopback by default, answers only requests whose Host is the address it
 * listens on (no DNS rebinding), and takes writes only from its own page (same Origin, JSON).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { StatusError } from '../api/index.js';
import { KubeClient, loadKubeConfig } from '../client/index.js';
import { assetsDir } from './assets.js';

/** A process whose metrics the console shows: a base URL serving `/metrics` and `/debug/controllers`. */
export interface MetricsTarget {
  /** Shown as the process's name, e.g. `ack-controllers`. */
  name: string;
  /** e.g. `http://127.0.0.1:38123` */
  url: string;
  /** Base URL of the process's `/healthz` and `/readyz`, when it serves them (not shown by the console; `kubeloop dev` lists it in dev.json). */
  health?: string;
}

/** An upstream HTTP API an extension's panels read (and, where listed, write). */
export interface ConsoleUpstream {
  /** Base URL, e.g. the cloud emulator's `http://127.0.0.1:8090`. */
  url: string;
  /**
   * Path prefixes (below the base URL) that take POST, PUT, PATCH and DELETE from the page,
   * e.g. `['/_sim/faults']`. Default none: read-only.
   */
  writable?: readonly string[];
}

/** What a CLI extension adds to the console (see `DevPrepared.console`). */
export interface ConsoleExtension {
  /** URL-safe name: the page loads `/ext/<name>.js`, upstreams are under `/api/up/<name>/`. */
  name: string;
  /**
   * Absolute path of an ES module for the browser whose default export is
   * `(console: ConsoleApi) => void` (it registers panels). It may import `preact`,
   * `preact/hooks` and `kubeloop-console`, which the page provides (an import map).
   */
  module: string;
  upstreams?: Readonly<Record<string, ConsoleUpstream>>;
}

export interface ConsoleOptions {
  /** kubeconfig file of the cluster shown. */
  kubeconfig: string;
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** Page title. Default `kubeloop dev`. */
  title?: string;
  /** Controller processes to show; read on every request, so targets may be added after start. */
  metrics?: () => readonly MetricsTarget[];
  extensions?: readonly ConsoleExtension[];
}

export interface ConsoleServer {
  /** e.g. `http://127.0.0.1:38411/` */
  url: string;
  stop(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
};
const NAME = /^[a-z0-9][a-z0-9-]*$/;

class HttpError extends Error {
  constructor(readonly code: number, message: string) { super(message); }
}

/** A path segment decoded, or a 400 saying why not (a bare `%` or a broken UTF-8 sequence). */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in ${JSON.stringify(s)}`);
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts the console; resolves once it listens. */
export async function startConsole(opts: ConsoleOptions): Promise<ConsoleServer> {
  for (const e of opts.extensions ?? []) {
    if (!NAME.test(e.name)) throw new Error(`console extension name "${e.name}" must be lower-case letters, digits and '-'`);
    for (const u of Object.keys(e.upstreams ?? {})) if (!NAME.test(u)) throw new Error(`console upstream name "${u}" of ${e.name} must be lower-case letters, digits and '-'`);
  }
  const client = new KubeClient(loadKubeConfig({ path: opts.kubeconfig }), { requestTimeoutMs: 0 });
  const title = opts.title ?? 'kubeloop dev';
  const assets = assetsDir();
  const index = (await readFile(join(assets, 'index.html'), 'utf8')).replace(/\{\{title\}\}/g, escapeHtml(title));
  let origin = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const method = req.method ?? 'GET';
    if (req.headers.host !== new URL(origin).host) throw new HttpError(421, `this console answers only at ${origin}`);
    if (method !== 'GET' && method !== 'HEAD') {
      // writes come from the page only: a form on another site cannot send them
      if (req.headers.origin !== origin) throw new HttpError(403, 'writes are accepted only from the console page');
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'writes must be application/json');
    }
    const path = url.pathname;
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'Content-Type': TYPES['.html'], 'Cache-Control': 'no-store' });
      return void res.end(index);
    }
    if (path.startsWith('/assets/')) return serveFile(res, assets, path.slice('/assets/'.length));
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (path === '/api/config') {
      return sendJson(res, 200, {
        title,
        extensions: (opts.extensions ?? []).map((e) => ({ name: e.name, module: `/ext/${e.name}.js` })),
        metrics: (opts.metrics?.() ?? []).map((t) => ({ name: t.name })),
      });
    }
    if (path.startsWith('/api/kube/')) {
      if (method !== 'GET') throw new HttpError(405, 'the console reads the cluster; it does not write to it');
      return proxyKube(client, req, res, '/' + path.slice('/api/kube/'.length), url.searchParams);
    }
    let m = /^\/api\/metrics\/([^/]+)(\/controllers)?$/.exec(path);
    if (m) {
      const name = decodeSegment(m[1]);
      const target = (opts.metrics?.() ?? []).find((t) => t.name === name);
      if (!target) throw new HttpError(404, `no metrics target ${m[1]}`);
      return proxyHttp(req, res, new URL(m[2] ? '/debug/controllers' : '/metrics', target.url), 'GET');
    }
    m = /^\/api\/up\/([^/]+)\/([^/]+)(\/.*)$/.exec(path);
    if (m) {
      const ext = (opts.extensions ?? []).find((e) => e.name === m![1]);
      const up = ext?.upstreams?.[m[2]];
      if (!up) throw new HttpError(404, `no upstream ${m[1]}/${m[2]}`);
      const sub = normalize(m[3]);
      if (method !== 'GET' && method !== 'HEAD' && !(up.writable ?? []).some((p) => sub === p || sub.startsWith(p.endsWith('/') ? p : p + '/'))) {
        throw new HttpError(403, `${method} ${sub} is read-only in the console`);
      }
      const target = new URL(up.url);
      target.pathname = target.pathname.replace(/\/$/, '') + sub;
      target.search = url.search;
      return proxyHttp(req, res, target, method);
    }
    m = /^\/ext\/([^/]+)\.js$/.exec(path);
    if (m) {
      const ext = (opts.extensions ?? []).find((e) => e.name === m![1]);
      if (!ext) throw new HttpError(404, `no extension ${m[1]}`);
      res.writeHead(200, { 'Content-Type': TYPES['.js'], 'Cache-Control': 'no-store' });
      return void res.end(await readFile(ext.module));
    }
    throw new HttpError(404, `${path} not found`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const code = err instanceof HttpError ? err.code : 502;
      if (!res.headersSent) sendJson(res, code, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => (server.off('error', reject), resolve()));
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  origin = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
  return {
    url: `${origin}/`,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      client.close();
    }),
  };
}

async function serveFile(res: ServerResponse, dir: string, rel: string): Promise<void> {
  const file = normalize(join(dir, decodeSegment(rel)));
  if (!file.startsWith(dir + sep)) throw new HttpError(404, 'not found');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    throw new HttpError(404, `${rel} not found`);
  }
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length });
  res.end(body);
}

/** GET through the client's transport (its TLS and auth); a watch streams until either side closes. */
async function proxyKube(client: KubeClient, req: IncomingMessage, res: ServerResponse, path: string, params: URLSearchParams): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const query: Record<string, string> = {};
  for (const [k, v] of params) query[k] = v;
  try {
    const { res: up } = await client.transport.open({ method: 'GET', path, query, signal: abort.signal });
    res.writeHead(up.statusCode ?? 200, { 'Content-Type': String(up.headers['content-type'] ?? 'application/json'), 'Cache-Control': 'no-store' });
    res.flushHeaders();
    up.pipe(res);
    up.on('error', () => res.destroy());
  } catch (err) {
    if (abort.signal.aborted) return;
    if (err instanceof StatusError) return sendJson(res, err.status.code ?? 500, err.status);
    throw err;
  }
}

/** Forwards a request to `target` and streams the answer back, status and body as they are. */
function proxyHttp(req: IncomingMessage, res: ServerResponse, target: URL, method: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const up = send(target, { method, headers: { accept: String(req.headers.accept ?? '*/*'), ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}) } }, (r) => {
      res.writeHead(r.statusCode ?? 502, { 'Content-Type': String(r.headers['content-type'] ?? 'application/octet-stream'), 'Cache-Control': 'no-store' });
      r.pipe(res);
      r.on('end', resolve);
      r.on('error', reject);
    });
    up.on('error', (err) => reject(new HttpError(502, `${target.origin}: ${err.message}`)));
    res.on('close', () => up.destroy());
    if (method === 'GET' || method === 'HEAD') up.end();
    else req.pipe(up);
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
