/**
 * The scheduler: binds pending pods (no nodeName, our schedulerName) to nodes through the
 * `pods/binding` subresource.
 *
 * Per pod: filter nodes (predicates.ts), score the feasible ones, bind to the best; on
 * failure set `PodScheduled=False, reason=Unschedulable` with kube-scheduler's message and
 * record a `FailedScheduling` event. Like kube-scheduler it "assumes" a pod on its node at
 * once, so the next decisions account for it before the informer sees the binding.
 * Unschedulable pods are retried when nodes change, when bound pods go away, and every
 * `schedulerRetryMs` — through one sentinel request whose reconcile re-queues every pending pod.
 */
import { controllerRef, isConflict, isNotFound, objectKey } from '../api/index.js';
import {
  Controller, Index, Node, Pod, inject, patchStatus, setCondition,
  type NodeObject, type PodObject, type Predicate, type ReconcileContext, type Reconciler, type Request,
} from '../controller/index.js';
import type { Subscription } from '../rx/index.js';
import { toGVK } from '../client/index.js';
import { SharedInformerFactory } from '../informer/index.js';
import { SIM, type SimContext } from './config.js';
import {
  filterNode, fitReasons, hasRequiredAntiAffinity, isPlainPod, hasRequiredPodAffinity, interPodReasons, isNodeReady, podMatchesTerm, scoreNode,
  taintsOf, unschedulableMessage, type PodAffinityTerm,
} from './predicates.js';
import { isTerminated, nonZeroRequests, podRequests } from './quantity.js';
import { NodeTable, tableCovers } from './nodetable.js';
import { SchedulerCache, type NodeState } from './schedcache.js';

async function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try { return await p; } catch (err) { if (isNotFound(err)) return undefined; throw err; }
}

/** Index of pods by `spec.nodeName` ('' = not bound). Shared by scheduler and kubelet. */
export const POD_NODE_INDEX = 'spec.nodeName';
export const podNodeIndex = (p: PodObject) => [p.spec?.nodeName ?? ''];
const ANTI_AFFINITY_INDEX = 'sim/required-anti-affinity';

/** Key of the request that re-tries every pending pod (never an object's key: '~' is not a valid name). */
export const RETRY_REQUEST: Request = { name: '~retry-pending' };

/**
 * Waiting for a node: unbound, alive, and without scheduling gates (kube-scheduler's
 * SchedulingGates PreEnqueue plugin keeps a gated pod out of the queue until its gates are
 * removed; pkg/scheduler/framework/plugins/schedulinggates).
 */
const pending = (p: PodObject) => !p.spec?.nodeName && !p.metadata.deletionTimestamp && !isTerminated(p)
  && !((p.spec as { schedulingGates?: unknown[] } | undefined)?.schedulingGates?.length);

const nodeChanged: Predicate<NodeObject> = {
  create: () => true,
  delete: () => true,
  generic: () => false,
  update: (o, n) =>
    isNodeReady(o) !== isNodeReady(n) || !!o.spec?.unschedulable !== !!n.spec?.unschedulable ||
    JSON.stringify(taintsOf(o)) !== JSON.stringify(taintsOf(n)) ||
    JSON.stringify(o.metadata.labels ?? {}) !== JSON.stringify(n.metadata.labels ?? {}) ||
    JSON.stringify((o.status as { allocatable?: unknown } | undefined)?.allocatable ?? {}) !== JSON.stringify((n.status as { allocatable?: unknown } | undefined)?.allocatable ?? {}),
};

const podFreed: Predicate<PodObject> = {
  create: () => false,
  generic: () => false,
  delete: (p) => !!p.spec?.nodeName,
  update: (o, n) => !!n.spec?.nodeName && ((isTerminated(n) && !isTerminated(o)) || (!!n.metadata.deletionTimestamp && !o.metadata.deletionTimestamp)),
};

@Controller({
  for: Pod,
  name: 'default-scheduler', // also the event source, as kube-scheduler's
  fieldManager: 'kube-scheduler',
  needLeaderElection: false,
  // decisions are synchronous (assume, then bind); workers only overlap the binding calls
  maxConcurrentReconciles: 16,
  // the pod is read, never changed (the assumed pod is kept as it is, the status patch copies
  // it): no copy per reconcile. Upstream copies a pod once, to assume it with its node name
  // (schedule_one.go: assumedPodInfo := podInfo.DeepCopy()); the cache here keeps the node
  // beside the pod instead.
  unsafeDisableDeepCopy: true,
  // kube-scheduler records through client-go's tools/events (the events.k8s.io/v1 broadcaster:
  // cmd/kube-scheduler/app/options/options.go Config, `c.EventBroadcaster =
  // events.NewEventBroadcasterAdapter(eventClient)`, a client of its own from createClients),
  // which writes each event from a goroutine of its own as soon as it is recorded
  // (staging/src/k8s.io/client-go/tools/events/event_broadcaster.go recordToSink); it aggregates
  // nothing across pods: only repeats of one event about one object become a series (getKey:
  // type, action, reason, reporting controller and instance, regarding, related). So every
  // binding's `Scheduled` event is written while the bindings go on, as many at once as the
  // bindings in flight; one writer at a time (tools/record's) fell behind a burst and dropped
  // beyond its 1000 queued events (8 in 10 of them when 10k pods are pending).
  concurrentEventWrites: 16,
  predicates: [{ create: pending, update: (_o: PodObject, n: PodObject) => pending(n), delete: () => true, generic: pending }],
  watches: [
    { kind: Node, map: () => RETRY_REQUEST, predicates: [nodeChanged] },
    { kind: Pod, map: () => RETRY_REQUEST, predicates: [podFreed] },
  ],
})
@Index({ kind: Pod, name: POD_NODE_INDEX, extract: podNodeIndex })
@Index({ kind: Pod, name: ANTI_AFFINITY_INDEX, extract: (p: PodObject) => (hasRequiredAntiAffinity(p) && p.spec?.nodeName ? ['true'] : []) })
export class SchedulerController implements Reconciler<PodObject> {
  /** pods whose binding call is in flight */
  private readonly inFlight = new Set<string>();
  /** last Unschedulable message per pod, so periodic retries do not repeat events */
  private readonly lastMessage = new Map<string, { message: string; at: number }>();
  private rotate = 0;

