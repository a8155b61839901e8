/**
 * One controller's loop: event handlers that turn cache events into keys on a rate-limited
 * work queue, and `maxConcurrentReconciles` workers that take keys and call the reconciler.
 * The queue guarantees a key is never processed by two workers at once.
 *
 * Outcome of one reconcile (metric `controller_runtime_reconcile_total{result}`):
 *   returned { requeueAfter > 0 } -> forget + addAfter           result="requeue_after"
 *   returned { requeue: true }     -> addRateLimited              result="requeue"
 *   returned nothing               -> forget                      result="success"
 *   threw TerminalError            -> forget, terminal counter    result="error"
 *   threw anything else            -> addRateLimited              result="error"
 *     (+ reconcile_panics_total when it was not an Error or was a TypeError/ReferenceError/...)
 */
import { setMaxListeners } from 'node:events';
import { randomUUID } from 'node:crypto';
import { controllerRef, deepCopy, objectKey, parseApiVersion, splitKey, isConflict, type KubeObject } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import { RateLimitingQueue, realClock, type Clock, type RateLimiter, type TimerHandle } from '../queue/index.js';
import { controllerMetrics, initControllerMetrics, metricsRegistry, redactString, type Registry } from '../observability/index.js';
import { Observable, Subject, of, type Subscription } from '../rx/index.js';
import type { CacheReader, EventRecorder, Logger, ReconcileContext, Reconciler, RequestReconciler, Result, SourceContext } from './context.js';
import { errorMessage, isPanic, isTerminalError } from './errors.js';
import type { KindLike, KindRef } from './kinds.js';
import { requestKey, toRequests, type ControllerMetadata, type MapContext, type Request } from './metadata.js';
import { admitsAll, type EventKind, type Predicate } from './predicates.js';
import { hasFinalizer } from './ownership.js';
import { patchWithRetry } from './patch.js';

/** Callbacks an informer calls; the runner builds one set per watched source. */
export interface EventHandlers {
  onAdd(obj: KubeObject): void;
  onUpdate(oldObj: KubeObject, newObj: KubeObject): void;
  onDelete(obj: KubeObject): void;
}

export interface RunnerDeps {
  client: KubeClient;
  /** Cache of the `for` kind (must be synced before start). */
  /** The `for` kind's cache (none for a request controller). */
  cache?: CacheReader;
  /** Caches of other kinds, for ctx.cache(kind). */
  cacheFor: (kind: KindLike) => CacheReader;
  /** Root logger; the runner adds the controller fields. */
  log: Logger;
  recorder: EventRecorder;
  registry?: Registry;
  rateLimiter?: RateLimiter;
  /** Time source of the queue (default: the process clock). */
  clock?: Clock;
}

/** The `result` label of `controller_runtime_reconcile_total`: how one reconcile ended. */
export type ReconcileResult = 'success' | 'requeue' | 'requeue_after' | 'error';

/**
 * One finished reconcile, as kube-rs's `Controller::run` stream yields them (see
 * `ControllerRunner.outcomes$`).
 */
export interface ReconcileOutcome {
  controller: string;
  /** the request's key: `namespace/name`, or `name` */
  key: string;
  /** this reconcile's place among the controller's reconciles in the order they began (0, 1, ...) */
  seq: number;
  result: ReconcileResult;
}

export interface WatchSource {
  kind: KindRef;
  handlers: EventHandlers;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** `ControllerRunner.status()`: one controller as `/debug/controllers` shows it. */
export interface ControllerStatus {
  name: string;
  /** The `for` kind, when the controller has one. */
  kind?: { group: string; version: string; kind: string };
  /** Keys waiting in the work queue (not counting those being reconciled). */
  queueDepth: number;
  /** Workers running (started and not stopped). */
  started: boolean;
  /** The last reconcile that failed (conflicts are retries, not errors); the message has credentials redacted. */
  lastError?: { message: string; key: string; at: string };
  /** RFC 3339 time of the last reconcile that succeeded (requeues included). */
  lastSuccessAt?: string;
}

export class ControllerRunner<T extends KubeObject = KubeObject> {
  readonly queue: RateLimitingQueue<string>;
  private readonly metrics;
  /**
   * Aborted on shut-down; shared by every reconcile of this controller. Each in-flight
   * request listens on it, so the listener cap is lifted (Node warns past 10 otherwise).
   */
  private readonly abort = unlimitedAbortController();
  private workers: Promise<void>[] = [];
  private started = false;
  private stopped = false;
  /** The periodic resync (resyncPeriodMs), on the manager's clock. */
  private resyncSub: Subscription | undefined;
  /** Subscriptions to the reconciler's own sources (`sources()`). */
  private sourceSubs: Subscription[] = [];
  private readonly registry: Registry;
  /** For messages outside a reconcile. */
  private readonly log: Logger;
  /** What `status()` reports besides the queue: the last failed and last successful reconcile. */
  private lastError: ControllerStatus['lastError'];
  /** epoch ms of the last successful reconcile (formatted only when `status()` is read: this is the hot path) */
  private lastSuccessMs = 0;
  private readonly outcomes = new Subject<ReconcileOutcome>();
  private begun = 0;
  // Made once, not per reconcile: the metrics' label sets and the context's functions.
  private readonly labels: { controller: string };
  private readonly resultLabels: Record<ReconcileResult, { controller: string; result: ReconcileResult }>;
  private readonly cacheOf = <K extends KubeObject>(kind: KindLike<K>) => this.deps.cacheFor(kind) as CacheReader<K>;
  private readonly enqueueFromContext = (r: Request, ms?: number) => this.enqueue(r, ms);

