/**
 * Discovery documents from the type registry: legacy (`/api`, `/apis`, `/api/v1`,
 * `/apis/G/V`) and aggregated v2 (`APIGroupDiscoveryList`). Rebuilt when the registry changes.
 */
import type { ResourceRegistry, ResourceType } from '../resources/index.js';

export const AGGREGATED_V2_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_V2BETA1_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** Which aggregated discovery version the Accept header asks for (first acceptable wins). */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const part of (accept ?? '').split(',')) {
    const p = part.replace(/\s+/g, '');
    if (!p.includes('as=APIGroupDiscoveryList') || !p.includes('g=apidiscovery.k8s.io')) {
      if (p.startsWith('application/json') || p.startsWith('*/*')) return undefined;
      continue;
    }
    if (p.includes('v=v2beta1')) return 'v2beta1';
    if (p.includes('v=v2')) return 'v2';
  }
  return undefined;
}

/** Versions in Kubernetes priority order (GA > beta > alpha, higher numbers first). */
export function sortVersions(vs: string[]): string[] {
  const rank = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), Number(m[3] ?? 0)];
  };
  return [...vs].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return rb[i] - ra[i];
    return byCodeUnit(a, b);
  });
}

/**
 * String order as Go's `<` and sort.Strings (upstream's installer sorts a group-version's
 * resource paths so): by code unit, not by locale. The same order as localeCompare for resource
 * names and versions (lower-case DNS labels), without initialising ICU's collator (~7-20 ms of
 * a server's start).
 */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Groups served by other servers (aggregated APIs, `aggregator/`): listed after the local
 * groups, with their own aggregated (v2) version entries.
 */
export interface ExternalGroups {
  /** Changes whenever `groups()` or `versions()` would answer differently. */
  readonly version: number;
  /** Group -> versions, preferred first. */
  groups(): Map<string, string[]>;
  /** The `APIVersionDiscovery` entries of a group (v2 `versions`). */
  versions(group: string): unknown[];
}

/** Builds (and caches per registry and external version) the discovery documents. */
export class Discovery {
  private cacheVersion = '';
  private cache = new Map<string, string>();

  constructor(private readonly registry: ResourceRegistry, private readonly serverAddress: () => string, private readonly external?: ExternalGroups) {}

  private cached(key: string, build: () => unknown): string {
    const version = `${this.registry.version}/${this.external?.version ?? 0}`;
    if (this.cacheVersion !== version) {
      this.cache.clear();
      this.cacheVersion = version;
    }
    let v = this.cache.get(key);
    if (v === undefined) this.cache.set(key, (v = JSON.stringify(build())));
    return v;
  }

  private groupVersions(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [g, vs] of this.registry.groups()) out.set(g, sortVersions(vs));
    for (const [g, vs] of this.external?.groups() ?? []) if (!out.has(g)) out.set(g, vs);
    return out;
  }

  /** `/api` */
  apiVersions(): string {
    return this.cached('api', () => ({
      kind: 'APIVersions',
      versions: this.groupVersions().get('') ?? ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.serverAddress() }],
    }));
  }

  /** `/apis` */
  apiGroupList(): string {
    return this.cached('apis', () => ({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...this.groupVersions()].filter(([g]) => g !== '').map(([g, vs]) => this.groupObject(g, vs)),
    }));
  }

  private groupObject(group: string, versions: string[]): Record<string, unknown> {
    const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
    return { name: group, versions: vs, preferredVersion: vs[0] };
  }

  /** `/apis/G` or undefined when the group is not served. */
  apiGroup(group: string): string | undefined {
    const vs = this.groupVersions().get(group);
    if (!vs || group === '') return undefined;
    return this.cached(`group:${group}`, () => ({ kind: 'APIGroup', apiVersion: 'v1', ...this.groupObject(group, vs) }));
  }

  /** `/api/v1` or `/apis/G/V`, or undefined. */
  resourceList(group: string, version: string): string | undefined {
    const types = this.registry.inGroupVersion(group, version);
    if (types.length === 0) return undefined;
    return this.cached(`rl:${group}/${version}`, () => {
      const resources: Record<string, unknown>[] = [];
      for (const t of [...types].sort((a, b) => byCodeUnit(a.resource, b.resource))) {
        const r: Record<string, unknown> = {
          name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs,
        };
        if (t.shortNames.length) r.shortNames = t.shortNames;
        if (t.categories.length) r.categories = t.categories;
        resources.push(r);
        for (const s of t.subresources) {
          const sr: Record<string, unknown> = { name: `${t.resource}/${s.name}`, singularName: '', namespaced: t.namespaced, kind: s.kind, verbs: s.verbs };
          if (s.group !== t.group || s.version !== t.version) {
            sr.group = s.group;
            sr.version = s.version;
          }
          resources.push(sr);
        }
      }
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
    });
  }

  private discoveryResource(t: ResourceType): Record<string, unknown> {
    const r: Record<string, unknown> = {
      resource: t.resource,
      responseKind: { group: t.group, version: t.version, kind: t.kind },
      scope: t.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: t.singular,
      verbs: t.verbs,
    };
    if (t.shortNames.length) r.shortNames = t.shortNames;
    if (t.categories.length) r.categories = t.categories;
    if (t.subresources.length) {
      r.subresources = t.subresources.map((s) => ({ subresource: s.name, responseKind: { group: s.group, version: s.version, kind: s.kind }, verbs: s.verbs }));
    }
    return r;
  }

  /** Aggregated discovery for `/api` (core) or `/apis` (named groups). */
  aggregated(core: boolean, version: 'v2' | 'v2beta1'): string {
    return this.cached(`agg:${core}:${version}`, () => {
      const items: Record<string, unknown>[] = [];
      for (const [g, vs] of this.groupVersions()) {
        if ((g === '') !== core) continue;
        if (this.registry.inGroupVersion(g, vs[0]).length === 0 && this.external) {
          const versions = this.external.versions(g);
          if (versions.length) items.push({ metadata: { name: g, creationTimestamp: null }, versions });
          continue;
        }
        items.push({
          metadata: { name: g, creationTimestamp: null },
          versions: vs.map((v) => ({
            version: v,
            resources: this.registry.inGroupVersion(g, v).sort((a, b) => byCodeUnit(a.resource, b.resource)).map((t) => this.discoveryResource(t)),
            freshness: 'Current',
          })),
        });
      }
      return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
    });
  }
}
