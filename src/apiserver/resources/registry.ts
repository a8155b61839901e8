/**
 * The registry of served resource types. Types can be added and removed at run time
 * (CRDs); discovery and OpenAPI read it on every request, and listeners hear of changes.
 */
import { gvrKey, type ResourceType } from './types.js';

export class ResourceRegistry {
  private readonly byGvr = new Map<string, ResourceType>();
  /** group -> version -> resource: `get` on every request builds no key string. */
  private readonly nested = new Map<string, Map<string, Map<string, ResourceType>>>();
  private readonly listeners = new Set<() => void>();
  private generation = 0;

  /** Adds or replaces a type. */
  add(t: ResourceType): void {
    this.byGvr.set(gvrKey(t.group, t.version, t.resource), t);
    let versions = this.nested.get(t.group);
    if (!versions) this.nested.set(t.group, (versions = new Map()));
    let resources = versions.get(t.version);
    if (!resources) versions.set(t.version, (resources = new Map()));
    resources.set(t.resource, t);
    this.changed();
  }

  remove(group: string, version: string, resource: string): boolean {
    const ok = this.byGvr.delete(gvrKey(group, version, resource));
    if (ok) {
      const versions = this.nested.get(group)!;
      const resources = versions.get(version)!;
      resources.delete(resource);
      if (!resources.size) versions.delete(version);
      if (!versions.size) this.nested.delete(group);
      this.changed();
    }
    return ok;
  }

  get(group: string, version: string, resource: string): ResourceType | undefined {
    return this.nested.get(group)?.get(version)?.get(resource);
  }

  /** The type for an apiVersion + kind, if served. */
  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    for (const t of this.byGvr.values()) {
      if (t.kind === kind && (t.group ? `${t.group}/${t.version}` : t.version) === apiVersion) return t;
    }
    return undefined;
  }

  all(): ResourceType[] {
    return [...this.byGvr.values()];
  }

  /** Served group -> versions (in registration order; the first is the preferred one). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.byGvr.values()) {
      const vs = out.get(t.group) ?? [];
      if (!vs.includes(t.version)) vs.push(t.version);
      out.set(t.group, vs);
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.version === version);
  }

  /** Bumped on every change: caches of derived documents compare it. */
  get version(): number {
    return this.generation;
  }

  /** Calls `fn` after every change; returns an unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.generation++;
    for (const fn of this.listeners) fn();
  }
}
