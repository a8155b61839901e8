/**
 * Discovery of aggregated APIs, as kube-aggregator's discovery manager (`handler_discovery.go`)
 * builds it:
 * - legacy discovery (`/apis`, `/apis/<group>`) lists every group-version with a remote
 *   APIService, available or not;
 * - aggregated discovery (`apidiscovery.k8s.io/v2`) holds, per remote group-version, what the
 *   backend's own aggregated `/apis` document says about it (or, when the backend answers 404
 *   there or no aggregated list, its legacy `/apis/<group>/<version>` converted); when the
 *   fetch fails (an unavailable APIService answers 503 without asking the backend) the
 *   group-version is listed with no resources and `freshness: Stale`. client-go turns a stale
 *   group-version into `stale GroupVersion discovery: <gv>` (the namespace controller's
 *   discovery failure). A group-version is fetched again whenever its APIService changes
 *   (its availability included).
 */
import { AGGREGATED_V2_CONTENT_TYPE, type ExternalGroups, sortVersions } from '../discovery/index.js';
import { type Controller, type SemanticsHost, queueController, WorkQueue } from '../semantics-kit.js';
import { type ApiService, APISERVICES, availableCondition, groupVersionOf, isRemote } from './apiservice.js';
import { AGGREGATOR_USER, backendRequest, type BackendOptions, userHeaders } from './backend.js';
import { resolveEndpoint } from './resolver.js';

/** A v2 `APIResourceDiscovery` (the fields read here). */
export interface DiscoveredResource {
  resource: string;
  scope?: 'Namespaced' | 'Cluster';
  verbs?: string[];
}

/** A v2 `APIVersionDiscovery` (`resources` is omitempty: a stale entry has none). */
type VersionEntry = { version: string; resources?: DiscoveredResource[]; freshness: 'Current' | 'Stale' };

interface LegacyResource {
  name: string;
  singularName?: string;
  namespaced?: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}

/** `endpoints.ConvertGroupVersionIntoToDiscovery`: a legacy APIResourceList as v2 resources. */
function convertLegacy(list: LegacyResource[]): DiscoveredResource[] {
  const out = new Map<string, DiscoveredResource & Record<string, unknown>>();
  for (const r of list.filter((x) => !x.name.includes('/'))) {
    const d: DiscoveredResource & Record<string, unknown> = {
      resource: r.name,
      responseKind: { group: r.group ?? '', version: r.version ?? '', kind: r.kind },
      scope: r.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: r.singularName ?? '',
      verbs: r.verbs ?? [],
    };
    if (r.shortNames?.length) d.shortNames = r.shortNames;
    if (r.categories?.length) d.categories = r.categories;
    out.set(r.name, d);
  }
  for (const r of list.filter((x) => x.name.includes('/'))) {
    const [parent, sub] = r.name.split('/', 2);
    const p = out.get(parent);
    if (!p) continue;
    const subs = (p.subresources as unknown[] | undefined) ?? [];
    subs.push({ subresource: sub, responseKind: { group: r.group ?? '', version: r.version ?? '', kind: r.kind }, verbs: r.verbs ?? [] });
    p.subresources = subs;
  }
  return [...out.values()];
}

export interface RemoteDiscovery extends Controller, ExternalGroups {
  /** Group-versions whose discovery failed: `gv` -> client-go's error text. */
  failures(): Map<string, string>;
  /** The discovered resources of each remote APIService whose discovery is current. */
  served(): { apiService: ApiService; resources: DiscoveredResource[] }[];
}

