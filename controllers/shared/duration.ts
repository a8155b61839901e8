/**
 * Go duration strings (`time.ParseDuration`) as the Alibaba/Kubernetes components take them
 * on their command lines and in ConfigMaps: `5m`, `1h15m30.5s`, `500ms`, `-1.5h`.
 *
 * Grammar (as Go): an optional sign, then one or more `<decimal><unit>` parts with units
 * ns, us (or µs / μs), ms, s, m, h; a bare `0` is the only number allowed without a unit.
 * Unlike Go, surrounding whitespace is ignored (flags and YAML values often carry some).
 */

/** Milliseconds per unit. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000,
};

/** Go's limit: a duration is an int64 of nanoseconds (about 292 years). */
const MAX_MS = 9_223_372_036_854.775807;

/** One `<decimal><unit?>` part; the unit group is optional only so a missing unit gets its own message. */
const PART = /(\d+(?:\.\d*)?|\.\d+)([^\d.]*)/y;

export interface ParseDurationOptions {
  /**
   * Accept a leading `-` (default true, as Go). Settings that cannot be negative pass false,
   * so `-5m` is reported as not a duration rather than as some later range error.
   */
  allowNegative?: boolean;
}

/**
 * Parses a Go duration string to milliseconds (fractions of a millisecond are kept).
 * Throws an Error `"<text>" is not a duration (<reason>; use Go syntax such as 5m, 90s, 1h30m, 500ms)`.
 */
export function parseDuration(text: string, options: ParseDurationOptions = {}): number {
  const { allowNegative = true } = options;
  const raw = String(text);
  const fail = (reason: string): never => {
    throw new Error(`"${raw}" is not a duration (${reason}; use Go syntax such as 5m, 90s, 1h30m, 500ms)`);
  };
  let s = raw.trim();
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') {
      if (!allowNegative) fail('must not be negative');
      sign = -1;
    }
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') fail('empty');
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const at = PART.lastIndex;
    const m = PART.exec(s);
    if (!m) fail(`expected a number at "${s.slice(at)}"`);
    const [, num, unit] = m!;
    if (!unit) fail(`missing unit after ${num} (ns, us, ms, s, m or h)`);
    const perUnit = UNIT_MS[unit];
    if (perUnit === undefined) fail(`unknown unit "${unit}" (ns, us, ms, s, m or h)`);
    total += Number(num) * perUnit;
  }
  if (total > MAX_MS) fail('out of range: at most about 2562047h');
  return sign * total;
}
