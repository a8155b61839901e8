/**
 * The `metrics.k8s.io/v1beta1` API as kubernetes-sigs/metrics-server serves it (v0.7,
 * `pkg/api/{install,node,pod,table}.go`, `pkg/storage`), over the simulated usage:
 * - discovery: `/apis` (legacy `APIGroupList`, or `apidiscovery.k8s.io/v2` when asked),
 *   `/apis/metrics.k8s.io`, `/apis/metrics.k8s.io/v1beta1` (`nodes` NodeMetrics cluster-scoped,
 *   `pods` PodMetrics namespaced, verbs get and list, empty singular names);
 * - `nodes`, `nodes/<name>`, `pods`, `namespaces/<ns>/pods`, `namespaces/<ns>/pods/<name>`
 *   with `labelSelector` and `fieldSelector` (`metadata.name`, `metadata.namespace`); items
 *   sorted by namespace and name, carrying the object's labels and a `creationTimestamp` of now;
 *   `as=Table` gives the Name / cpu / memory / Window table;
 * - an object without metrics yet is left out of lists and is NotFound on get
 *   (`nodemetrics.metrics.k8s.io "n" not found`); an unknown node or pod is NotFound as the
 *   listers word it (`node "n" not found`, `pods "p" not found`);
 * - metrics exist once two scrapes saw the object: a node whose kubelet answers (hosted and
 *   alive) and a pod whose containers all run, started at least one resolution before the last
 *   scrape. Scrapes happen every `--metric-resolution` (15 s by default); the window is that
 *   resolution and the timestamp the last scrape.
 */
import {
  LabelSelector, newBadRequest, newMethodNotSupported, newNotFound, parseFieldSelector, parseLabelSelector, rfc3339,
  statusOf, type FieldSelector, type KubeObject, type Status,
} from '../api/index.js';
import type { NodeObject, PodObject } from '../controller/index.js';
import { containerUsage, formatBinaryBytes, formatNanocores, goDuration, nodeUsage, type Usage } from './metrics-usage.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
const GV = `${METRICS_GROUP}/${METRICS_VERSION}`;
const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** What the API reads: the cluster's objects and which kubelets answer scrapes. */
export interface MetricsSource {
  nodes(): readonly NodeObject[];
  pods(namespace?: string): readonly PodObject[];
  /** True when the node's kubelet answers (its metrics can be scraped). */
  scrapable(node: string): boolean;
  /** `--metric-resolution` in ms. */
  resolutionMs: number;
  now(): number;
}

export interface MetricsRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  accept?: string;
}

export interface MetricsResponse {
  status: number;
  contentType: string;
  body: string;
}

/** What a request asks for, for authorization (`authorizer.Attributes`). */
export type RequestAttributes =
  | { kind: 'resource'; verb: string; resource: 'nodes' | 'pods'; namespace?: string; name?: string }
  | { kind: 'path'; verb: string; path: string };

const RESOURCE_PATH = /^\/apis\/metrics\.k8s\.io\/v1beta1\/(?:namespaces\/([^/]+)\/)?(nodes|pods)(?:\/([^/]+))?\/?$/;

const json = (status: number, body: unknown, contentType = 'application/json'): MetricsResponse => ({ status, contentType, body: JSON.stringify(body) });
const failure = (s: Status): MetricsResponse => json(s.code ?? 500, s);

function watching(q: URLSearchParams): boolean {
  const w = q.get('watch');
  return w !== null && !['0', 'false', 'False', ''].includes(w);
}

