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
import { gvkString, objectKey, type KubeObject, type LabelSelector } from '../api/index.js';
import { toGVK } from '../client/index.js';
import type { CacheReader, IndexFunc, SharedInformer, SharedInformerFactory } from '../informer/index.js';
import type { Logger } from './context.js';
import { errorMessage } from './errors.js';
import { kindKey, kindRefOf, type KindLike, type KindRef } from './kinds.js';

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

/** An @Index declared by a controller (the controller's name is for logs). */
export interface DeclaredIndex {
  controller: string;
  kind: KindLike;
  name: string;
  extract: IndexFunc<KubeObject>;
}

/**
 * The manager's caches: one shared informer per kind and scope (from the factory), the
 * indexes controllers declared on them, and the readers over them (`cache(kind)`). Which
 * informers exist is decided once, when the manager starts (`acquire` for each source).
 */
export class ManagerCaches {
  private readonly byKind = new Map<string, ScopedInformer[]>();
  private readonly releases: Array<() => void> = [];
  private readonly acquired = new Set<SharedInformer<KubeObject>>();

  constructor(
    private readonly informers: SharedInformerFactory,
    /** The manager's namespace: the default scope of every namespaced informer. */
    private readonly namespace: string | undefined,
    private readonly indexes: () => readonly DeclaredIndex[],
    private readonly log: Logger,
  ) {}

  /** The scope of a source: its namespace (else the manager's) and selectors. */
  scopeOf(namespace?: string, labelSelector?: string, fieldSelector?: string): InformerScope {
    return { namespace: namespace ?? this.namespace, labelSelector, fieldSelector };
  }

  /** The shared informer of `kind` in `scope`, with every index declared on the kind. */
  informerFor(kind: KindRef, scope: InformerScope): SharedInformer<KubeObject> {
    const indexers: Record<string, IndexFunc<KubeObject>> = {};
    for (const ix of this.indexes()) {
      if (kindKey(ix.kind) === kindKey(kind)) indexers[ix.name] = this.guarded(ix, kind);
    }
    const ns = kind.namespaced ? scope.namespace : undefined;
    return this.informers.informerFor(kind, { ...scope, namespace: ns, indexers });
  }

  /** Keeps the informer of `kind` in `scope` running until `releaseAll`, and makes it readable through `cache(kind)`. */
  acquire(kind: KindRef, scope: InformerScope): void {
    const inf = this.informerFor(kind, scope);
    if (!this.acquired.has(inf)) {
      this.acquired.add(inf);
      this.releases.push(inf.acquire());
    }
    const k = kindKey(kind);
    const list = this.byKind.get(k) ?? [];
    if (!list.some((c) => c.inf === inf)) list.push({ inf, scope });
    this.byKind.set(k, list);
  }

  /** True when some informer of `kind` was acquired. */
  watches(kind: KindLike): boolean {
    return this.byKind.has(kindKey(kind));
  }

  /** The cache of a kind the manager watches (see scopedCacheReader), or an Error saying how to watch it. */
  cache<T extends KubeObject = KubeObject>(kind: KindLike<T>): CacheReader<T> {
    const caches = this.byKind.get(kindKey(kind));
    const k = kindRefOf(kind);
    if (!caches || caches.length === 0) {
      throw new Error(`${k.apiVersion} ${k.kind} is not watched by this manager: add it to a controller's for/owns/watches or declare an @Index on it`);
    }
    return scopedCacheReader<T>(`${k.apiVersion} ${k.kind}`, caches);
  }

  releaseAll(): void {
    for (const rel of this.releases.splice(0)) rel();
  }

  /**
   * An @Index extract function that cannot take the informer down: a throw is logged with the
   * controller, kind, index and object, and the object is filed under no value of that index
   * (the cache, the other indexes and every other controller go on).
   */
  private guarded(ix: DeclaredIndex, kind: KindRef): IndexFunc<KubeObject> {
    return (obj) => {
      try {
        return ix.extract(obj);
      } catch (err) {
        this.log.error({ controller: ix.controller, kind: gvkString(toGVK(kind)), index: ix.name, object: objectKey(obj), err: errorMessage(err) }, 'index function threw; the object is left out of that index');
        return [];
      }
    };
  }
}
