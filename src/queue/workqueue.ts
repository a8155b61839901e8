/**
 * The work queue, with client-go's workqueue semantics:
 *
 * - `add` of an item that is already waiting is a no-op (dedup);
 * - an item being processed (handed out by `get`, not yet `done`) is never handed
 *   to a second worker: adding it again only marks it dirty, and `done` puts it
 *   back in the queue — so one key is never processed concurrently;
 * - FIFO order; O(1) add/get/done (a ring buffer of keys plus two maps);
 * - `addAfter` keeps a heap of ready times served by a single timer; the earliest
 *   requested time wins for an item that is already waiting;
 * - `shutDown` refuses new adds, releases waiting getters and drops delayed items;
 *   items already queued can still be fetched (as in client-go, `get` reports
 *   `shutdown` only once the queue is empty); `shutDownWithDrain` also waits for
 *   the items being processed to be `done`.
 */
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { Deque } from './deque.js';
import { WaitingHeap, type WaitingEntry } from './heap.js';
import { QueueMetrics, prometheusMetricsProvider, type MetricsProvider } from './metrics.js';

/** What `get` resolves to: an item to process, or the news that the queue shut down. */
export type QueueGet<T> = { item: T; shutdown: false } | { item: undefined; shutdown: true };

const SHUTDOWN: QueueGet<never> = Object.freeze({ item: undefined, shutdown: true as const });

/** Longest delay one Node timer supports; longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WorkQueueOptions<T> {
  /**
   * Name of the queue, used as the `name` (and `controller`) label of its metrics.
   * Queues without a name record no metrics. Default: none.
   */
  name?: string;
  /**
   * Identity of an item for dedup, the processing set and delays. Two items with the
   * same key are the same work; a re-add of a waiting key replaces the stored item
   * with the newer one. Default: the item itself (string/number value, object identity).
   */
  keyOf?: (item: T) => unknown;
  /**
   * Where metrics of a named queue go. Default: the Prometheus provider on
   * `registry` (observability's `metricsRegistry` when that is not given either).
   */
  metricsProvider?: MetricsProvider;
  /** Registry of the default Prometheus provider. Default: observability's `metricsRegistry`. */
  registry?: import('prom-client').Registry;
  /** Time source (tests pass a FakeClock). Default: `performance.now()` and Node timers. */
  clock?: Clock;
}

export class WorkQueue<T = string> {
  /** Keys ready to be handed out, in FIFO order. */
  private readonly queue = new Deque<unknown>();
  /** Key -> item for every key that needs processing (queued, or re-added while processing). */
  private readonly dirty = new Map<unknown, T>();
  /** Key -> item currently handed out and not yet done. */
  private readonly processing = new Map<unknown, T>();
  /** Getters waiting for an item; only non-empty while `queue` is empty. */
  private readonly waiters = new Deque<(r: QueueGet<T>) => void>();
  private drainWaiters: (() => void)[] = [];
  private shuttingDown = false;
  private draining = false;

  // Delayed adds: one heap, one timer.
  private readonly waiting = new Map<unknown, WaitingEntry<T>>();
  private readonly heap = new WaitingHeap<T>();
  private seq = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  protected readonly clock: Clock;
  protected readonly keyOf: ((item: T) => unknown) | undefined;
  private readonly metrics: QueueMetrics | undefined;
  readonly name: string | undefined;

  constructor(options: WorkQueueOptions<T> = {}) {
    this.name = options.name;
    this.keyOf = options.keyOf;
    this.clock = options.clock ?? realClock;
    if (options.name) {
      const provider = options.metricsProvider ?? prometheusMetricsProvider(options.registry);
      this.metrics = new QueueMetrics(provider.forQueue(options.name), this.clock);
    }
  }

  /** Queues `item` for processing (no-op if it is already waiting or the queue is shutting down). */
  add(item: T): void {
    if (this.shuttingDown) return;
    const key = this.keyOf ? this.keyOf(item) : item;
    if (this.dirty.has(key)) {
      this.dirty.set(key, item);
      return;
    }
    this.metrics?.add(key);
    this.dirty.set(key, item);
    if (this.processing.has(key)) return; // re-queued by done()
    this.enqueue(key);
  }