/** A path segment unescaped, or undefined when its escapes are malformed (`%zz`, broken UTF-8). */
function unescapeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** The authorization attributes of a request (`verb` as the request-info resolver names it). */
export function requestAttributes(method: string, path: string, query: URLSearchParams): RequestAttributes {
  const m = RESOURCE_PATH.exec(path);
  const verbs: Record<string, string> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  // a non-resource request's verb is the lowercase HTTP method
  if (!m || (m[1] && m[2] === 'nodes')) return { kind: 'path', verb: method === 'HEAD' ? 'get' : method.toLowerCase(), path };
  let verb = verbs[method] ?? method.toLowerCase();
  if (verb === 'get' && !m[3]) verb = watching(query) ? 'watch' : 'list';
  if (verb === 'delete' && !m[3]) verb = 'deletecollection';
  const namespace = m[1] ? unescapeSegment(m[1]) : undefined;
  const name = m[3] ? unescapeSegment(m[3]) : undefined;
  // a malformed name is authorized as the path it is (and answered 400 by serveMetricsApi)
  if ((m[1] && namespace === undefined) || (m[3] && name === undefined)) return { kind: 'path', verb: method === 'HEAD' ? 'get' : method.toLowerCase(), path };
  return { kind: 'resource', verb, resource: m[2] as 'nodes' | 'pods', namespace, name };
}

const NOT_FOUND_PATH: Status = {
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404,
} as Status;

const RESOURCES = [
  { name: 'nodes', kind: 'NodeMetrics', namespaced: false },
  { name: 'pods', kind: 'PodMetrics', namespaced: true },
];

function discovery(path: string, accept: string | undefined): MetricsResponse | undefined {
  const versions = [{ groupVersion: GV, version: METRICS_VERSION }];
  const group = { name: METRICS_GROUP, versions, preferredVersion: versions[0] };
  if (path === '/apis') {
    if ((accept ?? '').includes('g=apidiscovery.k8s.io') && (accept ?? '').includes('v=v2') && (accept ?? '').includes('as=APIGroupDiscoveryList')) {
      return json(200, {
        kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {},
        items: [{
          metadata: { name: METRICS_GROUP, creationTimestamp: null },
          versions: [{
            version: METRICS_VERSION,
            resources: RESOURCES.map((r) => ({
              resource: r.name, responseKind: { group: METRICS_GROUP, version: METRICS_VERSION, kind: r.kind },
              scope: r.namespaced ? 'Namespaced' : 'Cluster', singularResource: '', verbs: ['get', 'list'],
            })),
            freshness: 'Current',
          }],
        }],
      }, AGGREGATED_V2);
    }
    return json(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [group] });
  }
  if (path === `/apis/${METRICS_GROUP}`) return json(200, { kind: 'APIGroup', apiVersion: 'v1', ...group });
  if (path === `/apis/${GV}`) {
    return json(200, {
      kind: 'APIResourceList', apiVersion: 'v1', groupVersion: GV,
      resources: RESOURCES.map((r) => ({ name: r.name, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'list'] })),
    });
  }
  return undefined;
}

interface Sample { timestamp: string; window: string; scrapeAt: number }

function sample(src: MetricsSource): Sample {
  const res = src.resolutionMs;
  const scrapeAt = Math.floor(src.now() / res) * res;
  return { timestamp: rfc3339(new Date(scrapeAt)), window: goDuration(res), scrapeAt };
}

const usageJson = (u: Usage) => ({ cpu: formatNanocores(u.cpu), memory: formatBinaryBytes(u.memory) });

/** True when two scrapes have seen the pod's containers running. */
function podScraped(p: PodObject, src: MetricsSource, s: Sample): boolean {
  if (!p.spec?.nodeName || p.status?.phase !== 'Running' || !src.scrapable(p.spec.nodeName)) return false;
  const statuses = (p.status?.containerStatuses ?? []) as Array<{ name: string; state?: { running?: { startedAt?: string } } }>;
  return (p.spec?.containers ?? []).every((c) => {
    const at = Date.parse(statuses.find((x) => x.name === c.name)?.state?.running?.startedAt ?? '');
    return !Number.isNaN(at) && at <= s.scrapeAt - src.resolutionMs;
  });
}

