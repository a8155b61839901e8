/**
 * Work queue metrics. A `MetricsProvider` hands each *named* queue a set of
 * sinks; unnamed queues get none and record nothing (as in client-go). The
 * Prometheus provider registers client-go / controller-runtime's `workqueue_*`
 * families, labelled `name` and `controller` (both the queue name, as
 * controller-runtime sets them); `workqueue_depth` also carries controller-runtime's
 * `priority` label, empty for these queues.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { metricsRegistry } from '../observability/index.js';
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

/**
 * The Prometheus provider for `registry` (default: observability's `metricsRegistry`).
 * One per registry: the metric families are registered once and shared by all queues.
 */
export function prometheusMetricsProvider(registry: Registry = metricsRegistry): MetricsProvider {
  const existing = providers.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const reporters = new Map<string, () => ProgressSnapshot>();
  const depth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue by workqueue and priority',
    labelNames: ['name', 'controller', 'priority'],
    registers,
  });
  const adds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name', 'controller'],
    registers,
  });
  const latency = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name', 'controller'],
    buckets: [...WORKQUEUE_DURATION_BUCKETS],
    registers,
  });
  const workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes.',
    labelNames: ['name', 'controller'],
    buckets: [...WORKQUEUE_DURATION_BUCKETS],
    registers,
  });
  const retries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name', 'controller'],
    registers,
  });
  // The two in-progress gauges are computed from the live queues when scraped,
  // rather than by a periodic timer as in client-go: always fresh, and no timer.
  new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help:
      "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
    labelNames: ['name', 'controller'],
    registers,
    collect() {
      for (const [name, report] of reporters) this.set({ name, controller: name }, report().unfinishedWorkSeconds);
    },
  });
  new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How many seconds has the longest running processor for workqueue been running.',
    labelNames: ['name', 'controller'],
    registers,
    collect() {
      for (const [name, report] of reporters) this.set({ name, controller: name }, report().longestRunningProcessorSeconds);
    },
  });

  const provider: MetricsProvider = {
    forQueue(name: string): QueueMetricsSinks {
      const labels = { name, controller: name };
      let reporter: (() => ProgressSnapshot) | undefined;
      return {
        depth: depth.labels({ ...labels, priority: '' }),
        adds: adds.labels(labels),
        latency: latency.labels(labels),
        workDuration: workDuration.labels(labels),
        retries: retries.labels(labels),
        setProgressReporter(report) {
          reporter = report;
          reporters.set(name, report);
        },
        close() {
          // Leave the last values visible, like client-go once its update loop stops.
          if (reporter && reporters.get(name) === reporter) {
            const last = reporter();
            reporters.set(name, () => last);
          }
        },
      };
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
