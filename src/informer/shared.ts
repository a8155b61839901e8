/**
 * Shared informers: ONE list-watch per (kind, namespace, label selector, field selector)
 * however many consumers there are. Consumers subscribe to `events$()` (late subscribers
 * first get the current cache as adds) or `acquire()` the informer just to read its
 * cache; the list-watch runs while anyone holds it and stops `lingerMs` after the last
 * release. Objects are shared, never cloned per consumer: READ-ONLY.
 */
import { Observable, asyncScheduler, share, timer, type SchedulerLike } from '../rx/index.js';
import { formatApiVersion, type KubeObject } from '../api/index.js';
import { toGVK, type KindRef, type KubeClient } from '../client/index.js';
import { listWatch, type ListWatchOptions } from './listwatch.js';
import { Reflector, type ReflectorOptions, type StoreEvent } from './reflector.js';
import type { CacheReader, IndexFunc } from './store.js';

export interface InformerScope {
  /** Omitted = all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface InformerFactoryOptions<T extends KubeObject = KubeObject>
  extends Omit<ListWatchOptions, 'kind' | 'namespace' | 'labelSelector' | 'fieldSelector'>,
    Omit<ReflectorOptions<T>, 'indexers'> {
  /** Keep the list-watch running this long after the last consumer leaves, ms. Default 0. */
  lingerMs?: number;
  /**
   * The time source of the linger: an RxJS scheduler (RxJS's own abstraction of a clock).
   * Default: RxJS's asyncScheduler (real time). The Manager passes one built from its `clock`,
   * so a FakeClock drives the linger in tests.
   */
  scheduler?: SchedulerLike;
  /**
   * Called each time a list or watch request of an informer fails (403 Forbidden from missing
   * RBAC, 5xx, network errors...); the informer itself retries with backoff and never stops.
   * Default: none. The Manager logs these, like client-go's reflector does.
   */
  onListWatchError?: (e: ListWatchFailure) => void;
}

/** One failed list or watch request of a shared informer. */
export interface ListWatchFailure {
  kind: KindRef;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  code?: number;
  reason?: string;
  message?: string;
  /** How long the informer waits before trying again, ms (when it backs off). */
  retryInMs?: number;
}

export class CacheSyncTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`timed out after ${ms} ms waiting for caches to sync: ${what}`);
    this.name = 'CacheSyncTimeoutError';
  }
}

/** Waits for `synced()` with an optional abort signal and timeout. */
export function waitFor(synced: Promise<void>, what: string, signal?: AbortSignal, timeoutMs?: number): Promise<void> {
  if (!signal && !timeoutMs) return synced;
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (err?: unknown) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => done(signal?.reason ?? new Error('aborted'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs && timeoutMs > 0) timer = setTimeout(() => done(new CacheSyncTimeoutError(what, timeoutMs)), timeoutMs);
    synced.then(() => done(), done);
  });
}

export class SharedInformer<T extends KubeObject = KubeObject> {
  private readonly reflector: Reflector<T>;
  private refs = 0;
  private disposed = false;
  /**
   * The list-watch as a shared Observable: the first subscriber starts it, and when the last
   * one leaves, RxJS's `share` stops it after `lingerMs` (a subscriber arriving meanwhile keeps
   * it running) — acquire/release are a subscription to it.
   */
  private readonly running$: Observable<never>;

  constructor(
    private readonly client: KubeClient,
    readonly kind: KindRef,
    readonly scope: InformerScope,
    private readonly opts: InformerFactoryOptions<T> & { indexers?: Record<string, IndexFunc<T>> } = {},
  ) {
    this.reflector = new Reflector<T>(opts);
    const linger = opts.lingerMs ?? 0;
    this.running$ = new Observable<never>(() => {
      this.start();
      return () => this.reflector.stop();
    }).pipe(share({ resetOnRefCountZero: linger > 0 ? () => timer(linger, opts.scheduler ?? asyncScheduler) : true }));
  }

  /** The cache (empty until the informer runs and syncs). */
  get reader(): CacheReader<T> {
    return this.reflector.store;
  }