function nodeScraped(n: NodeObject, src: MetricsSource, s: Sample): boolean {
  const created = Date.parse(n.metadata.creationTimestamp ?? '');
  return src.scrapable(n.metadata.name!) && !Number.isNaN(created) && created <= s.scrapeAt - src.resolutionMs;
}

function nodeMetrics(n: NodeObject, src: MetricsSource, s: Sample): Record<string, unknown> {
  const running = src.pods().filter((p) => p.spec?.nodeName === n.metadata.name && p.status?.phase === 'Running');
  return {
    metadata: { name: n.metadata.name, creationTimestamp: rfc3339(new Date(src.now())), ...(n.metadata.labels ? { labels: n.metadata.labels } : {}) },
    timestamp: s.timestamp, window: s.window, usage: usageJson(nodeUsage(n, running)),
  };
}

function podMetrics(p: PodObject, src: MetricsSource, s: Sample): Record<string, unknown> {
  return {
    metadata: { name: p.metadata.name, namespace: p.metadata.namespace, creationTimestamp: rfc3339(new Date(src.now())), ...(p.metadata.labels ? { labels: p.metadata.labels } : {}) },
    timestamp: s.timestamp, window: s.window, containers: containerUsage(p).map((c) => ({ name: c.name, usage: usageJson(c.usage) })),
  };
}

const metaFields = (o: KubeObject, namespaced: boolean): Record<string, string | undefined> => ({
  'metadata.name': o.metadata.name, ...(namespaced ? { 'metadata.namespace': o.metadata.namespace } : {}),
});

function wantsTable(accept: string | undefined): boolean {
  return /(^|[,;\s])as=Table/.test(accept ?? '');
}

/** `addNodeMetricsToTable` / `addPodMetricsToTable`: Name, the usage names sorted, Window. */
function table(items: Record<string, unknown>[], kind: 'NodeMetrics' | 'PodMetrics'): Record<string, unknown> {
  const usageOf = (it: Record<string, unknown>): Record<string, string> => {
    if (kind === 'NodeMetrics') return it.usage as Record<string, string>;
    // a pod's containers summed (as quantities)
    let cpu = 0;
    let memory = 0;
    for (const c of it.containers as { usage: Record<string, string> }[]) {
      cpu += parseNanos(c.usage.cpu);
      memory += parseBytes(c.usage.memory);
    }
    return { cpu: formatNanocores(cpu), memory: formatBinaryBytes(memory) };
  };
  const columnDefinitions = items.length
    ? [
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the resource', priority: 0 },
      { name: 'cpu', type: 'string', format: 'quantity', description: '', priority: 0 },
      { name: 'memory', type: 'string', format: 'quantity', description: '', priority: 0 },
      { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0 },
    ]
    : [];
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: {}, columnDefinitions,
    rows: items.map((it) => {
      const u = usageOf(it);
      const md = it.metadata as Record<string, unknown>;
      return { cells: [md.name, u.cpu, u.memory, it.window], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: md } };
    }),
  };
}

function parseNanos(q: string): number {
  const m = /^(\d+)(n|u|m|k|M|G|T|P|E)?$/.exec(q);
  if (!m) return 0;
  const f: Record<string, number> = { n: 1, u: 1e3, m: 1e6, '': 1e9, k: 1e12, M: 1e15, G: 1e18, T: 1e21, P: 1e24, E: 1e27 };
  return Number(m[1]) * f[m[2] ?? ''];
}

function parseBytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q);
  if (!m) return 0;
  return Number(m[1]) * 1024 ** ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'].indexOf(m[2] ?? '');
}

/** Serves one (authenticated and authorized) request. */
export function serveMetricsApi(req: MetricsRequest, src: MetricsSource): MetricsResponse {
  try {
    return route(req, src);
  } catch (err) {
    const s = statusOf(err);
    if (s) return failure(s);
    throw err;
  }
}

