/**
 * The log-config controller's Prometheus metrics, created once per registry (several
 * managers in one process share the default registry).
 */
import { Counter, Gauge, type Registry } from 'kubeloop';

export interface LogConfigMetrics {
  /** log_config_sls_operations_total{action, result=success|error}: SLS writes (Create*, Update*, Apply*, Remove*, Delete*, Tag*) */
  operations: Counter<'action' | 'result'>;
  /** log_config_drift_repairs_total{resource=logstore|config|binding}: remote changes undone */
  driftRepairs: Counter<'resource'>;
  /** log_config_objects{state=ok|error|conflict}: AliyunLogConfigs by their last outcome */
  objects: Gauge<'state'>;
}

function getOrCreate<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

export function logConfigMetrics(registry: Registry): LogConfigMetrics {
  const registers = [registry];
  return {
    operations: getOrCreate(registry, 'log_config_sls_operations_total', () => new Counter({
      name: 'log_config_sls_operations_total', help: 'SLS writes made by the log-config controller, by action and result', labelNames: ['action', 'result'] as const, registers,
    })),
    driftRepairs: getOrCreate(registry, 'log_config_drift_repairs_total', () => new Counter({
      name: 'log_config_drift_repairs_total', help: 'Remote SLS changes undone by the log-config controller', labelNames: ['resource'] as const, registers,
    })),
    objects: getOrCreate(registry, 'log_config_objects', () => new Gauge({
      name: 'log_config_objects', help: 'AliyunLogConfig objects by the outcome of their last reconcile', labelNames: ['state'] as const, registers,
    })),
  };
}
