import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RECONCILE_TIME_BUCKETS, controllerMetrics, createRegistry, initControllerMetrics, leaderElectionMetrics, metricsRegistry } from './index.js';
import { register as globalRegistry } from 'prom-client';

test('controller-runtime metric names, labels and buckets', async () => {
  const registry = createRegistry();
  const m = controllerMetrics(registry);
  assert.equal(controllerMetrics(registry), m, 'created once per registry');
  m.reconcileTotal.inc({ controller: 'route', result: 'success' });
  m.reconcileTotal.inc({ controller: 'route', result: 'requeue_after' }, 2);
  m.reconcileErrors.inc({ controller: 'route' });
  m.terminalReconcileErrors.inc({ controller: 'route' });
  m.reconcilePanics.inc({ controller: 'route' });
  m.reconcileTime.observe({ controller: 'route' }, 0.3);
  m.maxConcurrentReconciles.set({ controller: 'route' }, 4);
  m.activeWorkers.set({ controller: 'route' }, 1);
  leaderElectionMetrics(registry).masterStatus.set({ name: 'kubeloop-leader' }, 1);

  const text = await registry.metrics();
  for (const line of [
    'controller_runtime_reconcile_total{controller="route",result="success"} 1',
    'controller_runtime_reconcile_total{controller="route",result="requeue_after"} 2',
    'controller_runtime_reconcile_errors_total{controller="route"} 1',
    'controller_runtime_terminal_reconcile_errors_total{controller="route"} 1',
    'controller_runtime_reconcile_panics_total{controller="route"} 1',
    'controller_runtime_reconcile_time_seconds_bucket{le="0.25",controller="route"} 0',
    'controller_runtime_reconcile_time_seconds_bucket{le="0.3",controller="route"} 1',
    'controller_runtime_reconcile_time_seconds_bucket{le="60",controller="route"} 1',
    'controller_runtime_max_concurrent_reconciles{controller="route"} 4',
    'controller_runtime_active_workers{controller="route"} 1',
    'leader_election_master_status{name="kubeloop-leader"} 1',
  ]) {
    assert.ok(text.includes(line), `missing: ${line}`);
  }
  assert.equal(RECONCILE_TIME_BUCKETS.length, 40);
  assert.equal(RECONCILE_TIME_BUCKETS[0], 0.005);
  assert.equal(RECONCILE_TIME_BUCKETS.at(-1), 60);
});

test('kubeloop registries are separate from prom-client\'s global registry', async () => {
  assert.notEqual(metricsRegistry, globalRegistry);
  const withDefaults = createRegistry({ defaultMetrics: true, defaultLabels: { app: 'kubeloop' } });
  const text = await withDefaults.metrics();
  assert.match(text, /process_cpu_seconds_total\{app="kubeloop"\}/);
  assert.match(text, /nodejs_heap_size_used_bytes\{app="kubeloop"\}/);
});

test('initControllerMetrics creates every series of a controller at zero', async () => {
  const registry = createRegistry();
  initControllerMetrics('logconfig', 4, registry);
  const text = await registry.metrics();
  for (const line of [
    'controller_runtime_reconcile_total{controller="logconfig",result="success"} 0',
    'controller_runtime_reconcile_total{controller="logconfig",result="error"} 0',
    'controller_runtime_reconcile_total{controller="logconfig",result="requeue"} 0',
    'controller_runtime_reconcile_total{controller="logconfig",result="requeue_after"} 0',
    'controller_runtime_reconcile_errors_total{controller="logconfig"} 0',
    'controller_runtime_terminal_reconcile_errors_total{controller="logconfig"} 0',
    'controller_runtime_reconcile_panics_total{controller="logconfig"} 0',
    'controller_runtime_reconcile_time_seconds_count{controller="logconfig"} 0',
    'controller_runtime_max_concurrent_reconciles{controller="logconfig"} 4',
    'controller_runtime_active_workers{controller="logconfig"} 0',
  ]) {
    assert.ok(text.includes(line), `missing: ${line}`);
  }
});

test('the metric classes are prom-client\'s own (loaded without its index): they mix with code importing the package', async () => {
  const prom = await import('prom-client');
  const ours = await import('./index.js');
  assert.equal(ours.Registry, prom.Registry);
  assert.equal(ours.Counter, prom.Counter);
  assert.equal(ours.Gauge, prom.Gauge);
  assert.equal(ours.Histogram, prom.Histogram);
  // a metric made with the package's class registers on a kubeloop registry and shows on its /metrics text
  const registry = createRegistry();
  new prom.Counter({ name: 'mixed_total', help: 'h', registers: [registry] }).inc();
  assert.match(await registry.metrics(), /^mixed_total 1$/m);
  assert.ok(registry instanceof prom.Registry);
});
