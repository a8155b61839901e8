/**
 * Shared pieces of the workload controllers: controller expectations (client-go's
 * ControllerExpectations: do not act again until the cache shows the pods we created or
 * deleted), pod readiness/availability, ownership helpers and the pod template -> pod step.
 */
import { controllerRef, labelSelectorFromSpec, type KubeObject, type LabelSelectorSpec } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import type { PodObject, TypedObject } from '../controller/index.js';
import { isTerminated } from './quantity.js';

const EXPECTATION_TTL_MS = 5 * 60_000;

export class Expectations {
  private readonly byKey = new Map<string, { adds: Set<string>; dels: Set<string>; at: number }>();

  expectCreations(key: string, names: string[]): void {
    const e = this.get(key);
    for (const n of names) e.adds.add(n);
    e.at = Date.now();
  }

  expectDeletions(key: string, names: string[]): void {
    const e = this.get(key);
    for (const n of names) e.dels.add(n);
    e.at = Date.now();
  }

  /** True when every expected pod was observed (created ones present, deleted ones gone or terminating). */
  satisfied(key: string, present: (name: string) => PodObject | undefined): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    for (const n of e.adds) if (present(n)) e.adds.delete(n);
    for (const n of e.dels) { const p = present(n); if (!p || p.metadata.deletionTimestamp) e.dels.delete(n); }
    if ((e.adds.size === 0 && e.dels.size === 0) || Date.now() - e.at > EXPECTATION_TTL_MS) {
      this.byKey.delete(key);
      return true;
    }
    return false;
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }

  private get(key: string) {
    let e = this.byKey.get(key);
    if (!e) { e = { adds: new Set(), dels: new Set(), at: Date.now() }; this.byKey.set(key, e); }
    return e;
  }
}

export function isPodReady(p: PodObject): boolean {
  return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds (upstream podutil.IsPodAvailable). */
export function isPodAvailable(p: PodObject, minReadySeconds: number, now = Date.now()): boolean {
  const c = p.status?.conditions?.find((x) => x.type === 'Ready');
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const t = Date.parse(c.lastTransitionTime ?? '');
  return !Number.isNaN(t) && t + minReadySeconds * 1000 <= now;
}

/** Counts towards replicas: not finished and not being deleted. */
export function isActive(p: PodObject): boolean {
  return !isTerminated(p) && !p.metadata.deletionTimestamp;
}

export function selectorOf(obj: TypedObject): ReturnType<typeof labelSelectorFromSpec> {
  return labelSelectorFromSpec((obj.spec as { selector?: LabelSelectorSpec } | undefined)?.selector);
}

export function ownedBy(owner: KubeObject, obj: KubeObject): boolean {
  return controllerRef(obj)?.uid === owner.metadata.uid;
}

export function ownerRefTo(owner: KubeObject) {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** Adds a controller reference to an orphan (uid precondition so a concurrent adoption loses cleanly). */
export async function adopt(client: KubeClient, owner: KubeObject, obj: KubeObject): Promise<void> {
  const refs = [...(obj.metadata.ownerReferences ?? []), ownerRefTo(owner)];
  await client.patch({ apiVersion: obj.apiVersion!, kind: obj.kind! }, obj.metadata.name!, {
    metadata: { ownerReferences: refs, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion },
  }, { namespace: obj.metadata.namespace });
}

/** Drops our controller reference from an object that no longer matches the selector. */
export async function release(client: KubeClient, owner: KubeObject, obj: KubeObject): Promise<void> {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
  await client.patch({ apiVersion: obj.apiVersion!, kind: obj.kind! }, obj.metadata.name!, {
    metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: obj.metadata.resourceVersion },
  }, { namespace: obj.metadata.namespace });
}

interface PodTemplate { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> }

export function podFromTemplate(owner: KubeObject, template: PodTemplate | undefined, extra: { name?: string; generateName?: string; spec?: Record<string, unknown> } = {}): PodObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      ...(extra.name ? { name: extra.name } : { generateName: extra.generateName ?? `${owner.metadata.name}-` }),
      namespace: owner.metadata.namespace,
      labels: { ...(template?.metadata?.labels ?? {}) },
      ...(template?.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [ownerRefTo(owner)],
    },
    spec: { ...structuredClone(template?.spec ?? {}), ...(extra.spec ?? {}) } as PodObject['spec'],
  };
}

/** Runs `fn` over items in slow-start batches (1, 2, 4, ...) like upstream; stops at the first failing batch. */
export async function slowStart<T>(items: T[], fn: (item: T) => Promise<void>): Promise<{ done: number; error?: unknown }> {
  let done = 0;
  let batch = 1;
  while (done < items.length) {
    const slice = items.slice(done, done + batch);
    const results = await Promise.allSettled(slice.map(fn));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    done += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { done, error: failed.reason };
    batch *= 2;
  }
  return { done };
}

/** Upstream's deletion ranking: unscheduled, pending, not ready, then youngest go first. */
export function deletionOrder(a: PodObject, b: PodObject): number {
  const sched = (p: PodObject) => (p.spec?.nodeName ? 1 : 0);
  const phase = (p: PodObject) => ({ Pending: 0, Unknown: 1, Running: 2 } as Record<string, number>)[p.status?.phase ?? 'Pending'] ?? 0;
  const ready = (p: PodObject) => (isPodReady(p) ? 1 : 0);
  return sched(a) - sched(b) || phase(a) - phase(b) || ready(a) - ready(b) ||
    (Date.parse(b.metadata.creationTimestamp ?? '') || 0) - (Date.parse(a.metadata.creationTimestamp ?? '') || 0);
}
