/**
 * Resource lists (`{cpu: "500m", memory: "1Gi"}`) with Go's `resource.Quantity` arithmetic, as
 * the quota code (k8s.io/apiserver/pkg/quota/v1/resources.go: Add, Subtract, Mask,
 * LessThanOrEqual, IsZero, IsNegative) and LimitRanger use it: exact values (nanos as BigInt,
 * schema/quantity.ts), each sum keeping the format of its first non-zero operand
 * (Quantity.Add: a zero quantity takes the other's format), printed canonically
 * (Quantity.String), so `256Mi + 128Mi` is `384Mi` and `500m + 500m` is `1`.
 */
import { formatQuantity, type QuantityFormat, quantityValue } from '../schema/index.js';

/** A parsed quantity: exact value in nanos and Go's format. */
export interface Q {
  nanos: bigint;
  format: QuantityFormat;
}

/** Parsed resource list (insertion order kept). */
export type Usage = Map<string, Q>;

export const ZERO: Q = { nanos: 0n, format: 'DecimalSI' };

/** `resource.NewQuantity(n, DecimalSI)`. */
export function count(n: number): Q {
  return { nanos: BigInt(n) * 1_000_000_000n, format: 'DecimalSI' };
}

/** A quantity's parsed form; an unparsable one (refused at decode) counts as zero. */
export function q(text: unknown): Q {
  if (typeof text !== 'string' && typeof text !== 'number') return ZERO;
  return quantityValue(text) ?? ZERO;
}

/** Quantity.String. */
export function str(x: Q): string {
  return formatQuantity(x.nanos, x.format);
}

/** Quantity.Add: the sum in the first operand's format, unless it is zero. */
export function add(a: Q, b: Q): Q {
  return { nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

/** Quantity.Sub: as Add (a zero minuend takes the subtrahend's format). */
export function sub(a: Q, b: Q): Q {
  return { nanos: a.nanos - b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

export function cmp(a: Q, b: Q): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** A resource list from an object's map (non-objects are empty). */
export function usageOf(list: unknown): Usage {
  const out: Usage = new Map();
  if (list && typeof list === 'object' && !Array.isArray(list)) for (const [k, v] of Object.entries(list)) out.set(k, q(v));
  return out;
}

/** The map form, canonical texts. */
export function toList(u: Usage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of u) out[k] = str(v);
  return out;
}

/** quota.Add: every key of both; a key in both is summed (a's format first). */
export function addLists(a: Usage, b: Usage): Usage {
  const out: Usage = new Map(a);
  for (const [k, v] of b) {
    const cur = out.get(k);
    out.set(k, cur ? add(cur, v) : v);
  }
  return out;
}

/** quota.SubtractWithNonNegativeResult: a - b per key of a, floored at zero (b-only keys ignored). */
export function subtractNonNegative(a: Usage, b: Usage): Usage {
  const out: Usage = new Map();
  for (const [k, v] of a) {
    const o = b.get(k);
    const d = o ? sub(v, o) : v;
    out.set(k, d.nanos < 0n ? { nanos: 0n, format: d.format } : d);
  }
  return out;
}

/** quota.Mask: only the keys in `names`. */
export function mask(u: Usage, names: Iterable<string>): Usage {
  const out: Usage = new Map();
  for (const n of names) {
    const v = u.get(n);
    if (v) out.set(n, v);
  }
  return out;
}

/** quota.LessThanOrEqual: whether every key of a is <= b's (keys missing in b pass), and the keys that are not. */
export function lessThanOrEqual(a: Usage, b: Usage): { ok: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, v] of a) {
    const o = b.get(k);
    if (o && cmp(v, o) > 0) exceeded.push(k);
  }
  return { ok: exceeded.length === 0, exceeded };
}

export function isZero(u: Usage): boolean {
  for (const v of u.values()) if (v.nanos !== 0n) return false;
  return true;
}

/** quota.RemoveZeros: the non-zero entries. */
export function removeZeros(u: Usage): Usage {
  const out: Usage = new Map();
  for (const [k, v] of u) if (v.nanos !== 0n) out.set(k, v);
  return out;
}

export function negativeKeys(u: Usage): string[] {
  return [...u].filter(([, v]) => v.nanos < 0n).map(([k]) => k);
}

/** quota.Equals: same keys, same values. */
export function equalLists(a: Usage, b: Usage): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const o = b.get(k);
    if (!o || o.nanos !== v.nanos) return false;
  }
  return true;
}

/** prettyPrint of plugin/pkg/admission/resourcequota/controller.go: `k=v` sorted by key, comma-joined. */
export function prettyPrint(u: Usage): string {
  return [...u.keys()].sort().map((k) => `${k}=${str(u.get(k)!)}`).join(',');
}

const NANOS_PER_UNIT = 1_000_000_000n;
const NANOS_PER_MILLI = 1_000_000n;

function ceilDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && n > 0n ? q + 1n : q;
}

/** Quantity.Value: whole units, rounded up. */
export function value(x: Q): bigint {
  return ceilDiv(x.nanos, NANOS_PER_UNIT);
}

/** Quantity.MilliValue: thousandths, rounded up. */
export function milliValue(x: Q): bigint {
  return ceilDiv(x.nanos, NANOS_PER_MILLI);
}

/** resource.MaxMilliValue: the largest value whose milli value fits an int64. */
export const MAX_MILLI_VALUE = (2n ** 63n - 1n) / 1000n;

/** maxResourceList: list[k] = max(list[k], other[k]) for every key of other. */
export function maxInto(list: Usage, other: Usage): void {
  for (const [k, v] of other) {
    const cur = list.get(k);
    if (!cur || cmp(v, cur) > 0) list.set(k, v);
  }
}

interface PodSpecResources {
  containers?: { resources?: { requests?: unknown; limits?: unknown } }[];
  initContainers?: { resources?: { requests?: unknown; limits?: unknown }; restartPolicy?: string }[];
}

/**
 * A pod's effective requests or limits before overhead (pkg/api/v1/resource PodRequests /
 * PodLimits v1.32, pod-level resources off): the containers summed, restartable (sidecar) init
 * containers added, and the larger of that and each init container plus the sidecars started
 * before it. LimitRanger's Pod limits use it as is; the quota's pod evaluator adds the overhead.
 */
export function podContainerTotals(spec: PodSpecResources | undefined, which: 'requests' | 'limits'): Usage {
  let total: Usage = new Map();
  for (const c of spec?.containers ?? []) total = addLists(total, usageOf(c?.resources?.[which]));
  let sidecars: Usage = new Map();
  const inits: Usage = new Map();
  for (const c of spec?.initContainers ?? []) {
    const own = usageOf(c?.resources?.[which]);
    let effective: Usage;
    if (c?.restartPolicy === 'Always') {
      total = addLists(total, own);
      sidecars = addLists(sidecars, own);
      effective = sidecars;
    } else {
      effective = addLists(own, sidecars);
    }
    maxInto(inits, effective);
  }
  maxInto(total, inits);
  return total;
}