  /**
   * Waits for the next item. Every item received must be given back with `done`.
   * Resolves `{ shutdown: true }` once the queue is shut down and empty.
   */
  get(): Promise<QueueGet<T>> {
    if (this.queue.length > 0) return Promise.resolve(this.take(this.queue.shift()));
    if (this.shuttingDown) return Promise.resolve(SHUTDOWN);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `item` as processed; if it was added again meanwhile, it is queued again now. */
  done(item: T): void {
    const key = this.keyOf ? this.keyOf(item) : item;
    if (!this.processing.has(key)) return;
    this.metrics?.done(key);
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.enqueue(key);
    } else if (this.processing.size === 0 && this.drainWaiters.length > 0) {
      this.releaseDrainWaiters();
    }
  }

  /** Number of items waiting to be handed out (excludes items being processed and delayed items). */
  len(): number {
    return this.queue.length;
  }

  /** Number of items currently being processed. */
  processingCount(): number {
    return this.processing.size;
  }

  /** Number of items waiting for their `addAfter` delay. */
  delayedCount(): number {
    return this.heap.length;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Adds `item` after `ms` milliseconds (immediately when `ms <= 0`). If the item is
   * already waiting for a delay, the earlier of the two ready times is kept.
   */
  addAfter(item: T, ms: number): void {
    if (this.shuttingDown) return;
    if (typeof ms !== 'number' || Number.isNaN(ms)) throw new TypeError(`addAfter: delay must be a number of milliseconds, got ${String(ms)}`);
    this.metrics?.retry();
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const key = this.keyOf ? this.keyOf(item) : item;
    let entry = this.waiting.get(key);
    if (entry) {
      if (readyAt >= entry.readyAt) return;
      entry.readyAt = readyAt;
      entry.item = item;
      this.heap.decreased(entry);
    } else {
      entry = { key, item, readyAt, seq: this.seq++, index: -1 };
      this.waiting.set(key, entry);
      this.heap.push(entry);
    }
    if (this.heap.peek() === entry) this.armTimer();
  }

  /**
   * Stops the queue: no more adds, waiting getters resolve `{ shutdown: true }`,
   * delayed items are dropped. Items being processed may still be `done`.
   */
  shutDown(): void {
    this.draining = false;
    this.stop();
    this.releaseDrainWaiters();
  }

  /** Like `shutDown`, and resolves once every item being processed is `done`. */
  shutDownWithDrain(): Promise<void> {
    this.draining = true;
    this.stop();
    if (this.processing.size === 0 || !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private stop(): void {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.metrics?.close();
    }
    let w;
    while ((w = this.waiters.shift())) w(SHUTDOWN);
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.heap.clear();
    this.waiting.clear();
  }

  private releaseDrainWaiters(): void {
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }

  /** Puts a dirty key in line, or hands it straight to a waiting getter. */
  private enqueue(key: unknown): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take(key));
    else this.queue.push(key);
  }

  /** Moves a queued key to the processing set and returns its item. */
  private take(key: unknown): QueueGet<T> {
    const item = this.dirty.get(key) as T;
    this.dirty.delete(key);
    this.processing.set(key, item);
    this.metrics?.get(key);
    return { item, shutdown: false };
  }

  private armTimer(): void {
    const top = this.heap.peek();
    if (!top) return;
    if (this.timer !== undefined) {
      if (this.timerAt <= top.readyAt) return;
      this.clock.clearTimer(this.timer);
    }
    this.timerAt = top.readyAt;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, top.readyAt - this.clock.now()));
    this.timer = this.clock.setTimer(this.onTimer, delay);
  }

  // Bound once: the timer callback allocates nothing per item.
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    let top;
    while ((top = this.heap.peek()) && top.readyAt <= now) {
      this.heap.pop();
      this.waiting.delete(top.key);
      this.add(top.item);
    }
    this.armTimer();
  };
}