  /** what is placed on each node: bound pods (from the informer) and the pods we assumed */
  private readonly cache = new SchedulerCache();
  private cacheSub: Subscription | undefined;
  /**
   * The Node cache's list, the scheduler cache's state of each and their rows for plain pods,
   * taken again after any change of a node (rows of changed states are rewritten per decision)
   */
  private nodeList: { nodes: NodeObject[]; states: NodeState[]; table: NodeTable } | undefined;

  constructor(
    @inject(SIM) private readonly sim: SimContext,
    @inject(SharedInformerFactory) private readonly informers: SharedInformerFactory,
  ) {}

  /** Subscribes the scheduler cache to the (already running) shared Pod informer once. */
  private ensureCache(ctx: ReconcileContext<PodObject>): void {
    if (this.cacheSub) return;
    const informer = this.informers.informerFor<PodObject>(toGVK(Pod));
    this.cacheSub = informer.events$().subscribe((ev) => this.cache.apply(ev));
    this.cacheSub.add(this.informers.informerFor<NodeObject>(toGVK(Node)).events$().subscribe(() => { this.nodeList = undefined; }));
    ctx.signal.addEventListener('abort', () => this.cacheSub?.unsubscribe(), { once: true });
  }

  async reconcile(pod: PodObject, ctx: ReconcileContext<PodObject>) {
    await this.scheduleOne(pod, ctx);
  }

  async reconcileDeleted(req: Request, ctx: ReconcileContext<PodObject>) {
    if (req.name !== RETRY_REQUEST.name || req.namespace) {
      const key = req.namespace ? `${req.namespace}/${req.name}` : req.name;
      this.cache.forget(key);
      this.lastMessage.delete(key);
      return;
    }
    // every pending pod gets another attempt on the workers (the queue dedups)
    const pods = ctx.cache<PodObject>(Pod).byIndex(POD_NODE_INDEX, '').filter(pending);
    for (const p of pods) ctx.enqueue({ namespace: p.metadata.namespace, name: p.metadata.name! });
    if (pods.length > 0) return { requeueAfter: this.sim.config.timings.schedulerRetryMs };
  }

