/**
 * In-memory object storage with a global, monotonic resourceVersion, per-resource watch
 * history (bounded ring) and an optional write-ahead log for durability.
 *
 * With a log, a write is first *staged*: it gets its resourceVersion and becomes what later
 * writes build on and check against (`latest`), but reads, lists, watches and listeners see it
 * only once the log has made it durable (`get`, `scan`, `since`, `subscribe`). If the log
 * fails, every staged write is rolled back and its `durable()` promise rejects, so a write that
 * was answered with an error was never visible and does not come back after a restart.
 *
 * Each stored object is serialized once (on write); reads, lists and watch events reuse that
 * JSON text. Stored objects are never mutated after commit: callers clone before changing.
 */
import type { KubeObject } from '../../api/index.js';
import type { Wal } from './wal.js';
import { KeyIndex } from './key-index.js';

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
  /** The previous object's JSON text (with `old`). */
  readonly oldJson?: string;
}

/**
 * A change as the watch history gives it back: its text, not its objects. The history holds
 * every change of the last minute or so (see Ring: as text); the parsed object of each was most
 * of that, and copying its many small objects most of the cost of the young-generation GCs
 * under churn. Replays (a watch resuming, a list at an older version) are rare: they parse an
 * entry's object, and its previous one, when first asked for them.
 */
class KeptChange implements Change {
  private parsed?: KubeObject;
  private oldParsed?: KubeObject;
  constructor(
    readonly type: ChangeType,
    readonly storageKey: string,
    readonly key: string,
    readonly rv: number,
    readonly json: string,
    readonly oldJson: string | undefined,
  ) {}
  get object(): KubeObject {
    return (this.parsed ??= JSON.parse(this.json) as KubeObject);
  }
  get old(): KubeObject | undefined {
    if (this.oldJson === undefined) return undefined;
    return (this.oldParsed ??= JSON.parse(this.oldJson) as KubeObject);
  }
}

/** {@link KeptChange} for a creation: no previous version, so four fields and the parse cache. */
class KeptAdded implements Change {
  private parsed?: KubeObject;
  constructor(
    readonly storageKey: string,
    readonly key: string,
    readonly rv: number,
    readonly json: string,
  ) {}
  get type(): ChangeType {
    return 'ADDED';
  }
  get object(): KubeObject {
    return (this.parsed ??= JSON.parse(this.json) as KubeObject);
  }
  get old(): undefined {
    return undefined;
  }
  get oldJson(): undefined {
    return undefined;
  }
}

/** Where {@link flat} leaves the character it reads (a use the compiler cannot drop). */
let flatRead = 0;

/**
 * `s` with its characters in one piece. V8's JSON.stringify returns a rope of the pieces it
 * wrote (for a 250-byte object four cons strings over as many parts), and a stored object's
 * text is kept for as long as the object: nine objects that two scavenges copy each, where one
 * flat string is one (measured: 25.8 -> 20.1 heap objects and 1168 -> 1051 bytes kept per
 * ConfigMap created in-process). Reading a character of a rope makes V8 flatten it in place:
 * the cons then points at one flat copy, and the next scavenge keeps that copy instead of the
 * rope. (An answer written to a socket flattens it too, so writes through HTTP kept the flat
 * text already; in-process writers did not.)
 */
function flat(s: string): string {
  flatRead ^= s.charCodeAt(0);
  return s;
}

const TYPES: readonly ChangeType[] = ['ADDED', 'MODIFIED', 'DELETED'];
const TYPE_CODE: Record<ChangeType, number> = { ADDED: 0, MODIFIED: 1, DELETED: 2 };

/**
 * The watch history of one type: the latest changes, at most `capacity` of them and at most
 * `maxBytes` of their JSON (big objects would otherwise keep hundreds of MB of deleted
 * objects alive), but always the newest one.
 *
 * A change is kept as its fields in parallel arrays (type, key, resourceVersion, text and the
 * previous text), not as an object per change: every write then adds no object that the
 * young-generation GCs copy twice (a creation's entry was 64 bytes of a ConfigMap's ~1 KB kept,
 * an update's 80), and the history holds ~33 bytes per change instead of ~70. The strings are
 * the stored versions' own. {@link since} makes the change objects (KeptAdded, KeptChange) of
 * a replay when one is asked for; they parse their objects when first read.
 */
