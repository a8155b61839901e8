/**
 * What a reconciler implements and what it receives.
 *
 * Contract (decided here, documented in docs/framework.md):
 * - `reconcile(obj, ctx)` is called with a deep copy of the cached object whenever one
 *   exists for the request's key; mutate it freely (with `unsafeDisableDeepCopy`: the cached
 *   object itself, never to be changed). `ctx.request` is the key, `ctx.object`
 *   the same object.
 * - When the object is gone from the cache (deleted, or never existed), the optional
 *   `reconcileDeleted(request, ctx)` is called instead (ctx.object is undefined). Without it
 *   nothing is called: clean-up that must happen belongs in a finalizer.
 * - With `finalizer` set: on first sight (object not being deleted, finalizer missing) the
 *   finalizer is added before reconcile; once deletionTimestamp is set, `finalize(obj, ctx)`
 *   runs (retried with backoff until it succeeds, so it must be idempotent) and then the
 *   finalizer is removed; reconcile is not called for objects being deleted.
 * - Return `{ requeueAfter: ms }` to be called again after a delay, `{ requeue: true }` for
 *   a rate-limited requeue, nothing for done. Throw to retry with backoff; throw a
 *   TerminalError to give up on this version of the object.
 */
import type { KubeObject } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import type { CacheReader } from '../informer/index.js';
import type { KindLike } from './kinds.js';
import type { Observable } from '../rx/index.js';
import { EventRecorder } from '../observability/index.js';
import type { Request } from './metadata.js';

export interface Result {
  /** Reconcile again after this many milliseconds (forgets the backoff). */
  requeueAfter?: number;
  /** Reconcile again after the rate limiter's backoff. */
  requeue?: boolean;
}

/** Structured logger (pino's Logger satisfies it). */
export interface Logger {
  child(bindings: Record<string, unknown>): Logger;
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/**
 * Records core/v1 Events about objects (aggregated, so repeats bump a count): observability's
 * EventRecorder, the one recorder type (`ctx.recorder`, or a constructor parameter typed
 * `EventRecorder` to inject the controller's recorder without @inject).
 */
export { EventRecorder };

/** Read access to the shared informer cache of one kind (the informer's CacheReader). */
export type { CacheReader };

export interface ReconcileContext<T extends KubeObject = KubeObject> {
  /** Name of the controller (metrics label, logger field, event source). */
  readonly controller: string;
  readonly request: Request;
  /** "namespace/name" or "name". */
  readonly key: string;
  /** The object being reconciled (a deep copy of the cached one, or with `unsafeDisableDeepCopy` the cached one itself), or undefined when gone. */
  readonly object: T | undefined;
  readonly client: KubeClient;
  /** The cache of any kind this manager watches (for, owns, watches, or declared by @Index). */
  cache<K extends KubeObject = KubeObject>(kind: KindLike<K>): CacheReader<K>;
  /** Logger with controller-runtime's fields: controller, controllerGroup, controllerKind, namespace, name, reconcileID. */
  readonly log: Logger;
  readonly recorder: EventRecorder;
  /** Aborted when the manager shuts down or loses leadership: pass it to long calls. */
  readonly signal: AbortSignal;
  /** How many times this key failed in a row before this attempt. */
  readonly retries: number;
  /**
   * Queues another request of this controller (now, or after `afterMs`). Keys need not name
   * an existing object: a key missing from the cache goes to reconcileDeleted, which is how a
   * controller can reconcile something other than objects (a route table, a cloud account).
   */
  enqueue(request: Request, afterMs?: number): void;
}

/**
 * Extra sources of requests for a controller, subscribed when its workers start and
 * unsubscribed when it stops: any Observable — the equivalent of kube-rs `reconcile_on` and
 * controller-runtime `source.Channel` — e.g. a cloud event stream, a Subject another part of the
 * program pushes into, or a timer (`ctx.every`). Each emission (a request or a list) is
 * enqueued; a source that errors is logged with the controller and ends, the others go on.
 */
export type RequestSource = Observable<Request | readonly Request[]>;

/** What `sources(ctx)` receives. */
export interface SourceContext {
  readonly controller: string;
  /** Aborted when the controller stops. */
  readonly signal: AbortSignal;
  /**
   * Emits 0, 1, 2... every `periodMs` on the manager's clock (a FakeClock in tests), the first
   * time after one period — or at once with `{ immediately: true }`.
   */
  every(periodMs: number, opts?: { immediately?: boolean }): Observable<number>;
  /**
   * Emits `requests` once, when the workers start, e.g. every route table to sync at start-up
   * (rxjs `of`, without importing `rxjs` in the controller's module).
   */
  once(requests: Request | readonly Request[]): RequestSource;
  /** The shared cache of a watched kind (as in reconcile). */
  cache<K extends KubeObject = KubeObject>(kind: KindLike<K>): CacheReader<K>;
}

/** What `Reconciler.onStart` receives. */
export interface StartContext {
  readonly controller: string;
  enqueue(request: Request, afterMs?: number): void;
  /** Aborted when the controller stops. */
  readonly signal: AbortSignal;
}

/** The context of a request controller's reconcile: no object (requests name none). */
export type RequestContext = Omit<ReconcileContext<never>, 'object'>;

/**
 * A controller of requests that name no Kubernetes object (see RequestControllerOptions):
 * requests come from `watches`, `sources()` and other controllers' queue handles.
 */
export interface RequestReconciler {
  reconcile(request: Request, ctx: RequestContext): Promise<Result | void> | Result | void;
  sources?(ctx: SourceContext): RequestSource[];
  onStart?(ctx: StartContext): void;
}

export interface Reconciler<T extends KubeObject = KubeObject> {
  reconcile(obj: T, ctx: ReconcileContext<T>): Promise<Result | void> | Result | void;
  /** Called (when defined) instead of reconcile for keys whose object is gone. */
  reconcileDeleted?(request: Request, ctx: ReconcileContext<T>): Promise<Result | void> | Result | void;
  /** Called when the object is being deleted and carries the controller's finalizer. */
  finalize?(obj: T, ctx: ReconcileContext<T>): Promise<void> | void;
  /** Called once when the controller's workers start (after caches synced and, if needed, leadership). */
  onStart?(ctx: StartContext): void;
  /** Extra sources of requests (see RequestSource), subscribed when the workers start. */
  sources?(ctx: SourceContext): RequestSource[];
}
