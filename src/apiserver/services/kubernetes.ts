/**
 * The `default/kubernetes` Service and its endpoints, as kube-apiserver's kubernetesservice
 * controller (pkg/controlplane/controller/kubernetesservice/controller.go, v1.32) and its
 * endpoint reconciler's EndpointsAdapter (pkg/controlplane/reconcilers/endpointsadapter.go):
 *
 * - Service `kubernetes` in `default`, labels `component: apiserver` and `provider: kubernetes`,
 *   type ClusterIP with the first IP of the service CIDR, port 443 named `https` (TCP) to the
 *   server's secure port, sessionAffinity None. Created when missing; an existing one is left.
 * - Endpoints `kubernetes`: label `endpointslice.kubernetes.io/skip-mirror: "true"` (the only
 *   label), one subset with the advertised address and port `https`/TCP.
 * - EndpointSlice `kubernetes`: label `kubernetes.io/service-name: kubernetes` (the only label),
 *   addressType IPv4, one endpoint `ready: true`, the same port.
 *
 * Upstream reconciles every 10 s; here the same sync runs on every change to one of the three
 * objects (a deletion brings it back, a changed subset or label is put back).
 */
import type { KubeObject } from '../../api/index.js';
import { type Controller, type SemanticsHost, queueController, WorkQueue } from '../semantics-kit.js';

export const KUBERNETES_SERVICE = 'kubernetes';
const NAMESPACE = 'default';
const KEY = `${NAMESPACE}/${KUBERNETES_SERVICE}`;
const SERVICES = '/services';
const ENDPOINTS = '/endpoints';
const SLICES = 'discovery.k8s.io/endpointslices';
const SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
const SERVICE_NAME = 'kubernetes.io/service-name';

export interface KubernetesServiceOptions {
  /** The Service's cluster IP (the first address of the service CIDR). */
  clusterIP: string;
  /** The address endpoints point at (the advertised address). */
  address: string;
  /** The server's secure port. */
  port: number;
}

type Endpoints = KubeObject & { subsets?: unknown[] };
type Slice = KubeObject & { addressType?: string; endpoints?: unknown[]; ports?: unknown[] };

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Starts the controller; `ready` resolves once the three objects exist (server start). */
export function startKubernetesService(host: SemanticsHost, opts: KubernetesServiceOptions): Controller & { ready: Promise<void> } {
  const { store, registry, ops } = host;
  const svcT = registry.get('', 'v1', 'services')!;
  const epT = registry.get('', 'v1', 'endpoints')!;
  const sliceT = registry.get('discovery.k8s.io', 'v1', 'endpointslices');
  const ports = [{ name: 'https', port: opts.port, protocol: 'TCP' }];
  const subsets = [{ addresses: [{ ip: opts.address }], ports }];
  const sliceEndpoints = [{ addresses: [opts.address], conditions: { ready: true } }];

  const sync = async (): Promise<void> => {
    if (!store.get(SERVICES, KEY)) {
      await ops.create(svcT, NAMESPACE, {
        apiVersion: 'v1', kind: 'Service',
        metadata: { name: KUBERNETES_SERVICE, labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { type: 'ClusterIP', clusterIP: opts.clusterIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port }], sessionAffinity: 'None' },
      });
    }
    const ep = store.get(ENDPOINTS, KEY)?.obj as Endpoints | undefined;
    const epLabels = { [SKIP_MIRROR]: 'true' };
    if (!ep) {
      await ops.create(epT, NAMESPACE, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: KUBERNETES_SERVICE, labels: epLabels }, subsets });
    } else if (!same(ep.subsets, subsets) || !same(ep.metadata.labels, epLabels)) {
      const next = structuredClone(ep);
      next.metadata.labels = epLabels;
      next.subsets = subsets;
      await ops.update(epT, NAMESPACE, KUBERNETES_SERVICE, next);
    }
    if (!sliceT) return;
    const slice = store.get(SLICES, KEY)?.obj as Slice | undefined;
    const sliceLabels = { [SERVICE_NAME]: KUBERNETES_SERVICE };
    if (!slice) {
      await ops.create(sliceT, NAMESPACE, {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: KUBERNETES_SERVICE, labels: sliceLabels },
        addressType: opts.address.includes(':') ? 'IPv6' : 'IPv4', endpoints: sliceEndpoints, ports,
      });
    } else if (!same(slice.endpoints, sliceEndpoints) || !same(slice.ports, ports) || !same(slice.metadata.labels, sliceLabels)) {
      const next = structuredClone(slice);
      next.metadata.labels = sliceLabels;
      next.endpoints = sliceEndpoints;
      next.ports = ports;
      await ops.update(sliceT, NAMESPACE, KUBERNETES_SERVICE, next);
    }
  };

  const queue = new WorkQueue(sync);
  // only the three kinds it writes: no call for every other write
  const unsubscribe = host.onChange((c) => {
    if (c.type !== 'ADDED' && c.key === KEY) queue.add(KEY);
  }, [SERVICES, ENDPOINTS, SLICES]);
  queue.add(KEY);
  return { ready: queue.idle(), ...queueController(queue, unsubscribe) };
}
