/**
 * The scheduler's cache, like kube-scheduler's internal cache (pkg/scheduler/backend/cache):
 * per node, the pods placed on it with their summed requests — the pods the shared Pod
 * informer shows bound (fed by its change stream, like upstream's informer event handlers)
 * and the pods the scheduler "assumed" there while it binds them (upstream's AssumePod). An
 * assumed pod counts on its node until the binding fails (ForgetPod) or the informer shows it
 * bound, deleted or replaced by another pod of the same name; while its binding is in flight
 * it also keeps the scheduler from deciding about it again.
 *
 * Every change is O(1) in the number of pods and nodes, and a node's `NodeInfo` is built once
 * per change of the node object or its pods, so a scheduling decision reads each node in O(1).
 */
import { controllerRef, objectKey } from '../api/index.js';
import type { NodeObject, PodObject } from '../controller/index.js';
import type { StoreEvent } from '../informer/index.js';
import { allocatableOf, isPlainNode, type NodeInfo } from './predicates.js';
import { addTo, isTerminated, nonZeroOf, nonZeroRequests, podRequests, sumRequests, type ResourceList } from './quantity.js';

function minus(acc: ResourceList, r: ResourceList): void {
  for (const k in r) {
    const left = (acc[k] ?? 0) - r[k];
    if (Math.abs(left) < 1e-9) delete acc[k];
    else acc[k] = left;
  }
}

/** A fresh copy (the sums lose keys with `delete`; a copy built key by key reads fast). */
function copy(r: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const k in r) out[k] = r[k];
  return out;
}

/** Bound pods hold node resources until they end. */
function counts(p: PodObject | undefined): p is PodObject {
  return !!p && !!p.spec?.nodeName && !isTerminated(p);
}

/** A pod the scheduler placed on `node` and is binding (or has bound, not yet seen by the informer). */
export interface Assumption {
  readonly key: string;
  readonly node: string;
  readonly pod: PodObject;
  /** counted on the node: the informer shows this pod (same uid) and not bound yet */
  counted: boolean;
  /** the binding call is in flight */
  binding: boolean;
}

/** A node's NodeInfo, read by filters and scores; `ownerCount` serves default spreading. */
export interface CachedNodeInfo extends NodeInfo {
  /** pods on the node whose controller has this uid */
  ownerCount(uid: string): number;
  /** the node is schedulable, Ready and untainted (see isPlainNode) */
  readonly plain: boolean;
}

/** A pod placed on a node, with the requests it was counted with (subtracted exactly so). */
interface Placed { pod: PodObject; requests: ResourceList; nonZero: ResourceList }

/** An assumed pod: the scheduler just computed (and memoised) its requests. */
const assumedPod = (pod: PodObject): Placed => ({ pod, requests: podRequests(pod), nonZero: nonZeroRequests(pod) });

/** A pod from the informer, seen once: its requests are kept here, not memoised per object. */
function boundPod(pod: PodObject): Placed {
  const requests = sumRequests(pod);
  return { pod, requests, nonZero: nonZeroOf(requests) };
}

/** What is placed on one node; one object per node name for as long as the node exists. */
export class NodeState {
  /** bound pods by key, as the informer shows them */
  readonly bound = new Map<string, Placed>();
  readonly boundRequested: ResourceList = {};
  readonly boundNonZero: ResourceList = {};
  /** counted assumed pods by key */
  readonly assumed = new Map<string, Placed>();
  /** pods (bound and counted assumed) per controller uid */
  readonly owners = new Map<string, number>();
  version = 0;
  info: CachedNodeInfo | undefined;
  infoVersion = -1;

  get empty(): boolean {
    return this.bound.size === 0 && this.assumed.size === 0;
  }

  own(p: PodObject, delta: number): void {
    const uid = controllerRef(p)?.uid;
    if (!uid) return;
    const n = (this.owners.get(uid) ?? 0) + delta;
    if (n > 0) this.owners.set(uid, n);
    else this.owners.delete(uid);
  }
}

class Info implements CachedNodeInfo {
  private list: PodObject[] | undefined;
  constructor(
    readonly node: NodeObject,
    readonly allocatable: ResourceList,
    readonly requested: ResourceList,
    readonly nonZeroRequested: ResourceList,
    readonly podCount: number,
    readonly plain: boolean,
    private readonly state: NodeState,
  ) {}
  /** only inter-pod affinity needs the pods themselves */
  get pods(): PodObject[] {
    if (!this.list) {
      const list: PodObject[] = [];
      for (const p of this.state.bound.values()) list.push(p.pod);
      for (const p of this.state.assumed.values()) list.push(p.pod);
      this.list = list;
    }
    return this.list;
  }
  ownerCount(uid: string): number {
    return this.state.owners.get(uid) ?? 0;
  }
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeState>();
  private readonly assumptions = new Map<string, Assumption>();
  /** versions come from one counter, so a removed and re-created node state never repeats one */
  private clock = 0;
  /** node states whose version moved since the last `takeChanged` */
  private changed = new Set<NodeState>();

