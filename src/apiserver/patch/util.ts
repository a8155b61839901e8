/** Small JSON helpers shared by the patch algorithms. */

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A deep copy of a JSON value (objects from JSON.parse only: no Dates, Maps, cycles). Keys are
 * walked with for-in (own keys only) rather than Object.keys: no array of keys per object on
 * every write's path.
 */
export function clone<T>(v: T): T {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) out.push(clone(v[i]));
    return out as T;
  }
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const k in v) if (Object.hasOwn(v, k)) out[k] = clone(v[k]);
    return out as T;
  }
  return v;
}

/** Structural equality of JSON values (key order does not matter). Allocates nothing. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    // every own key of a is in b with an equal value, and b has as many own keys
    let left = 0;
    for (const k in a) {
      if (!Object.hasOwn(a, k)) continue;
      if (!Object.hasOwn(b, k) || !deepEqual(a[k], b[k])) return false;
      left++;
    }
    for (const k in b) if (Object.hasOwn(b, k)) left--;
    return left === 0;
  }
  return false;
}

/** Parses a request body given as string/Buffer/already-parsed value; undefined when it is not JSON. */
export function parseBody(body: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : (Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)).toString('utf8');
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }
  return { ok: true, value: body };
}
