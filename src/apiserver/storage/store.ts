/**
 * In-memory object storage with a global, monotonic resourceVersion, per-resource watch
 * history (bounded ring) and an optional write-ahead log for durability.
 *
 * Each stored object is serialized once (on write); reads, lists and watch events reuse that
 * JSON text. Stored objects are never mutated after commit: callers clone before changing.
 */
import type { KubeObject } from '../../api/index.js';
import type { Wal } from './wal.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One stored object: the parsed object, its JSON text and its resourceVersion. */
export interface Stored {
  readonly obj: KubeObject;
  readonly json: string;
  readonly rv: number;
}

/** A committed change (what watches, the event bus and the log see). */
export interface Change {
  readonly type: ChangeType;
  /** Storage key of the resource type (`group/resource`). */
  readonly storageKey: string;
  /** `namespace/name` or `name`. */
  readonly key: string;
  readonly rv: number;
  readonly object: KubeObject;
  readonly json: string;
  /** The previous object for MODIFIED and DELETED. */
  readonly old?: KubeObject;
}

class Ring {
  private buf: (Change | undefined)[];
  private start = 0;
  private count = 0;
  constructor(private readonly capacity: number) {
    this.buf = new Array(Math.min(capacity, 1024));
  }
  /** Appends; returns the evicted change, if any. */
  push(c: Change): Change | undefined {
    if (this.count < this.capacity && this.count === this.buf.length) {
      // Grow lazily up to capacity so idle resource types cost little memory.
      const grown = new Array(Math.min(this.capacity, this.buf.length * 2));
      for (let i = 0; i < this.count; i++) grown[i] = this.buf[(this.start + i) % this.buf.length];
      this.buf = grown;
      this.start = 0;
    }
    if (this.count < this.buf.length) {
      this.buf[(this.start + this.count) % this.buf.length] = c;
      this.count++;
      return undefined;
    }
    const evicted = this.buf[this.start];
    this.buf[this.start] = c;
    this.start = (this.start + 1) % this.buf.length;
    return evicted;
  }
  /** Changes with rv > after, oldest first. */
  since(after: number): Change[] {
    const out: Change[] = [];
    // Binary search for the first rv > after.
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.buf[(this.start + mid) % this.buf.length]!.rv <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.count; i++) out.push(this.buf[(this.start + i) % this.buf.length]!);
    return out;
  }
  clear(): void {
    this.buf = new Array(Math.min(this.capacity, 1024));
    this.start = 0;
    this.count = 0;
  }
}

class Table {
  readonly items = new Map<string, Stored>();
  /** Keys in sorted order; rebuilt lazily after creates/deletes (updates keep it valid). */
  sorted: string[] | null = [];
  readonly history: Ring;
  /** Every change with rv > floor is in history; a watch from an older rv gets 410. */
  floor: number;
  constructor(capacity: number, floor: number) {
    this.history = new Ring(capacity);
    this.floor = floor;
  }
  sortedKeys(): string[] {
    if (!this.sorted) this.sorted = [...this.items.keys()].sort();
    return this.sorted;
  }
}

export interface StoreOptions {
  /** Watch events kept per resource type for resuming watches (default 50000; the ring grows on demand). */
  historySize?: number;
  /** Durable log; without it the store is memory-only. */
  wal?: Wal;
}

export type ChangeListener = (c: Change) => void;

export class Store {
  private readonly tables = new Map<string, Table>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly historySize: number;
  private readonly wal?: Wal;
  private rv = 0;
  /**
   * History floor for types with no table yet: nothing happened to them since start-up (or
   * the last compaction), so any resourceVersion from then on is resumable.
   */
  private baseFloor = 0;

  constructor(opts: StoreOptions = {}) {
    this.historySize = opts.historySize ?? 50_000;
    this.wal = opts.wal;
    if (this.wal) {
      const state = this.wal.load();
      this.rv = state.rv;
      for (const [storageKey, objects] of state.objects) {
        const t = this.table(storageKey);
        for (const [key, obj] of objects) t.items.set(key, { obj, json: JSON.stringify(obj), rv: Number(obj.metadata.resourceVersion) || 0 });
        t.sorted = null;
      }
      for (const t of this.tables.values()) t.floor = this.rv;
      this.baseFloor = this.rv;
      this.wal.setSnapshotSource(() => ({ rv: this.rv, entries: [...this.entries()] }));
    }
  }

  /** The latest committed resourceVersion. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Reserves the next resourceVersion. */
  private nextRv(): number {
    return ++this.rv;
  }

