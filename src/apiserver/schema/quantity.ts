/**
 * The syntax check Go's decoder applies to a `resource.Quantity` (k8s.io/apimachinery
 * pkg/api/resource/quantity.go: `UnmarshalJSON` -> `ParseQuantity` -> `parseQuantityString`
 * and the suffixer's `interpret`). kube-apiserver refuses a body whose quantity does not parse
 * with a 400 carrying one of the three error texts below, and the error aborts decoding at once
 * (it is not one of encoding/json's saved type errors), so it wins over any type error.
 *
 * A quantity that parses is stored in the canonical form Go re-encodes it in ("1000m" -> "1":
 * canonicalQuantity below, applied by decode.ts to built-in kinds; custom resources are
 * schemaless to Go and keep what was sent).
 */

const REGEX = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

/** The three errors ParseQuantity returns, with Go's texts. */
export const QUANTITY_ERRORS = {
  format: `quantities must match the regular expression '${REGEX}'`,
  numeric: 'unable to parse numeric part of quantity',
  suffix: "unable to parse quantity's suffix",
} as const;

const SUFFIX_LETTERS = 'eEinumkKMGTP';
const DECIMAL_EXPONENTS = new Map([['n', -9], ['u', -6], ['m', -3], ['', 0], ['k', 3], ['M', 6], ['G', 9], ['T', 12], ['P', 15], ['E', 18]]);
const BINARY_EXPONENTS = new Map([['Ki', 10], ['Mi', 20], ['Gi', 30], ['Ti', 40], ['Pi', 50], ['Ei', 60]]);
const INT64_MAX = 9223372036854775807n;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * The base-10 exponent (or, for binary suffixes, the power of two) the suffixer gives `s`, or
 * undefined when it does not know it: a decimal or binary SI suffix, or `e`/`E` and an int64.
 */
function suffixExponent(s: string): { binary: boolean; exponent: number } | undefined {
  const decimal = DECIMAL_EXPONENTS.get(s);
  if (decimal !== undefined) return { binary: false, exponent: decimal };
  const binary = BINARY_EXPONENTS.get(s);
  if (binary !== undefined) return { binary: true, exponent: binary };
  if (s.length > 1 && (s[0] === 'e' || s[0] === 'E') && /^[+-]?[0-9]+$/.test(s.slice(1))) {
    const n = BigInt(s.slice(1));
    if (n <= INT64_MAX && n >= -INT64_MAX - 1n) return { binary: false, exponent: Number(n) };
  }
  return undefined;
}

/**
 * The error text ParseQuantity gives `text` (the JSON string's content, or a JSON number's
 * text), or undefined when it parses. Go trims surrounding white space first.
 */
export function quantityError(text: string): string | undefined {
  const str = text.trim();
  if (str.length === 0) return QUANTITY_ERRORS.format;
  let pos = 0;
  if (str[0] === '-' || str[0] === '+') pos++;
  while (pos < str.length && str[pos] === '0') pos++;
  if (pos >= str.length) return undefined; // all zeros (and an optional sign)
  let digits = 0;
  while (isDigit(str[pos])) (pos++, digits++);
  if (str[pos] === '.') {
    pos++;
    while (isDigit(str[pos])) (pos++, digits++);
  }
  if (pos >= str.length) return undefined;
  const suffixStart = pos;
  while (pos < str.length && SUFFIX_LETTERS.includes(str[pos]!)) pos++;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (isDigit(str[pos])) pos++;
  if (pos < str.length) return QUANTITY_ERRORS.format;
  const suffix = suffixExponent(str.slice(suffixStart));
  if (!suffix) return QUANTITY_ERRORS.suffix;
  // A number part with no digit at all (".", "-.") parses to zero on ParseQuantity's int64 fast
  // path, but fails inf.Dec's SetString on the slow path, taken for a decimal exponent below -9
  // or for the Pi/Ei suffixes (their precision estimate is negative).
  if (digits === 0 && !/0/.test(str.slice(0, suffixStart))) {
    const slow = suffix.binary ? 15 - 1 - Math.trunc((suffix.exponent * 3) / 10) - 1 < 0 : suffix.exponent < -9;
    if (slow) return QUANTITY_ERRORS.numeric;
  }
  return undefined;
}

