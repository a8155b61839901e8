/**
 * The APIService availability controllers of kube-aggregator (`local_available_controller.go`,
 * `remote_available_controller.go` as of 1.32), setting the `Available` condition:
 * - local APIServices: True, `Local`, "Local APIServices are always available";
 * - remote ones: `ServiceNotFound`, `ServicePortError`, `EndpointsNotFound`, `MissingEndpoints`
 *   (ClusterIP Services), then a GET of `/apis/<group>/<version>` on a resolved endpoint as
 *   `system:kube-aggregator` (group `system:masters`, TLS not verified, 5 s timeout), which must
 *   answer 2xx: else `FailedDiscoveryCheck` with the error, retried with backoff; else `Passed`.
 * An APIService is checked when it (its spec), its Service or its Endpoints change, and every
 * 30 s (upstream's informer resync), which catches a backend that stops answering. Tests may
 * shorten the resync and the check's timeout ({@link AvailabilityTimings}).
 */
import { rfc3339 } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import { type Controller, isStatus, type SemanticsHost, queueController, WorkQueue } from '../semantics-kit.js';
import type { Change } from '../storage/index.js';
import { type ApiService, type ApiServiceCondition, APISERVICES, availableCondition, isRemote } from './apiservice.js';
import { AGGREGATOR_USER, backendRequest, endpointUrl, type BackendOptions, userHeaders } from './backend.js';
import { ENDPOINTS, getEndpoints, getService, resolveEndpoint, SERVICES } from './resolver.js';

type Verdict = Pick<ApiServiceCondition, 'status' | 'reason' | 'message'>;

/** The endpoint checks that need no request (Service, port, Endpoints). */
function endpointsVerdict(host: SemanticsHost, a: ApiService): Verdict | undefined {
  const { namespace = '', name = '', port = 443 } = a.spec.service!;
  const where = `service/${name} in ${JSON.stringify(namespace)}`;
  const svc = getService(host.store, namespace, name);
  if (!svc) return { status: 'False', reason: 'ServiceNotFound', message: `${where} is not present` };
  if ((svc.spec?.type ?? 'ClusterIP') !== 'ClusterIP') return undefined;
  const svcPort = svc.spec?.ports?.find((p) => p.port === port);
  if (!svcPort) return { status: 'False', reason: 'ServicePortError', message: `${where} is not listening on port ${port}` };
  const eps = getEndpoints(host.store, namespace, name);
  if (!eps) return { status: 'False', reason: 'EndpointsNotFound', message: `cannot find endpoints for ${where}` };
  const portName = svcPort.name ?? '';
  const active = (eps.subsets ?? []).some((s) => s.addresses?.length && s.ports?.some((p) => (p.name ?? '') === portName));
  if (!active) return { status: 'False', reason: 'MissingEndpoints', message: `endpoints for ${where} have no addresses with port name ${JSON.stringify(portName)}` };
  return undefined;
}

/** The discovery check: undefined when it passed, else the error text. */
async function discoveryCheck(host: SemanticsHost, a: ApiService, backend: BackendOptions, timeoutMs: number): Promise<string | undefined> {
  const { namespace = '', name = '', port = 443 } = a.spec.service!;
  let ep;
  try {
    ep = resolveEndpoint(host.store, namespace, name, port);
  } catch (e) {
    return (e as Error).message;
  }
  const path = a.metadata.name === 'v1.' ? `/api/${a.spec.version}` : `/apis/${a.spec.group}/${a.spec.version}`;
  const url = endpointUrl(ep) + path;
  try {
    const r = await backendRequest(a, ep, 'GET', path, userHeaders(AGGREGATOR_USER), { ...backend, insecure: true, timeoutMs });
    if (r.status < 200 || r.status >= 300) return `failing or missing response from ${url}: bad status from ${url}: ${r.status}`;
    return undefined;
  } catch (e) {
    return `failing or missing response from ${url}: Get ${JSON.stringify(url)}: ${(e as Error).message}`;
  }
}

