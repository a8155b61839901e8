/**
 * The cache of one kind as controllers read it (`ctx.cache(kind)`, `manager.cache(kind)`),
 * when the manager runs several informers of that kind with different scopes — e.g. one
 * controller watches ConfigMaps in namespace `a`, another in `b`, a third only those labelled
 * `app=web`. Like controller-runtime's multi-namespace cache, a read is answered from every
 * informer that can hold the answer, never from an arbitrary one:
 *
 * - a read in namespace N goes to an informer without selectors whose scope holds N (the
 *   cluster-wide one when there is one); failing that, to the union of the selector-filtered
 *   informers that hold N (as complete as the controllers' selectors let the cache be);
 *   a namespace no informer holds is refused with an Error naming the namespaces it does hold;
 * - a read across namespaces (`list()` without a namespace, `byIndex`, `keys`, `size`) is the
 *   union of all informers, each object once (an unfiltered cluster-wide informer alone
 *   answers when there is one).
 */
import { objectKey, type KubeObject, type LabelSelector } from '../api/index.js';
import type { CacheReader, SharedInformer } from '../informer/index.js';

/** Where an informer looks: a namespace (or all) and optional label/field selectors. */
export interface InformerScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ScopedInformer {
  inf: SharedInformer<KubeObject>;
  scope: InformerScope;
}

const unfiltered = (c: ScopedInformer) => !c.scope.labelSelector && !c.scope.fieldSelector;

/** Objects of several readers, each key once (the first reader's copy wins). */
function union<T extends KubeObject>(lists: Iterable<readonly T[]>): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const list of lists) {
    for (const o of list) {
      const k = objectKey(o);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(o);
    }
  }
  return out;
}

/** A CacheReader over the informers of one kind; `kind` names it in errors ("v1 ConfigMap"). */
export function scopedCacheReader<T extends KubeObject = KubeObject>(kind: string, caches: readonly ScopedInformer[]): CacheReader<T> {
  if (caches.length === 1) return caches[0].inf.reader as CacheReader<T>;
  const complete = caches.find((c) => unfiltered(c) && c.scope.namespace === undefined);
  if (complete) return complete.inf.reader as CacheReader<T>;
  const readers = caches.map((c) => c.inf.reader as CacheReader<T>);

  /** The readers that hold namespace `ns` (one complete one if possible), or an Error. */
  const forNamespace = (ns: string | undefined): CacheReader<T>[] => {
    if (ns === undefined) return readers;
    const holding = caches.filter((c) => c.scope.namespace === undefined || c.scope.namespace === ns);
    const whole = holding.find(unfiltered);
    if (whole) return [whole.inf.reader as CacheReader<T>];
    if (holding.length) return holding.map((c) => c.inf.reader as CacheReader<T>);
    const held = [...new Set(caches.map((c) => c.scope.namespace ?? '(all)'))].sort().join(', ');
    throw new Error(`the ${kind} cache holds namespaces ${held}, not "${ns}": watch ${kind} in "${ns}" from a controller (for/owns/watches) to read it`);
  };

  const reader: CacheReader<T> = {
    get(a: string | undefined, b?: string): T | undefined {
      let namespace: string | undefined;
      let name: string;
      if (b === undefined) {
        const slash = (a ?? '').indexOf('/');
        namespace = slash < 0 ? undefined : a!.slice(0, slash);
        name = slash < 0 ? a! : a!.slice(slash + 1);
      } else {
        namespace = a;
        name = b;
      }
      for (const r of forNamespace(namespace)) {
        const hit = namespace === undefined ? r.get(name) : r.get(namespace, name);
        if (hit) return hit;
      }
      return undefined;
    },
    list(opts?: { namespace?: string; labelSelector?: LabelSelector | string }): T[] {
      return union(forNamespace(opts?.namespace).map((r) => r.list(opts)));
    },
    byIndex(indexName: string, value: string): T[] {
      return union(readers.map((r) => r.byIndex(indexName, value)));
    },
    keys(): string[] {
      return [...new Set(readers.flatMap((r) => r.keys()))];
    },
    get size(): number {
      return reader.keys().length;
    },
  } as CacheReader<T>;
  return reader;
}