  /** The NodeInfo of `node` with everything placed on it (built again only after a change). */
  info(node: NodeObject, st = this.state(node.metadata.name!)): CachedNodeInfo {
    const kept = st.info;
    if (kept !== undefined && kept.node === node && st.infoVersion === st.version) return kept;
    const requested = copy(st.boundRequested);
    const nonZero = copy(st.boundNonZero);
    for (const p of st.assumed.values()) { addTo(requested, p.requests); addTo(nonZero, p.nonZero); }
    // the same node object: what comes from it alone is unchanged
    const same = kept !== undefined && kept.node === node;
    const info = new Info(node, same ? kept.allocatable : allocatableOf(node), requested, nonZero, st.bound.size + st.assumed.size, same ? kept.plain : isPlainNode(node), st);
    st.info = info;
    st.infoVersion = st.version;
    return info;
  }

  /** The node states changed (pods placed or removed, or new) since the last call; empties the set. */
  takeChanged(): Set<NodeState> {
    const out = this.changed;
    if (out.size) this.changed = new Set();
    return out;
  }

  /** The state of each node, in the same order (pass one back to `info`: no lookup by name). */
  states(nodes: readonly NodeObject[]): NodeState[] {
    const out = new Array<NodeState>(nodes.length);
    for (let i = 0; i < nodes.length; i++) out[i] = this.state(nodes[i].metadata.name!);
    return out;
  }

  /** Drops the state of nodes that are gone and hold no pods (call now and then with the live node names). */
  prune(live: (name: string) => boolean, liveCount: number): void {
    if (this.nodes.size <= liveCount + 64) return;
    for (const [name, st] of this.nodes) if (st.empty && !live(name)) this.nodes.delete(name);
  }

  /** The assumption for a pod key, if any. */
  assumption(key: string): Assumption | undefined {
    return this.assumptions.get(key);
  }

  /**
   * Places `pod` on `node` before it is bound; `shown` says whether the informer shows this
   * pod (same uid) still unbound — only then does it count (else the informer's view rules).
   */
  assume(pod: PodObject, node: string, shown: boolean): Assumption {
    const key = objectKey(pod);
    const old = this.assumptions.get(key);
    if (old) this.count(old, false);
    const a: Assumption = { key, node, pod, counted: false, binding: true };
    this.assumptions.set(key, a);
    this.count(a, shown);
    return a;
  }

  /** The binding call returned: on failure the pod no longer counts (upstream's ForgetPod). */
  finishBinding(a: Assumption, ok: boolean): void {
    if (this.assumptions.get(a.key) !== a) return;
    a.binding = false;
    if (!ok || !a.counted) this.drop(a);
  }

  /** Forgets whatever was assumed for `key` (the pod is gone). */
  forget(key: string): void {
    const a = this.assumptions.get(key);
    if (a) this.drop(a);
  }

  /** Applies one change of the shared Pod informer. */
  apply(ev: StoreEvent<PodObject>): void {
    const obj = ev.obj;
    // one key for both sides of an update (the same namespace and name)
    const key = objectKey(obj);
    if (ev.type === 'update') {
      if (counts(ev.oldObj)) this.removeBound(ev.oldObj, key);
      if (counts(obj)) this.addBound(obj, key);
    } else if (ev.type === 'add') {
      if (counts(obj)) this.addBound(obj, key);
    } else if (counts(obj)) {
      this.removeBound(obj, key);
    }
    if (this.assumptions.size === 0) return;
    const a = this.assumptions.get(key);
    if (!a) return;
    // an assumed pod counts while the informer shows it, unbound; once it shows it bound, the
    // bound pod counts instead (deleted or replaced: nothing)
    const shown = ev.type !== 'delete' && obj.metadata.uid === a.pod.metadata.uid && !obj.spec?.nodeName;
    this.count(a, shown);
    if (!shown && !a.binding) this.drop(a);
  }

  private drop(a: Assumption): void {
    this.count(a, false);
    if (this.assumptions.get(a.key) === a) this.assumptions.delete(a.key);
  }

  private count(a: Assumption, on: boolean): void {
    if (a.counted === on) return;
    a.counted = on;
    const st = this.state(a.node);
    if (on) st.assumed.set(a.key, assumedPod(a.pod));
    else st.assumed.delete(a.key);
    st.own(a.pod, on ? 1 : -1);
    this.touch(st);
  }

  /** A change of what is placed on a node: its NodeInfo is built again when read. */
  private touch(st: NodeState): void {
    st.version = ++this.clock;
    this.changed.add(st);
  }

  private state(node: string): NodeState {
    let st = this.nodes.get(node);
    if (!st) {
      st = new NodeState();
      this.touch(st);
      this.nodes.set(node, st);
    }
    return st;
  }

  private addBound(p: PodObject, key: string): void {
    const st = this.state(p.spec!.nodeName!);
    const prev = st.bound.get(key);
    if (prev) this.subtract(st, prev);
    const entry = boundPod(p);
    st.bound.set(key, entry);
    addTo(st.boundRequested, entry.requests);
    addTo(st.boundNonZero, entry.nonZero);
    st.own(p, 1);
    this.touch(st);
  }

  private removeBound(p: PodObject, key: string): void {
    const st = this.nodes.get(p.spec!.nodeName!);
    const cur = st?.bound.get(key);
    if (!st || !cur) return;
    st.bound.delete(key);
    this.subtract(st, cur);
    this.touch(st);
  }

  private subtract(st: NodeState, p: Placed): void {
    minus(st.boundRequested, p.requests);
    minus(st.boundNonZero, p.nonZero);
    st.own(p.pod, -1);
  }
}
