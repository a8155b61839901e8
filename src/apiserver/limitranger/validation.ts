/**
 * LimitRange validation, as kube-apiserver v1.32's ValidateLimitRange
 * (pkg/apis/core/validation/validation.go) on the defaulted object (defaults/core.ts:
 * SetDefaults_LimitRangeItem gives a Container item `default` from `max` and `defaultRequest`
 * from `default` then `min`, so a `max` below `min` also shows as a bad default):
 * - `type` a qualified name, one of Pod, Container, PersistentVolumeClaim unless it has a `/`
 *   ("must be a standard limit type or fully qualified"); each type at most once (Duplicate);
 * - resource names of Pod/Container items standard container resources (cpu, memory,
 *   ephemeral-storage, hugepages-*) or qualified extended ones;
 * - a Pod item has no `default` or `defaultRequest` (Forbidden);
 * - a PersistentVolumeClaim item has `min` or `max` storage (Required at `...limits`);
 * - per resource: min <= max, min <= defaultRequest <= max, defaultRequest <= default,
 *   min <= default <= max, maxLimitRequestRatio >= 1 and <= max/min, and default ==
 *   defaultRequest for resources that cannot be overcommitted (hugepages-*, extended ones).
 * The bad value of an Invalid error is a Quantity, which Go's field.Error prints with `%#v`
 * (`resource.Quantity{i:resource.int64Amount{value:2, scale:0}, ...}`, as in upstream's
 * messages), see goQuantity below. Resource keys are walked in the object's order (Go's map
 * order is random).
 */
import type { FieldError, KubeObject } from '../../api/index.js';
import { cmp, MAX_MILLI_VALUE, milliValue, q, str, value } from '../quota/index.js';

type Item = { type?: unknown; max?: unknown; min?: unknown; default?: unknown; defaultRequest?: unknown; maxLimitRequestRatio?: unknown };
type LimitRange = KubeObject & { spec?: { limits?: Item[] } };

const STANDARD_LIMIT_TYPES = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const DECIMAL = new Map([['n', -9], ['u', -6], ['m', -3], ['', 0], ['k', 3], ['M', 6], ['G', 9], ['T', 12], ['P', 15], ['E', 18]]);
const BINARY = new Map([['Ki', 10], ['Mi', 20], ['Gi', 30], ['Ti', 40], ['Pi', 50], ['Ei', 60]]);

/**
 * `%#v` of a resource.Quantity parsed from `text` (k8s.io/apimachinery quantity.go
 * ParseQuantity's int64 fast path: the digits times the binary multiplier, or with the decimal
 * exponent as scale; `s` is the canonical string, which String() has cached by the time the
 * error is built). Values off the fast path hold an inf.Dec pointer, shown as Go would (an
 * address).
 */
export function goQuantity(text: string): string {
  const m = /^([+-]?)0*([0-9]*)(?:\.([0-9]*))?([a-zA-Z]*)(?:([eE])([+-]?[0-9]+))?$/.exec(text);
  const canonical = str(q(text));
  const x = q(text);
  let intAmount: string | undefined;
  if (m) {
    const [, sign, num = '', denom = '', suffix = '', e, exp] = m;
    const digits = (num + denom).replace(/^0+/, '') || '0';
    if (e) {
      const scale = Number(exp) - denom.length;
      if (scale >= -9 && digits.length <= 18) intAmount = `value:${sign === '-' ? '-' : ''}${digits}, scale:${scale}`;
    } else if (BINARY.has(suffix)) {
      const exponent = BINARY.get(suffix)!;
      const precision = 15 - num.replace(/^0+/, '').length - Math.trunc((exponent * 3) / 10) - 1;
      if (!denom && precision >= 0) intAmount = `value:${sign === '-' ? '-' : ''}${BigInt(digits) << BigInt(exponent)}, scale:0`;
    } else if (DECIMAL.has(suffix)) {
      const scale = DECIMAL.get(suffix)! - denom.length;
      if (scale >= -9 && digits.length <= 18) intAmount = digits === '0' ? 'value:0, scale:0' : `value:${sign === '-' ? '-' : ''}${digits}, scale:${scale}`;
    }
  }
  const i = intAmount ?? 'value:0, scale:0';
  const d = intAmount ? '(*inf.Dec)(nil)' : '(*inf.Dec)(0xc000a1e000)';
  return `resource.Quantity{i:resource.int64Amount{${i}}, d:resource.infDecAmount{Dec:${d}}, s:${JSON.stringify(canonical)}, Format:${JSON.stringify(x.format)}}`;
}

