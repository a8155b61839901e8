/** A tiny HTTPS client for the server's own tests (raw requests, no client library). */
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import type { ApiServer } from './server.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export function parseKubeconfigCreds(kubeconfig: string): { cert: string; key: string } {
  const cert = /client-certificate-data: (\S+)/.exec(kubeconfig)![1];
  const key = /client-key-data: (\S+)/.exec(kubeconfig)![1];
  return { cert: Buffer.from(cert, 'base64').toString(), key: Buffer.from(key, 'base64').toString() };
}

/**
 * One request to the server. The path goes out verbatim (no `new URL` normalisation of `.`/`..`
 * segments or backslashes), so tests can send what a hostile client would.
 */
function send(server: Pick<ApiServer, 'url' | 'caPem'>, method: string, path: string, body: unknown, headers: Record<string, string>, creds?: { cert: string; key: string }): Promise<RawResponse> {
  const u = new URL(server.url);
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        hostname: u.hostname,
        port: u.port,
        path,
        method,
        ca: server.caPem,
        ...creds,
        headers: { ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}), ...headers },
      },
      (res) => collect(res, resolve, reject),
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Reads a response to its end into a RawResponse (`json` when the body parses). */
export function collect(res: IncomingMessage, resolve: (r: RawResponse) => void, reject: (e: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
  });
  res.on('error', reject);
}

/** A request as the admin (the kubeconfig's `system:masters` client certificate). */
export function call(server: Pick<ApiServer, 'url' | 'kubeconfig' | 'caPem'>, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send(server, method, path, body, headers, parseKubeconfigCreds(server.kubeconfig));
}

/** A request with a bearer token and no client certificate (a user the test's RBAC objects describe). */
export function callAs(server: ApiServer, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send(server, method, path, body, { Authorization: `Bearer ${token}`, ...headers });
}

/**
 * Opens a watch and collects its events until `stop()`. `paused`: read nothing until
 * `resume()` (a slow client: the server's writes back up).
 */
export function openWatch(
  server: ApiServer,
  path: string,
  headers: Record<string, string> = {},
  opts: { paused?: boolean } = {},
): {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  events: any[];
  status: Promise<number>;
  ended: Promise<void>;
  stop(): void;
  resume(): void;
} {
  let paused = opts.paused ?? false;
  let pausedRes: { resume(): void } | undefined;
  const creds = parseKubeconfigCreds(server.kubeconfig);
  const u = new URL(path, server.url);
  const events: unknown[] = [];
  let resolveStatus!: (n: number) => void;
  let resolveEnded!: () => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const req = httpsRequest(u, { method: 'GET', ca: server.caPem, cert: creds.cert, key: creds.key, headers }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    if (paused) {
      res.pause();
      pausedRes = res;
    }
    let buf = '';
    const decoder = new StringDecoder('utf8'); // a character may span two reads
    res.on('data', (c: Buffer) => {
      buf += decoder.write(c);
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) events.push(JSON.parse(line));
      }
    });
    res.on('end', () => resolveEnded());
    res.on('close', () => resolveEnded());
    res.on('error', () => resolveEnded());
  });
  req.on('error', () => {
    resolveStatus(0);
    resolveEnded();
  });
  req.end();
  return {
    events,
    status,
    ended,
    stop: () => req.destroy(),
    resume: () => {
      paused = false;
      pausedRes?.resume();
    },
  };
}

/**
 * A GET as the admin whose answer is not read until `resume()` (a slow client: the server's
 * writes back up); `started` resolves once the status line and headers arrived.
 */
export function pausedGet(server: Pick<ApiServer, 'url' | 'kubeconfig' | 'caPem'>, path: string, headers: Record<string, string> = {}): { started: Promise<void>; resume(): void; done: Promise<RawResponse> } {
  const creds = parseKubeconfigCreds(server.kubeconfig);
  let res: { resume(): void } | undefined;
  let started!: () => void;
  const startedP = new Promise<void>((r) => (started = r));
  const done = new Promise<RawResponse>((resolve, reject) => {
    const req = httpsRequest(new URL(path, server.url), { method: 'GET', ca: server.caPem, ...creds, headers }, (r) => {
      r.pause();
      res = r;
      started();
      collect(r, resolve, reject);
    });
    req.on('error', reject);
    req.end();
  });
  return { started: startedP, resume: () => res?.resume(), done };
}