class Ring {
  private types: Uint8Array;
  private keys: (string | undefined)[];
  private rvs: number[];
  private jsons: (string | undefined)[];
  private olds: (string | undefined)[];
  private start = 0;
  private count = 0;
  private bytes = 0;
  constructor(private readonly storageKey: string, private readonly capacity: number, private readonly maxBytes: number) {
    const size = Math.min(capacity, 1024);
    this.types = new Uint8Array(size);
    this.keys = new Array<string | undefined>(size).fill(undefined);
    this.rvs = new Array<number>(size).fill(0);
    this.jsons = new Array<string | undefined>(size).fill(undefined);
    this.olds = new Array<string | undefined>(size).fill(undefined);
  }
  /** Appends `c`; returns the resourceVersion of the newest evicted change, if any. */
  push(c: Change): number | undefined {
    let size = this.types.length;
    if (this.count < this.capacity && this.count === size) {
      // Grow lazily up to capacity so idle resource types cost little memory.
      this.grow(Math.min(this.capacity, size * 2));
      size = this.types.length;
    }
    let evicted: number | undefined;
    if (this.count === size) evicted = this.shift();
    const i = (this.start + this.count) % size;
    this.types[i] = TYPE_CODE[c.type];
    this.keys[i] = c.key;
    this.rvs[i] = c.rv;
    this.jsons[i] = c.json;
    this.olds[i] = c.oldJson;
    this.count++;
    this.bytes += c.json.length;
    while (this.bytes > this.maxBytes && this.count > 1) evicted = this.shift();
    return evicted;
  }
  /** The arrays at `size` entries, the kept changes first (oldest at 0). */
  private grow(size: number): void {
    const old = { types: this.types, keys: this.keys, rvs: this.rvs, jsons: this.jsons, olds: this.olds };
    const n = old.types.length;
    this.types = new Uint8Array(size);
    this.keys = new Array<string | undefined>(size).fill(undefined);
    this.rvs = new Array<number>(size).fill(0);
    this.jsons = new Array<string | undefined>(size).fill(undefined);
    this.olds = new Array<string | undefined>(size).fill(undefined);
    for (let k = 0; k < this.count; k++) {
      const j = (this.start + k) % n;
      this.types[k] = old.types[j];
      this.keys[k] = old.keys[j];
      this.rvs[k] = old.rvs[j];
      this.jsons[k] = old.jsons[j];
      this.olds[k] = old.olds[j];
    }
    this.start = 0;
  }
  /** Drops the oldest change; returns its resourceVersion. */
  private shift(): number {
    const i = this.start;
    const rv = this.rvs[i];
    this.bytes -= this.jsons[i]!.length;
    this.keys[i] = undefined;
    this.jsons[i] = undefined;
    this.olds[i] = undefined;
    this.start = (i + 1) % this.types.length;
    this.count--;
    return rv;
  }
  /** Changes with rv > after, oldest first. */
  since(after: number): Change[] {
    const size = this.types.length;
    const out: Change[] = [];
    // Binary search for the first rv > after.
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.rvs[(this.start + mid) % size] <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < this.count; k++) {
      const i = (this.start + k) % size;
      const type = TYPES[this.types[i]];
      const old = this.olds[i];
      out.push(type === 'ADDED' && old === undefined
        ? new KeptAdded(this.storageKey, this.keys[i]!, this.rvs[i], this.jsons[i]!)
        : new KeptChange(type, this.storageKey, this.keys[i]!, this.rvs[i], this.jsons[i]!, old));
    }
    return out;
  }
  clear(): void {
    const size = Math.min(this.capacity, 1024);
    this.types = new Uint8Array(size);
    this.keys = new Array<string | undefined>(size).fill(undefined);
    this.rvs = new Array<number>(size).fill(0);
    this.jsons = new Array<string | undefined>(size).fill(undefined);
    this.olds = new Array<string | undefined>(size).fill(undefined);
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}

/** A write the log has not made durable yet; `stored` undefined: a deletion. */
interface Staged {
  readonly stored?: Stored;
}

/** A staged change waiting for the log, with its writer's `durable()` promise. */
interface Pending {
  readonly table: Table;
  readonly change: Change;
  readonly staged: Staged;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * A key's committed version. The key order holds the same slots as the map, so an update
 * (a new version of a key) leaves the order valid, and a list walks the order without a map
 * lookup per key (100k lookups cost a list of 100k objects more than the rest of its scan).
 */
interface Slot {
  readonly key: string;
  stored: Stored;
  /** Deleted: skipped by a scan of an order taken before. */
  gone?: boolean;
}

const byKey = (a: Slot, b: Slot) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

class Table {
  /** Committed (durable) objects by key: what reads see (see key-index.ts for why not a Map). */
  readonly items = new KeyIndex<Slot>();
  /** The newest staged write per key (writers build on it). */
  readonly staged = new Map<string, Staged>();
  /** The slots in key order as of the last scan (a scan walking it skips the slots gone since). */
  private order: Slot[] = [];
  /** Slots created since, in no order. */
  private added: Slot[] = [];
  /** Slots of `order` deleted since. */
  private removed = 0;
  readonly history: Ring;
  /** Every change with rv > floor is in history; a watch from an older rv gets 410. */
  floor: number;
  constructor(storageKey: string, capacity: number, maxBytes: number, floor: number) {
    this.history = new Ring(storageKey, capacity, maxBytes);
    this.floor = floor;
  }