  /** Adds a named index if the informer does not have one by that name yet. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    try {
      this.reflector.store.addIndexer(name, fn);
    } catch {
      /* already there: indexers are shared by name */
    }
  }

  get hasSynced(): boolean {
    return this.reflector.hasSynced;
  }

  get synced$(): Observable<boolean> {
    return this.reflector.synced$;
  }

  /** Number of current holders (consumers and acquirers). */
  get refCount(): number {
    return this.refs;
  }

  get running(): boolean {
    return this.reflector.running;
  }

  /** Keeps the list-watch running until the returned release function is called (idempotent). */
  acquire(): () => void {
    if (this.disposed) throw new Error('informer factory has been shut down');
    this.refs++;
    const sub = this.running$.subscribe({ error: () => undefined });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.refs--;
      sub.unsubscribe();
    };
  }

  private start(): void {
    if (!this.reflector.running) {
      const { lingerMs: _l, scheduler: _s, transform: _t, resyncPeriodMs: _r, freeze: _f, indexers: _i, onListWatchError, ...lw } = this.opts;
      const onStatus: ListWatchOptions['onStatus'] = onListWatchError
        ? (st) => {
            lw.onStatus?.(st);
            if (st.input.type !== 'Failed') return;
            onListWatchError({
              kind: this.kind, ...this.scope, code: st.input.code, reason: st.input.reason, message: st.input.message,
              retryInMs: st.effect.kind === 'sleep' ? st.effect.ms : undefined,
            });
          }
        : lw.onStatus;
      this.reflector.run(listWatch(this.client, { ...lw, onStatus, kind: this.kind, ...this.scope }));
    }
  }

  /**
   * Change notifications. Subscribing acquires the informer; a late subscriber first
   * receives every cached object as an `add`, then live changes. Unsubscribing releases.
   */
  events$(): Observable<StoreEvent<T>> {
    return new Observable<StoreEvent<T>>((subscriber) => {
      const release = this.acquire();
      for (const obj of this.reflector.store.values()) {
        if (subscriber.closed) break;
        subscriber.next({ type: 'add', obj });
      }
      const sub = this.reflector.events$.subscribe(subscriber);
      return () => {
        sub.unsubscribe();
        release();
      };
    });
  }

  /** Resolves when the cache has synced; rejects on abort or after `timeoutMs`. */
  waitForCacheSync(signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    return waitFor(this.reflector.synced(), describe(this.kind, this.scope), signal, timeoutMs);
  }

  /** Stops for good (used by the factory's shutdown). */
  dispose(): void {
    this.disposed = true;
    this.reflector.dispose();
  }
}

function describe(kind: KindRef, scope: InformerScope): string {
  const g = toGVK(kind);
  const parts = [`${formatApiVersion(g.group, g.version)} ${g.kind}`];
  if (scope.namespace) parts.push(`namespace=${scope.namespace}`);
  if (scope.labelSelector) parts.push(`labels=${scope.labelSelector}`);
  if (scope.fieldSelector) parts.push(`fields=${scope.fieldSelector}`);
  return parts.join(' ');
}

/** Hands out shared informers; the manager owns one per client. */
export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();

  constructor(
    /** What the informers list and watch through. */
    readonly client: KubeClient,
    private readonly defaults: InformerFactoryOptions = {},
  ) {}

  /** The informer for a kind and scope (created on first request; not started until acquired). */
  informerFor<T extends KubeObject = KubeObject>(
    kind: KindRef,
    scope: InformerScope & { indexers?: Record<string, IndexFunc<T>> } = {},
  ): SharedInformer<T> {
    const gvk = toGVK(kind);
    const { indexers, ...rest } = scope;
    const norm: InformerScope = {
      namespace: rest.namespace || undefined,
      labelSelector: rest.labelSelector || undefined,
      fieldSelector: rest.fieldSelector || undefined,
    };
    const key = [gvk.group, gvk.version, gvk.kind, norm.namespace ?? '', norm.labelSelector ?? '', norm.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(key) as SharedInformer<T> | undefined;
    if (!inf) {
      inf = new SharedInformer<T>(this.client, gvk, norm, this.defaults as InformerFactoryOptions<T>);
      this.informers.set(key, inf as unknown as SharedInformer<KubeObject>);
    }
    for (const [name, fn] of Object.entries(indexers ?? {})) inf.addIndexer(name, fn);
    return inf;
  }

  /** Read-only cache for a kind and scope (acquire the informer to fill it). */
  cacheReader<T extends KubeObject = KubeObject>(kind: KindRef, scope: InformerScope = {}): CacheReader<T> {
    return this.informerFor<T>(kind, scope).reader;
  }

  /** All informers handed out so far. */
  list(): SharedInformer<KubeObject>[] {
    return [...this.informers.values()];
  }

  /** Waits until every RUNNING informer has synced. */
  waitForCacheSync(signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    const running = this.list().filter((i) => i.running);
    return waitFor(
      Promise.all(running.map((i) => i.waitForCacheSync())).then(() => undefined),
      running.filter((i) => !i.hasSynced).map((i) => describe(i.kind, i.scope)).join(', '),
      signal,
      timeoutMs,
    );
  }

  /** Stops every informer (pending consumers' streams complete). */
  shutdown(): void {
    for (const i of this.informers.values()) i.dispose();
    this.informers.clear();
  }
}
