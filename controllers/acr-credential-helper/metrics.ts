/**
 * The ACR credential helper's Prometheus metrics, created once per registry (tests that
 * restart the controller in one process share a registry).
 */
import { Counter, Gauge, type Registry } from 'kubeloop';

export interface AcrMetrics {
  /** acr_credential_expiry_timestamp_seconds{registry,instance}: when the credentials in our Secrets expire */
  expiry: Gauge<'registry' | 'instance'>;
  /** acr_credential_refresh_failures_total{instance}: GetAuthorizationToken failures (after the adapter's retries) */
  refreshFailures: Counter<'instance'>;
  /** acr_credential_refresh_total: temporary credentials obtained */
  refreshes: Counter<string>;
}

function getOrCreate<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

export function acrMetrics(registry: Registry): AcrMetrics {
  const registers = [registry];
  return {
    expiry: getOrCreate(registry, 'acr_credential_expiry_timestamp_seconds', () => new Gauge({
      name: 'acr_credential_expiry_timestamp_seconds', help: 'Expiry time (unix seconds) of the registry credentials currently handed out, per registry domain and instance',
      labelNames: ['registry', 'instance'] as const, registers,
    })),
    refreshFailures: getOrCreate(registry, 'acr_credential_refresh_failures_total', () => new Counter({
      name: 'acr_credential_refresh_failures_total', help: 'Failed attempts to obtain registry credentials (GetAuthorizationToken, after retries), per instance',
      labelNames: ['instance'] as const, registers,
    })),
    refreshes: getOrCreate(registry, 'acr_credential_refresh_total', () => new Counter({
      name: 'acr_credential_refresh_total', help: 'Registry credentials obtained (GetAuthorizationToken successes)', registers,
    })),
  };
}