function route(req: MetricsRequest, src: MetricsSource): MetricsResponse {
  const path = req.path.length > 1 ? req.path.replace(/\/$/, '') : req.path;
  if (['/healthz', '/livez', '/readyz'].includes(path)) return { status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok' };
  const m = RESOURCE_PATH.exec(path);
  if (!m || (m[1] !== undefined && m[2] === 'nodes')) {
    const doc = req.method === 'GET' ? discovery(path, req.accept) : undefined;
    return doc ?? failure(NOT_FOUND_PATH);
  }
  const [, nsRaw, resource, nameRaw] = m;
  const namespace = nsRaw === undefined ? undefined : unescapeSegment(nsRaw);
  const name = nameRaw === undefined ? undefined : unescapeSegment(nameRaw);
  // Go's net/http refuses a request whose path has a bad escape before any handler sees it
  const bad = [nsRaw, nameRaw].find((raw) => raw !== undefined && unescapeSegment(raw) === undefined);
  if (bad !== undefined) throw newBadRequest(`invalid URL escape in ${JSON.stringify(bad)}`);
  const gr = { group: METRICS_GROUP, resource };
  if (req.method !== 'GET') {
    const verb = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: name ? 'delete' : 'deletecollection' }[req.method] ?? req.method.toLowerCase();
    return failure(newMethodNotSupported(gr, verb).status);
  }
  if (!name && watching(req.query)) return failure(newMethodNotSupported(gr, 'watch').status);
  const s = sample(src);
  const kind = resource === 'nodes' ? 'NodeMetrics' : 'PodMetrics';
  if (name) {
    let item: Record<string, unknown> | undefined;
    if (resource === 'nodes') {
      const n = src.nodes().find((x) => x.metadata.name === name);
      if (!n) throw newNotFound({ group: '', resource: 'node' }, name);
      if (!nodeScraped(n, src, s)) throw newNotFound({ group: METRICS_GROUP, resource: 'nodemetrics' }, name);
      item = nodeMetrics(n, src, s);
    } else {
      const p = src.pods(namespace).find((x) => x.metadata.name === name);
      if (!p) throw newNotFound({ group: '', resource: 'pods' }, name);
      if (!podScraped(p, src, s)) throw newNotFound({ group: METRICS_GROUP, resource: 'podmetrics' }, `${namespace}/${name}`);
      item = podMetrics(p, src, s);
    }
    if (wantsTable(req.accept)) return json(200, table([item], kind), 'application/json;as=Table;v=v1;g=meta.k8s.io');
    return json(200, { kind, apiVersion: GV, ...item });
  }
  let labels: LabelSelector;
  let fields: FieldSelector;
  try {
    labels = parseLabelSelector(req.query.get('labelSelector'));
    fields = parseFieldSelector(req.query.get('fieldSelector'));
  } catch (err) {
    if (statusOf(err)) throw err;
    throw newBadRequest((err as Error).message);
  }
  const items: Record<string, unknown>[] = [];
  if (resource === 'nodes') {
    const nodes = src.nodes().filter((n) => labels.matches(n.metadata.labels) && fields.matches(metaFields(n, false)));
    for (const n of [...nodes].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))) {
      if (nodeScraped(n, src, s)) items.push(nodeMetrics(n, src, s));
    }
  } else {
    const pods = src.pods(namespace).filter((p) => labels.matches(p.metadata.labels) && fields.matches(metaFields(p, true)));
    const ordered = [...pods].sort((a, b) => a.metadata.namespace!.localeCompare(b.metadata.namespace!) || a.metadata.name!.localeCompare(b.metadata.name!));
    for (const p of ordered) if (podScraped(p, src, s)) items.push(podMetrics(p, src, s));
  }
  if (wantsTable(req.accept)) return json(200, table(items, kind), 'application/json;as=Table;v=v1;g=meta.k8s.io');
  return json(200, { kind: `${kind}List`, apiVersion: GV, metadata: {}, items });
}