  /**
   * The slots in key order. Keys created or deleted since the last call are merged in: only
   * they are sorted, not the whole table again (sorting 100k keys of generated names took
   * 100-200 ms, paid by the first list after any create).
   */
  sortedSlots(): Slot[] {
    if (this.added.length === 0 && this.removed === 0) return this.order;
    const add = this.added.filter((slot) => !slot.gone).sort(byKey);
    const old = this.order;
    const out: Slot[] = new Array(this.items.size);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length || j < add.length) {
      if (i < old.length && old[i].gone) {
        i++;
        continue;
      }
      if (j >= add.length || (i < old.length && old[i].key < add[j].key)) out[k++] = old[i++];
      else out[k++] = add[j++];
    }
    out.length = k;
    this.order = out;
    this.added = [];
    this.removed = 0;
    return out;
  }

  /** Sets the committed version of `key` (a new slot for a new key). */
  set(key: string, stored: Stored): void {
    const slot = this.items.get(key);
    if (slot) slot.stored = stored;
    else {
      const created: Slot = { key, stored };
      this.items.add(created);
      this.added.push(created);
    }
  }

  /**
   * {@link set} for a key the caller knows has no committed version (an ADDED change): one
   * probe of the index for the check and the insert. Should the key exist after all, its
   * slot is kept and updated, as `set` does, so the key order never holds a key twice.
   */
  insert(key: string, stored: Stored): void {
    const created: Slot = { key, stored };
    const slot = this.items.add(created);
    if (!slot) this.added.push(created);
    else slot.stored = stored;
  }

  delete(key: string): void {
    const slot = this.items.delete(key);
    if (!slot) return;
    slot.gone = true;
    this.removed++;
  }
}

/** Keys with a prefix end before the first key >= prefix + U+FFFF (keys are names: no U+FFFF in them). */
const PREFIX_END = '\uffff';