const TEN = 10n;
const NANOS = 10n ** 9n;

/**
 * The value of a quantity that parses (quantityError is undefined), in billionths of its unit
 * as a BigInt, so sums and comparisons are exact as Go's inf.Dec arithmetic is (a value finer
 * than a billionth is rounded up, as Go's scaled values are). Undefined for malformed text and
 * for exponents (and fraction digits) beyond {@link MAX_EXACT_EXPONENT}: valid, and exact in Go's
 * inf.Dec, but the arithmetic would not end for an exponent near int64's. Up to there the value
 * is exact (a ResourceQuota's `pods: 1e100` is a limit never reached, not a zero; `-1e100` is
 * negative), at the cost of a BigInt of a few thousand bits.
 */
/** The largest decimal exponent (or number of fraction digits) {@link quantityNanos} computes exactly. */
const MAX_EXACT_EXPONENT = 1024;

export function quantityNanos(text: string): bigint | undefined {
  if (quantityError(text) !== undefined) return undefined;
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(text.trim());
  if (!m) return undefined;
  const frac = m[3] ?? '';
  let mantissa = BigInt((m[2] ?? '') + frac || '0');
  if (m[1] === '-') mantissa = -mantissa;
  const suffix = suffixExponent(m[4] ?? '') ?? { binary: false, exponent: 0 };
  if (Math.abs(suffix.exponent) > MAX_EXACT_EXPONENT || frac.length > MAX_EXACT_EXPONENT) return undefined;
  // value = mantissa / 10^frac * base^exponent, in nanos
  let num = mantissa * NANOS;
  let den = TEN ** BigInt(frac.length);
  if (suffix.binary) num *= 2n ** BigInt(suffix.exponent);
  else if (suffix.exponent >= 0) num *= TEN ** BigInt(suffix.exponent);
  else den *= TEN ** BigInt(-suffix.exponent);
  const q = num / den; // truncated toward zero: a remainder rounds the magnitude up
  return num % den === 0n ? q : num < 0n ? q - 1n : q + 1n;
}

/** Decimal SI suffixes by their power of ten. */
const DECIMAL_SUFFIXES = new Map([...DECIMAL_EXPONENTS].map(([s, e]) => [e, s]));
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
/** The largest BinarySI magnitude (2^63-1), in nanos: ParseQuantity caps there. */
const MAX_BINARY_NANOS = (2n ** 63n - 1n) * NANOS;

/**
 * The canonical text Go gives a quantity it parsed (Quantity.String -> CanonicalizeBytes in
 * k8s.io/apimachinery/pkg/api/resource/quantity.go), which kube-apiserver stores and returns
 * for every quantity of a built-in kind: the suffix family of the input (decimal SI, binary SI,
 * or an `e` exponent) kept, the exponent as large as it can be with an integer number
 * ("1000m" -> "1", "1.5" -> "1500m", "1000" -> "1k", "1024Mi" -> "1Gi", "1.5Gi" -> "1536Mi"),
 * a binary quantity below 1024 or not whole in decimal SI ("0.5Ki" -> "512", "1.1Ki" ->
 * "1126400m"), values rounded up to a billionth, a binary magnitude capped at 2^63-1, the sign
 * only when negative. Undefined for text that does not parse (see quantityError) or whose
 * exponent quantityNanos refuses. Checked against apimachinery's quantity_test.go tables.
 */
export function canonicalQuantity(text: string): string | undefined {
  let c = canonical.get(text);
  if (c === undefined) {
    c = canonicalOf(text);
    if (c === undefined) return undefined;
    if (canonical.size >= 4096) canonical.clear();
    canonical.set(text, c);
  }
  return c;
}

