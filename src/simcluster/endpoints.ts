/**
 * The endpoints controller of kube-controller-manager (`pkg/controller/endpoint`, 1.32): for
 * every Service with a selector, an Endpoints object of the same name listing the pods the
 * selector matches —
 * - a pod counts once it has an IP, is not terminal and not being deleted (deleting pods count
 *   when the Service has `publishNotReadyAddresses`), as `endpointutil.ShouldPodBeInEndpoints`;
 * - Ready pods (or all, with `publishNotReadyAddresses`) go to `addresses`, others to
 *   `notReadyAddresses`, each with `ip`, `nodeName` and a `targetRef` to the pod;
 * - each Service port becomes an endpoint port with the Service port's name and protocol and
 *   the pod's port: `targetPort` as a number, a container port looked up by name
 *   (`podutil.FindPort`; a pod without it is left out of that port), or `port` when unset;
 * - pods with the same ports share a subset (`endpoints.RepackSubsets`), addresses sorted.
 * Services without a selector (absent or empty: "If empty or not present, the service is
 * assumed to have an external process managing its endpoints", ServiceSpec.selector; a real API
 * server drops an empty map) are left alone: their Endpoints are written by hand (or by
 * another controller). Endpoints go when their Service goes.
 *
 * The same pass keeps the Service's EndpointSlices as the endpointslice controller does
 * (`pkg/controller/endpointslice`): one `discovery.k8s.io/v1` slice per set of ports, named
 * from `<service>-` (generateName), labelled `kubernetes.io/service-name` and
 * `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`, owned by the
 * Service (so they go with it), `addressType: IPv4`, an endpoint per pod with its address,
 * `conditions` (`ready`, `serving`, `terminating`: a terminating pod stays listed, not ready
 * unless the Service has `publishNotReadyAddresses`, which makes every endpoint ready),
 * `nodeName` and `targetRef`.
 */
import { isNotFound, labelSelectorFromSpec, type KubeObject } from '../api/index.js';
import {
  Controller, EndpointSlice, Endpoints, Pod, Service, inject,
  type PodObject, type ReconcileContext, type Reconciler, type Request, type TypedObject,
} from '../controller/index.js';
import { SIM, type SimContext } from './config.js';
import { isTerminated } from './quantity.js';
import { isPodReady } from './workload.js';

interface ServicePort { name?: string; port: number; targetPort?: number | string; protocol?: string; appProtocol?: string }
type ServiceObject = TypedObject<{ selector?: Record<string, string> | null; ports?: ServicePort[]; publishNotReadyAddresses?: boolean; clusterIP?: string; type?: string }>;
interface EndpointAddress { ip: string; nodeName?: string; targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string } }
interface EndpointPort { name?: string; port: number; protocol: string; appProtocol?: string }
interface EndpointSubset { addresses?: EndpointAddress[]; notReadyAddresses?: EndpointAddress[]; ports?: EndpointPort[] }
type EndpointsObject = KubeObject & { subsets?: EndpointSubset[] };

const PODS = '~pods';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MANAGED_BY = 'endpointslice-controller.k8s.io';
const HEADLESS_LABEL = 'service.kubernetes.io/headless';

interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  nodeName?: string;
  targetRef: EndpointAddress['targetRef'];
}
interface SlicePort { name: string; port: number; protocol: string; appProtocol?: string }
type SliceObject = KubeObject & { addressType?: string; endpoints?: SliceEndpoint[] | null; ports?: SlicePort[] | null };

/** The Service's pod selector, or undefined when it has none (absent, null or empty: not ours to keep). */
export function servicePodSelector(svc: ServiceObject): Record<string, string> | undefined {
  const selector = svc.spec?.selector;
  return selector && Object.keys(selector).length ? selector : undefined;
}

/**
 * A slice's labels (endpointslice's `setEndpointSliceLabels`): the Service's, but for the
 * reserved service-name, managed-by and headless labels, which the controller sets itself
 * (`service.kubernetes.io/headless` when the Service's clusterIP is None).
 */