  /** true = bound, false = unschedulable, undefined = not ours / skipped */
  private async scheduleOne(pod: PodObject, ctx: ReconcileContext<PodObject>): Promise<boolean | undefined> {
    if (!pending(pod)) return undefined;
    if (((pod.spec as { schedulerName?: string }).schedulerName ?? 'default-scheduler') !== this.sim.config.schedulerName) return undefined;
    const key = objectKey(pod);
    if (this.cache.assumption(key) || this.inFlight.has(key)) return undefined;
    const decision = this.decide(pod, ctx);
    if ('node' in decision) {
      // counts on the node at once, while the informer shows this pod unbound
      const cached = ctx.cache<PodObject>(Pod).get(key);
      const assumed = this.cache.assume(pod, decision.node, !!cached && cached.metadata.uid === pod.metadata.uid && !cached.spec?.nodeName);
      this.inFlight.add(key);
      try {
        // the answer is a Status (failures throw): read, not parsed
        await ctx.client.transport.request({
          method: 'POST',
          path: `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace!)}/pods/${encodeURIComponent(pod.metadata.name!)}/binding`,
          body: JSON.stringify({
            apiVersion: 'v1', kind: 'Binding',
            metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
            target: { apiVersion: 'v1', kind: 'Node', name: decision.node },
          }),
        });
      } catch (err) {
        this.cache.finishBinding(assumed, false);
        // bound by someone else meanwhile, or deleted: nothing left to do for this pod
        if (isConflict(err) || isNotFound(err)) return undefined;
        throw err;
      } finally {
        this.inFlight.delete(key);
      }
      this.cache.finishBinding(assumed, true);
      this.lastMessage.delete(key);
      ctx.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${decision.node}`);
      return true;
    }
    const message = decision.message;
    // one event per attempt, but not for the re-check our own status write triggers
    const last = this.lastMessage.get(key);
    const now = Date.now();
    if (last?.message !== message || now - last.at >= 1_000) {
      ctx.recorder.event(pod, 'Warning', 'FailedScheduling', message);
      this.lastMessage.set(key, { message, at: now });
    }
    const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (cond?.status !== 'False' || cond.reason !== 'Unschedulable' || cond.message !== message) {
      await ignoreNotFound(patchStatus(ctx.client, pod, (o) => {
        const r = setCondition(o.status?.conditions, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message });
        for (const c of r.list) if (c.type === 'PodScheduled') (c as Record<string, unknown>).lastProbeTime = null;
        o.status = { ...o.status, phase: o.status?.phase ?? 'Pending', conditions: r.list };
      }, { optimisticLock: false }));
    }
    return false;
  }

  /** Filters and scores the nodes (cache + assumed pods); pure apart from reading caches. */
  private decide(pod: PodObject, ctx: ReconcileContext<PodObject>): { node: string } | { message: string } {
    this.ensureCache(ctx);
    const cache = this.cache;
    const podCache = ctx.cache<PodObject>(Pod);
    const nodeCache = ctx.cache<NodeObject>(Node);
    if (!this.nodeList) {
      const list = nodeCache.list();
      cache.prune((name) => nodeCache.get(name) !== undefined, list.length);
      const states = cache.states(list);
      cache.takeChanged(); // every row is written now
      this.nodeList = { nodes: list, states, table: new NodeTable(list, states, (n, st) => cache.info(n, st)) };
    } else {
      const { nodes: listed, table: rows } = this.nodeList;
      for (const st of cache.takeChanged()) {
        const i = rows.row(st);
        if (i !== undefined) rows.write(i, cache.info(listed[i], st));
      }
    }
    const { nodes, states, table } = this.nodeList;
    let byName: Map<string, NodeObject> | undefined;
    const req = podRequests(pod);
    const needsInterPod = hasRequiredPodAffinity(pod);
    const withAnti = podCache.byIndex(ANTI_AFFINITY_INDEX, 'true');
    const domainPods = (key: string, value: string) => {
      const out: PodObject[] = [];
      for (const n of nodes) if (n.metadata.labels?.[key] === value) out.push(...cache.info(n).pods);
      return out;
    };
    const anyMatch = (term: PodAffinityTerm) => {
      for (const n of nodes) if (cache.info(n).pods.some((p) => p.metadata.uid !== pod.metadata.uid && podMatchesTerm(term, pod.metadata.namespace ?? '', p))) return true;
      return false;
    };
    const interPod = (node: NodeObject) => () =>
      interPodReasons(pod, node, domainPods, withAnti, (p) => (byName ??= new Map(nodes.map((n) => [n.metadata.name!, n] as const))).get(p.spec?.nodeName ?? ''), anyMatch);
    const checkInterPod = needsInterPod || withAnti.length > 0;
    // on a plain node only resources can reject a plain pod (isPlainPod)
    const plain = !checkInterPod && isPlainPod(pod);

    // like percentageOfNodesToScore: stop once enough feasible nodes were found
    const adaptive = Math.max(5, 50 - Math.floor(nodes.length / 125));
    const enough = Math.max(100, Math.floor((nodes.length * adaptive) / 100));
    const reasons = new Map<string, string[]>();
    let best: NodeObject | undefined;
    let bestScore = 0;
    let ties = 0;
    const nonZero = nonZeroRequests(pod);
    const owner = controllerRef(pod)?.uid;
    let feasible = 0;
    const count = nodes.length;
    const start = count ? this.rotate % count : 0;
    let visited = 0;
    // a plain pod asking for cpu/memory only is checked and scored on plain nodes from their rows
    const fromRows = plain && tableCovers(req);
    const cpu = req.cpu;
    const memory = req.memory;
    for (let i = 0; i < count && feasible < enough; i++) {
      let at = start + i;
      if (at >= count) at -= count;
      const node = nodes[at];
      visited++;
      let score: number;
      if (fromRows && table.isPlain(at)) {
        if (!table.fits(at, cpu, memory)) { reasons.set(node.metadata.name!, fitReasons(req, cache.info(node, states[at]))); continue; }
        feasible++;
        score = table.score(at, nonZero, owner ? (states[at].owners.get(owner) ?? 0) : 0);
      } else {
        const info = cache.info(node, states[at]);
        const why = plain && info.plain ? fitReasons(req, info) : filterNode(pod, req, info, checkInterPod ? interPod(node) : undefined);
        if (why.length) { reasons.set(node.metadata.name!, why); continue; }
        feasible++;
        score = scoreNode(pod, nonZero, info, owner ? info.ownerCount(owner) : 0);
      }
      // equal scores: a uniformly random one among them (reservoir sampling, like upstream)
      if (!best || score > bestScore) { best = node; bestScore = score; ties = 1; }
      else if (score === bestScore && Math.random() * ++ties < 1) best = node;
    }
    this.rotate = (start + visited) % Math.max(1, count);
    if (best) return { node: best.metadata.name! };
    return { message: unschedulableMessage(count, reasons) };
  }
}
