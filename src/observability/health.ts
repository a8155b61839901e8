/**
 * The probe server: `/metrics` (Prometheus text), `/healthz` and `/readyz` with
 * named checks, following controller-runtime's healthz handler:
 *
 * - all checks pass: 200 `ok` (or, with `?verbose`, one `[+]name ok` line per check
 *   and `healthz check passed`);
 * - a check fails: 500 with the per-check lines (`[-]name failed: reason withheld`)
 *   and `healthz check failed` — always verbose on failure, reasons withheld since
 *   the endpoint is unauthenticated;
 * - `?exclude=name` skips a check; `/healthz/<name>` runs one check and shows its error;
 * - with no checks configured a `ping` check that always passes is installed.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { metricsRegistry } from './metrics.js';

/** A health check: it fails by throwing, rejecting, or returning/resolving `false`. */
export type Checker = () => unknown;

export interface ProbeServerOptions {
  /** TCP port; 0 picks a free one. Default: 8081 (controller-runtime's probe port). */
  port?: number;
  /** Address to listen on. Default: '0.0.0.0' (kubelet probes come from outside the pod). */
  bind?: string;
  /** Registry served on `/metrics`; `null` disables `/metrics`. Default: observability's `metricsRegistry`. */
  registry?: Registry | null;
  /** Named checks behind `/readyz`. Default: none (a `ping` check). */
  readyChecks?: Record<string, Checker>;
  /** Named checks behind `/healthz`. Default: none (a `ping` check). */
  healthChecks?: Record<string, Checker>;
  /** A check still running after this many ms counts as failed. Default: 5000. */
  checkTimeoutMs?: number;
  /**
   * Read-only JSON documents served at fixed paths (e.g. the Manager's `/debug/controllers`),
   * each computed per request. Default: none.
   */
  jsonRoutes?: Record<string, () => unknown>;
}

export interface ProbeServer {
  /** Base URL, e.g. `http://127.0.0.1:34567`. */
  url: string;
  port: number;
  /** Adds (or replaces) a readiness check while running. */
  addReadyCheck(name: string, check: Checker): void;
  /** Adds (or replaces) a liveness check while running. */
  addHealthCheck(name: string, check: Checker): void;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
}

const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function validateName(name: string): void {
  if (!CHECK_NAME.test(name)) throw new Error(`invalid health check name "${name}": use letters, digits, '.', '_' and '-'`);
}

async function runCheck(check: Checker, timeoutMs: number): Promise<Error | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(check),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`check timed out after ${timeoutMs}ms`)), timeoutMs);
      }),
    ]);
    if (result === false) return new Error('check returned false');
    if (result instanceof Error) return result;
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

async function serveChecks(checks: Map<string, Checker>, url: URL, res: ServerResponse, timeoutMs: number): Promise<void> {
  const excluded = new Set(url.searchParams.getAll('exclude'));
  const entries = checks.size > 0 ? [...checks] : ([['ping', () => true]] as [string, Checker][]);
  const results = await Promise.all(entries.map(([name, check]) => (excluded.has(name) ? Promise.resolve('excluded' as const) : runCheck(check, timeoutMs))));
  let out = '';
  let failed = false;
  entries.forEach(([name], i) => {
    const r = results[i];
    if (r === 'excluded') {
      excluded.delete(name);
      out += `[+]${name} excluded: ok\n`;
    } else if (r) {
      failed = true;
      out += `[-]${name} failed: reason withheld\n`;
    } else {
      out += `[+]${name} ok\n`;
    }
  });
  if (excluded.size > 0) out += `warn: some health checks cannot be excluded: no matches for ${[...excluded].map((n) => JSON.stringify(n)).join(',')}\n`;
  if (failed) return send(res, 500, `${out}healthz check failed\n`);
  if (!url.searchParams.has('verbose')) return send(res, 200, 'ok');
  send(res, 200, `${out}healthz check passed\n`);
}

/** Starts the probe server; resolves once it listens. */
export async function startProbeServer(options: ProbeServerOptions = {}): Promise<ProbeServer> {
  const port = options.port ?? 8081;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`invalid port ${port}`);
  const bind = options.bind ?? '0.0.0.0';
  const registry = options.registry === undefined ? metricsRegistry : options.registry;
  const timeoutMs = options.checkTimeoutMs ?? 5000;
  const groups: Record<string, Map<string, Checker>> = { '/healthz': new Map(), '/readyz': new Map() };
  for (const [name, c] of Object.entries(options.healthChecks ?? {})) (validateName(name), groups['/healthz'].set(name, c));
  for (const [name, c] of Object.entries(options.readyChecks ?? {})) (validateName(name), groups['/readyz'].set(name, c));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    if (path === '/metrics' && registry) {
      return send(res, 200, await registry.metrics(), registry.contentType);
    }
    const json = options.jsonRoutes?.[path];
    if (json) return send(res, 200, JSON.stringify(await json(), null, 2) + '\n', 'application/json');
    const group = groups[path];
    if (group) return serveChecks(group, url, res, timeoutMs);
    const slash = path.indexOf('/', 1);
    if (slash > 0) {
      const sub = groups[path.slice(0, slash)];
      const name = decodeURIComponent(path.slice(slash + 1));
      const check = sub && (sub.get(name) ?? (sub.size === 0 && name === 'ping' ? () => true : undefined));
      if (check) {
        const err = await runCheck(check, timeoutMs);
        return err ? send(res, 500, `internal server error: ${err.message}\n`) : send(res, 200, 'ok');
      }
    }
    send(res, 404, '404 page not found\n');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `internal server error: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  // A wildcard bind is reachable on loopback; report that in the URL.
  const host = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '[::1]' : addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    addReadyCheck(name, check) {
      validateName(name);
      groups['/readyz'].set(name, check);
    },
    addHealthCheck(name, check) {
      validateName(name);
      groups['/healthz'].set(name, check);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
