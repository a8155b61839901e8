/**
 * The error of github.com/robfig/cron/v3's `ParseStandard` (parser.go), which
 * validateScheduleFormat reports as `spec.schedule: Invalid value: "<s>": <error>`: five
 * whitespace-separated fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or
 * jan-dec, day of week 0-6 or sun-sat), each a comma list of `*`/`?`/`a`/`a-b` with an optional
 * `/step`, or a descriptor (`@hourly`, `@every 1h30m`...), optionally after `TZ=`/`CRON_TZ=`.
 * Undefined when the schedule parses.
 */

interface Bounds { min: number; max: number; names?: Record<string, number> }

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };
const FIELDS = [MINUTES, HOURS, DOM, MONTHS, DOW];
const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

class CronError extends Error {}
const fail = (msg: string): never => { throw new CronError(msg); };

/** strconv.Atoi's errors. */
function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) fail(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (Math.abs(n) > 9223372036854775807) fail(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

/** mustParseInt. */
function mustParseInt(expr: string): number {
  let n: number;
  try {
    n = atoi(expr);
  } catch (e) {
    return fail(`failed to parse int from ${expr}: ${(e as Error).message}`);
  }
  if (n < 0) fail(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names?: Record<string, number>): number {
  const named = names?.[expr.toLowerCase()];
  return named !== undefined ? named : mustParseInt(expr);
}

/** getRange. */
function getRange(expr: string, r: Bounds): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  let start: number;
  let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
  } else {
    start = parseIntOrName(lowAndHigh[0], r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], r.names);
    else return fail(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]);
    if (lowAndHigh.length === 1) end = r.max; // "N/step" means "N-max/step"
  } else if (rangeAndStep.length > 2) fail(`too many slashes: ${expr}`);
  if (start < r.min) fail(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) fail(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) fail(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) fail(`step of range should be a positive number: ${expr}`);
}

const UNITS = new Set(['ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h']);

/** time.ParseDuration's errors. */
function durationError(s: string): string | undefined {
  const q = JSON.stringify(s);
  if (s === '0') return undefined;
  let rest = s.replace(/^[-+]/, '');
  if (!rest) return `time: invalid duration ${q}`;
  while (rest) {
    const num = /^([0-9]*(\.[0-9]*)?)/.exec(rest)![1];
    if (!num || num === '.') return `time: invalid duration ${q}`;
    rest = rest.slice(num.length);
    const unit = /^[^0-9.]*/.exec(rest)![0];
    if (!unit) return `time: missing unit in duration ${q}`;
    if (!UNITS.has(unit)) return `time: unknown unit ${JSON.stringify(unit)} in duration ${q}`;
    rest = rest.slice(unit.length);
  }
  return undefined;
}

function parse(spec: string): void {
  if (!spec) fail('empty spec string');
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const loc = spec.slice(eq + 1, i < 0 ? undefined : i);
    try {
      if (i < 0) throw new Error();
      if (loc !== 'UTC' && loc !== 'Local') new Intl.DateTimeFormat('en-US', { timeZone: loc });
    } catch {
      fail(`provided bad location ${loc}: unknown time zone ${loc}`);
    }
    spec = spec.slice(i).trim();
  }
  if (spec.startsWith('@')) {
    if (DESCRIPTORS.has(spec)) return;
    if (spec.startsWith('@every ')) {
      const err = durationError(spec.slice('@every '.length));
      if (err) fail(`failed to parse duration ${spec}: ${err}`);
      return;
    }
    fail(`unrecognized descriptor: ${spec}`);
  }
  const fields = spec.split(/[ \t\n\r\v\f]+/).filter(Boolean);
  if (fields.length !== 5) fail(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  for (let f = 0; f < 5; f++) {
    for (const expr of fields[f].split(',')) if (expr) getRange(expr, FIELDS[f]);
  }
}

export function cronParseError(schedule: string): string | undefined {
  try {
    parse(schedule);
    return undefined;
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}
