/**
 * Deep copies of objects as informers cache them: what a reconciler gets to mutate.
 *
 * Cached objects are JSON data (decoded watch events), which a plain recursive copy handles
 * in a fraction of `structuredClone`'s time and memory: strings are immutable, so they are
 * shared instead of copied byte by byte, and no serialization buffer is built. Anything that
 * is not JSON data (class instances, Dates, Maps, typed arrays, functions, symbols, sparse
 * arrays, cycles or very deep nesting, which a `transform` could put in a cache) makes the
 * whole value go through `structuredClone` instead, with its results and errors.
 * Like `structuredClone`, the copy has only plain objects and arrays, and own enumerable
 * string keys. Unlike it, a sub-object referenced twice is copied twice, and an array's
 * non-index properties are left out (neither occurs in decoded JSON).
 */

/** Nesting deeper than this takes the `structuredClone` path (and a cycle ends up there). */
const MAX_DEPTH = 100;

class NotJsonData extends Error {}
const notJson = new NotJsonData();

/** A deep copy of `value`; see the module comment. */
export function deepCopy<T>(value: T): T {
  try {
    return copy(value, 0) as T;
  } catch (e) {
    if (e !== notJson) throw e;
    return structuredClone(value);
  }
}

function copy(v: unknown, depth: number): unknown {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'function' || typeof v === 'symbol') throw notJson;
    return v;
  }
  if (depth > MAX_DEPTH) throw notJson;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) throw notJson;
    const n = v.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      if (!(i in v)) throw notJson; // a hole
      out[i] = copy(v[i], depth + 1);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw notJson;
  const out: Record<string, unknown> = {};
  // for-in, not Object.keys: no array of keys per object (own keys, in Object.keys' order)
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const c = copy((v as Record<string, unknown>)[k], depth + 1);
    if (k === '__proto__') Object.defineProperty(out, k, { value: c, writable: true, enumerable: true, configurable: true });
    else out[k] = c;
  }
  return out;
}
