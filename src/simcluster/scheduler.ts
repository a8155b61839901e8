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
  allocatableOf, filterNode, hasRequiredAntiAffinity, hasRequiredPodAffinity, interPodReasons, isNodeReady, podMatchesTerm, scoreNode, specOf,
  taintsOf, unschedulableMessage, type NodeInfo, type PodAffinityTerm,
} from './predicates.js';
import { addTo, isTerminated, nonZeroRequests, podRequests, type ResourceList } from './quantity.js';
import { NodeUsage } from './usage.js';

async function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try { return await p; } catch (err) { if (isNotFound(err)) return undefined; throw err; }
}

/** Index of pods by `spec.nodeName` ('' = not bound). Shared by scheduler and kubelet. */
export const POD_NODE_INDEX = 'spec.nodeName';
export const podNodeIndex = (p: PodObject) => [p.spec?.nodeName ?? ''];
const ANTI_AFFINITY_INDEX = 'sim/required-anti-affinity';

/** Key of the request that re-tries every pending pod (never an object's key: '~' is not a valid name). */
export const RETRY_REQUEST: Request = { name: '~retry-pending' };

const pending = (p: PodObject) => !p.spec?.nodeName && !p.metadata.deletionTimestamp && !isTerminated(p);

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

interface Assumed { node: string; requests: ResourceList; pod: PodObject }

@Controller({
  for: Pod,
  name: 'default-scheduler', // also the event source, as kube-scheduler's
  needLeaderElection: false,
  // decisions are synchronous (assume, then bind); workers only overlap the binding calls
  maxConcurrentReconciles: 16,
  predicates: [{ create: pending, update: (_o: PodObject, n: PodObject) => pending(n), delete: () => true, generic: pending }],
  watches: [
    { kind: Node, map: () => RETRY_REQUEST, predicates: [nodeChanged] },
    { kind: Pod, map: () => RETRY_REQUEST, predicates: [podFreed] },
  ],
})
@Index({ kind: Pod, name: POD_NODE_INDEX, extract: podNodeIndex })
@Index({ kind: Pod, name: ANTI_AFFINITY_INDEX, extract: (p: PodObject) => (hasRequiredAntiAffinity(p) && p.spec?.nodeName ? ['true'] : []) })
export class SchedulerController implements Reconciler<PodObject> {
  /** pods bound by us that the cache does not show bound yet */
  private readonly assumed = new Map<string, Assumed>();
  private readonly inFlight = new Set<string>();
  /** last Unschedulable message per pod, so periodic retries do not repeat events */
  private readonly lastMessage = new Map<string, { message: string; at: number }>();
  private rotate = 0;

  private readonly usage = new NodeUsage();
  /** NodeInfo per node, valid while the node object and its usage version are unchanged */
  private readonly infos = new Map<string, { info: NodeInfo; version: number }>();
  private usageSub: Subscription | undefined;

  constructor(
    @inject(SIM) private readonly sim: SimContext,
    @inject(SharedInformerFactory) private readonly informers: SharedInformerFactory,
  ) {}

  /** Subscribes the usage cache to the (already running) shared Pod informer once. */
  private ensureUsage(ctx: ReconcileContext<PodObject>): void {
    if (this.usageSub) return;
    const informer = this.informers.informerFor<PodObject>(toGVK(Pod));
    this.usageSub = informer.events$().subscribe((ev) => this.usage.apply(ev));
    ctx.signal.addEventListener('abort', () => this.usageSub?.unsubscribe(), { once: true });
  }

  async reconcile(pod: PodObject, ctx: ReconcileContext<PodObject>) {
    await this.scheduleOne(pod, ctx);
  }

