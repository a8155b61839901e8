// The store's key order (what lists, pages and remainingItemCount walk) against a plain model:
// creates, updates, deletes and re-creates in random order between scans, with and without a
// namespace prefix and a continue key; and a scan that is being walked while keys change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.js';
import { Store } from './store.js';

const SK = '/configmaps';

/** A small deterministic PRNG (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const obj = (key: string, v: number): KubeObject => {
  const [namespace, name] = key.split('/');
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data: { v: String(v) } } as KubeObject;
};

describe('store key order', () => {
  it('scans, forEach and countAfter match a sorted model through random creates, updates and deletes', () => {
    const rnd = random(21);
    const store = new Store();
    const model = new Map<string, number>();
    const keys = Array.from({ length: 300 }, (_, i) => `ns-${i % 4}/cm-${Math.floor(rnd() * 1e6).toString(36)}-${i}`);
    for (let step = 0; step < 3000; step++) {
      const key = keys[Math.floor(rnd() * keys.length)];
      const r = rnd();
      if (r < 0.55) {
        store.put(SK, key, obj(key, step));
        model.set(key, step);
      } else if (r < 0.75) {
        if (model.has(key)) {
          store.remove(SK, key, obj(key, step));
          model.delete(key);
        }
      } else {
        // A read: a whole scan, a namespace, or a page after a key.
        const prefix = rnd() < 0.5 ? '' : `ns-${Math.floor(rnd() * 4)}/`;
        const after = rnd() < 0.5 ? '' : keys[Math.floor(rnd() * keys.length)];
        const want = [...model.keys()].filter((k) => k.startsWith(prefix) && (after <= prefix || k > after)).sort();
        const got = [...store.scan(SK, prefix, after)];
        assert.deepEqual(got.map(([k]) => k), want, `step ${step}`);
        assert.deepEqual(got.map(([, s]) => (s.obj.data as Record<string, string>).v), want.map((k) => String(model.get(k))));
        const limited: string[] = [];
        store.forEach(SK, prefix, after, (k) => limited.push(k) < 7);
        assert.deepEqual(limited, want.slice(0, 7));
        assert.equal(store.countAfter(SK, prefix, after), want.length);
      }
    }
  });

  it('a scan being walked skips keys deleted meanwhile, shows the newest version of updated ones, and not keys created after it began', () => {
    const store = new Store();
    for (const k of ['a/1', 'a/2', 'a/3', 'a/4']) store.put(SK, k, obj(k, 0));
    const it = store.scan(SK, 'a/');
    assert.equal(it.next().value![0], 'a/1');
    store.remove(SK, 'a/2', obj('a/2', 1));
    store.put(SK, 'a/3', obj('a/3', 7));
    store.put(SK, 'a/35', obj('a/35', 0));
    const rest = [...it];
    assert.deepEqual(rest.map(([k, s]) => `${k}=${(s.obj.data as Record<string, string>).v}`), ['a/3=7', 'a/4=0']);
    assert.deepEqual([...store.scan(SK, 'a/')].map(([k]) => k), ['a/1', 'a/3', 'a/35', 'a/4']);
  });

  it('a create told the key is new when it is not (a caller breaking put\'s contract) still leaves the key once, with its newest version', () => {
    const store = new Store();
    store.put(SK, 'a/1', obj('a/1', 0));
    store.put(SK, 'a/2', obj('a/2', 0));
    assert.equal([...store.scan(SK)].length, 2); // a/1, a/2 now in the key order
    store.put(SK, 'a/3', obj('a/3', 0)); // a/3 only among the keys added since
    store.put(SK, 'a/1', obj('a/1', 1), null);
    store.put(SK, 'a/3', obj('a/3', 1), null);
    assert.deepEqual([...store.scan(SK)].map(([k, s]) => `${k}=${(s.obj.data as Record<string, string>).v}`), ['a/1=1', 'a/2=0', 'a/3=1']);
    assert.equal(store.count(SK), 3);
    assert.equal(store.countAfter(SK, '', ''), 3);
  });
});

describe('store watch history', () => {
  it('replays each change with its object, its text and the version before it (as committed)', () => {
    const store = new Store();
    const seen: { type: string; key: string; object: unknown; json: string; old: unknown }[] = [];
    store.subscribe((c) => seen.push({ type: c.type, key: c.key, object: structuredClone(c.object), json: c.json, old: c.old && structuredClone(c.old) }));
    const from = store.resourceVersion;
    store.put(SK, 'a/x', obj('a/x', 1));
    store.put(SK, 'a/y', { ...obj('a/y', 2), metadata: { namespace: 'a', name: 'y', labels: { k: 'v' } } } as KubeObject);
    store.put(SK, 'a/x', obj('a/x', 3));
    store.remove(SK, 'a/y', { ...obj('a/y', 2), metadata: { namespace: 'a', name: 'y' } } as KubeObject);
    const replay = store.since(SK, from)!;
    assert.deepEqual(
      replay.map((c) => ({ type: c.type, key: c.key, object: c.object, json: c.json, old: c.old })),
      seen,
    );
    assert.equal(replay[0].old, undefined, 'an ADDED change has no previous version');
    assert.deepEqual(replay[2].old, seen[0].object, 'the previous version of a MODIFIED change');
    assert.deepEqual(store.since(SK, replay[1].rv)!.map((c) => c.rv), [replay[2].rv, replay[3].rv]);
  });

  it('keeps the newest changes within its count and bytes, through growth and wrap-around (against a list)', () => {
    for (const [size, bytes] of [[5, 1 << 20], [1500, 1 << 20], [3000, 40_000]] as const) {
      const rnd = random(size);
      const store = new Store({ historySize: size, historyBytes: bytes });
      const model: { type: string; key: string; rv: number; json: string; oldJson?: string }[] = [];
      let floor = store.resourceVersion;
      store.subscribe((c) => {
        model.push({ type: c.type, key: c.key, rv: c.rv, json: c.json, oldJson: c.oldJson });
        // what the history must keep: at most `size` changes and `bytes` of text, the newest always
        let total = model.reduce((n, m) => n + m.json.length, 0);
        while (model.length > size || (total > bytes && model.length > 1)) {
          const dropped = model.shift()!;
          total -= dropped.json.length;
          floor = dropped.rv;
        }
      });
      for (let i = 0; i < 4000; i++) {
        const key = `a/${Math.floor(rnd() * 50)}`;
        if (rnd() < 0.2 && store.latest(SK, key)) store.remove(SK, key, obj(key, i));
        else store.put(SK, key, { ...obj(key, i), data: { v: 'x'.repeat(Math.floor(rnd() * 30)) } } as KubeObject);
        if (i % 173 === 0 || i === 3999) {
          const from = model[0].rv - 1;
          if (from >= floor) {
            const got = store.since(SK, from)!;
            assert.deepEqual(got.map((c) => ({ type: c.type, key: c.key, rv: c.rv, json: c.json, oldJson: c.oldJson })), model, `history after ${i} writes (size ${size})`);
          }
          assert.equal(store.since(SK, floor - 1), undefined, 'older than what is kept: expired');
          const mid = model[Math.floor(model.length / 2)].rv;
          assert.deepEqual(store.since(SK, mid)!.map((c) => c.rv), model.filter((m) => m.rv > mid).map((m) => m.rv));
        }
      }
    }
  });
});

describe('store listeners', () => {
  it('calls a listener of some types only for changes of those types, after the listeners of every type', () => {
    const store = new Store();
    const seen: string[] = [];
    const stopKeyed = store.subscribe((c) => seen.push(`keyed ${c.storageKey} ${c.key}`), ['/secrets', SK]);
    const stopAll = store.subscribe((c) => seen.push(`all ${c.storageKey} ${c.key}`));
    store.put(SK, 'a/x', obj('a/x', 1));
    store.put('/pods', 'a/p', obj('a/p', 1));
    store.put('/secrets', 'a/s', obj('a/s', 1));
    store.remove(SK, 'a/x', obj('a/x', 1));
    assert.deepEqual(seen, [
      'all /configmaps a/x', 'keyed /configmaps a/x',
      'all /pods a/p',
      'all /secrets a/s', 'keyed /secrets a/s',
      'all /configmaps a/x', 'keyed /configmaps a/x',
    ]);
    stopKeyed();
    stopAll();
    seen.length = 0;
    store.put(SK, 'a/y', obj('a/y', 1));
    store.put('/secrets', 'a/t', obj('a/t', 1));
    assert.deepEqual(seen, [], 'unsubscribed from every type');
  });
});
