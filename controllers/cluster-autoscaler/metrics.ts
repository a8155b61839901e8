/**
 * The upstream autoscaler's Prometheus metrics (`cluster_autoscaler_*`), created once per
 * registry so several managers in one process (tests) share them.
 */
import { Counter, Gauge, Histogram, type Registry } from 'kubeloop';

export interface AutoscalerMetrics {
  /** cluster_autoscaler_nodes_count{state=ready|unready|notStarted|longUnregistered} */
  nodesCount: Gauge<'state'>;
  unschedulablePodsCount: Gauge;
  /** cluster_autoscaler_scaled_up_nodes_total */
  scaledUpNodes: Counter;
  /** cluster_autoscaler_scaled_down_nodes_total{reason=empty|underutilized} */
  scaledDownNodes: Counter<'reason'>;
  unneededNodesCount: Gauge;
  nodeGroupMin: Gauge<'node_group'>;
  nodeGroupMax: Gauge<'node_group'>;
  nodeGroupTarget: Gauge<'node_group'>;
  /** cluster_autoscaler_errors_total{type=cloudProviderError|apiCallError|internalError} */
  errors: Counter<'type'>;
  /** cluster_autoscaler_function_duration_seconds{function=main|scaleUp|scaleDown|updateState|planner} */
  functionDuration: Histogram<'function'>;
  /** cluster_autoscaler_last_activity{activity=main|autoscaling|scaleUp|scaleDown}: unix seconds */
  lastActivity: Gauge<'activity'>;
  /** cluster_autoscaler_failed_scale_ups_total{reason} */
  failedScaleUps: Counter<'reason'>;
}

function getOrCreate<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

export function autoscalerMetrics(registry: Registry): AutoscalerMetrics {
  const registers = [registry];
  const g = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    getOrCreate(registry, `cluster_autoscaler_${name}`, () => new Gauge<L>({ name: `cluster_autoscaler_${name}`, help, labelNames, registers }));
  const c = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    getOrCreate(registry, `cluster_autoscaler_${name}`, () => new Counter<L>({ name: `cluster_autoscaler_${name}`, help, labelNames, registers }));
  return {
    nodesCount: g('nodes_count', 'Number of nodes in the cluster by state', ['state'] as const),
    unschedulablePodsCount: g('unschedulable_pods_count', 'Number of unschedulable (pending, not expendable) pods'),
    scaledUpNodes: c('scaled_up_nodes_total', 'Number of nodes added by the autoscaler'),
    scaledDownNodes: c('scaled_down_nodes_total', 'Number of nodes removed by the autoscaler', ['reason'] as const),
    unneededNodesCount: g('unneeded_nodes_count', 'Number of nodes currently considered unneeded'),
    nodeGroupMin: g('node_group_min_count', 'Minimum size of the node group', ['node_group'] as const),
    nodeGroupMax: g('node_group_max_count', 'Maximum size of the node group', ['node_group'] as const),
    nodeGroupTarget: g('node_group_target_count', 'Target (desired) size of the node group', ['node_group'] as const),
    errors: c('errors_total', 'Errors of the autoscaler loop by type', ['type'] as const),
    functionDuration: getOrCreate(registry, 'cluster_autoscaler_function_duration_seconds', () => new Histogram({
      name: 'cluster_autoscaler_function_duration_seconds', help: 'Time taken by parts of the autoscaler loop', labelNames: ['function'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60], registers,
    })),
    lastActivity: g('last_activity', 'Last time (unix seconds) an activity happened', ['activity'] as const),
    failedScaleUps: c('failed_scale_ups_total', 'Failed scale-ups by reason', ['reason'] as const),
  };
}