/** The first index of `slots` (in key order) with a key after `after`, or at or after `prefix` when that sorts later. */
function firstIndex(slots: readonly Slot[], prefix: string, after: string): number {
  const exclusive = after > prefix;
  const from = exclusive ? after : prefix;
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const k = slots[mid].key;
    if (exclusive ? k <= from : k < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface StoreOptions {
  /** Watch events kept per resource type for resuming watches (default 50000; the ring grows on demand). */
  historySize?: number;
  /** JSON bytes of watch events kept per resource type (default 128 MiB; the newest event is always kept). */
  historyBytes?: number;
  /** Durable log; without it the store is memory-only. */
  wal?: Wal;
  /**
   * Applied to each object recovered from the log before it is served, as upstream decodes
   * what it reads from etcd (the API server passes the built-in types' defaults, so objects
   * written before a default existed read back with it). Mutates `obj`.
   */
  decode?: (storageKey: string, obj: KubeObject) => void;
}

export type ChangeListener = (c: Change) => void;

/** Calls each listener with `c`; a listener's error must not break the write path (listeners report their own). */
function notify(listeners: Set<ChangeListener>, c: Change): void {
  for (const l of listeners) {
    try {
      l(c);
    } catch {
      // (see above)
    }
  }
}

export class Store {
  private readonly tables = new Map<string, Table>();
  private readonly listeners = new Set<ChangeListener>();
  /** Listeners of some storage keys only, by key (see {@link subscribe}). */
  private readonly keyedListeners = new Map<string, Set<ChangeListener>>();
  private readonly historySize: number;
  private readonly historyBytes: number;
  private readonly wal?: Wal;
  /** The last committed resourceVersion. */
  private rv = 0;
  /** The last resourceVersion given out (ahead of `rv` while writes are staged). */
  private issued = 0;
  /** Staged changes in resourceVersion order. */
  private pending: Pending[] = [];
  /** The `durable()` promise of each staged change and of the object it stores. */
  private readonly waits = new WeakMap<Change | Stored, Promise<void>>();
  /**
   * History floor for types with no table yet: nothing happened to them since start-up (or
   * the last compaction), so any resourceVersion from then on is resumable.
   */
  private baseFloor = 0;

  constructor(opts: StoreOptions = {}) {
    this.historySize = opts.historySize ?? 50_000;
    this.historyBytes = opts.historyBytes ?? 128 << 20;
    this.wal = opts.wal;
    if (this.wal) {
      const state = this.wal.open({
        durable: (rv) => this.commitUpTo(rv),
        failed: (err) => this.rollback(err),
        state: () => ({ rv: this.rv, entries: [...this.entries()] }),
      });
      this.rv = this.issued = state.rv;
      for (const [storageKey, objects] of state.objects) {
        const t = this.table(storageKey);
        for (const [key, obj] of objects) {
          opts.decode?.(storageKey, obj);
          t.set(key, { obj, json: flat(JSON.stringify(obj)), rv: Number(obj.metadata.resourceVersion) || 0 });
        }
      }
      for (const t of this.tables.values()) t.floor = this.rv;
      this.baseFloor = this.rv;
    }
  }

  /** The latest committed resourceVersion. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Reserves the next resourceVersion. */
  private nextRv(): number {
    return ++this.issued;
  }

  private table(storageKey: string): Table {
    let t = this.tables.get(storageKey);
    if (!t) this.tables.set(storageKey, (t = new Table(storageKey, this.historySize, this.historyBytes, this.baseFloor)));
    return t;
  }

  /** The committed object (what clients may see). */
  get(storageKey: string, key: string): Stored | undefined {
    return this.tables.get(storageKey)?.items.get(key)?.stored;
  }

  /**
   * The newest version including staged writes: what a write must check against and build on
   * (existence, preconditions, conflicts), or two writes in flight would not see each other.
   */
  latest(storageKey: string, key: string): Stored | undefined {
    const t = this.tables.get(storageKey);
    if (!this.wal) return t?.items.get(key)?.stored; // nothing is ever staged without a log
    const staged = t?.staged.get(key);
    return staged ? staged.stored : t?.items.get(key)?.stored;
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
    const slots = t.sortedSlots();
    for (let i = firstIndex(slots, prefix, after); i < slots.length; i++) {
      const slot = slots[i];
      if (prefix && !slot.key.startsWith(prefix)) return;
      // Deleted while the caller walked the keys (updates show: the slot holds the newest version).
      if (!slot.gone) yield [slot.key, slot.stored];
    }
  }

  /**
   * What {@link scan} yields, passed to `visit` until it returns false: the list path, without
   * a generator step and a pair per object.
   */
  forEach(storageKey: string, prefix: string, after: string, visit: (key: string, s: Stored) => boolean): void {
    const t = this.tables.get(storageKey);
    if (!t) return;
    const slots = t.sortedSlots();
    // The range's end by binary search, so the walk reads no key (each one a cache miss at 100k).
    const end = prefix ? firstIndex(slots, prefix + PREFIX_END, '') : slots.length;
    for (let i = firstIndex(slots, prefix, after); i < end; i++) {
      const slot = slots[i];
      if (!slot.gone && !visit(slot.key, slot.stored)) return;
    }
  }

  /** How many keys start with `prefix` and sort after `after` (remainingItemCount), in O(log n). */
  countAfter(storageKey: string, prefix: string, after: string): number {
    const t = this.tables.get(storageKey);
    if (!t) return 0;
    const slots = t.sortedSlots();
    const start = firstIndex(slots, prefix, after);
    const end = prefix ? firstIndex(slots, prefix + PREFIX_END, '') : slots.length;
    return Math.max(0, end - start);
  }

  /**
   * Writes `obj` (sets metadata.resourceVersion) on top of the latest version. Returns the
   * change; `durable(change)` resolves once it is committed. `latest`: what the caller's
   * `latest(storageKey, key)` just returned (null for nothing), with no await since, so the
   * store need not look the key up again.
   */
  put(storageKey: string, key: string, obj: KubeObject, latest?: Stored | null): Change {
    const t = this.table(storageKey);
    const prev = latest === undefined ? this.latest(storageKey, key) : (latest ?? undefined);
    const rv = this.nextRv();
    obj.metadata.resourceVersion = String(rv);
    const json = flat(JSON.stringify(obj));
    const stored = { obj, json, rv };
    return this.stage(t, { type: prev ? 'MODIFIED' : 'ADDED', storageKey, key, rv, object: obj, json, old: prev?.obj, oldJson: prev?.json }, stored);
  }

  /** Removes an object; the DELETED event carries `final` with a new resourceVersion. */
  remove(storageKey: string, key: string, final: KubeObject): Change | undefined {
    const prev = this.latest(storageKey, key);
    if (!prev) return undefined;
    const rv = this.nextRv();
    final.metadata.resourceVersion = String(rv);
    return this.stage(this.table(storageKey), { type: 'DELETED', storageKey, key, rv, object: final, json: flat(JSON.stringify(final)), old: prev.obj, oldJson: prev.json }, undefined);
  }

  /** Commits at once without a log; else stages the change and hands it to the log. */
  private stage(t: Table, c: Change, stored: Stored | undefined): Change {
    if (!this.wal) {
      this.apply(t, c, stored);
      return c;
    }
    return this.stageInLog(this.wal, t, c, stored);
  }

  /**
   * {@link stage} with a log. A method of its own: its promise executor's closure would make
   * V8 allocate a context on every `stage`, also for the memory store that never gets here.
   */
  private stageInLog(wal: Wal, t: Table, c: Change, stored: Stored | undefined): Change {
    const staged: Staged = { stored };
    t.staged.set(c.key, staged);
    let settle!: Pick<Pending, 'resolve' | 'reject'>;
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    done.catch(() => undefined); // a writer that never asks must not make the rejection unhandled
    this.waits.set(c, done);
    if (stored) this.waits.set(stored, done);
    this.pending.push({ table: t, change: c, staged, ...settle });
    wal.append(c);
    return c;
  }

  /** Makes `c` visible: the committed table, the watch history and the listeners. */
  private apply(t: Table, c: Change, stored: Stored | undefined): void {
    // ADDED: the write found no version of the key (committed or staged), and changes are
    // applied in resourceVersion order, so the key has no committed version now either.
    if (!stored) t.delete(c.key);
    else if (c.type === 'ADDED') t.insert(c.key, stored);
    else t.set(c.key, stored);
    this.rv = c.rv;
    const evicted = t.history.push(c);
    if (evicted !== undefined) t.floor = evicted;
    notify(this.listeners, c);
    const keyed = this.keyedListeners.get(c.storageKey);
    if (keyed) notify(keyed, c);
  }

  /** The log made every change up to `rv` durable: commit them in order. */
  private commitUpTo(rv: number): void {
    let i = 0;
    // Listeners may stage more changes meanwhile; those are newer than `rv` and stay pending.
    for (; i < this.pending.length && this.pending[i].change.rv <= rv; i++) {
      const p = this.pending[i];
      if (p.table.staged.get(p.change.key) === p.staged) p.table.staged.delete(p.change.key);
      this.apply(p.table, p.change, p.staged.stored);
      p.resolve();
    }
    this.pending.splice(0, i);
  }

  /** The log dropped every change not yet durable: forget them, and fail their writers. */
  private rollback(err: Error): void {
    const dropped = this.pending;
    this.pending = [];
    for (const t of this.tables.values()) t.staged.clear();
    // Never visible nor acknowledged, and cut from the log: their resourceVersions are free again.
    this.issued = this.rv;
    for (const p of dropped) p.reject(err);
  }

  /**
   * Resolves when `c` (a change, or a version from `latest`) and everything before it is
   * committed and durable; rejects if it was rolled back.
   */
  durable(c: Change | Stored): Promise<void> {
    return this.waits.get(c) ?? Promise.resolve();
  }

  /**
   * {@link durable} for callers on the hot path: undefined without a log (every change is
   * committed when it is made), so they need not wait a promise turn for nothing.
   */
  notYetDurable(c: Change | Stored): Promise<void> | undefined {
    return this.wal ? this.waits.get(c) : undefined;
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

  /**
   * Calls `fn` synchronously after every committed change, or with `storageKeys` only after
   * changes of those types (a change of any other type costs such a listener nothing: a write
   * calls only the listeners that care about its type). Listeners of every type are called
   * first, then those of the change's type, each in subscription order. Returns an
   * unsubscribe function.
   */
  subscribe(fn: ChangeListener, storageKeys?: readonly string[]): () => void {
    if (!storageKeys) {
      this.listeners.add(fn);
      return () => this.listeners.delete(fn);
    }
    // (a listener given the same function twice, as with `listeners`, is called once)
    const sets = storageKeys.map((k) => {
      let set = this.keyedListeners.get(k);
      if (!set) this.keyedListeners.set(k, (set = new Set()));
      set.add(fn);
      return set;
    });
    return () => {
      for (const set of sets) set.delete(fn);
    };
  }

  /** All objects (for snapshots), each type's in the order they were created (but for deletions: see KeyIndex.values). */
  *entries(): Generator<[string, string, Stored]> {
    for (const [sk, t] of this.tables) for (const slot of t.items.values()) yield [sk, slot.key, slot.stored];
  }

  async close(): Promise<void> {
    await this.wal?.close();
  }
}