function entries(list: unknown): [string, string][] {
  if (!list || typeof list !== 'object' || Array.isArray(list)) return [];
  return Object.entries(list as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
}

/** helper.IsOvercommitAllowed: native resources but hugepages (extended resources are not native). */
function overcommitAllowed(name: string): boolean {
  const native = !name.includes('/') || name.includes('kubernetes.io/');
  return native && !name.startsWith('hugepages-');
}

function resourceNameErrors(type: string, name: string, field: string): FieldError[] {
  if (!QUALIFIED_NAME.test(name)) return [{ type: 'FieldValueInvalid', field, message: `${JSON.stringify(name)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')` }];
  if (type !== 'Pod' && type !== 'Container') return [];
  // validateContainerResourceName: standard container resources, hugepages, or extended (qualified) ones
  if (STANDARD_CONTAINER_RESOURCES.has(name) || name.startsWith('hugepages-') || name.includes('/')) return [];
  return [{ type: 'FieldValueInvalid', field, message: `${JSON.stringify(name)}: must be a standard resource for containers` }];
}

/** The field errors of a (defaulted) LimitRange, as ValidateLimitRange's spec part. */
export function validateLimitRange(lr: LimitRange): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  const items = Array.isArray(lr.spec?.limits) ? lr.spec!.limits : [];
  items.forEach((limit, i) => {
    const at = `spec.limits[${i}]`;
    const type = typeof limit?.type === 'string' ? limit.type : '';
    if (!QUALIFIED_NAME.test(type)) errs.push({ type: 'FieldValueInvalid', field: `${at}.type`, message: `${JSON.stringify(type)}: name part must be non-empty` });
    else if (!type.includes('/') && !STANDARD_LIMIT_TYPES.has(type)) errs.push({ type: 'FieldValueInvalid', field: `${at}.type`, message: `${JSON.stringify(type)}: must be a standard limit type or fully qualified` });
    if (seen.has(type)) errs.push({ type: 'FieldValueDuplicate', field: `${at}.type`, message: JSON.stringify(type) });
    seen.add(type);
    const keys: string[] = [];
    const collect = (what: keyof Item): Map<string, string> => {
      const out = new Map<string, string>();
      for (const [k, v] of entries(limit?.[what])) {
        errs.push(...resourceNameErrors(type, k, `${at}.${what}[${k}]`));
        if (!keys.includes(k)) keys.push(k);
        out.set(k, v);
      }
      return out;
    };
    const max = collect('max');
    const min = collect('min');
    let defaults = new Map<string, string>();
    let defaultRequests = new Map<string, string>();
    if (type === 'Pod') {
      if (entries(limit?.default).length) errs.push({ type: 'FieldValueForbidden', field: `${at}.default`, message: "may not be specified when `type` is 'Pod'" });
      if (entries(limit?.defaultRequest).length) errs.push({ type: 'FieldValueForbidden', field: `${at}.defaultRequest`, message: "may not be specified when `type` is 'Pod'" });
    } else {
      defaults = collect('default');
      defaultRequests = collect('defaultRequest');
    }
    if (type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage')) {
      errs.push({ type: 'FieldValueRequired', field: `${at}.limits`, message: 'either minimum or maximum storage value is required, but neither was provided' });
    }
    const ratios = collect('maxLimitRequestRatio');
    const invalid = (field: string, bad: string, detail: string) => errs.push({ type: 'FieldValueInvalid', field, message: `${goQuantity(bad)}: ${detail}` });
    for (const k of keys) {
      const mn = min.get(k);
      const mx = max.get(k);
      const df = defaults.get(k);
      const dr = defaultRequests.get(k);
      const ratio = ratios.get(k);
      const s = (t: string) => str(q(t));
      const c = (a: string, b: string) => cmp(q(a), q(b));
      if (mn !== undefined && mx !== undefined && c(mn, mx) > 0) invalid(`${at}.min[${k}]`, mn, `min value ${s(mn)} is greater than max value ${s(mx)}`);
      if (dr !== undefined && mn !== undefined && c(mn, dr) > 0) invalid(`${at}.defaultRequest[${k}]`, dr, `min value ${s(mn)} is greater than default request value ${s(dr)}`);
      if (dr !== undefined && mx !== undefined && c(dr, mx) > 0) invalid(`${at}.defaultRequest[${k}]`, dr, `default request value ${s(dr)} is greater than max value ${s(mx)}`);
      if (dr !== undefined && df !== undefined && c(dr, df) > 0) invalid(`${at}.defaultRequest[${k}]`, dr, `default request value ${s(dr)} is greater than default limit value ${s(df)}`);
      if (df !== undefined && mn !== undefined && c(mn, df) > 0) invalid(`${at}.default[${k}]`, mn, `min value ${s(mn)} is greater than default value ${s(df)}`);
      if (df !== undefined && mx !== undefined && c(df, mx) > 0) invalid(`${at}.default[${k}]`, mx, `default value ${s(df)} is greater than max value ${s(mx)}`);
      if (ratio !== undefined && c(ratio, '1') < 0) invalid(`${at}.maxLimitRequestRatio[${k}]`, ratio, `ratio ${s(ratio)} is less than 1`);
      if (ratio !== undefined && mn !== undefined && mx !== undefined) {
        const r = q(ratio);
        const lo = q(mn);
        const hi = q(mx);
        let ratioValue = Number(value(r));
        let minValue = value(lo);
        let maxValue = value(hi);
        if (value(r) < MAX_MILLI_VALUE && minValue < MAX_MILLI_VALUE && maxValue < MAX_MILLI_VALUE) {
          ratioValue = Number(milliValue(r)) / 1000;
          minValue = milliValue(lo);
          maxValue = milliValue(hi);
        }
        const limit = Number(maxValue) / Number(minValue);
        if (ratioValue > limit) invalid(`${at}.maxLimitRequestRatio[${k}]`, ratio, `ratio ${s(ratio)} is greater than max/min = ${goFloat(limit)}`);
      }
      if (!overcommitAllowed(k) && df !== undefined && dr !== undefined && c(df, dr) !== 0) {
        invalid(`${at}.defaultRequest[${k}]`, dr, `default value ${s(df)} must equal to defaultRequest value ${s(dr)} in ${k}`);
      }
    }
  });
  return errs;
}

/** Go's `%f`: six decimals (`+Inf` for a division by zero). */
export function goFloat(x: number): string {
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (Number.isNaN(x)) return 'NaN';
  return x.toFixed(6);
}