export function endpointSliceLabels(svc: ServiceObject): Record<string, string> {
  const reserved = new Set([SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL]);
  const own = Object.entries(svc.metadata.labels ?? {}).filter(([k]) => !reserved.has(k));
  return {
    ...Object.fromEntries(own), [SERVICE_NAME_LABEL]: svc.metadata.name!, [MANAGED_BY_LABEL]: MANAGED_BY,
    ...(svc.spec?.clusterIP === 'None' ? { [HEADLESS_LABEL]: '' } : {}),
  };
}

/** The Service's slices' content: ports and endpoints per set of ports. */
export function endpointSliceContents(svc: ServiceObject, pods: PodObject[]): { ports: SlicePort[]; endpoints: SliceEndpoint[] }[] {
  const byPorts = new Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }>();
  for (const pod of pods) {
    const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
    if (!ip || isTerminated(pod)) continue;
    const ports: SlicePort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      ports.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    if ((svc.spec?.ports ?? []).length && !ports.length) continue;
    ports.sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port);
    const key = JSON.stringify(ports);
    const group = byPorts.get(key) ?? { ports, endpoints: [] };
    byPorts.set(key, group);
    const terminating = !!pod.metadata.deletionTimestamp;
    const serving = isPodReady(pod);
    // podToEndpoint (k8s.io/endpointslice): never ready while terminating, unless the Service
    // publishes not-ready addresses, which makes every endpoint ready
    const ready = !!svc.spec?.publishNotReadyAddresses || (serving && !terminating);
    group.endpoints.push({
      addresses: [ip],
      conditions: { ready, serving, terminating },
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! },
    });
  }
  const out = [...byPorts.values()];
  for (const g of out) g.endpoints.sort((a, b) => a.addresses[0].localeCompare(b.addresses[0], 'en', { numeric: true }));
  return out;
}
const toNamespace = (o: { metadata: { namespace?: string } }) => ({ namespace: o.metadata.namespace, name: PODS });

/** The pod's port for a Service port, or undefined when the pod has no such named port. */
function findPort(pod: PodObject, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  for (const c of (pod.spec?.containers ?? []) as Array<{ ports?: Array<{ name?: string; containerPort: number; protocol?: string }> }>) {
    const p = c.ports?.find((x) => x.name === target && (x.protocol ?? 'TCP') === protocol);
    if (p) return p.containerPort;
  }
  return undefined;
}

/** The subsets of a Service's Endpoints from its pods. */
export function endpointSubsets(svc: ServiceObject, pods: PodObject[]): EndpointSubset[] {
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  const bySignature = new Map<string, EndpointSubset>();
  for (const pod of pods) {
    const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
    if (!ip || isTerminated(pod)) continue;
    if (pod.metadata.deletionTimestamp && !publishNotReady) continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    // a Service with ports but none of them on this pod: the pod serves nothing of it
    if ((svc.spec?.ports ?? []).length && !ports.length) continue;
    ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
    const key = JSON.stringify(ports);
    const subset = bySignature.get(key) ?? { ports };
    bySignature.set(key, subset);
    const address: EndpointAddress = {
      ip, ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! },
    };
    if (publishNotReady || isPodReady(pod)) (subset.addresses ??= []).push(address);
    else (subset.notReadyAddresses ??= []).push(address);
  }
  const byIp = (a: EndpointAddress, b: EndpointAddress) => a.ip.localeCompare(b.ip, 'en', { numeric: true }) || a.targetRef.uid.localeCompare(b.targetRef.uid);
  const out = [...bySignature.values()];
  for (const s of out) {
    s.addresses?.sort(byIp);
    s.notReadyAddresses?.sort(byIp);
    if (!s.ports?.length) delete s.ports;
  }
  return out.sort((a, b) => JSON.stringify(a.ports ?? []).localeCompare(JSON.stringify(b.ports ?? [])));
}

@Controller({
  for: Service,
  name: 'endpoints',
  fieldManager: 'kube-controller-manager',
  needLeaderElection: false,
  // Endpoints are cached (what is there) but their events start nothing, as upstream (a lister
  // only): so a request that is not `~pods` and finds no Service is always a Service deletion,
  // and hand-made Endpoints without a Service stay.
  watches: [
    { kind: Pod, map: toNamespace },
    { kind: Endpoints, map: toNamespace, predicates: [{ create: () => false, update: () => false, delete: () => false, generic: () => false }] },
    { kind: EndpointSlice, map: toNamespace, predicates: [{ create: () => false, update: () => false, delete: () => false, generic: () => false }] },
  ],
})
export class EndpointsController implements Reconciler<ServiceObject> {
  constructor(@inject(SIM) private readonly sim: SimContext) {}

