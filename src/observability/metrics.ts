/**
 * Prometheus metrics: the registry kubeloop registers into, and the
 * controller-runtime / client-go metric families the controller layer records,
 * defined here once so their names, labels and buckets live in one place and
 * match upstream (existing Grafana dashboards keep working).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from './prom.js';

// prom-client's classes (./prom.ts: loaded without the rest of the package), for code that
// defines its own metrics on these registries
export { Registry, Counter, Gauge, Histogram } from './prom.js';

export interface RegistryOptions {
  /**
   * Also collect prom-client's default process and Node.js runtime metrics
   * (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, ...), the
   * counterpart of controller-runtime's process and Go collectors. Default: false.
   */
  defaultMetrics?: boolean;
  /** Labels added to every series of the registry. Default: none. */
  defaultLabels?: Record<string, string>;
}

/** A new, empty registry (never prom-client's global one). */
export function createRegistry(options: RegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The process-wide kubeloop registry, like controller-runtime's `metrics.Registry`:
 * queues and controllers register here unless given another registry, and the
 * manager serves it on `/metrics`. It is not prom-client's global registry.
 */
export const metricsRegistry: Registry = createRegistry();

/** Buckets of `controller_runtime_reconcile_time_seconds`, as in controller-runtime. */
export const RECONCILE_TIME_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0,
  2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** Values of the `result` label of `controller_runtime_reconcile_total`. */
export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';

export interface ControllerMetrics {
  /** controller_runtime_reconcile_total{controller,result} */
  reconcileTotal: Counter<'controller' | 'result'>;
  /** controller_runtime_reconcile_errors_total{controller} */
  reconcileErrors: Counter<'controller'>;
  /** controller_runtime_terminal_reconcile_errors_total{controller} */
  terminalReconcileErrors: Counter<'controller'>;
  /** controller_runtime_reconcile_panics_total{controller} (a reconciler threw instead of returning) */
  reconcilePanics: Counter<'controller'>;
  /** controller_runtime_reconcile_time_seconds{controller} */
  reconcileTime: Histogram<'controller'>;
  /** controller_runtime_max_concurrent_reconciles{controller} */
  maxConcurrentReconciles: Gauge<'controller'>;
  /** controller_runtime_active_workers{controller} */
  activeWorkers: Gauge<'controller'>;
}

export interface LeaderElectionMetrics {
  /** leader_election_master_status{name}: 1 while this process holds the lease `name`, else 0. */
  masterStatus: Gauge<'name'>;
  /** leader_election_slowpath_total{name}: renewals that had to fall back to a full update. */
  slowpathExercised: Counter<'name'>;
}

const controllerMetricsByRegistry = new WeakMap<Registry, ControllerMetrics>();
const leaderMetricsByRegistry = new WeakMap<Registry, LeaderElectionMetrics>();

/**
 * The controller-runtime reconcile metrics registered on `registry`
 * (default: `metricsRegistry`). Created once per registry; later calls return
 * the same instances.
 */
export function controllerMetrics(registry: Registry = metricsRegistry): ControllerMetrics {
  let m = controllerMetricsByRegistry.get(registry);
  if (m) return m;
  const registers = [registry];
  m = {
    reconcileTotal: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    }),
    terminalReconcileErrors: new Counter({
      name: 'controller_runtime_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    }),
    reconcilePanics: new Counter({
      name: 'controller_runtime_reconcile_panics_total',
      help: 'Total number of reconciliation panics per controller',
      labelNames: ['controller'],
      registers,
    }),
    reconcileTime: new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: [...RECONCILE_TIME_BUCKETS],
      registers,
    }),
    maxConcurrentReconciles: new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    }),
    activeWorkers: new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    }),
  };
  controllerMetricsByRegistry.set(registry, m);
  return m;
}

/** client-go's leader election metrics on `registry` (default: `metricsRegistry`). */
export function leaderElectionMetrics(registry: Registry = metricsRegistry): LeaderElectionMetrics {
  let m = leaderMetricsByRegistry.get(registry);
  if (m) return m;
  const registers = [registry];
  m = {
    masterStatus: new Gauge({
      name: 'leader_election_master_status',
      help:
        "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
      labelNames: ['name'],
      registers,
    }),
    slowpathExercised: new Counter({
      name: 'leader_election_slowpath_total',
      help: 'Total number of slow path exercised in renewing leader leases. \'name\' is the string used to identify the lease. Please make sure to group by name.',
      labelNames: ['name'],
      registers,
    }),
  };
  leaderMetricsByRegistry.set(registry, m);
  return m;
}

/**
 * Creates the series of one controller at zero (and sets its worker limit), as
 * controller-runtime does when a controller starts, so dashboards and rate()
 * see them before the first reconcile.
 */
export function initControllerMetrics(controller: string, maxConcurrentReconciles: number, registry: Registry = metricsRegistry): ControllerMetrics {
  const m = controllerMetrics(registry);
  for (const result of ['success', 'error', 'requeue', 'requeue_after'] as const) m.reconcileTotal.inc({ controller, result }, 0);
  m.reconcileErrors.inc({ controller }, 0);
  m.terminalReconcileErrors.inc({ controller }, 0);
  m.reconcilePanics.inc({ controller }, 0);
  m.reconcileTime.zero({ controller });
  m.maxConcurrentReconciles.set({ controller }, maxConcurrentReconciles);
  m.activeWorkers.set({ controller }, 0);
  return m;
}

export interface WebhookMetrics {
  /** controller_runtime_webhook_requests_total{webhook,code}: requests by path and HTTP status code. */
  requestTotal: Counter<'webhook' | 'code'>;
  /** controller_runtime_webhook_latency_seconds{webhook} */
  requestLatency: Histogram<'webhook'>;
  /** controller_runtime_webhook_requests_in_flight{webhook} */
  requestInFlight: Gauge<'webhook'>;
}

const webhookMetricsByRegistry = new WeakMap<Registry, WebhookMetrics>();

/**
 * controller-runtime's webhook server metrics on `registry` (default: `metricsRegistry`), with
 * its buckets (10 ns to 1000 s, x10). The `webhook` label is the path served.
 */
export function webhookMetrics(registry: Registry = metricsRegistry): WebhookMetrics {
  let m = webhookMetricsByRegistry.get(registry);
  if (m) return m;
  const registers = [registry];
  m = {
    requestTotal: new Counter({
      name: 'controller_runtime_webhook_requests_total',
      help: 'Total number of admission requests by HTTP status code.',
      labelNames: ['webhook', 'code'],
      registers,
    }),
    requestLatency: new Histogram({
      name: 'controller_runtime_webhook_latency_seconds',
      help: 'Histogram of the latency of processing admission requests',
      labelNames: ['webhook'],
      buckets: Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i),
      registers,
    }),
    requestInFlight: new Gauge({
      name: 'controller_runtime_webhook_requests_in_flight',
      help: 'Current number of admission requests being served.',
      labelNames: ['webhook'],
      registers,
    }),
  };
  webhookMetricsByRegistry.set(registry, m);
  return m;
}
