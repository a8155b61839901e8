/**
 * What the simulated containers and nodes "use", for the simulated metrics-server, and the
 * wire forms metrics-server gives those numbers.
 *
 * The model (nothing really runs, so usage is declared):
 * - a running container uses what its pod's `sim.kubeloop.io/usage` annotation says
 *   (`cpu=250m,memory=64Mi` for every container, or per container
 *   `app:cpu=250m,memory=64Mi;sidecar:cpu=5m`), else its requests, else an idle
 *   container's 1m CPU and 4Mi memory;
 * - a node uses what its running pods use plus what it reserves for the kubelet, the runtime
 *   and the OS (capacity − allocatable, as ACK's reservation policy sizes it).
 *
 * Wire forms, from kubernetes-sigs/metrics-server `pkg/storage/types.go` (`resourceUsage`):
 * CPU is a DecimalSI quantity at scale -9 (nanocores), memory a BinarySI quantity of bytes,
 * both in apimachinery's canonical form (`250m`, `1500u`, `123456789n`; `64Mi`, `1536Ki`,
 * `12345678`); the window is a Go duration (`15s`).
 */
import type { NodeObject, PodObject } from '../controller/index.js';
import { parseQuantity } from './quantity.js';

/** Pod annotation declaring its containers' usage (see the module comment). */
export const USAGE_ANNOTATION = 'sim.kubeloop.io/usage';

/** Usage in nanocores and bytes. */
export interface Usage {
  cpu: number;
  memory: number;
}

const IDLE: Usage = { cpu: 1_000_000, memory: 4 * 2 ** 20 };

interface Container { name: string; resources?: { requests?: Record<string, string | number> } }

/** `cpu=250m,memory=64Mi` -> a partial usage; throws on anything else. */
function parseUsageTerms(text: string): Partial<Usage> {
  const out: Partial<Usage> = {};
  for (const term of text.split(',').map((t) => t.trim()).filter(Boolean)) {
    const m = /^(cpu|memory)=(.+)$/.exec(term);
    if (!m) throw new Error(`${USAGE_ANNOTATION}: "${term}" is not cpu=<quantity> or memory=<quantity>`);
    const n = parseQuantity(m[2]);
    if (!(n >= 0)) throw new Error(`${USAGE_ANNOTATION}: ${m[1]} must not be negative`);
    if (m[1] === 'cpu') out.cpu = Math.round(n * 1e9);
    else out.memory = Math.round(n);
  }
  return out;
}

/** The annotation's usage per container name (`''`: every container without its own entry). */
export function parseUsageAnnotation(value: string | undefined): Map<string, Partial<Usage>> {
  const out = new Map<string, Partial<Usage>>();
  for (const part of (value ?? '').split(';').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?):(.*)$/.exec(part);
    if (m) out.set(m[1], parseUsageTerms(m[3]));
    else out.set('', parseUsageTerms(part));
  }
  return out;
}

/**
 * A request in nanocores or bytes (`scale`); undefined when absent or unreadable (the built-in
 * API server stores quantities unchecked: one bad pod must not fail the whole metrics API).
 */
function requested(q: string | number | undefined, scale: number): number | undefined {
  if (q === undefined) return undefined;
  try {
    const n = parseQuantity(q);
    return Number.isFinite(n) && n >= 0 ? Math.round(n * scale) : undefined;
  } catch {
    return undefined;
  }
}

/** Each container's usage; an unreadable annotation (or request) counts as absent. */
export function containerUsage(pod: PodObject): { name: string; usage: Usage }[] {
  let declared = new Map<string, Partial<Usage>>();
  try {
    declared = parseUsageAnnotation(pod.metadata.annotations?.[USAGE_ANNOTATION]);
  } catch {
    // a bad annotation: requests as if there were none
  }
  return ((pod.spec?.containers ?? []) as Container[]).map((c) => {
    const d = declared.get(c.name) ?? declared.get('') ?? {};
    const req = c.resources?.requests ?? {};
    const cpu = d.cpu ?? requested(req.cpu, 1e9) ?? IDLE.cpu;
    const memory = d.memory ?? requested(req.memory, 1) ?? IDLE.memory;
    return { name: c.name, usage: { cpu, memory } };
  });
}

/** The node's usage: its pods' plus its reservation. */
export function nodeUsage(node: NodeObject, pods: readonly PodObject[]): Usage {
  const status = node.status as { capacity?: Record<string, string>; allocatable?: Record<string, string> } | undefined;
  const reserved = (k: 'cpu' | 'memory') => {
    const cap = status?.capacity?.[k];
    const alloc = status?.allocatable?.[k];
    if (cap === undefined || alloc === undefined) return 0;
    return Math.max(0, parseQuantity(cap) - parseQuantity(alloc));
  };
  const total: Usage = { cpu: Math.round(reserved('cpu') * 1e9), memory: Math.round(reserved('memory')) };
  for (const p of pods) {
    for (const c of containerUsage(p)) {
      total.cpu += c.usage.cpu;
      total.memory += c.usage.memory;
    }
  }
  return total;
}

/** A count of nanocores as apimachinery prints a DecimalSI quantity of scale -9. */
export function formatNanocores(n: number): string {
  let v = Math.max(0, Math.round(n));
  if (v === 0) return '0';
  const suffixes = ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'];
  let i = 0;
  while (i < suffixes.length - 1 && v % 1000 === 0) {
    v /= 1000;
    i++;
  }
  return `${v}${suffixes[i]}`;
}

/** Bytes as apimachinery prints a BinarySI quantity: the largest exact power of 1024 (none below 1024). */
export function formatBinaryBytes(n: number): string {
  let v = Math.max(0, Math.round(n));
  if (v < 1024) return String(v);
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let i = 0;
  while (i < suffixes.length - 1 && v % 1024 === 0) {
    v /= 1024;
    i++;
  }
  return `${v}${suffixes[i]}`;
}

/** Milliseconds as Go's `time.Duration.String` (`15s`, `1m0s`, `1.5s`, `250ms`). */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  if (h) return `${h}h${m}m${sec}`;
  if (m) return `${m}m${sec}`;
  return sec;
}
