/**
 * Target-independent value generators and JSON mutations: random values of every JSON type
 * (with the edge cases decoders trip on: huge and fractional numbers, non-Latin-1 and control
 * characters, empty and long strings, deep nesting) and mutations of a valid document (a
 * field replaced by a value of another type, removed, duplicated, or an unknown field added).
 */
import type { Rng } from './rng.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const NUMBERS = [0, -0, 1, -1, 0.5, 1e-7, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 2 ** 63, -(2 ** 63), 1e308, -1e308, 65536, 3.0000000001];
const STRINGS = [
  '', ' ', 'a', 'x'.repeat(64), 'x'.repeat(254), '-', '.', '..', '/', '%', '%2F', '\u0000', '\n', '\r\n', 'ключ', '日本語', '😀', '\ud800', '\u202e',
  'null', 'true', '1', '1.5', '0x10', '1e3', '-1', '2024-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '10000-01-01T00:00:00Z', '100Mi', '1.5Gi', 'NaN', 'Infinity',
  'a=b', 'a in (b)', '!a', 'metadata.name=x', '$(x)', '${x}', '{{x}}', '<script>', "'; DROP", '\\', '"', 'a'.repeat(63) + '.' + 'b'.repeat(63),
  'kube-system', 'default', 'system:masters', 'example.com/finalizer', 'Foreground', 'Background', 'Orphan', 'All', 'Strict', 'Warn', 'Ignore',
];

export function randomString(rng: Rng): string {
  return rng.weighted<() => string>([
    [6, () => rng.pick(STRINGS)],
    [3, () => rng.string(1 + rng.int(20))],
    [1, () => rng.string(1 + rng.int(40), 'aé日😀\u0000\t "\\/.%-_:=,!()[]{}<>')],
    [0.2, () => 'x'.repeat(rng.pick([1000, 70_000]))],
  ])();
}

function randomNumber(rng: Rng): number {
  return rng.chance(0.6) ? rng.pick(NUMBERS) : rng.chance(0.5) ? rng.int(100) : (rng.float() - 0.5) * 10 ** rng.int(20);
}

/** A random JSON value, at most `depth` levels deep. */
export function randomValue(rng: Rng, depth = 3): Json {
  const kinds: [number, () => Json][] = [
    [2, () => null],
    [2, () => rng.chance(0.5)],
    [3, () => randomNumber(rng)],
    [4, () => randomString(rng)],
  ];
  if (depth > 0) {
    kinds.push([2, () => Array.from({ length: rng.int(4) }, () => randomValue(rng, depth - 1))]);
    kinds.push([2, () => Object.fromEntries(Array.from({ length: rng.int(4) }, () => [randomKey(rng), randomValue(rng, depth - 1)]))]);
  }
  return rng.weighted(kinds)();
}

export function randomKey(rng: Rng): string {
  return rng.weighted<() => string>([
    [4, () => rng.pick(['spec', 'status', 'metadata', 'kind', 'apiVersion', 'data', 'items', 'name', 'namespace', 'labels', 'annotations', 'finalizers', 'replicas', 'selector', 'template', 'containers', 'ports', 'type', '$patch', '$retainKeys', '$deleteFromPrimitiveList/finalizers', '$setElementOrder/containers', '__proto__', 'constructor', 'toString'])],
    [3, () => rng.string(1 + rng.int(12))],
    [1, () => randomString(rng)],
  ])();
}

/**
 * Nested arrays or objects `levels` deep (the decoders' depth limits). Values are kept under
 * ~2000 levels because JSON.stringify itself overflows V8's stack at about 4000; deeper
 * documents are written as text ({@link deepJsonText}).
 */
function deepValue(rng: Rng, levels: number): Json {
  let v: Json = rng.chance(0.5) ? 1 : 'x';
  for (let i = 0; i < levels; i++) v = rng.chance(0.5) ? [v] : { a: v };
  return v;
}

function isRecord(v: Json): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every container (object or array) in `v` with its path, for picking a mutation site. */
function containers(v: Json, out: Json[] = [], depth = 0): Json[] {
  if (depth > 40 || typeof v !== 'object' || v === null) return out;
  out.push(v);
  for (const c of Array.isArray(v) ? v : Object.values(v)) containers(c, out, depth + 1);
  return out;
}

/** Applies 1-3 random mutations to a deep copy of `doc`. */
export function mutate(rng: Rng, doc: Json): Json {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const sites = containers(copy);
    if (sites.length === 0) return randomValue(rng);
    const site = rng.pick(sites);
    const keys: (string | number)[] = Array.isArray(site) ? site.map((_, j) => j) : Object.keys(site as object);
    const op = rng.weighted<string>([[5, 'retype'], [2, 'remove'], [3, 'add'], [1, 'deep'], [1, 'duplicate'], [1, 'null']]);
    const key = keys.length ? rng.pick(keys) : undefined;
    const set = (k: string | number, v: Json) => {
      if (Array.isArray(site)) site[Number(k)] = v;
      else (site as Record<string, Json>)[k] = v;
    };
    switch (op) {
      case 'retype':
        if (key !== undefined) set(key, randomValue(rng, 2));
        break;
      case 'remove':
        if (key !== undefined) {
          if (Array.isArray(site)) site.splice(Number(key), 1);
          else delete (site as Record<string, Json>)[key];
        }
        break;
      case 'add':
        if (Array.isArray(site)) site.push(randomValue(rng, 2));
        else if (isRecord(site)) site[randomKey(rng)] = randomValue(rng, 2);
        break;
      case 'deep':
        if (key !== undefined) set(key, deepValue(rng, rng.pick([50, 500, 999, 1001, 2000])));
        break;
      case 'duplicate':
        if (Array.isArray(site) && site.length) site.push(JSON.parse(JSON.stringify(site[0])) as Json);
        break;
      case 'null':
        if (key !== undefined) set(key, null);
        break;
    }
  }
  return copy;
}

/** JSON text nested `levels` deep, without building the value. */
export function deepJsonText(rng: Rng, levels: number): string {
  return rng.chance(0.5) ? `${'['.repeat(levels)}1${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}
