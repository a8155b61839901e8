/**
 * A pod's QoS class as the pod strategy's PrepareForCreate records it in `status.qosClass`
 * (kubernetes/kubernetes pkg/apis/core/helper/qos ComputePodQOS, v1.32): requests and limits
 * of cpu and memory summed over containers and init containers (after defaulting, so limits
 * imply requests); none -> BestEffort; every container limiting both and the sums equal ->
 * Guaranteed; else Burstable. Zero quantities count as unset.
 */
type Resources = { requests?: Record<string, unknown>; limits?: Record<string, unknown> };

const SCALE: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** The value of a quantity (decoding already refused malformed ones; NaN counts as zero). */
function value(q: unknown): number {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return 0;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/.exec(q.trim());
  if (!m) return 0;
  return Number(m[1]) * (m[2] !== undefined ? 10 ** Number(m[2]) : SCALE[m[3] ?? '']);
}

const QOS_RESOURCES = ['cpu', 'memory'];

export function podQOSClass(spec: { containers?: unknown; initContainers?: unknown } | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const all = [...(Array.isArray(spec?.containers) ? spec.containers : []), ...(Array.isArray(spec?.initContainers) ? spec.initContainers : [])];
  for (const c of all as Array<{ resources?: Resources } | null>) {
    const r = c?.resources ?? {};
    for (const name of QOS_RESOURCES) {
      const q = value(r.requests?.[name]);
      if (q > 0) requests.set(name, (requests.get(name) ?? 0) + q);
    }
    let found = 0;
    for (const name of QOS_RESOURCES) {
      const q = value(r.limits?.[name]);
      if (q > 0) {
        found++;
        limits.set(name, (limits.get(name) ?? 0) + q);
      }
    }
    if (found < QOS_RESOURCES.length) guaranteed = false;
  }
  if (!requests.size && !limits.size) return 'BestEffort';
  if (guaranteed) {
    for (const [name, q] of requests) {
      if (limits.get(name) !== q) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