export function startRemoteDiscovery(host: SemanticsHost, backend: BackendOptions = {}): RemoteDiscovery {
  const { store } = host;
  /** By APIService name. */
  const entries = new Map<string, { group: string; entry: VersionEntry }>();
  let version = 0;
  let groupsCache: { at: number; groups: Map<string, string[]> } | undefined;
  const bump = (): void => {
    version++;
    groupsCache = undefined;
  };

  const fetchEntry = async (a: ApiService): Promise<VersionEntry> => {
    const stale: VersionEntry = { version: a.spec.version!, freshness: 'Stale' };
    if (availableCondition(a)?.status !== 'True') return stale; // the proxy answers 503
    const svc = a.spec.service!;
    try {
      const ep = resolveEndpoint(store, svc.namespace!, svc.name!, svc.port ?? 443);
      const headers = userHeaders(AGGREGATOR_USER);
      const agg = await backendRequest(a, ep, 'GET', '/apis', { ...headers, Accept: `${AGGREGATED_V2_CONTENT_TYPE},application/json` }, backend);
      if (agg.status === 200) {
        const doc = JSON.parse(agg.body.toString('utf8')) as { kind?: string; items?: { metadata?: { name?: string }; versions?: VersionEntry[] }[] };
        if (doc.kind === 'APIGroupDiscoveryList') {
          const v = doc.items?.find((g) => g.metadata?.name === a.spec.group)?.versions?.find((x) => x.version === a.spec.version);
          return { version: a.spec.version!, resources: v?.resources ?? [], freshness: 'Current' };
        }
      } else if (agg.status !== 404) return stale;
      const legacy = await backendRequest(a, ep, 'GET', `/apis/${a.spec.group}/${a.spec.version}`, { ...headers, Accept: 'application/json' }, backend);
      if (legacy.status !== 200) return stale;
      const list = JSON.parse(legacy.body.toString('utf8')) as { resources?: LegacyResource[] };
      return { version: a.spec.version!, resources: convertLegacy(list.resources ?? []), freshness: 'Current' };
    } catch {
      return stale;
    }
  };

  const process = async (name: string): Promise<void> => {
    const a = store.get(APISERVICES, name)?.obj as ApiService | undefined;
    if (!a || !isRemote(a)) {
      if (entries.delete(name)) bump();
      else groupsCache = undefined;
      return;
    }
    const entry = await fetchEntry(a);
    const now = store.get(APISERVICES, name)?.obj as ApiService | undefined;
    if (!now || now.metadata.uid !== a.metadata.uid) return;
    const prev = entries.get(name);
    if (prev && JSON.stringify(prev.entry) === JSON.stringify(entry)) return;
    entries.set(name, { group: a.spec.group!, entry });
    bump();
  };

  const queue = new WorkQueue(process);
  const unsubscribe = host.onChange((c) => {
    if (c.storageKey !== APISERVICES) return;
    bump(); // the legacy group list follows the APIServices at once
    queue.add(c.object.metadata.name!);
  }, [APISERVICES]);
  for (const [, s] of store.scan(APISERVICES)) if (isRemote(s.obj as ApiService)) queue.add(s.obj.metadata.name!);

  const remoteServices = (): ApiService[] => [...store.scan(APISERVICES)].map(([, s]) => s.obj as ApiService).filter(isRemote);

  return {
    get version() {
      return version;
    },
    groups() {
      if (groupsCache?.at === version) return groupsCache.groups;
      const byGroup = new Map<string, ApiService[]>();
      for (const a of remoteServices()) byGroup.set(a.spec.group!, [...(byGroup.get(a.spec.group!) ?? []), a]);
      // Groups by groupPriorityMinimum, versions by versionPriority, then Kubernetes version order.
      const groups = new Map<string, string[]>();
      const prio = (as: ApiService[]) => Math.max(...as.map((a) => a.spec.groupPriorityMinimum ?? 0));
      for (const [g, as] of [...byGroup].sort(([ga, a], [gb, b]) => prio(b) - prio(a) || ga.localeCompare(gb))) {
        const order = sortVersions(as.map((a) => a.spec.version!));
        const vp = new Map(as.map((a) => [a.spec.version!, a.spec.versionPriority ?? 0]));
        groups.set(g, [...order].sort((x, y) => vp.get(y)! - vp.get(x)! || order.indexOf(x) - order.indexOf(y)));
      }
      groupsCache = { at: version, groups };
      return groups;
    },
    versions(group) {
      const out: VersionEntry[] = [];
      for (const v of this.groups().get(group) ?? []) {
        const e = entries.get(`${v}.${group}`);
        if (e) out.push(e.entry);
      }
      return out;
    },
    failures() {
      const out = new Map<string, string>();
      for (const a of remoteServices()) {
        const e = entries.get(a.metadata.name!);
        if (e?.entry.freshness === 'Stale') out.set(groupVersionOf(a), `stale GroupVersion discovery: ${groupVersionOf(a)}`);
      }
      return out;
    },
    served() {
      const out: { apiService: ApiService; resources: DiscoveredResource[] }[] = [];
      for (const a of remoteServices()) {
        const e = entries.get(a.metadata.name!);
        if (e?.entry.freshness === 'Current') out.push({ apiService: a, resources: e.entry.resources ?? [] });
      }
      return out;
    },
    ...queueController(queue, unsubscribe),
  };
}
