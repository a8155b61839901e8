/**
 * Service -> Endpoints -> address:port, as kube-apiserver 1.32 resolves an APIService's
 * backend with `--enable-aggregator-routing=true` (`proxy.ResolveEndpoint`): the Service port
 * whose `port` is `spec.service.port`, then a random ready address of an Endpoints subset that
 * has a port of the same name. Upstream's default routes to the ClusterIP instead; cluster IPs
 * are not routable here, so endpoint routing is what is modelled. (kube-apiserver reads
 * EndpointSlices from 1.33 on; 1.32 reads Endpoints.)
 */
import type { KubeObject } from '../../api/index.js';
import type { Store } from '../storage/index.js';

export interface Endpoint {
  host: string;
  port: number;
}

export type Service = KubeObject & { spec?: { type?: string; externalName?: string; ports?: { name?: string; port: number }[] } };
export type Endpoints = KubeObject & { subsets?: { addresses?: { ip: string }[]; ports?: { name?: string; port: number }[] }[] };

export const SERVICES = '/services';
export const ENDPOINTS = '/endpoints';

export function getService(store: Store, namespace: string, name: string): Service | undefined {
  return store.get(SERVICES, `${namespace}/${name}`)?.obj as Service | undefined;
}

export function getEndpoints(store: Store, namespace: string, name: string): Endpoints | undefined {
  return store.get(ENDPOINTS, `${namespace}/${name}`)?.obj as Endpoints | undefined;
}

/** A ready endpoint of the Service port `port`; throws with upstream's error texts. */
export function resolveEndpoint(store: Store, namespace: string, name: string, port: number): Endpoint {
  const svc = getService(store, namespace, name);
  if (!svc) throw new Error(`service "${name}" not found`);
  const type = svc.spec?.type ?? 'ClusterIP';
  if (type === 'ExternalName') return { host: svc.spec?.externalName ?? '', port };
  if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(type)) throw new Error(`unsupported service type "${type}"`);
  const svcPort = svc.spec?.ports?.find((p) => p.port === port);
  if (!svcPort) throw new Error(`no service port ${port} found for service "${name}"`);
  const eps = getEndpoints(store, namespace, name);
  if (!eps) throw new Error(`endpoints "${name}" not found`);
  const subsets = eps.subsets ?? [];
  const start = Math.floor(Math.random() * Math.max(subsets.length, 1));
  for (let i = 0; i < subsets.length; i++) {
    const ss = subsets[(start + i) % subsets.length];
    if (!ss.addresses?.length) continue;
    const p = ss.ports?.find((x) => (x.name ?? '') === (svcPort.name ?? ''));
    if (p) return { host: ss.addresses[Math.floor(Math.random() * ss.addresses.length)].ip, port: p.port };
  }
  throw new Error(`no endpoints available for service "${name}"`);
}