/** Canonical texts by input text: objects spell the same few quantities over and over. */
const canonical = new Map<string, string>();

type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** The format Go's parser gives a quantity (from its suffix), with its value in nanos. */
function parsed(text: string): { nanos: bigint; format: QuantityFormat } | undefined {
  const nanos = quantityNanos(text);
  if (nanos === undefined) return undefined;
  const suffixText = /^[+-]?[0-9]*(?:\.[0-9]*)?(.*)$/.exec(text.trim())![1];
  const s = suffixExponent(suffixText)!;
  return { nanos, format: s.binary ? 'BinarySI' : DECIMAL_EXPONENTS.has(suffixText) ? 'DecimalSI' : 'DecimalExponent' };
}

function canonicalOf(text: string): string | undefined {
  const q = parsed(text);
  return q && formatNanos(q.nanos, q.format);
}

const MILLI_NANOS = 1_000_000n;

/**
 * A quantity rounded up to milli scale, as SetDefaults_ResourceList (pkg/apis/core/v1/defaults.go)
 * does to every resource list of a built-in object with `Quantity.RoundUp(-3)`
 * (k8s.io/apimachinery/pkg/api/resource/quantity.go): a value finer than a thousandth goes to the
 * next thousandth away from zero ("1n" -> "1m", "0.0001" -> "1m", "-1u" -> "-1m", "1.0001Ki" ->
 * "1024103m"), keeping its format; the canonical text of the result. Text that does not parse is
 * answered unchanged (the decoder has refused it already).
 */
export function roundUpToMilli(text: string): string {
  const q = parsed(text);
  if (!q) return text;
  const rem = q.nanos % MILLI_NANOS;
  if (rem === 0n) return formatNanos(q.nanos, q.format);
  const rounded = q.nanos - rem + (q.nanos < 0n ? -MILLI_NANOS : MILLI_NANOS);
  return formatNanos(rounded, q.format);
}

/** Quantity.String for a value in nanos and a format (see canonicalQuantity). */
function formatNanos(nanos: bigint, format: QuantityFormat): string {
  if (nanos === 0n) return '0';
  const negative = nanos < 0n;
  let magnitude = negative ? -nanos : nanos;
  if (format === 'BinarySI') {
    if (magnitude > MAX_BINARY_NANOS) magnitude = MAX_BINARY_NANOS;
    if (magnitude < 1024n * NANOS || magnitude % NANOS !== 0n) format = 'DecimalSI';
  }
  const sign = negative ? '-' : '';
  if (format === 'BinarySI') {
    let whole = magnitude / NANOS;
    let k = 0;
    while (k < BINARY_SUFFIXES.length - 1 && whole % 1024n === 0n) (whole /= 1024n, k++);
    return `${sign}${whole}${BINARY_SUFFIXES[k]}`;
  }
  let mantissa = magnitude;
  let exponent = -9;
  while (mantissa % 1000n === 0n) (mantissa /= 1000n, exponent += 3);
  if (format === 'DecimalExponent') return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  // decimal SI has no suffix past E (10^18): apimachinery falls back to exponent notation
  // ("1000E" -> "1e21"; TestQuantityString) rather than dropping the magnitude
  if (exponent > 18) return `${sign}${mantissa}e${exponent}`;
  return `${sign}${mantissa}${DECIMAL_SUFFIXES.get(exponent)}`;
}

/**
 * A quantity as Go's `resource.Quantity` holds it for arithmetic: its exact value in nanos and
 * the format its text gave it (the format a sum keeps, see addQuantities). Undefined for text
 * that does not parse.
 */
export function quantityValue(text: string | number): { nanos: bigint; format: QuantityFormat } | undefined {
  return parsed(String(text));
}

/** The canonical text of a value in nanos in a format (Quantity.String). */
export function formatQuantity(nanos: bigint, format: QuantityFormat): string {
  return formatNanos(nanos, format);
}

export type { QuantityFormat };
