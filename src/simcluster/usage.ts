/**
 * What is placed on each node, kept up to date from the shared Pod informer's change stream
 * (kube-scheduler's cache, fed by informer event handlers): per node the summed requests and
 * the pods, so a scheduling decision reads a node's usage in O(1) instead of re-adding the
 * requests of every pod on it.
 */
import { objectKey } from '../api/index.js';
import type { PodObject } from '../controller/index.js';
import type { StoreEvent } from '../informer/index.js';
import { addTo, isTerminated, nonZeroRequests, podRequests, type ResourceList } from './quantity.js';

function minus(acc: ResourceList, r: ResourceList): void {
  for (const [k, v] of Object.entries(r)) {
    const left = (acc[k] ?? 0) - v;
    if (Math.abs(left) < 1e-9) delete acc[k];
    else acc[k] = left;
  }
}

export interface NodeUsageEntry {
  requested: ResourceList;
  /** cpu/memory with kube-scheduler's non-zero defaults, for scoring */
  nonZeroRequested: ResourceList;
  pods: Map<string, PodObject>;
  /** bumped on every change (lets readers cache what they derive from the entry) */
  version: number;
}

function counts(p: PodObject | undefined): p is PodObject {
  return !!p && !!p.spec?.nodeName && !isTerminated(p);
}

export class NodeUsage {
  private readonly nodes = new Map<string, NodeUsageEntry>();
  /** versions come from one counter, so a removed and re-created entry never repeats one */
  private clock = 0;

  get(node: string): NodeUsageEntry | undefined {
    return this.nodes.get(node);
  }

  /** True when the cache shows this pod (by key and uid) bound to `node`. */
  has(node: string, key: string, uid: string | undefined): boolean {
    const p = this.nodes.get(node)?.pods.get(key);
    return !!p && p.metadata.uid === uid;
  }

  apply(ev: StoreEvent<PodObject>): void {
    if (ev.type === 'update') {
      if (counts(ev.oldObj)) this.remove(ev.oldObj);
      if (counts(ev.obj)) this.add(ev.obj);
    } else if (ev.type === 'add') {
      if (counts(ev.obj)) this.add(ev.obj);
    } else if (counts(ev.obj)) {
      this.remove(ev.obj);
    }
  }

  private add(p: PodObject): void {
    const node = p.spec!.nodeName!;
    let e = this.nodes.get(node);
    if (!e) { e = { requested: {}, nonZeroRequested: {}, pods: new Map(), version: 0 }; this.nodes.set(node, e); }
    e.version = ++this.clock;
    const key = objectKey(p);
    const prev = e.pods.get(key);
    if (prev) this.subtract(e, prev);
    e.pods.set(key, p);
    addTo(e.requested, podRequests(p));
    addTo(e.nonZeroRequested, nonZeroRequests(p));
  }

  private remove(p: PodObject): void {
    const e = this.nodes.get(p.spec!.nodeName!);
    const key = objectKey(p);
    const cur = e?.pods.get(key);
    if (!e || !cur) return;
    e.version = ++this.clock;
    e.pods.delete(key);
    this.subtract(e, cur);
    if (e.pods.size === 0) this.nodes.delete(p.spec!.nodeName!);
  }

  private subtract(e: NodeUsageEntry, p: PodObject): void {
    minus(e.requested, podRequests(p));
    minus(e.nonZeroRequested, nonZeroRequests(p));
  }
}
