/**
 * Cached reads through the client, as controller-runtime's default client does them: with
 * `ManagerOptions.cachedReads`, `ctx.client.get` and `ctx.client.list` of a kind the manager
 * watches answer from its shared cache (deep copies, so the caller may mutate them) instead of
 * the API server; a missing object is the same 404 NotFound StatusError the server would give.
 * Everything else goes to the server: writes, kinds the manager does not watch, namespaces its
 * informers do not hold, and lists with a field selector, `limit`/`continue` or a
 * `resourceVersion` (which the cache cannot honour).
 *
 * A read from the cache can be stale right after a write (the watch event has not arrived
 * yet): write with the object's resourceVersion (patchObject/patchStatus do) and a stale read
 * ends in a 409 Conflict, which the controller retries.
 */
import { deepCopy, labelSelectorSpecToString, newNotFound, type KubeList, type KubeObject } from '../api/index.js';
import type { KubeClient, ListOptions } from '../client/index.js';
import type { CacheReader } from '../informer/index.js';
import { kindRefOf, type KindLike } from './kinds.js';

/** The cache of `kind`, or undefined when the manager does not watch it. */
export type CacheLookup = (kind: KindLike) => CacheReader | undefined;

/** `client` with get/list served from the cache where it can answer (see the module comment). */
export function cachedReadClient(client: KubeClient, cacheOf: CacheLookup): KubeClient {
  const readerFor = (kind: KindLike): CacheReader | undefined => {
    try {
      return cacheOf(kind);
    } catch {
      return undefined; // a kind or namespace the caches do not hold: ask the server
    }
  };
  async function get<T = KubeObject>(kind: KindLike, name: string, opts: { namespace?: string; signal?: AbortSignal } = {}): Promise<T> {
    const ref = kindRefOf(kind);
    const reader = readerFor(kind);
    if (reader) {
      const namespace = ref.namespaced ? (opts.namespace ?? client.namespace) : undefined;
      try {
        const hit = namespace === undefined ? reader.get(name) : reader.get(namespace, name);
        if (!hit) throw newNotFound({ group: ref.group, resource: ref.plural }, name);
        return deepCopy(hit) as T;
      } catch (err) {
        if ((err as { name?: string }).name === 'StatusError') throw err;
        // the cache does not hold that namespace: fall through to the server
      }
    }
    return client.get<T>(kind as never, name, opts);
  }
  async function list<T = KubeObject>(kind: KindLike, opts: ListOptions = {}): Promise<KubeList<T & KubeObject>> {
    const ref = kindRefOf(kind);
    const reader = readerFor(kind);
    const servable = !opts.fieldSelector && opts.limit === undefined && opts.continue === undefined && opts.resourceVersion === undefined;
    if (reader && servable) {
      try {
        const sel = opts.labelSelector;
        const labelSelector = sel === undefined || typeof sel === 'string' ? sel : labelSelectorSpecToString(sel);
        const items = reader.list({ namespace: ref.namespaced ? opts.namespace : undefined, labelSelector });
        return { apiVersion: ref.apiVersion, kind: `${ref.kind}List`, metadata: {}, items: items.map((o) => deepCopy(o) as T & KubeObject) };
      } catch {
        // the cache does not hold that namespace
      }
    }
    return client.list<T>(kind as never, opts);
  }
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'get') return get;
      if (prop === 'list') return list;
      // a view with another field manager reads from the same caches
      if (prop === 'withFieldManager') return (name: string) => cachedReadClient(target.withFieldManager(name), cacheOf);
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
