/**
 * Shared pieces of the semantics layer (garbage collector, namespace, CRD and ServiceAccount
 * controllers): the host surface they run on, a deduplicating work queue with retries, and
 * small helpers to find a type by storage key and to retry writes on conflicts.
 */
import { type KubeObject, StatusError } from '../api/index.js';
import type { AdmissionChain } from './admission/index.js';
import type { ResourceOps } from './handlers/rest.js';
import type { OpenApiRegistry } from './openapi/index.js';
import type { ResourceRegistry, ResourceType } from './resources/index.js';
import type { Change, Store } from './storage/index.js';

/** What the semantics layer needs from the server (an `ApiServer` satisfies it). */
export interface SemanticsHost {
  registry: ResourceRegistry;
  openapi: OpenApiRegistry;
  admission: AdmissionChain;
  ops: ResourceOps;
  store: Store;
  /** `storageKeys`: only changes of those types (see Store.subscribe). */
  onChange(fn: (c: Change) => void, storageKeys?: readonly string[]): () => void;
  /**
   * Group-versions whose discovery fails (unavailable aggregated APIs): `gv` -> error text.
   * The namespace controller does not finalize while any fails, as upstream.
   */
  discoveryFailures?(): Map<string, string>;
  /**
   * Deletes a namespace's content in the available aggregated APIs and reports what remains
   * there (per `resource.group`, finalizers holding it, failures).
   */
  deleteAggregatedContent?(namespace: string): Promise<{ remaining: Map<string, number>; finalizers: Map<string, number>; failures: string[] }>;
}

/** A started in-process controller. */
/**
 * The User-Agent of the writes the in-process stand-ins for kube-controller-manager's controllers
 * make (the root CA publisher, the quota controller): upstream's client-go agent
 * `kube-controller-manager/<version> (<os>/<arch>) kubernetes/<commit>/<service account>`, which
 * names their managedFields entries `kube-controller-manager` (patch/manager.ts).
 */
export const CONTROLLER_MANAGER_AGENT = 'kube-controller-manager/v1.32.0 (linux/amd64) kubernetes';

export interface Controller {
  /** Stops processing: pending work and retry timers are dropped. */
  stop(): void;
  /** Resolves once no work is queued or running (tests, orderly shutdown). */
  idle(): Promise<void>;
  /** True while work is queued or running. */
  busy(): boolean;
}

export interface WorkQueueOptions {
  /** First retry delay after a failure (default 50 ms), doubled per failure up to `maxDelayMs`. */
  baseDelayMs?: number;
  /** Longest retry delay (default 5000 ms). */
  maxDelayMs?: number;
  /** Called with errors that are retried (default: ignore). */
  onError?(key: string, err: unknown): void;
}

/**
 * Keys processed one at a time, each queued at most once (a key added while it is being
 * processed runs again afterwards). A failing key is retried with exponential backoff.
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private running = false;
  private stopped = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly process: (key: string) => Promise<void>, private readonly opts: WorkQueueOptions = {}) {}

  add(key: string): void {
    if (this.stopped) return;
    this.queued.add(key);
    if (!this.running) {
      this.running = true;
      queueMicrotask(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && this.queued.size) {
        const key = this.queued.values().next().value as string;
        this.queued.delete(key);
        try {
          await this.process(key);
          this.failures.delete(key);
        } catch (err) {
          this.retry(key, err);
        }
      }
    } finally {
      this.running = false;
      if (this.queued.size && !this.stopped) this.add(this.queued.values().next().value as string);
      else this.wake();
    }
  }

  private retry(key: string, err: unknown): void {
    if (this.stopped) return;
    this.opts.onError?.(key, err);
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    if (this.timers.has(key)) return;
    const delay = Math.min((this.opts.baseDelayMs ?? 50) * 2 ** (n - 1), this.opts.maxDelayMs ?? 5000);
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delay));
  }

  private wake(): void {
    if (this.running || this.queued.size) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  busy(): boolean {
    return this.running || this.queued.size > 0;
  }

  /** Resolves when nothing is queued or running (retries waiting on a timer do not count). */
  idle(): Promise<void> {
    if (!this.running && !this.queued.size) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.queued.clear();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.wake();
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/**
 * The Controller of a queue-driven controller: idle/busy are the queue's; stop runs `release`
 * (unsubscribe from the store, clear its timers) and stops the queue.
 */
export function queueController(queue: WorkQueue, release: () => void): Controller {
  return {
    idle: () => queue.idle(),
    busy: () => queue.busy(),
    stop() {
      release();
      queue.stop();
    },
  };
}

/** The served type whose storage key is `storageKey` (the preferred version when several share it). */
export function typeForStorageKey(registry: ResourceRegistry, storageKey: string): ResourceType | undefined {
  let cache = typeCache.get(registry);
  if (!cache || cache.version !== registry.version) {
    cache = { version: registry.version, byKey: new Map() };
    for (const t of registry.all()) if (!cache.byKey.has(t.storageKey)) cache.byKey.set(t.storageKey, t);
    typeCache.set(registry, cache);
  }
  return cache.byKey.get(storageKey);
}
const typeCache = new WeakMap<ResourceRegistry, { version: number; byKey: Map<string, ResourceType> }>();

/** One type per storage key (several versions of a CRD share storage). */
export function storageTypes(registry: ResourceRegistry): ResourceType[] {
  typeForStorageKey(registry, '');
  return [...typeCache.get(registry)!.byKey.values()];
}

export function isStatus(err: unknown, code: number): boolean {
  return err instanceof StatusError && err.code === code;
}

/**
 * Reads the object, applies `mutate` to a copy and writes it back with the read
 * resourceVersion as precondition, retrying on conflicts. `mutate` returns false to skip the
 * write. Resolves to undefined when the object is gone.
 */
export async function updateWithRetry(
  ops: ResourceOps, t: ResourceType, namespace: string | undefined, name: string, mutate: (o: KubeObject) => boolean,
  opts: { subresource?: string; managedFieldsDone?: boolean; userAgent?: string } = {},
): Promise<KubeObject | undefined> {
  for (let attempt = 0; ; attempt++) {
    let current: KubeObject;
    try {
      current = ops.get(t, namespace, name).obj;
    } catch (e) {
      if (isStatus(e, 404)) return undefined;
      throw e;
    }
    const next = JSON.parse(JSON.stringify(current)) as KubeObject;
    if (!mutate(next)) return current;
    try {
      return (await ops.update(t, namespace, name, next, { subresource: opts.subresource, managedFieldsDone: opts.managedFieldsDone, userAgent: opts.userAgent })).object;
    } catch (e) {
      if (isStatus(e, 404)) return undefined;
      if (isStatus(e, 409) && attempt < 20) continue;
      throw e;
    }
  }
}

/** `namespace/name` or `name`, as storage keys are built. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
