/**
 * A `ReconcileContext` for calling one reconciler directly in a unit test, without a Manager,
 * queue or informer — as controller-runtime users call `Reconcile(ctx, req)` with a fake client.
 *
 *   const ctx = reconcileContext({ object: guestbook, objects: [configMap], client: env.client });
 *   await new GuestbookController(...).reconcile(guestbook, ctx);
 *   assert.deepEqual(ctx.events.map((e) => e.reason), ['Created']);
 *
 * `ctx.cache(kind)` answers from `objects` (plus `object`), filtered by the kind's
 * apiVersion and kind; Events and enqueued requests are recorded instead of sent.
 */
import { objectKey, type KubeObject } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import { EventRecorder, gvkOfKind, type KindLike, type Logger, type ReconcileContext, type Request } from '../controller/index.js';
import { Store, type CacheReader } from '../informer/index.js';
import { silentLogger } from '../observability/index.js';

export interface RecordedEvent {
  object: KubeObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** with recordAnnotated */
  annotations?: Record<string, string>;
}

export interface ReconcileContextOptions<T extends KubeObject> {
  /** The object being reconciled; undefined reconciles a deletion (then `request` is required). */
  object?: T;
  /** What `ctx.cache(kind)` holds, of any kinds. */
  objects?: readonly KubeObject[];
  /** The client `ctx.client` is (e.g. `TestEnv.client`). Default: one that throws, naming this option. */
  client?: KubeClient;
  /** Default: the object's namespace and name. */
  request?: Request;
  /** Default "test". */
  controller?: string;
  /** Default 0. */
  retries?: number;
  /** Default: silent. */
  log?: Logger;
  /** Default: never aborted. */
  signal?: AbortSignal;
}

/** A ReconcileContext that also exposes what the reconciler recorded. */
export interface TestReconcileContext<T extends KubeObject> extends ReconcileContext<T> {
  /** Events recorded through `ctx.recorder`, in order. */
  readonly events: RecordedEvent[];
  /** Requests passed to `ctx.enqueue`, with their delay. */
  readonly enqueued: Array<{ request: Request; afterMs?: number }>;
}

class RecordingRecorder extends EventRecorder {
  constructor(readonly events: RecordedEvent[]) {
    super();
  }
  record(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ object, type, reason, message });
  }
  recordAnnotated(object: KubeObject, annotations: Record<string, string>, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ object, type, reason, message, annotations });
  }
}

function missingClient(): KubeClient {
  return new Proxy({} as KubeClient, {
    get(_t, prop) {
      if (prop === 'then') return undefined;
      throw new Error(`reconcileContext: the reconciler used ctx.client.${String(prop)}; pass { client } (e.g. a TestEnv's client)`);
    },
  });
}

function apiVersionOf(kind: KindLike): { apiVersion: string; kind: string } {
  const gvk = gvkOfKind(kind);
  return { apiVersion: gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version, kind: gvk.kind };
}

export function reconcileContext<T extends KubeObject = KubeObject>(opts: ReconcileContextOptions<T> = {}): TestReconcileContext<T> {
  const object = opts.object;
  const request = opts.request ?? (object ? { namespace: object.metadata.namespace, name: object.metadata.name! } : undefined);
  if (!request) throw new TypeError('reconcileContext: pass `object`, or `request` to reconcile a deletion');
  const all = [...(opts.objects ?? []), ...(object ? [object] : [])];
  const stores = new Map<string, Store<KubeObject>>();
  const events: RecordedEvent[] = [];
  const enqueued: Array<{ request: Request; afterMs?: number }> = [];
  return {
    controller: opts.controller ?? 'test',
    request,
    key: request.namespace ? `${request.namespace}/${request.name}` : request.name,
    object: object ? (structuredClone(object) as T) : undefined,
    client: opts.client ?? missingClient(),
    cache<K extends KubeObject = KubeObject>(kind: KindLike<K>): CacheReader<K> {
      const want = apiVersionOf(kind as KindLike);
      const key = `${want.apiVersion}/${want.kind}`;
      let store = stores.get(key);
      if (!store) {
        store = new Store<KubeObject>();
        for (const o of all) if (o.apiVersion === want.apiVersion && o.kind === want.kind) store.set(o, objectKey(o));
        stores.set(key, store);
      }
      return store as unknown as CacheReader<K>;
    },
    log: opts.log ?? silentLogger(),
    recorder: new RecordingRecorder(events),
    signal: opts.signal ?? new AbortController().signal,
    retries: opts.retries ?? 0,
    enqueue(req: Request, afterMs?: number) {
      enqueued.push({ request: req, ...(afterMs !== undefined ? { afterMs } : {}) });
    },
    events,
    enqueued,
  };
}
