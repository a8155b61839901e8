/**
 * Pieces the quota admission plugin and controller share: the storage key, the index of
 * namespaces that have a ResourceQuota (kept from the change bus, so writes elsewhere cost one
 * map lookup), and the sorted map form Go's JSON gives a ResourceList.
 */
import type { KubeObject } from '../../api/index.js';
import type { Change } from '../storage/index.js';
import type { SemanticsHost } from '../semantics-kit.js';
import { str, type Usage } from './resourcelist.js';

export const RESOURCE_QUOTAS = '/resourcequotas';

export interface ScopeRequirement {
  scopeName: string;
  operator?: string;
  values?: string[];
}

export type ResourceQuota = KubeObject & {
  spec?: { hard?: Record<string, string>; scopes?: string[]; scopeSelector?: { matchExpressions?: ScopeRequirement[] } };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
};

/** The namespaces that have at least one ResourceQuota. */
export class QuotaIndex {
  private readonly counts = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(host: SemanticsHost) {
    for (const [, s] of host.store.scan(RESOURCE_QUOTAS)) this.bump(s.obj.metadata.namespace!, 1);
    this.unsubscribe = host.onChange((c: Change) => {
      if (c.storageKey !== RESOURCE_QUOTAS) return;
      if (c.type === 'ADDED') this.bump(c.object.metadata.namespace!, 1);
      else if (c.type === 'DELETED') this.bump(c.object.metadata.namespace!, -1);
    }, [RESOURCE_QUOTAS]);
  }

  private bump(ns: string, by: number): void {
    const n = (this.counts.get(ns) ?? 0) + by;
    if (n > 0) this.counts.set(ns, n);
    else this.counts.delete(ns);
  }

  has(namespace: string): boolean {
    return this.counts.has(namespace);
  }

  namespaces(): string[] {
    return [...this.counts.keys()];
  }

  stop(): void {
    this.unsubscribe();
  }
}

/** A resource list as Go's JSON encodes it: keys sorted, canonical quantities. */
export function sortedList(u: Usage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...u.keys()].sort()) out[k] = str(u.get(k)!);
  return out;
}