  async reconcile(svc: ServiceObject, ctx: ReconcileContext<ServiceObject>): Promise<void> {
    const selector = servicePodSelector(svc);
    if (!selector || svc.metadata.deletionTimestamp) return;
    const ns = svc.metadata.namespace!;
    const sel = labelSelectorFromSpec({ matchLabels: selector });
    const pods = ctx.cache<PodObject>(Pod).list({ namespace: ns }).filter((p) => sel.matches(p.metadata.labels));
    const subsets = endpointSubsets(svc, pods);
    await this.syncSlices(svc, pods, ctx);
    const cur = ctx.cache<EndpointsObject>(Endpoints).get(ns, svc.metadata.name!);
    const labels = { ...(svc.metadata.labels ?? {}), ...(svc.spec?.clusterIP === 'None' ? { [HEADLESS_LABEL]: '' } : {}) };
    if (cur && JSON.stringify(cur.subsets ?? []) === JSON.stringify(subsets) && JSON.stringify(cur.metadata.labels ?? {}) === JSON.stringify(labels)) return;
    const obj = {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: { name: svc.metadata.name!, namespace: ns, labels, ...(cur ? { resourceVersion: cur.metadata.resourceVersion } : {}) },
      subsets,
    };
    if (cur) await ctx.client.update(obj as never);
    else await ctx.client.create(obj as never);
    this.sim.config.log.debug({ service: `${ns}/${svc.metadata.name}`, addresses: subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0) }, 'endpoints updated');
  }

  /** One slice per set of ports: existing ones reused by their ports, the rest deleted. */
  private async syncSlices(svc: ServiceObject, pods: PodObject[], ctx: ReconcileContext<ServiceObject>): Promise<void> {
    const ns = svc.metadata.namespace!;
    const name = svc.metadata.name!;
    const found = endpointSliceContents(svc, pods);
    // a Service without endpoints keeps one empty placeholder slice, as upstream
    const want = found.length ? found : [{ ports: [] as SlicePort[], endpoints: [] as SliceEndpoint[] }];
    const have = ctx.cache<SliceObject>(EndpointSlice).list({ namespace: ns, labelSelector: `${SERVICE_NAME_LABEL}=${name},${MANAGED_BY_LABEL}=${MANAGED_BY}` })
      .filter((s) => s.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid));
    const unused = new Set(have);
    const labels = endpointSliceLabels(svc);
    for (const w of want) {
      const match = [...unused].find((s) => JSON.stringify(s.ports ?? []) === JSON.stringify(w.ports));
      if (match) {
        unused.delete(match);
        if (JSON.stringify(match.endpoints ?? []) === JSON.stringify(w.endpoints) && JSON.stringify(match.metadata.labels ?? {}) === JSON.stringify(labels)) continue;
        await ctx.client.update({ ...match, metadata: { ...match.metadata, labels }, endpoints: w.endpoints } as never);
      } else {
        await ctx.client.create({
          apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
          metadata: {
            generateName: `${name.slice(0, 57)}-`, namespace: ns, labels,
            ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          },
          addressType: 'IPv4', endpoints: w.endpoints, ports: w.ports,
        } as never);
      }
    }
    for (const s of unused) {
      try {
        await ctx.client.delete(EndpointSlice, s.metadata.name!, { namespace: ns });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async reconcileDeleted(req: Request, ctx: ReconcileContext<ServiceObject>): Promise<void> {
    if (req.name === PODS) {
      for (const s of ctx.cache<ServiceObject>(Service).list({ namespace: req.namespace })) {
        if (servicePodSelector(s)) ctx.enqueue({ namespace: s.metadata.namespace, name: s.metadata.name! });
      }
      return;
    }
    // the Service is gone: so are the Endpoints this controller kept for it
    const ep = ctx.cache<EndpointsObject>(Endpoints).get(req.namespace, req.name);
    if (!ep) return;
    try {
      await ctx.client.delete(Endpoints, req.name, { namespace: req.namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
