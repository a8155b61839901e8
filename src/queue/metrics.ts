/**
 * Work queue metrics. A `MetricsProvider` hands each *named* queue a set of
 * sinks; unnamed queues get none and record nothing (as in client-go). The
 * Prometheus provider registers client-go / controller-runtime's `workqueue_*`
 * families, labelled `name` and `controller` (both the queue name, as
 * controller-runtime sets them); `workqueue_depth` also carries controller-runtime's
 * `priority` label, empty for these queues.
 */
import { Counter, Gauge, metricsRegistry, type Registry } from '../observability/index.js';
import type { Clock } from './clock.js';

export interface CounterSink {
  inc(): void;
}
export interface GaugeSink {
  inc(): void;
  dec(): void;
}
export interface HistogramSink {
  /** Observes a value in seconds. */
  observe(seconds: number): void;
}

/** Snapshot of in-progress work, computed when metrics are collected. */
export interface ProgressSnapshot {
  /** Seconds of work done by items still being processed (sum over processing items). */
  unfinishedWorkSeconds: number;
  /** Seconds the longest-running item has been processing. */
  longestRunningProcessorSeconds: number;
}

export interface QueueMetricsSinks {
  depth: GaugeSink;
  adds: CounterSink;
  /** Time between add and get (queue latency). */
  latency: HistogramSink;
  /** Time between get and done. */
  workDuration: HistogramSink;
  retries: CounterSink;
  /** Registers the function the provider calls to fill the in-progress gauges on collect. */
  setProgressReporter(report: () => ProgressSnapshot): void;
  /** The queue shut down: stop calling its progress reporter. */
  close(): void;
}

export interface MetricsProvider {
  forQueue(name: string): QueueMetricsSinks;
}

/** A provider that records nothing. */
export const noopMetricsProvider: MetricsProvider = {
  forQueue(): QueueMetricsSinks {
    const noop = { inc() {}, dec() {}, observe() {} };
    return { depth: noop, adds: noop, latency: noop, workDuration: noop, retries: noop, setProgressReporter() {}, close() {} };
  },
};

/** Histogram buckets of the latency and work-duration metrics: 1e-8 s .. 1e3 s, as controller-runtime. */
export const WORKQUEUE_DURATION_BUCKETS: readonly number[] = Array.from({ length: 12 }, (_, i) => Number((10e-9 * 10 ** i).toPrecision(12)));

const providers = new WeakMap<Registry, MetricsProvider>();

/** Plain-number histogram state: per-bucket (non-cumulative) counts, sum and count. */
class HistogramState implements HistogramSink {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }
  observe(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}

/** Live numbers of one named queue; prom-client reads them when scraped. */
class QueueState implements QueueMetricsSinks {
  depthValue = 0;
  addsValue = 0;
  retriesValue = 0;
  readonly latency = new HistogramState(WORKQUEUE_DURATION_BUCKETS);
  readonly workDuration = new HistogramState(WORKQUEUE_DURATION_BUCKETS);
  reporter: (() => ProgressSnapshot) | undefined;
  readonly depth: GaugeSink = { inc: () => void this.depthValue++, dec: () => void this.depthValue-- };
  readonly adds: CounterSink = { inc: () => void this.addsValue++ };
  readonly retries: CounterSink = { inc: () => void this.retriesValue++ };
  setProgressReporter(report: () => ProgressSnapshot): void {
    this.reporter = report;
  }
  close(): void {
    // Keep the last in-progress values visible, like client-go once its update loop stops.
    if (this.reporter) {
      const last = this.reporter();
      this.reporter = () => last;
    }
  }
}

type MetricValue = { value: number; labels: Record<string, string | number>; metricName?: string };

/**
 * A histogram family whose numbers live in QueueState objects: recording is a
 * couple of array writes instead of prom-client's per-call label hashing, and
 * the samples are produced when the registry is scraped. Implements the part of
 * prom-client's metric interface a Registry uses.
 */
class QueueHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly queues: Map<string, QueueState>,
    private readonly pick: (q: QueueState) => HistogramState,
  ) {}
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const [name, q] of this.queues) {
      const h = this.pick(q);
      let acc = 0;
      WORKQUEUE_DURATION_BUCKETS.forEach((le, i) => {
        acc += h.counts[i];
        values.push({ value: acc, labels: { le, name, controller: name }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: h.count, labels: { le: '+Inf', name, controller: name }, metricName: `${this.name}_bucket` });
      values.push({ value: h.sum, labels: { name, controller: name }, metricName: `${this.name}_sum` });
      values.push({ value: h.count, labels: { name, controller: name }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
  reset(): void {
    for (const q of this.queues.values()) {
      const h = this.pick(q);
      h.counts.fill(0);
      h.sum = 0;
      h.count = 0;
    }
  }
}

/**
 * The Prometheus provider for `registry` (default: observability's `metricsRegistry`).
 * One per registry: the metric families are registered once and shared by all
 * queues. Recording only updates plain numbers; the families read them when the
 * registry is collected, so a named queue stays fast. A second queue with the
 * name of an earlier one takes over its series.
 */
export function prometheusMetricsProvider(registry: Registry = metricsRegistry): MetricsProvider {
  const existing = providers.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const queues = new Map<string, QueueState>();
  const each = (fn: (name: string, q: QueueState) => void) => {
    for (const [name, q] of queues) fn(name, q);
  };
  new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue by workqueue and priority',
    labelNames: ['name', 'controller', 'priority'],
    registers,
    collect() {
      each((name, q) => this.set({ name, controller: name, priority: '' }, q.depthValue));
    },
  });
  new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name', 'controller'],
    registers,
    collect() {
      this.reset();
      each((name, q) => this.inc({ name, controller: name }, q.addsValue));
    },
  });
  new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name', 'controller'],
    registers,
    collect() {
      this.reset();
      each((name, q) => this.inc({ name, controller: name }, q.retriesValue));
    },
  });
  registry.registerMetric(
    new QueueHistogram('workqueue_queue_duration_seconds', 'How long in seconds an item stays in workqueue before being requested', queues, (q) => q.latency) as never,
  );
  registry.registerMetric(
    new QueueHistogram('workqueue_work_duration_seconds', 'How long in seconds processing an item from workqueue takes.', queues, (q) => q.workDuration) as never,
  );
  // The in-progress gauges are computed from the live queues when scraped,
  // rather than by a periodic timer as in client-go: always fresh, and no timer.
  new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help:
      "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
    labelNames: ['name', 'controller'],
    registers,
    collect() {
      each((name, q) => this.set({ name, controller: name }, q.reporter ? q.reporter().unfinishedWorkSeconds : 0));
    },
  });
  new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How many seconds has the longest running processor for workqueue been running.',
    labelNames: ['name', 'controller'],
    registers,
    collect() {
      each((name, q) => this.set({ name, controller: name }, q.reporter ? q.reporter().longestRunningProcessorSeconds : 0));
    },
  });

  const provider: MetricsProvider = {
    forQueue(name: string): QueueMetricsSinks {
      const state = new QueueState();
      const previous = queues.get(name);
      if (previous) {
        // Counters and histograms never go backwards for a series: carry the old totals over.
        state.addsValue = previous.addsValue;
        state.retriesValue = previous.retriesValue;
        for (const [from, to] of [
          [previous.latency, state.latency],
          [previous.workDuration, state.workDuration],
        ]) {
          from.counts.forEach((c, i) => (to.counts[i] = c));
          to.sum = from.sum;
          to.count = from.count;
        }
      }
      queues.set(name, state);
      return state;
    },
  };
  providers.set(registry, provider);
  return provider;
}

/**
 * Per-queue bookkeeping behind the sinks (client-go's defaultQueueMetrics):
 * remembers when each key was added and when its processing started.
 */
export class QueueMetrics {
  private readonly addTimes = new Map<unknown, number>();
  private readonly processingStartTimes = new Map<unknown, number>();

  constructor(
    private readonly sinks: QueueMetricsSinks,
    private readonly clock: Clock,
  ) {
    sinks.setProgressReporter(() => this.progress());
  }

  add(key: unknown): void {
    this.sinks.adds.inc();
    this.sinks.depth.inc();
    if (!this.addTimes.has(key)) this.addTimes.set(key, this.clock.now());
  }

  get(key: unknown): void {
    this.sinks.depth.dec();
    const now = this.clock.now();
    this.processingStartTimes.set(key, now);
    const added = this.addTimes.get(key);
    if (added !== undefined) {
      this.sinks.latency.observe((now - added) / 1000);
      this.addTimes.delete(key);
    }
  }

  done(key: unknown): void {
    const started = this.processingStartTimes.get(key);
    if (started !== undefined) {
      this.sinks.workDuration.observe((this.clock.now() - started) / 1000);
      this.processingStartTimes.delete(key);
    }
  }

  retry(): void {
    this.sinks.retries.inc();
  }

  close(): void {
    this.sinks.close();
  }

  progress(): ProgressSnapshot {
    const now = this.clock.now();
    let total = 0;
    let longest = 0;
    for (const started of this.processingStartTimes.values()) {
      const d = now - started;
      total += d;
      if (d > longest) longest = d;
    }
    return { unfinishedWorkSeconds: total / 1000, longestRunningProcessorSeconds: longest / 1000 };
  }
}