  constructor(
    readonly meta: ControllerMetadata,
    readonly reconciler: Reconciler<T>,
    private readonly deps: RunnerDeps,
  ) {
    const registry = deps.registry ?? metricsRegistry;
    this.registry = registry;
    this.metrics = controllerMetrics(registry);
    this.queue = new RateLimitingQueue<string>({ name: meta.name, registry, rateLimiter: deps.rateLimiter, clock: deps.clock });
    this.log = deps.log.child({ controller: meta.name });
    const controller = meta.name;
    this.labels = { controller };
    this.resultLabels = {
      success: { controller, result: 'success' },
      requeue: { controller, result: 'requeue' },
      requeue_after: { controller, result: 'requeue_after' },
      error: { controller, result: 'error' },
    };
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /**
   * Every reconcile as it finishes (hot: only those finishing after subscribing; completes when
   * the runner stops). What kubeloop/testing's `reconciled` waits on, so a test can say "the
   * controller has looked at the world since I changed it" instead of sleeping.
   */
  get outcomes$(): Observable<ReconcileOutcome> {
    return this.outcomes.asObservable();
  }

  /** Reconciles begun so far: the `seq` the next one gets. */
  get reconcilesBegun(): number {
    return this.begun;
  }

  /** What `watches` map functions can read: the shared caches. */
  private readonly mapContext: MapContext = { cache: this.cacheOf };

  /** The sources this controller needs watched, with the handlers that feed its queue. */
  sources(): WatchSource[] {
    const m = this.meta;
    const out: WatchSource[] = [];
    if (m.for) {
      out.push({
        kind: m.for,
        namespace: m.namespace,
        labelSelector: m.labelSelector,
        fieldSelector: m.fieldSelector,
        handlers: this.handlersFor(m.predicates, (o) => [objectKey(o)]),
      });
    }
    for (const own of m.owns) {
      out.push({ kind: own.kind, handlers: this.handlersFor(own.predicates, (o) => this.ownerRequests(o).map(requestKey)) });
    }
    for (const w of m.watches) {
      out.push({
        kind: w.kind,
        namespace: w.namespace,
        labelSelector: w.labelSelector,
        handlers: this.handlersFor(w.predicates, (o) => {
          try {
            return toRequests(w.map(o, this.mapContext)).map(requestKey);
          } catch (err) {
            this.log.error({ err: errorMessage(err), kind: w.kind.kind, object: objectKey(o) }, 'watch map function threw');
            return [];
          }
        }),
      });
    }
    return out;
  }

  /** Requests for the controller owner of `obj`, when the owner is of the `for` kind. */
  private ownerRequests(obj: KubeObject): Request[] {
    const ref = controllerRef(obj);
    if (!ref) return [];
    const f = this.meta.for;
    if (!f) return [];
    if (ref.kind !== f.kind || parseApiVersion(ref.apiVersion).group !== f.group) return [];
    return [f.namespaced ? { namespace: obj.metadata.namespace, name: ref.name } : { name: ref.name }];
  }

  /** Event handlers that enqueue the keys `keysOf` maps an object to, when the predicates admit the event. */
  private handlersFor(predicates: Predicate[], keysOf: (obj: KubeObject) => string[]): EventHandlers {
    const enqueue = (keys: string[]) => {
      for (const k of keys) this.queue.add(k);
    };
    const pass = (kind: EventKind, obj: KubeObject, old?: KubeObject) => {
      try {
        return admitsAll(predicates, kind, obj, old);
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'predicate threw; event dropped');
        return false;
      }
    };
    return {
      onAdd: (obj) => {
        if (pass('create', obj)) enqueue(keysOf(obj));
      },
      onUpdate: (oldObj, newObj) => {
        if (!pass('update', newObj, oldObj)) return;
        // the new object's keys, then those only the old one mapped to (an owner or a label moved)
        enqueue(withStaleKeys(keysOf(newObj), keysOf(oldObj)));
      },
      onDelete: (obj) => {
        if (pass('delete', obj)) enqueue(keysOf(obj));
      },
    };
  }

