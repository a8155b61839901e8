/**
 * The parts of prom-client that kubeloop's metrics use, loaded from the package's own files
 * instead of its index: `require('prom-client')` also loads the summary (tdigest, bintrees),
 * the Pushgateway, the cluster aggregator and the default process metrics with
 * `@opentelemetry/api`, ~45 ms of CPU in every process that imports kubeloop, for classes no
 * start uses; these four files load in ~4 ms. They are the very modules the index re-exports
 * (Node's module cache holds each file once), so a `Counter` or `Registry` from here is the
 * one `import { Counter } from 'prom-client'` gives: registries, metrics and `instanceof` mix
 * freely with code (an operator's, a test's) that imports the package itself.
 * `collectDefaultMetrics` loads on its first call (`createRegistry({ defaultMetrics: true })`).
 */
import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';

// not named `require`: the bundler (scripts/bundle-packages.mjs) leaves this call as it is
const load = createRequire(import.meta.url);

export const Registry: typeof Prom.Registry = load('prom-client/lib/registry');
export type Registry<T extends Prom.RegistryContentType = Prom.PrometheusContentType> = Prom.Registry<T>;
export const Counter: typeof Prom.Counter = load('prom-client/lib/counter');
export type Counter<T extends string = string> = Prom.Counter<T>;
export const Gauge: typeof Prom.Gauge = load('prom-client/lib/gauge');
export type Gauge<T extends string = string> = Prom.Gauge<T>;
export const Histogram: typeof Prom.Histogram = load('prom-client/lib/histogram');
export type Histogram<T extends string = string> = Prom.Histogram<T>;

/** prom-client's `collectDefaultMetrics`, loaded when first called. */
export function collectDefaultMetrics(config?: Prom.DefaultMetricsCollectorConfiguration<Prom.RegistryContentType>): void {
  (load('prom-client/lib/defaultMetrics') as typeof Prom.collectDefaultMetrics)(config);
}