  private table(storageKey: string): Table {
    let t = this.tables.get(storageKey);
    if (!t) this.tables.set(storageKey, (t = new Table(this.historySize, this.baseFloor)));
    return t;
  }

  get(storageKey: string, key: string): Stored | undefined {
    return this.tables.get(storageKey)?.items.get(key);
  }

  /** Number of objects of a type. */
  count(storageKey: string): number {
    return this.tables.get(storageKey)?.items.size ?? 0;
  }

  /**
   * Objects in key order, optionally only keys starting with `prefix` (`ns/`) and only keys
   * after `after` (pagination). Returns an iterator so callers can stop at a limit.
   */
  *scan(storageKey: string, prefix = '', after = ''): Generator<[string, Stored]> {
    const t = this.tables.get(storageKey);
    if (!t) return;
    const keys = t.sortedKeys();
    const from = after > prefix ? after : prefix;
    // First index with key > after (or >= prefix).
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const k = keys[mid];
      if (after > prefix ? k <= from : k < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < keys.length; i++) {
      const k = keys[i];
      if (prefix && !k.startsWith(prefix)) return;
      const s = t.items.get(k);
      if (s) yield [k, s];
    }
  }

  /** How many keys start with `prefix` and sort after `after` (remainingItemCount), in O(log n). */
  countAfter(storageKey: string, prefix: string, after: string): number {
    const t = this.tables.get(storageKey);
    if (!t) return 0;
    const keys = t.sortedKeys();
    const firstAbove = (bound: string, inclusive: boolean) => {
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (inclusive ? keys[mid] < bound : keys[mid] <= bound) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const start = after > prefix ? firstAbove(after, false) : firstAbove(prefix, true);
    // Keys with the prefix end before the first key >= prefix + U+FFFF.
    const end = prefix ? firstAbove(prefix + '\uffff', true) : keys.length;
    return Math.max(0, end - start);
  }

  /**
   * Writes `obj` (sets metadata.resourceVersion) and commits the change. Returns the change;
   * `durable(change)` resolves once it is on disk.
   */
  put(storageKey: string, key: string, obj: KubeObject): Change {
    const t = this.table(storageKey);
    const prev = t.items.get(key);
    const rv = this.nextRv();
    obj.metadata.resourceVersion = String(rv);
    const json = JSON.stringify(obj);
    t.items.set(key, { obj, json, rv });
    if (!prev) t.sorted = null;
    return this.commit(t, { type: prev ? 'MODIFIED' : 'ADDED', storageKey, key, rv, object: obj, json, old: prev?.obj });
  }

  /** Removes an object; the DELETED event carries `final` with a new resourceVersion. */
  remove(storageKey: string, key: string, final: KubeObject): Change | undefined {
    const t = this.tables.get(storageKey);
    const prev = t?.items.get(key);
    if (!t || !prev) return undefined;
    const rv = this.nextRv();
    final.metadata.resourceVersion = String(rv);
    t.items.delete(key);
    t.sorted = null;
    return this.commit(t, { type: 'DELETED', storageKey, key, rv, object: final, json: JSON.stringify(final), old: prev.obj });
  }

  private commit(t: Table, c: Change): Change {
    const evicted = t.history.push(c);
    if (evicted) t.floor = evicted.rv;
    this.wal?.append(c);
    for (const l of this.listeners) {
      try {
        l(c);
      } catch {
        // A listener must not break the write path; listeners report their own errors.
      }
    }
    return c;
  }

  /** Resolves when `c` (and everything before it) is durable; at once without a log. */
  durable(c: Change): Promise<void> {
    return this.wal ? this.wal.waitFor(c.rv) : Promise.resolve();
  }

  /**
   * History of a type after `rv` for resuming a watch, or `undefined` when `rv` is older than
   * the kept history (410 Expired).
   */
  since(storageKey: string, rv: number): Change[] | undefined {
    const t = this.table(storageKey);
    if (rv < t.floor) return undefined;
    return t.history.since(rv);
  }

  /** Drops all watch history: watches from any older resourceVersion get 410 (tests, admin). */
  compact(): void {
    this.baseFloor = this.rv;
    for (const t of this.tables.values()) {
      t.history.clear();
      t.floor = this.rv;
    }
  }

  /** Calls `fn` synchronously after every committed change; returns an unsubscribe function. */
  subscribe(fn: ChangeListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** All objects (for snapshots). */
  *entries(): Generator<[string, string, Stored]> {
    for (const [sk, t] of this.tables) for (const [k, s] of t.items) yield [sk, k, s];
  }

  async close(): Promise<void> {
    await this.wal?.close();
  }
}
