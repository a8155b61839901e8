/**
 * CRD `pattern`s with Go's `regexp` semantics (RE2), through re2js, a port of RE2/J.
 *
 * kube-apiserver matches patterns with Go's RE2 engine: linear in the value's length, no
 * lookaround or backreferences, and unanchored (`regexp.MatchString`). JavaScript's engine
 * backtracks: `^(a+)+$` took 22 s on a 33-byte value and stalled the whole server, and its
 * syntax differs (it accepts `(?=a)`, which upstream refuses at CRD creation). Compiled
 * patterns are cached: a CRD's few patterns are matched on every write of its objects.
 */
import { createRequire } from 'node:module';

type Re2js = typeof import('re2js');
let re2js: Re2js['RE2JS'] | undefined;
/**
 * re2js (~260 KB), loaded at the first pattern rather than with the server: most starts
 * (`kubeloop apiserver`, `kubeloop dev` before its CRDs) match none, and a server on its own
 * thread is ready sooner. Its CommonJS build, so that compiling stays synchronous.
 */
const RE2JS = (): Re2js['RE2JS'] => (re2js ??= (createRequire(import.meta.url)('re2js') as Re2js).RE2JS);

/** Loads re2js now, e.g. while a server is idle after its start, before its first CRD arrives. */
export function loadPatternEngine(): void {
  RE2JS();
}

export type CompiledPattern = { ok: true; matches(value: string): boolean } | { ok: false; error: string };

const MAX_CACHED = 1000;
const cache = new Map<string, CompiledPattern>();

/** Compiles `pattern` as Go's `regexp.Compile` would; `error` is Go's wording (`error parsing regexp: ...`). */
export function compilePattern(pattern: string): CompiledPattern {
  let c = cache.get(pattern);
  if (c) return c;
  try {
    const re = RE2JS().compile(pattern);
    c = { ok: true, matches: (value) => re.matcher(value).find() };
  } catch (e) {
    c = { ok: false, error: (e as Error).message };
  }
  // Patterns come from CRDs, not requests, but a bound keeps a CRD-churning client from growing it.
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(pattern, c);
  return c;
}
