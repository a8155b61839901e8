/**
 * The cache behind an informer: objects by `namespace/name`, with named indexes
 * (`namespace` built in). Every operation is O(1) in the number of objects (plus the
 * number of index values of the object touched). Objects are shared with every reader
 * and never copied: treat them as READ-ONLY (clone before mutating).
 */
import { objectKey, parseLabelSelector, type KubeObject, type LabelSelector } from '../api/index.js';

/** Maps an object to the index values it is filed under. */
export type IndexFunc<T> = (obj: T) => readonly string[];

export const NAMESPACE_INDEX = 'namespace';

/** The built-in index: the object's namespace ("" for cluster-scoped objects). */
export function namespaceIndexFunc(obj: KubeObject): string[] {
  return [obj.metadata?.namespace ?? ''];
}

/** Read access to a cache, for controllers (never mutates). */
export interface CacheReader<T extends KubeObject = KubeObject> {
  /** By key (`namespace/name` or `name`), or by namespace and name. */
  get(key: string): T | undefined;
  get(namespace: string | undefined, name: string): T | undefined;
  /** All objects, optionally of one namespace and/or matching a label selector (parsed or `app=web,tier in (a,b)`). */
  list(opts?: { namespace?: string; labelSelector?: LabelSelector | string }): T[];
  /** Objects filed under `value` in index `indexName`. */
  byIndex(indexName: string, value: string): T[];
  keys(): string[];
  readonly size: number;
}

interface Index<T> {
  readonly fn: IndexFunc<T>;
  /**
   * Indexes are built on first use and maintained from then on: an index nobody queries
   * costs nothing, and the initial sync of a large cache does not pay for it up front.
   */
  built: boolean;
  readonly byValue: Map<string, Set<string>>;
  /** key -> the values it is filed under, to unfile it in O(values). */
  readonly valuesOf: Map<string, readonly string[]>;
}

export class Store<T extends KubeObject = KubeObject> implements CacheReader<T> {
  private readonly items = new Map<string, T>();
  private readonly indexes = new Map<string, Index<T>>();
  /** The indexes built so far, the only ones writes maintain (an array: no iterator per write). */
  private built: Index<T>[] = [];

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexer(NAMESPACE_INDEX, namespaceIndexFunc as IndexFunc<T>);
    for (const [name, fn] of Object.entries(indexers)) this.addIndexer(name, fn);
  }

  /** Adds a named index (it covers the objects already stored; built on first query). */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexes.has(name)) throw new Error(`indexer "${name}" already exists`);
    this.indexes.set(name, { fn, built: false, byValue: new Map(), valuesOf: new Map() });
  }

  private index(name: string): Index<T> {
    const idx = this.indexes.get(name);
    if (!idx) throw new Error(`index "${name}" does not exist`);
    if (!idx.built) {
      for (const [key, obj] of this.items) file(idx, key, obj);
      idx.built = true;
      this.built.push(idx);
    }
    return idx;
  }

  get size(): number {
    return this.items.size;
  }

  get(keyOrNamespace: string | undefined, name?: string): T | undefined {
    if (name === undefined) return this.items.get(keyOrNamespace ?? '');
    return this.items.get(keyOrNamespace ? `${keyOrNamespace}/${name}` : name);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  list(opts: { namespace?: string; labelSelector?: LabelSelector | string } = {}): T[] {
    const base = opts.namespace !== undefined ? this.byIndex(NAMESPACE_INDEX, opts.namespace) : [...this.items.values()];
    const sel = typeof opts.labelSelector === 'string' ? parseLabelSelector(opts.labelSelector) : opts.labelSelector;
    return sel && !sel.isEmpty() ? base.filter((o) => sel.matches(o.metadata?.labels)) : base;
  }

  byIndex(indexName: string, value: string): T[] {
    const idx = this.index(indexName);
    const keys = idx.byValue.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) out.push(this.items.get(k)!);
    return out;
  }

  /** Keys filed under `value` in index `indexName`. */
  indexKeys(indexName: string, value: string): string[] {
    const idx = this.index(indexName);
    return [...(idx.byValue.get(value) ?? [])];
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  entries(): IterableIterator<[string, T]> {
    return this.items.entries();
  }

  /** Inserts or replaces; returns the previous object. */
  set(obj: T, key = objectKey(obj)): T | undefined {
    const items = this.items;
    const old = items.get(key);
    items.set(key, obj);
    const built = this.built;
    for (let i = 0; i < built.length; i++) {
      const idx = built[i];
      if (old) {
        // Most updates keep their index values (same namespace, same labels): skip the churn.
        const before = idx.valuesOf.get(key);
        const after = idx.fn(obj);
        if (before && sameValues(before, after)) continue;
        unfile(idx, key);
        fileValues(idx, key, after);
      } else file(idx, key, obj);
    }
    return old;
  }

  /** Removes; returns the removed object. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.items.delete(key);
    for (let i = 0; i < this.built.length; i++) unfile(this.built[i], key);
    return old;
  }

  clear(): void {
    this.items.clear();
    for (const idx of this.indexes.values()) {
      idx.byValue.clear();
      idx.valuesOf.clear();
      idx.built = false;
    }
    this.built = [];
  }
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function file<T>(idx: Index<T>, key: string, obj: T): void {
  fileValues(idx, key, idx.fn(obj));
}

function fileValues<T>(idx: Index<T>, key: string, values: readonly string[]): void {
  if (values.length === 0) return;
  idx.valuesOf.set(key, values);
  for (const v of values) {
    let set = idx.byValue.get(v);
    if (!set) idx.byValue.set(v, (set = new Set()));
    set.add(key);
  }
}

function unfile<T>(idx: Index<T>, key: string): void {
  const values = idx.valuesOf.get(key);
  if (!values) return;
  idx.valuesOf.delete(key);
  for (const v of values) {
    const set = idx.byValue.get(v);
    if (!set) continue;
    set.delete(key);
    if (set.size === 0) idx.byValue.delete(v);
  }
}
