/**
 * A table's objects by key: what a `Map<string, V>` keyed by `value.key` does for the store,
 * laid out so that asking for a key that is not there costs one memory access.
 *
 * Every create asks for a key that is not there (the existence check), in a map as big as the
 * type's objects. A JS Map answers by hashing the key, reading its bucket, then each entry of
 * the bucket's chain and each candidate key's string to compare it: four or five reads
 * scattered over a heap of 100k objects, each missing the cache (and the TLB). Measured in a
 * process whose caches other work keeps cold, as a server's are between requests: ~1.7 us per
 * absent key at 100k keys. Here the keys' 32-bit hashes lie in one typed array, probed
 * linearly from the hash's slot (open addressing, at most half full): an absent key reads one
 * or two neighbouring words of it and no string (~0.5 us in the same set-up); a present key
 * reads its value and compares one key string, as the Map does. Each slot of the table is two
 * words, the hash and the value's place in a dense array of the values, so the probe and what
 * an insert writes share a cache line, and the values are appended at the array's end (a
 * deletion moves the last one into the hole): growing the table re-reads no key.
 *
 * The hash is FNV-1a with a per-index random basis, finished with murmur3's avalanche, so
 * names chosen to collide for one process do not collide in another; should a probe run ever
 * grow long all the same, the index draws a new basis and rehashes. Deletion shifts the run
 * back (no tombstones), so lookups never slow down with churn.
 */
import { randomFillSync } from 'node:crypto';

/** What the index holds: values that know their key (the store's slots). */
export interface Keyed {
  readonly key: string;
}

/** A probe run this long on insert means colliding keys: rehash with a new basis. */
const LONG_RUN = 64;
/** Slots of an empty index (a power of two). */
const MIN_CAPACITY = 16;

const SEED = new Uint32Array(1);
function randomBasis(): number {
  randomFillSync(SEED);
  return SEED[0] | 0;
}

export class KeyIndex<V extends Keyed> {
  /**
   * The hash table: slot `i` is `table[2i]`, the key's hash (0: empty), and `table[2i + 1]`,
   * the value's place in {@link values} plus one.
   */
  private table = new Int32Array(2 * MIN_CAPACITY);
  /** Slots - 1 (the table's capacity is a power of two). */
  private mask = MIN_CAPACITY - 1;
  /** The values, dense, and each one's hash. */
  private readonly dense: V[] = [];
  private denseHash: number[] = [];
  protected basis = randomBasis();
  /** The number of keys at the last rehash for a long run: the next waits until it doubled (never a rehash per insert). */
  private rehashedAt = 0;

  /** Number of keys. */
  get size(): number {
    return this.dense.length;
  }

  /** The value under `key`, or undefined. */
  get(key: string): V | undefined {
    const i = this.find(key, this.hash(key));
    return i < 0 ? undefined : this.dense[this.table[2 * i + 1] - 1];
  }

  /** Puts `value` under its key, replacing the value there; returns the one replaced. */
  set(value: V): V | undefined {
    return this.put(value, true);
  }

  /**
   * Puts `value` under its key when the key is absent and returns undefined; when present,
   * changes nothing and returns the value there (an insert-if-absent: one probe for both).
   */
  add(value: V): V | undefined {
    return this.put(value, false);
  }

  /** Removes `key`; returns its value, if it had one. */
  delete(key: string): V | undefined {
    let i = this.find(key, this.hash(key));
    if (i < 0) return undefined;
    const table = this.table;
    const mask = this.mask;
    const at = table[2 * i + 1] - 1;
    const removed = this.dense[at];
    // Backward shift: entries of the run after `i` that may live at `i` move up, so every
    // entry stays reachable from its home slot without tombstones.
    for (let j = (i + 1) & mask; table[2 * j] !== 0; j = (j + 1) & mask) {
      const home = table[2 * j] & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        table[2 * i] = table[2 * j];
        table[2 * i + 1] = table[2 * j + 1];
        i = j;
      }
    }
    table[2 * i] = 0;
    table[2 * i + 1] = 0;
    // The last value moves into the hole (its slot is told its new place).
    const last = this.dense.length - 1;
    if (at !== last) {
      const moved = this.dense[last];
      const h = this.denseHash[last];
      let k = h & mask;
      while (table[2 * k + 1] !== last + 1) k = (k + 1) & mask;
      table[2 * k + 1] = at + 1;
      this.dense[at] = moved;
      this.denseHash[at] = h;
    }
    this.dense.pop();
    this.denseHash.pop();
    if (this.dense.length * 8 < this.mask + 1 && this.mask + 1 > MIN_CAPACITY) this.resize((this.mask + 1) >> 1);
    return removed;
  }

  /** The values, in insertion order but for deletions (the last value takes a deleted one's place). */
  values(): IterableIterator<V> {
    return this.dense.values();
  }

  /** The slot holding `key` (whose hash is `h`), or -1. */
  private find(key: string, h: number): number {
    const table = this.table;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = table[2 * i];
      if (x === 0) return -1;
      if (x === h && this.dense[table[2 * i + 1] - 1].key === key) return i;
    }
  }

  private put(value: V, replace: boolean): V | undefined {
    if ((this.dense.length + 1) * 2 > this.mask + 1) this.resize((this.mask + 1) * 2);
    const key = value.key;
    const h = this.hash(key);
    const table = this.table;
    const mask = this.mask;
    let run = 0;
    for (let i = h & mask; ; i = (i + 1) & mask, run++) {
      const x = table[2 * i];
      if (x === 0) {
        table[2 * i] = h;
        table[2 * i + 1] = this.dense.push(value);
        this.denseHash.push(h);
        if (run > LONG_RUN && this.dense.length >= 2 * this.rehashedAt) this.rehash();
        return undefined;
      }
      if (x === h) {
        const at = table[2 * i + 1] - 1;
        const v = this.dense[at];
        if (v.key === key) {
          if (replace) this.dense[at] = value;
          return v;
        }
      }
    }
  }

  /** Rebuilds the table with `capacity` slots (a power of two, more than twice the keys) from the hashes kept. */
  private resize(capacity: number): void {
    const table = new Int32Array(2 * capacity);
    const mask = capacity - 1;
    const hashes = this.denseHash;
    for (let at = 0; at < hashes.length; at++) {
      const h = hashes[at];
      let i = h & mask;
      while (table[2 * i] !== 0) i = (i + 1) & mask;
      table[2 * i] = h;
      table[2 * i + 1] = at + 1;
    }
    this.table = table;
    this.mask = mask;
  }

  /** A long probe run: every key hashed again with a new basis. */
  private rehash(): void {
    this.rehashedAt = this.dense.length;
    this.basis = randomBasis();
    this.denseHash = this.dense.map((v) => this.hash(v.key));
    this.resize(this.mask + 1);
  }

  /** The key's hash: never 0 (an empty slot). Protected for tests that make keys collide. */
  protected hash(key: string): number {
    let h = this.basis;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    // murmur3's fmix32: every bit of the state reaches the low bits the slot index uses
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h === 0 ? 1 : h;
  }
}