  /**
   * A snapshot of the controller for people and tools (the Manager serves every controller's on
   * `/debug/controllers`): queue depth, workers busy, the last reconcile error (message redacted
   * of credentials) and the time of the last successful reconcile.
   */
  status(): ControllerStatus {
    return {
      name: this.meta.name,
      ...(this.meta.for ? { kind: { group: this.meta.for.group, version: this.meta.for.version, kind: this.meta.for.kind } } : {}),
      queueDepth: this.queue.len(),
      started: this.started && !this.stopped,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.lastSuccessMs ? { lastSuccessAt: new Date(this.lastSuccessMs).toISOString() } : {}),
    };
  }

  private recordError(key: string, err: unknown): void {
    this.lastError = { message: redactString(errorMessage(err)), key, at: new Date().toISOString() };
  }

  /** Enqueues a request by hand (now, or after `afterMs`). */
  enqueue(req: Request, afterMs?: number): void {
    if (!req || typeof req.name !== 'string' || req.name === '') throw new TypeError('enqueue: a request needs a name');
    if (afterMs !== undefined && afterMs > 0) this.queue.addAfter(requestKey(req), afterMs);
    else this.queue.add(requestKey(req));
  }

  /** Starts the workers (call after the caches synced). */
  start(): void {
    if (this.started) throw new Error(`controller ${this.meta.name} already started`);
    this.started = true;
    // every series exists from the start (zeros), as controller-runtime initializes them
    initControllerMetrics(this.meta.name, this.meta.maxConcurrentReconciles, this.registry);
    for (let i = 0; i < this.meta.maxConcurrentReconciles; i++) this.workers.push(this.worker());
    if (this.reconciler.onStart) {
      try {
        this.reconciler.onStart({ controller: this.meta.name, enqueue: (r, ms) => this.enqueue(r, ms), signal: this.abort.signal });
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'onStart threw');
      }
    }
    this.subscribeSources();
    if (this.meta.resyncPeriodMs && this.meta.resyncPeriodMs > 0) {
      // a resync is a "generic" event: predicates see it through their generic() filter
      this.resyncSub = every(this.deps.clock ?? realClock, this.meta.resyncPeriodMs, false).subscribe(() => {
        for (const o of this.deps.cache?.list() ?? []) if (admitsAll(this.meta.predicates, 'generic', o)) this.queue.add(objectKey(o));
      });
    }
  }

  /**
   * Stops intake (no new events, queued keys are not started), waits up to `drainTimeoutMs`
   * (on the runner's clock) for the reconciles in flight, then aborts `ctx.signal`. Resolves
   * true when everything finished in time.
   */
  async stop(drainTimeoutMs = 30_000): Promise<boolean> {
    if (this.stopped) return true;
    this.stopped = true;
    for (const s of this.sourceSubs.splice(0)) s.unsubscribe();
    this.resyncSub?.unsubscribe();
    const drained = this.queue.shutDownWithDrain().then(() => Promise.all(this.workers)).then(() => true);
    const clock = this.deps.clock ?? realClock;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = clock.setTimer(() => resolve(false), drainTimeoutMs);
    });
    const ok = await Promise.race([drained, timeout]);
    clock.clearTimer(timer);
    this.abort.abort(new Error(`controller ${this.meta.name} stopped`));
    this.outcomes.complete();
    if (!ok) this.log.warn({}, 'in-flight reconciles did not finish within the graceful shutdown timeout');
    return ok;
  }

  /** Subscribes the reconciler's `sources()`; each emission is enqueued, an error ends that source only. */
  private subscribeSources(): void {
    if (!this.reconciler.sources) return;
    const clock = this.deps.clock ?? realClock;
    const ctx: SourceContext = {
      controller: this.meta.name,
      signal: this.abort.signal,
      every: (periodMs, opts) => every(clock, periodMs, opts?.immediately ?? false),
      once: (requests) => of(requests),
      cache: <K extends KubeObject>(kind: KindLike<K>) => this.deps.cacheFor(kind) as CacheReader<K>,
    };
    let sources;
    try {
      sources = this.reconciler.sources(ctx);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'sources() threw; the controller runs without its own sources');
      return;
    }
    sources.forEach((source, i) => {
      this.sourceSubs.push(source.subscribe({
        next: (r) => {
          for (const req of Array.isArray(r) ? r : [r]) {
            try {
              this.enqueue(req as Request);
            } catch (err) {
              this.log.error({ source: i, err: errorMessage(err) }, 'source emitted an invalid request');
            }
          }
        },
        error: (err: unknown) => this.log.error({ source: i, err: errorMessage(err) }, 'source failed; its requests stop'),
      }));
    });
  }

  private async worker(): Promise<void> {
    for (;;) {
      const got = await this.queue.get();
      if (got.shutdown) return;
      if (this.stopped) {
        // stopping: reconciles in flight finish, queued keys are not started
        this.queue.done(got.item);
        continue;
      }
      try {
        await this.process(got.item);
      } catch (err) {
        // process() handles reconcile outcomes; anything reaching here is a framework bug:
        // log it and keep the worker alive.
        this.log.error({ err: errorMessage(err), key: got.item }, 'controller worker failed');
      } finally {
        this.queue.done(got.item);
      }
    }
  }

  /** The logger of one reconcile: the fields controller-runtime puts on its lines, and a new reconcileID. */
  private reconcileLog(req: Request): Logger {
    const kind = this.meta.for?.kind;
    return this.deps.log.child({
      controller: this.meta.name,
      ...(kind ? { controllerGroup: this.meta.for!.group, controllerKind: kind, [kind]: req.namespace ? { name: req.name, namespace: req.namespace } : { name: req.name } } : {}),
      ...(req.namespace ? { namespace: req.namespace } : {}),
      name: req.name,
      reconcileID: randomUUID(),
    });
  }

  private async process(key: string): Promise<void> {
    const name = this.meta.name;
    const labels = this.labels;
    const req = splitKey(key);
    const cached = this.deps.cache?.get(key) as T | undefined;
    const object = cached ? (this.meta.unsafeDisableDeepCopy ? cached : deepCopy(cached)) : undefined;
    const log = new ReconcileLogger(() => this.reconcileLog(req));
    const ctx: ReconcileContext<T> = {
      controller: name,
      request: req,
      key,
      object,
      client: this.deps.client,
      cache: this.cacheOf,
      log,
      recorder: this.deps.recorder,
      signal: this.abort.signal,
      retries: this.queue.numRequeues(key),
      enqueue: this.enqueueFromContext,
    };
    this.metrics.activeWorkers.inc(labels);
    const started = performance.now();
    const seq = this.begun++;
    let outcome: ReconcileResult = 'error';
    try {
      const result = await this.invoke(object, ctx);
      if (result && typeof result.requeueAfter === 'number' && result.requeueAfter > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfter);
        outcome = 'requeue_after';
      } else if (result && result.requeue) {
        this.queue.addRateLimited(key);
        outcome = 'requeue';
      } else {
        this.queue.forget(key);
        outcome = 'success';
      }
      this.metrics.reconcileTotal.inc(this.resultLabels[outcome]);
      this.lastSuccessMs = Date.now();
    } catch (err) {
      if (causedByConflict(err)) {
        // Optimistic concurrency at work (the object changed since the cache read it), not
        // a failure: retried like `{ requeue: true }`, logged at debug, not counted as an error.
        this.queue.addRateLimited(key);
        outcome = 'requeue';
        this.metrics.reconcileTotal.inc(this.resultLabels[outcome]);
        log.debug({ err: errorMessage(err) }, 'Reconciler conflict: the object changed since it was read; requeued');
        return;
      }
      this.metrics.reconcileErrors.inc(labels);
      this.metrics.reconcileTotal.inc(this.resultLabels.error);
      this.recordError(key, err);
      if (isTerminalError(err)) {
        this.metrics.terminalReconcileErrors.inc(labels);
        this.queue.forget(key);
        log.error({ err: errorMessage(err) }, 'Reconciler error (terminal, not requeued)');
      } else {
        if (isPanic(err)) {
          this.metrics.reconcilePanics.inc(labels);
          log.error({ err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, 'Observed a panic in reconciler');
        } else {
          log.error({ err: errorMessage(err) }, 'Reconciler error');
        }
        this.queue.addRateLimited(key);
      }
    } finally {
      this.metrics.reconcileTime.observe(labels, (performance.now() - started) / 1000);
      this.metrics.activeWorkers.dec(labels);
      if (this.outcomes.observed) this.outcomes.next({ controller: name, key, seq, result: outcome });
    }
  }

  /** Finalizer handling, then the user's reconcile. */
  private async invoke(object: T | undefined, ctx: ReconcileContext<T>): Promise<Result | void> {
    const r = this.reconciler;
    // a request controller reconciles the request itself (RequestReconciler)
    if (!this.meta.for) return (r as unknown as RequestReconciler).reconcile(ctx.request, ctx);
    if (!object) return r.reconcileDeleted ? r.reconcileDeleted(ctx.request, ctx) : undefined;
    const fin = this.meta.finalizer;
    if (fin) {
      if (object.metadata.deletionTimestamp) {
        if (!hasFinalizer(object, fin)) return undefined;
        if (r.finalize) await r.finalize(object, ctx);
        await this.patchFinalizers(object, (o) => {
          o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== fin);
        }, ctx.signal);
        ctx.log.debug({ finalizer: fin }, 'finalizer removed');
        return undefined;
      }
      if (!hasFinalizer(object, fin)) {
        const updated = await this.patchFinalizers(object, (o) => {
          if (!hasFinalizer(o, fin)) o.metadata.finalizers = [...(o.metadata.finalizers ?? []), fin];
        }, ctx.signal);
        object.metadata = updated.metadata;
      }
    }
    return r.reconcile(object, ctx);
  }

  private async patchFinalizers(obj: T, mutate: (o: T) => void, signal: AbortSignal): Promise<T> {
    const target = { ...obj, apiVersion: obj.apiVersion ?? this.meta.for!.apiVersion, kind: obj.kind ?? this.meta.for!.kind };
    try {
      return await patchWithRetry(this.deps.client, target, mutate, { signal });
    } catch (err) {
      if (isConflict(err)) throw new Error(`updating finalizers of ${objectKey(obj)}: ${errorMessage(err)}`, { cause: err });
      throw err;
    }
  }
}

