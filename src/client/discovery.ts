/**
 * REST mapping: which URL a kind lives at. Uses the legacy per-group-version discovery
 * documents (`/api/v1`, `/apis/G/V`), which every API server serves. Results are cached
 * per group-version; a kind missing from the cache re-fetches its group-version once
 * (single-flight), so CRDs created after start are found.
 */
import { formatApiVersion, type GroupVersionKind } from '../api/index.js';
import { NoKindMatchError } from './errors.js';
import type { Transport } from './transport.js';
import { isNotFound } from '../api/index.js';

export interface RESTMapping {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Plural resource name, e.g. `configmaps`. */
  readonly resource: string;
  readonly namespaced: boolean;
  /** Subresources served, e.g. `status`, `scale`. */
  readonly subresources: readonly string[];
  readonly verbs: readonly string[];
}

interface APIResource {
  name: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
}

interface GroupVersionEntry {
  fetchedAt: number;
  byKind: Map<string, RESTMapping>;
}

export class RESTMapper {
  private readonly cache = new Map<string, GroupVersionEntry>();
  private readonly inflight = new Map<string, Promise<GroupVersionEntry | undefined>>();
  private readonly static = new Map<string, RESTMapping>();

  constructor(private readonly transport: Transport) {}

  /** Registers a mapping by hand (skips discovery for that kind). */
  register(mapping: Omit<RESTMapping, 'subresources' | 'verbs'> & Partial<Pick<RESTMapping, 'subresources' | 'verbs'>>): void {
    this.static.set(keyOf(mapping), { subresources: [], verbs: [], ...mapping });
  }

  /** The mapping of a kind. Throws `NoKindMatchError` when the server does not serve it. */
  async mappingFor(gvk: GroupVersionKind): Promise<RESTMapping> {
    const s = this.static.get(keyOf(gvk));
    if (s) return s;
    const gv = formatApiVersion(gvk.group, gvk.version);
    const cached = this.cache.get(gv)?.byKind.get(gvk.kind);
    if (cached) return cached;
    const fresh = await this.fetch(gv);
    const m = fresh?.byKind.get(gvk.kind);
    if (!m) throw new NoKindMatchError(gvk.group, gvk.version, gvk.kind);
    return m;
  }

  /** Drops cached discovery (all group-versions, or one). */
  invalidate(apiVersion?: string): void {
    if (apiVersion === undefined) this.cache.clear();
    else this.cache.delete(apiVersion);
  }

  private fetch(gv: string): Promise<GroupVersionEntry | undefined> {
    let p = this.inflight.get(gv);
    if (!p) {
      p = this.load(gv).finally(() => this.inflight.delete(gv));
      this.inflight.set(gv, p);
    }
    return p;
  }

  private async load(gv: string): Promise<GroupVersionEntry | undefined> {
    const path = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
    let list: { resources?: APIResource[] };
    try {
      list = await this.transport.requestJSON<{ resources?: APIResource[] }>({ method: 'GET', path });
    } catch (err) {
      if (isNotFound(err)) {
        this.cache.delete(gv);
        return undefined;
      }
      throw err;
    }
    const slash = gv.indexOf('/');
    const group = slash < 0 ? '' : gv.slice(0, slash);
    const version = slash < 0 ? gv : gv.slice(slash + 1);
    const byKind = new Map<string, RESTMapping>();
    const subs = new Map<string, string[]>();
    for (const r of list.resources ?? []) {
      const i = r.name.indexOf('/');
      if (i >= 0) {
        const parent = r.name.slice(0, i);
        (subs.get(parent) ?? subs.set(parent, []).get(parent)!).push(r.name.slice(i + 1));
      }
    }
    for (const r of list.resources ?? []) {
      if (r.name.includes('/') || byKind.has(r.kind)) continue;
      byKind.set(r.kind, {
        group,
        version,
        kind: r.kind,
        resource: r.name,
        namespaced: r.namespaced,
        subresources: subs.get(r.name) ?? [],
        verbs: r.verbs ?? [],
      });
    }
    const entry = { fetchedAt: Date.now(), byKind };
    this.cache.set(gv, entry);
    return entry;
  }
}

function keyOf(gvk: { group: string; version: string; kind: string }): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}`;
}

/** The URL path of a collection or an object. */
export function resourcePath(m: RESTMapping, namespace: string | undefined, name?: string, subresource?: string): string {
  let p = m.group === '' ? `/api/${m.version}` : `/apis/${m.group}/${m.version}`;
  if (m.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${m.resource}`;
  if (name !== undefined) {
    if (name === '') throw new Error(`resource name may not be empty`);
    p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
  }
  return p;
}
