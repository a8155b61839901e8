import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepCopy } from './copy.js';

test('deepCopy: JSON data comes out equal to structuredClone and shares nothing mutable', () => {
  const obj = JSON.parse(
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns","labels":{"x":"1"},"ownerReferences":[{"kind":"D","name":"d","controller":true}],"generation":2},' +
      '"data":{"k":"vé","empty":""},"list":[1,2.5,null,true,[],{},["n",{"deep":[{"v":-0}]}]]}',
  );
  const c = deepCopy(obj);
  assert.deepStrictEqual(c, structuredClone(obj));
  assert.deepStrictEqual(c, obj);
  c.metadata.labels.x = '2';
  c.list[6][1].deep[0].v = 1;
  c.list.push('more');
  assert.equal(obj.metadata.labels.x, '1');
  assert.equal(obj.list[6][1].deep[0].v, -0);
  assert.equal(obj.list.length, 7);
  assert.ok(Object.is(deepCopy({ z: -0 }).z, -0));
});

test('deepCopy: undefined values, an own __proto__ key and null-prototype objects', () => {
  const parsed = JSON.parse('{"__proto__":{"polluted":true},"a":1}');
  const c = deepCopy(parsed);
  assert.ok(Object.hasOwn(c, '__proto__'));
  assert.equal(Object.getPrototypeOf(c), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepStrictEqual(c, structuredClone(parsed));
  assert.deepStrictEqual(deepCopy({ a: undefined, b: [undefined] }), { a: undefined, b: [undefined] });
  Object.defineProperty(Object.prototype, 'inheritedKey', { value: 1, enumerable: true, configurable: true });
  try {
    assert.deepStrictEqual(Object.keys(deepCopy({ a: { b: 1 } }).a), ['b'], 'only own keys are copied');
  } finally {
    delete (Object.prototype as Record<string, unknown>).inheritedKey;
  }
  const bare = Object.assign(Object.create(null), { a: { b: 1 } });
  const cb = deepCopy(bare);
  assert.equal(Object.getPrototypeOf(cb), Object.prototype, 'as structuredClone: a plain object');
  assert.deepStrictEqual(cb, structuredClone(bare));
});

test('deepCopy: what is not JSON data goes through structuredClone, results and errors alike', () => {
  const when = new Date(0);
  const withDate = { metadata: { name: 'a' }, at: when, m: new Map([['k', 1]]) };
  const c = deepCopy(withDate);
  assert.ok(c.at instanceof Date && c.at !== when && c.at.getTime() === 0);
  assert.ok(c.m instanceof Map && c.m.get('k') === 1);
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const cc = deepCopy(cyclic);
  assert.equal(cc.self, cc, 'the cycle is kept, as structuredClone keeps it');
  const holes = [1, , 3]; // eslint-disable-line no-sparse-arrays
  assert.ok(!(1 in deepCopy(holes)));
  class Thing {
    x = 1;
  }
  assert.deepStrictEqual(deepCopy({ t: new Thing() }), structuredClone({ t: new Thing() }));
  assert.throws(() => deepCopy({ f: () => 1 }), (e: Error) => e.name === 'DataCloneError');
  assert.throws(() => deepCopy({ s: Symbol('s') }), (e: Error) => e.name === 'DataCloneError');
});
