/**
 * The route controller's Prometheus metrics, created once per registry (several managers
 * in one process, e.g. tests restarting the controller, share the default registry).
 */
import { Counter, Gauge, Histogram, type Registry } from 'kubeloop';

export interface RouteMetrics {
  /** route_controller_route_operations_total{verb=create|delete, result=success|error|throttled} */
  operations: Counter<'verb' | 'result'>;
  /** route_controller_reconcile_duration_seconds{route_table}: one pass over a route table */
  reconcileDuration: Histogram<'route_table'>;
  /** route_controller_desired_routes{route_table}: routes the nodes want */
  desired: Gauge<'route_table'>;
  /** route_controller_actual_routes{route_table}: entries owned by this cluster in the table */
  actual: Gauge<'route_table'>;
  /** route_controller_route_conflicts{route_table}: desired CIDRs held by entries we do not own */
  conflicts: Gauge<'route_table'>;
  /** route_controller_cloud_calls_total{action, result=success|error} */
  cloudCalls: Counter<'action' | 'result'>;
  /** route_controller_last_full_sync_timestamp_seconds{route_table}: when the table was last listed with every planned write done (0 = never) */
  lastFullSync: Gauge<'route_table'>;
}

function getOrCreate<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

export function routeMetrics(registry: Registry): RouteMetrics {
  const registers = [registry];
  return {
    operations: getOrCreate(registry, 'route_controller_route_operations_total', () => new Counter({
      name: 'route_controller_route_operations_total', help: 'Route entry writes by verb and result', labelNames: ['verb', 'result'] as const, registers,
    })),
    reconcileDuration: getOrCreate(registry, 'route_controller_reconcile_duration_seconds', () => new Histogram({
      name: 'route_controller_reconcile_duration_seconds', help: 'Duration of one reconcile pass over a route table', labelNames: ['route_table'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers,
    })),
    desired: getOrCreate(registry, 'route_controller_desired_routes', () => new Gauge({
      name: 'route_controller_desired_routes', help: 'Routes wanted by eligible nodes', labelNames: ['route_table'] as const, registers,
    })),
    actual: getOrCreate(registry, 'route_controller_actual_routes', () => new Gauge({
      name: 'route_controller_actual_routes', help: 'Route entries owned by this cluster, as last listed', labelNames: ['route_table'] as const, registers,
    })),
    conflicts: getOrCreate(registry, 'route_controller_route_conflicts', () => new Gauge({
      name: 'route_controller_route_conflicts', help: 'Desired CIDRs held by route entries this cluster does not own', labelNames: ['route_table'] as const, registers,
    })),
    cloudCalls: getOrCreate(registry, 'route_controller_cloud_calls_total', () => new Counter({
      name: 'route_controller_cloud_calls_total', help: 'VPC API calls made by the route controller (after the adapter\'s own retries)', labelNames: ['action', 'result'] as const, registers,
    })),
    lastFullSync: getOrCreate(registry, 'route_controller_last_full_sync_timestamp_seconds', () => new Gauge({
      name: 'route_controller_last_full_sync_timestamp_seconds', help: 'Unix time of the last full sync of a route table (listed, every planned write done); 0 = none yet',
      labelNames: ['route_table'] as const, registers,
    })),
  };
}
