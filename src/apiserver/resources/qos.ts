/**
 * A pod's QoS class, which kube-apiserver sets in `status.qosClass` when the pod is created
 * (pkg/registry/core/pod/strategy.go podStrategy.PrepareForCreate: `QOSClass:
 * qos.GetPodQOS(pod)`) and which nothing changes afterwards.
 *
 * As pkg/apis/core/helper/qos/qos.go computes it (v1.32, PodLevelResources off): over all
 * containers and init containers, only cpu and memory count, and only quantities above zero;
 * requests and limits are summed per resource. No such request or limit: BestEffort. Every
 * container limiting both cpu and memory, and the summed requests equal to the summed limits
 * for every resource: Guaranteed. Otherwise Burstable. The server runs after defaulting, where
 * a request left out takes its limit's value (SetDefaults_Pod, pkg/apis/core/v1/defaults.go);
 * a missing request is read as its limit here for the same reason.
 */
import { quantityNanos } from '../schema/quantity.js';

type Resources = { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
type PodLike = { spec?: { containers?: Array<{ resources?: Resources }>; initContainers?: Array<{ resources?: Resources }> } };

const QOS_RESOURCES = ['cpu', 'memory'] as const;

function positive(v: unknown): bigint | undefined {
  const n = typeof v === 'string' ? quantityNanos(v) : typeof v === 'number' ? quantityNanos(String(v)) : undefined;
  return n !== undefined && n > 0n ? n : undefined;
}

/** The QoS class of `pod` (a Pod object, after defaulting). */
export function podQOSClass(obj: object): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const pod = obj as PodLike;
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const r = c?.resources ?? {};
    let limited = 0;
    for (const name of QOS_RESOURCES) {
      const limit = positive(r.limits?.[name]);
      const request = r.requests?.[name] !== undefined ? positive(r.requests[name]) : limit;
      if (request !== undefined) requests.set(name, (requests.get(name) ?? 0n) + request);
      if (limit !== undefined) {
        limits.set(name, (limits.get(name) ?? 0n) + limit);
        limited++;
      }
    }
    if (limited < QOS_RESOURCES.length) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) { guaranteed = false; break; }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