/** 0, 1, 2... every `periodMs` on `clock` (first after one period, or at once with `immediately`). */
function every(clock: Clock, periodMs: number, immediately: boolean): Observable<number> {
  if (!(periodMs > 0)) throw new RangeError(`every: periodMs must be positive, got ${periodMs}`);
  return new Observable<number>((subscriber) => {
    let n = 0;
    let handle: TimerHandle | undefined;
    const tick = () => {
      handle = clock.setTimer(tick, periodMs);
      subscriber.next(n++);
    };
    if (immediately) subscriber.next(n++);
    if (!subscriber.closed) handle = clock.setTimer(tick, periodMs);
    return () => {
      if (handle !== undefined) clock.clearTimer(handle);
    };
  });
}

/**
 * The logger of one reconcile, made when the reconcile first logs: a child logger (bindings
 * redacted and serialized by pino, a random reconcileID) costs more than many a reconcile, and
 * most reconciles log nothing. A plain object passed on to the real logger, not a getter on
 * the context (an accessor in an object literal costs ~1 KB per context).
 */
class ReconcileLogger implements Logger {
  private made?: Logger;
  constructor(private readonly make: () => Logger) {}

  private get real(): Logger {
    return (this.made ??= this.make());
  }

  // every argument passed on as given (pino takes format arguments after the message)
  child(...args: Parameters<Logger['child']>): Logger {
    return this.real.child(...args);
  }
  trace(...args: unknown[]): void {
    (this.real.trace as (...a: unknown[]) => void)(...args);
  }
  debug(...args: unknown[]): void {
    (this.real.debug as (...a: unknown[]) => void)(...args);
  }
  info(...args: unknown[]): void {
    (this.real.info as (...a: unknown[]) => void)(...args);
  }
  warn(...args: unknown[]): void {
    (this.real.warn as (...a: unknown[]) => void)(...args);
  }
  error(...args: unknown[]): void {
    (this.real.error as (...a: unknown[]) => void)(...args);
  }
}

/**
 * `fresh` followed by the keys of `stale` that are not among them (`fresh` is extended in
 * place). Keys repeated within `stale` stay repeated, as each list is taken as the map made it.
 */
function withStaleKeys(fresh: string[], stale: string[]): string[] {
  const n = fresh.length;
  const seen = n > 8 ? new Set(fresh) : undefined;
  for (const k of stale) {
    const at = seen ? (seen.has(k) ? 0 : -1) : fresh.indexOf(k); // -1, or >= n (added here): not fresh
    if (at < 0 || at >= n) fresh.push(k);
  }
  return fresh;
}

function unlimitedAbortController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

/** A 409 Conflict, directly or as the cause of a wrapping error (at most 5 levels deep). */
function causedByConflict(err: unknown): boolean {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isConflict(e)) return true;
  }
  return false;
}
