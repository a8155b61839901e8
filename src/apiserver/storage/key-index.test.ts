// The store's key index against a Map keyed by the same keys (what it replaced): random
// sets, inserts-if-absent, deletes and lookups, with the real hash and with hashes made to
// collide (one run for every key, and a few homes whose runs wrap around the table's end), so
// the backward shift of a deletion and the rehash of a long run are exercised too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../testing/index.js';
import { KeyIndex } from './key-index.js';

interface Entry {
  readonly key: string;
  n: number;
}

/** Every key hashes alike: one probe run holds them all. */
class AllCollide extends KeyIndex<Entry> {
  protected override hash(): number {
    return 7;
  }
}

/** A few hashes, mostly near the table's end, so runs wrap around to its start. */
class FewHomes extends KeyIndex<Entry> {
  protected override hash(key: string): number {
    let s = 0;
    for (let i = 0; i < key.length; i++) s += key.charCodeAt(i);
    return -1 - (s % 5); // ...11111, ...11110, ...: the last slots of any capacity
  }
}

function check(index: KeyIndex<Entry>, seed: number, ops: number, keys: number): void {
  const rnd = seededRandom(seed);
  const model = new Map<string, Entry>();
  const key = () => `ns-${Math.floor(rnd() * 3)}/cm-${Math.floor(rnd() * keys)}`;
  for (let op = 0; op < ops; op++) {
    const r = rnd();
    const k = key();
    if (r < 0.3) {
      const e = { key: k, n: op };
      assert.equal(index.set(e), model.get(k), `set ${k} at ${op}`);
      model.set(k, e);
    } else if (r < 0.55) {
      const e = { key: k, n: op };
      const had = model.get(k);
      assert.equal(index.add(e), had, `add ${k} at ${op}`);
      if (!had) model.set(k, e);
    } else if (r < 0.8) {
      assert.equal(index.delete(k), model.get(k), `delete ${k} at ${op}`);
      model.delete(k);
    } else {
      assert.equal(index.get(k), model.get(k), `get ${k} at ${op}`);
    }
    assert.equal(index.size, model.size);
    if (op % 97 === 0) {
      for (const [mk, e] of model) assert.equal(index.get(mk), e, `every key found at ${op}`);
      const values = [...index.values()];
      assert.equal(values.length, model.size);
      assert.deepEqual(new Set(values), new Set(model.values()));
    }
  }
  // grows and shrinks back: delete everything
  for (const k of [...model.keys()]) assert.equal(index.delete(k), model.get(k));
  assert.equal(index.size, 0);
  assert.deepEqual([...index.values()], []);
}

describe('KeyIndex', () => {
  it('answers as a Map does (the real hash)', () => {
    for (const seed of [1, 2, 3]) check(new KeyIndex<Entry>(), seed, 20_000, 2000);
    check(new KeyIndex<Entry>(), 4, 5000, 20); // few keys: small tables, shrinking
  });
  it('answers as a Map does when every key collides', () => {
    check(new AllCollide(), 5, 3000, 150);
  });
  it('answers as a Map does when runs wrap around the table', () => {
    for (const seed of [6, 7]) check(new FewHomes(), seed, 5000, 300);
  });
  it('finds keys that are not flat strings and strings with any code units', () => {
    const index = new KeyIndex<Entry>();
    const a = 'default';
    const keys = [`${a}/${'x'.repeat(3)}`, 'ü/é', '\u{1F600}', '', 'a'.repeat(300)];
    keys.forEach((k, n) => index.set({ key: k, n }));
    keys.forEach((k, n) => assert.equal(index.get(k.split('').join(''))?.n, n));
    assert.equal(index.get('default/xx'), undefined);
  });
});