  async reconcileDeleted(req: Request, ctx: ReconcileContext<PodObject>) {
    if (req.name !== RETRY_REQUEST.name || req.namespace) {
      const key = req.namespace ? `${req.namespace}/${req.name}` : req.name;
      this.assumed.delete(key);
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
    if (this.assumed.has(key) || this.inFlight.has(key)) return undefined;
    const decision = this.decide(pod, ctx);
    if ('node' in decision) {
      this.assumed.set(key, { node: decision.node, requests: podRequests(pod), pod });
      this.inFlight.add(key);
      try {
        await ctx.client.transport.requestJSON({
          method: 'POST',
          path: `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace!)}/pods/${encodeURIComponent(pod.metadata.name!)}/binding`,
          body: JSON.stringify({
            apiVersion: 'v1', kind: 'Binding',
            metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
            target: { apiVersion: 'v1', kind: 'Node', name: decision.node },
          }),
        });
      } catch (err) {
        this.assumed.delete(key);
        // bound by someone else meanwhile, or deleted: nothing left to do for this pod
        if (isConflict(err) || isNotFound(err)) return undefined;
        throw err;
      } finally {
        this.inFlight.delete(key);
      }
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

  /** Builds node infos (cache + assumed pods), filters, scores; pure apart from reading caches. */
  private decide(pod: PodObject, ctx: ReconcileContext<PodObject>): { node: string } | { message: string } {
    this.ensureUsage(ctx);
    const podCache = ctx.cache<PodObject>(Pod);
    const nodes = ctx.cache<NodeObject>(Node).list();
    // drop assumptions the cache has caught up with
    const extra = new Map<string, Assumed[]>();
    for (const [k, a] of this.assumed) {
      const cached = podCache.get(k);
      // deleted, replaced, or bound in the cache (then the usage cache counts it)
      if (!cached || cached.metadata.uid !== a.pod.metadata.uid || cached.spec?.nodeName) {
        if (!this.inFlight.has(k)) this.assumed.delete(k);
        continue;
      }
      const list = extra.get(a.node) ?? [];
      list.push(a);
      extra.set(a.node, list);
    }
    if (this.infos.size > nodes.length + 64) {
      const live = new Set(nodes.map((n) => n.metadata.name!));
      for (const k of this.infos.keys()) if (!live.has(k)) this.infos.delete(k);
    }
    let byName: Map<string, NodeObject> | undefined;
    const infoCache = new Map<string, NodeInfo>();
    const infoOf = (node: NodeObject): NodeInfo => {
      const name = node.metadata.name!;
      let info = infoCache.get(name);
      if (info) return info;
      const used = this.usage.get(name);
      const assumed = extra.get(name);
      if (!assumed) {
        // nothing assumed here: reuse the info built from the same node object and usage
        const kept = this.infos.get(name);
        if (kept && kept.info.node === node && kept.version === (used?.version ?? -1)) { infoCache.set(name, kept.info); return kept.info; }
      }
      let requested = used?.requested ?? {};
      let nonZeroRequested = used?.nonZeroRequested ?? {};
      if (assumed) {
        requested = { ...requested };
        nonZeroRequested = { ...nonZeroRequested };
        for (const a of assumed) { addTo(requested, a.requests); addTo(nonZeroRequested, nonZeroRequests(a.pod)); }
      }
      let pods: PodObject[] | undefined;
      info = {
        node, allocatable: allocatableOf(node), requested, nonZeroRequested, podCount: (used?.pods.size ?? 0) + (assumed?.length ?? 0),
        // only inter-pod affinity needs the pods themselves
        get pods() { return (pods ??= [...(used?.pods.values() ?? []), ...(assumed ?? []).map((a) => a.pod)]); },
      };
      if (!assumed) this.infos.set(name, { info, version: used?.version ?? -1 });
      infoCache.set(name, info);
      return info;
    };
    const req = podRequests(pod);
    const needsInterPod = hasRequiredPodAffinity(pod);
    const withAnti = podCache.byIndex(ANTI_AFFINITY_INDEX, 'true');
    const domainPods = (key: string, value: string) => {
      const out: PodObject[] = [];
      for (const n of nodes) if (n.metadata.labels?.[key] === value) out.push(...infoOf(n).pods);
      return out;
    };
    const anyMatch = (term: PodAffinityTerm) => {
      for (const n of nodes) if (infoOf(n).pods.some((p) => p.metadata.uid !== pod.metadata.uid && podMatchesTerm(term, pod.metadata.namespace ?? '', p))) return true;
      return false;
    };
    const interPod = (node: NodeObject) => (needsInterPod || withAnti.length)
      ? () => interPodReasons(pod, node, domainPods, withAnti, (p) => (byName ??= new Map(nodes.map((n) => [n.metadata.name!, n] as const))).get(p.spec?.nodeName ?? ''), anyMatch)
      : undefined;

    // like percentageOfNodesToScore: stop once enough feasible nodes were found
    const adaptive = Math.max(5, 50 - Math.floor(nodes.length / 125));
    const enough = Math.max(100, Math.floor((nodes.length * adaptive) / 100));
    const reasons = new Map<string, string[]>();
    let best: { name: string; score: number } | undefined;
    let ties = 0;
    const nonZero = nonZeroRequests(pod);
    const owner = controllerRef(pod)?.uid;
    let feasible = 0;
    const start = nodes.length ? this.rotate % nodes.length : 0;
    let visited = 0;
    for (let i = 0; i < nodes.length && feasible < enough; i++) {
      const node = nodes[(start + i) % nodes.length];
      visited++;
      const info = infoOf(node);
      const why = filterNode(pod, req, info, interPod(node));
      if (why.length) { reasons.set(node.metadata.name!, why); continue; }
      feasible++;
      let sameOwner = 0;
      if (owner) for (const p of info.pods) if (controllerRef(p)?.uid === owner) sameOwner++;
      const score = scoreNode(pod, nonZero, info, sameOwner);
      // equal scores: a uniformly random one among them (reservoir sampling, like upstream)
      if (!best || score > best.score) { best = { name: node.metadata.name!, score }; ties = 1; }
      else if (score === best.score && Math.random() * ++ties < 1) best = { name: node.metadata.name!, score };
    }
    this.rotate = (start + visited) % Math.max(1, nodes.length);
    if (best) return { node: best.name };
    return { message: unschedulableMessage(nodes.length, reasons) };
  }
}
