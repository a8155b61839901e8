/**
 * Resolving a webhook's `clientConfig.service` to an address, as kube-apiserver does with
 * `--enable-aggregator-routing` (its endpoint resolver): the Service's port whose `port` is
 * the configured one, then a ready address of the Service's Endpoints with that port's name
 * (or, without Endpoints, of its EndpointSlices). The built-in server has no kube-proxy, so
 * the cluster-IP route upstream uses by default would lead nowhere; endpoints lead straight
 * to the process serving the webhook (a loopback address in tests and `kubeloop dev`).
 * Errors carry upstream's texts; the caller reports them as dial errors.
 */
import type { Store } from '../storage/index.js';

interface ServicePort {
  name?: string;
  port?: number;
}

interface EndpointsObject {
  subsets?: { addresses?: { ip?: string }[]; ports?: { name?: string; port?: number }[] }[];
}

interface EndpointSliceObject {
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[];
  ports?: { name?: string | null; port?: number }[];
}

/** An address the service's traffic goes to. */
export interface ResolvedEndpoint {
  host: string;
  port: number;
}

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];

/** The endpoint a call to `namespace/name:port` is dialled to; throws with upstream's messages. */
export function resolveServiceEndpoint(store: Store, namespace: string, name: string, port: number): ResolvedEndpoint {
  const svc = store.get('/services', `${namespace}/${name}`)?.obj as { spec?: { type?: string; ports?: ServicePort[] } } | undefined;
  if (!svc) throw new Error(`service "${name}" not found`);
  const type = svc.spec?.type ?? 'ClusterIP';
  if (!['ClusterIP', 'LoadBalancer', 'NodePort'].includes(type)) throw new Error(`unsupported service type "${type}"`);
  const svcPort = (svc.spec?.ports ?? []).find((p) => p.port === port);
  if (!svcPort) throw new Error(`no service port ${port} found for service "${name}"`);
  const portName = svcPort.name ?? '';
  const candidates: ResolvedEndpoint[] = [];
  const eps = store.get('/endpoints', `${namespace}/${name}`)?.obj as EndpointsObject | undefined;
  if (eps) {
    for (const ss of eps.subsets ?? []) {
      const p = (ss.ports ?? []).find((x) => (x.name ?? '') === portName);
      if (!p?.port) continue;
      for (const a of ss.addresses ?? []) if (a.ip) candidates.push({ host: a.ip, port: p.port });
    }
  } else {
    for (const [, s] of store.scan('discovery.k8s.io/endpointslices', `${namespace}/`)) {
      if (s.obj.metadata.labels?.['kubernetes.io/service-name'] !== name) continue;
      const slice = s.obj as EndpointSliceObject;
      const p = (slice.ports ?? []).find((x) => (x.name ?? '') === portName);
      if (!p?.port) continue;
      for (const e of slice.endpoints ?? []) {
        if (e.conditions?.ready === false || !e.addresses?.length) continue;
        candidates.push({ host: e.addresses[0], port: p.port });
      }
    }
  }
  if (!candidates.length) throw new Error(`no endpoints available for service "${name}"`);
  return pick(candidates);
}
