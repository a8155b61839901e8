/**
 * The Manager's metrics and probe servers: where they listen (`metricsBindAddress`,
 * `healthProbeBindAddress`: one server when both name the same fixed address), the health check
 * (`ping`: the manager runs) and the readiness checks — the Manager's own (caches synced, leader,
 * webhook server) and the application's (`addReadyCheck`, before or after start). The metrics
 * server also serves `/debug/controllers`: each controller's queue depth, last error and last
 * success as JSON (what `kubeloop dev`'s console shows beside the metrics).
 */
import type { Registry } from '../observability/index.js';
import { serveProbes, type ProbeHandle } from './wiring.js';

/** `":8080"` (all interfaces), `"host:port"` (`"[::]:8080"` for IPv6), a number (a port on 127.0.0.1), or off. */
export type BindAddress = string | number | false | undefined;

export function parseAddress(a: BindAddress): { host: string; port: number } | undefined {
  if (a === false || a === undefined || a === '') return undefined;
  if (typeof a === 'number') return { host: '127.0.0.1', port: a };
  const i = a.lastIndexOf(':');
  const host = i <= 0 ? '0.0.0.0' : a.slice(0, i);
  const port = Number(i < 0 ? a : a.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`invalid bind address "${a}"`);
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host; // "[::]:8080"
  return { host: bare === '' ? '0.0.0.0' : bare, port };
}

export class ManagerProbes {
  private servers: ProbeHandle[] = [];
  private readonly readyChecks = new Map<string, () => unknown>();

  constructor(
    private readonly registry: Registry,
    private readonly metricsAddress: BindAddress,
    private readonly probeAddress: BindAddress,
    /** Served beside /metrics: `/debug/controllers`, every controller's `ControllerRunner.status()`. */
    private readonly controllerStatuses: () => unknown = () => [],
  ) {}

  /** Adds (or replaces) a named /readyz check; servers already listening get it at once. */
  addReadyCheck(name: string, check: () => unknown): void {
    this.readyChecks.set(name, check);
    for (const p of this.servers) if (p.serves.includes('healthz')) p.addReadyCheck(name, check);
  }

  /** Starts the servers with the `ping` health check and every readiness check added so far. */
  async start(healthy: () => boolean): Promise<void> {
    const m = parseAddress(this.metricsAddress);
    const h = parseAddress(this.probeAddress);
    const checks = { healthChecks: { ping: healthy }, readyChecks: Object.fromEntries(this.readyChecks) };
    if (m && h && m.host === h.host && m.port === h.port && m.port !== 0) {
      this.servers.push(await serveProbes({ ...m, registry: this.registry, ...checks, serves: ['metrics', 'healthz'], jsonRoutes: this.debugRoutes() }));
      return;
    }
    if (m) this.servers.push(await serveProbes({ ...m, registry: this.registry, serves: ['metrics'], jsonRoutes: this.debugRoutes() }));
    if (h) this.servers.push(await serveProbes({ ...h, registry: null, ...checks, serves: ['healthz'] }));
  }

  private debugRoutes(): Record<string, () => unknown> {
    return { '/debug/controllers': () => ({ controllers: this.controllerStatuses() }) };
  }

  /** `http://host:port` of /metrics, once started. */
  get metricsUrl(): string | undefined {
    return this.servers.find((p) => p.serves.includes('metrics'))?.url;
  }

  /** `http://host:port` of /healthz and /readyz, once started. */
  get healthProbeUrl(): string | undefined {
    return this.servers.find((p) => p.serves.includes('healthz'))?.url;
  }

  async close(): Promise<void> {
    for (const p of this.servers.splice(0)) await p.close();
  }
}
