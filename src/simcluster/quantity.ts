/**
 * Resource quantities ("500m", "2", "1Gi", "1e3") and the pod request arithmetic the
 * scheduler and kubelet share. CPU is kept in millicores, everything else in base units.
 */
import type { PodObject } from '../controller/index.js';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Parsed quantities by their text: a cluster's pods spell the same few ("100m", "128Mi") over and over. */
const parsed = new Map<string, number>();

/** Parses a Kubernetes quantity into a number of base units; throws on malformed input. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined || q === null) return 0;
  if (typeof q === 'number') return q;
  let n = parsed.get(q);
  if (n === undefined) {
    n = parseText(q);
    if (parsed.size >= 4096) parsed.clear();
    parsed.set(q, n);
  }
  return n;
}

function parseText(q: string): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/.exec(q.trim());
  if (!m) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': "${q}"`);
  const n = Number(m[1]);
  if (m[2]) return n * 10 ** Number(m[2].slice(1));
  const suf = m[3] ?? '';
  return n * (BINARY[suf] ?? DECIMAL[suf]);
}

/** The resources the simulation tracks, in scheduling units (cpu in millicores). */
export type ResourceList = Record<string, number>;

/** Converts a resource map ({cpu: "500m", memory: "1Gi"}) into numbers (cpu -> millicores). */
export function toResourceList(r: Record<string, string | number> | undefined): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(r ?? {})) {
    const n = parseQuantity(v);
    out[k] = k === 'cpu' ? Math.round(n * 1000) : n;
  }
  return out;
}

export function addTo(acc: ResourceList, r: ResourceList): void {
  for (const [k, v] of Object.entries(r)) acc[k] = (acc[k] ?? 0) + v;
}

function maxInto(acc: ResourceList, r: ResourceList): void {
  for (const [k, v] of Object.entries(r)) acc[k] = Math.max(acc[k] ?? 0, v);
}

interface ContainerLike { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }

function containerRequests(c: ContainerLike): ResourceList {
  // like the API server's defaulting: limits stand in for missing requests
  const out = toResourceList(c.resources?.limits);
  Object.assign(out, toResourceList(c.resources?.requests));
  return out;
}

const requestCache = new WeakMap<object, ResourceList>();

/**
 * The effective requests of a pod: the sum over containers, raised to the largest init
 * container's request where that is bigger (init containers run one at a time), plus
 * pod overhead. Memoised per object (cached objects are replaced, never mutated).
 */
export function podRequests(pod: PodObject): ResourceList {
  const hit = requestCache.get(pod);
  if (hit) return hit;
  const sum = sumRequests(pod);
  requestCache.set(pod, sum);
  return sum;
}

/** `podRequests` without the memo, for a caller that keeps the result itself. */
export function sumRequests(pod: PodObject): ResourceList {
  const spec = (pod.spec ?? {}) as { containers?: ContainerLike[]; initContainers?: ContainerLike[]; overhead?: Record<string, string> };
  const sum: ResourceList = {};
  for (const c of spec.containers ?? []) addTo(sum, containerRequests(c));
  const init: ResourceList = {};
  for (const c of spec.initContainers ?? []) maxInto(init, containerRequests(c));
  maxInto(sum, init);
  addTo(sum, toResourceList(spec.overhead));
  return sum;
}

const nonZeroCache = new WeakMap<object, ResourceList>();

/**
 * Requests for scoring only: like kube-scheduler's non-zero requests, a pod asking for no cpu
 * or memory counts as 100m and 200Mi, so best-effort pods still spread over nodes.
 */
export function nonZeroRequests(pod: PodObject): ResourceList {
  let r = nonZeroCache.get(pod);
  if (!r) {
    r = nonZeroOf(podRequests(pod));
    nonZeroCache.set(pod, r);
  }
  return r;
}

/** `nonZeroRequests` from a pod's requests. */
export function nonZeroOf(req: ResourceList): ResourceList {
  return { cpu: req.cpu || 100, memory: req.memory || 200 * 2 ** 20 };
}

/** Formats bytes as a Kubernetes quantity with a binary suffix when exact ("16Gi"). */
export function formatBytes(n: number): string {
  for (const [suf, f] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (n >= f && n % f === 0) return `${n / f}${suf}`;
  }
  return String(Math.round(n));
}

/** True for pods that no longer hold node resources. */
export function isTerminated(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