/** How often and how patiently remote APIServices are checked. */
export interface AvailabilityTimings {
  /** Every remote APIService is re-checked this often (default 30 s, upstream's informer resync). */
  resyncMs?: number;
  /** The discovery check's timeout (default 5 s, upstream's `discoveryClient` Timeout). */
  checkTimeoutMs?: number;
}

export function startAvailabilityController(host: SemanticsHost, t: ResourceType, backend: BackendOptions, timings: AvailabilityTimings = {}): Controller {
  const resyncMs = timings.resyncMs ?? 30_000;
  const checkTimeoutMs = timings.checkTimeoutMs ?? 5000;
  const { store, ops } = host;

  const write = async (a: ApiService, v: Verdict): Promise<void> => {
    const prev = availableCondition(a);
    if (prev && prev.status === v.status && prev.reason === v.reason && prev.message === v.message) return;
    const next = JSON.parse(JSON.stringify(a)) as ApiService;
    const cond: ApiServiceCondition = { type: 'Available', ...v, lastTransitionTime: prev && prev.status === v.status ? prev.lastTransitionTime : rfc3339() };
    const others = (next.status?.conditions ?? []).filter((c) => c.type !== 'Available');
    next.status = { ...(next.status ?? {}), conditions: [...others, cond] };
    try {
      await ops.update(t, undefined, a.metadata.name!, next, { subresource: 'status' });
    } catch (e) {
      if (isStatus(e, 404)) return;
      throw e; // conflicts and the rest: retried
    }
  };

  const process = async (name: string): Promise<void> => {
    const a = store.get(APISERVICES, name)?.obj as ApiService | undefined;
    if (!a) return;
    if (!isRemote(a)) return write(a, { status: 'True', reason: 'Local', message: 'Local APIServices are always available' });
    const v = endpointsVerdict(host, a);
    if (v) return write(a, v);
    const failed = await discoveryCheck(host, a, backend, checkTimeoutMs);
    // The check took time: judge against the APIService as it is now.
    const now = store.get(APISERVICES, name)?.obj as ApiService | undefined;
    if (!now || now.metadata.uid !== a.metadata.uid) return;
    if (failed === undefined) return write(now, { status: 'True', reason: 'Passed', message: 'all checks passed' });
    await write(now, { status: 'False', reason: 'FailedDiscoveryCheck', message: failed });
    throw new Error(failed); // retried with backoff, as upstream requeues
  };

  const queue = new WorkQueue(process, { maxDelayMs: resyncMs });
  /** APIService names by the `namespace/name` of their Service. */
  const byService = (key: string): string[] => {
    const out: string[] = [];
    for (const [, s] of store.scan(APISERVICES)) {
      const svc = (s.obj as ApiService).spec?.service;
      if (svc && `${svc.namespace}/${svc.name}` === key) out.push(s.obj.metadata.name!);
    }
    return out;
  };
  const onChange = (c: Change): void => {
    if (c.storageKey === APISERVICES) {
      // Its own status writes need no other pass.
      if (c.type !== 'DELETED' && (!c.old || JSON.stringify(c.old.spec) !== JSON.stringify(c.object.spec))) queue.add(c.object.metadata.name!);
    } else if (c.storageKey === SERVICES || c.storageKey === ENDPOINTS) {
      for (const n of byService(c.key)) queue.add(n);
    }
  };
  const unsubscribe = host.onChange(onChange, [APISERVICES, SERVICES, ENDPOINTS]);
  const all = (): void => {
    for (const [, s] of store.scan(APISERVICES)) queue.add(s.obj.metadata.name!);
  };
  all();
  const resync = setInterval(() => {
    for (const [, s] of store.scan(APISERVICES)) if (isRemote(s.obj as ApiService)) queue.add(s.obj.metadata.name!);
  }, resyncMs);
  resync.unref();
  return queueController(queue, () => {
    clearInterval(resync);
    unsubscribe();
  });
}
