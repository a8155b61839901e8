/**
 * The node lifecycle controller (kube-controller-manager's nodelifecycle, simplified): a
 * node whose kubelet has not renewed its Lease nor posted status for
 * `nodeMonitorGracePeriodMs` gets every condition set to Unknown ("Kubelet stopped posting
 * node status.") and the `node.kubernetes.io/unreachable` NoSchedule + NoExecute taints;
 * NotReady nodes get the `not-ready` taints, cordoned nodes `node.kubernetes.io/unschedulable`;
 * the taints go away when the node recovers. Pods of an unreachable node get Ready=False;
 * pods not tolerating a NoExecute taint are evicted (after tolerationSeconds, default 300 s).
 */
import { isConflict, isNotFound, rfc3339 } from '../api/index.js';
import {
  Controller, Index, Lease, Node, Pod, inject, patchObject, patchStatus,
  type LeaseObject, type NodeObject, type PodObject, type ReconcileContext, type Reconciler,
} from '../controller/index.js';
import { tolerates, type Toleration } from './predicates.js';
import { POD_NODE_INDEX, podNodeIndex } from './scheduler.js';
import { NODE_LEASE_NAMESPACE, SIM, TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE, type SimContext, type Taint } from './config.js';

const MANAGED = new Set([TAINT_UNREACHABLE, TAINT_NOT_READY, TAINT_UNSCHEDULABLE]);

function time(s: string | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

@Controller({
  for: Node,
  name: 'node-lifecycle',
  fieldManager: 'kube-controller-manager',
  needLeaderElection: false,
  watches: [{ kind: Lease, namespace: NODE_LEASE_NAMESPACE, map: (l: LeaseObject) => ({ name: l.metadata.name! }) }],
})
@Index({ kind: Pod, name: POD_NODE_INDEX, extract: podNodeIndex })
export class NodeLifecycleController implements Reconciler<NodeObject> {
  constructor(@inject(SIM) private readonly sim: SimContext) {}

  async reconcile(node: NodeObject, ctx: ReconcileContext<NodeObject>) {
    const name = node.metadata.name!;
    const grace = this.sim.config.timings.nodeMonitorGracePeriodMs;
    const lease = ctx.cache<LeaseObject>(Lease).get(NODE_LEASE_NAMESPACE, name);
    const conditions = node.status?.conditions ?? [];
    const ready = conditions.find((c) => c.type === 'Ready');
    const probe = Math.max(time(lease?.spec?.renewTime), time(ready?.lastHeartbeatTime), time(node.metadata.creationTimestamp));
    const now = Date.now();
    let current = node;
    // a node that never posted status (just registered) is neither unreachable nor not-ready yet
    let readyStatus = ready?.status ?? 'NotPosted';
    if (now - probe > grace) {
      if (ready?.status !== 'Unknown' || conditions.some((c) => c.status !== 'Unknown')) {
        current = await patchStatus(ctx.client, node, (o) => {
          const ts = rfc3339();
          const types = new Set(['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']);
          const list = (o.status?.conditions ?? []).map((c) => types.has(c.type) && c.status !== 'Unknown'
            ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: ts }
            : c);
          if (!list.some((c) => c.type === 'Ready')) {
            list.push({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastTransitionTime: ts, lastHeartbeatTime: ts });
          }
          o.status = { ...o.status, conditions: list };
        });
        ctx.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      }
      await this.markPodsNotReady(name, ctx);
      readyStatus = 'Unknown';
    }
    const taints = await this.syncTaints(current, readyStatus, ctx);
    const evictIn = await this.evictUntolerated(name, taints, ctx);
    const next = [evictIn, readyStatus === 'Unknown' ? undefined : Math.max(100, probe + grace - now + 50)].filter((x): x is number => x !== undefined);
    if (next.length) return { requeueAfter: Math.min(...next) };
  }

  /** Upstream's MarkPodsNotReady: pods of an unreachable node stop counting as Ready (Services, PDBs). */
  private async markPodsNotReady(nodeName: string, ctx: ReconcileContext<NodeObject>): Promise<void> {
    for (const p of ctx.cache<PodObject>(Pod).byIndex(POD_NODE_INDEX, nodeName)) {
      const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False' || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
      try {
        await patchStatus(ctx.client, p, (o) => {
          o.status = { ...o.status, conditions: (o.status?.conditions ?? []).map((c) => c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: rfc3339() } : c) };
        });
        ctx.recorder.event(p, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }

  /**
   * NoExecute taints (the taint manager): pods that do not tolerate one are deleted; a
   * toleration with tolerationSeconds delays that from the taint's timeAdded. Pods without
   * their own toleration for the unreachable/not-ready taints get `defaultTolerationSeconds`
   * (the DefaultTolerationSeconds admission plugin's 300 s). Returns ms until the next due eviction.
   */
  private async evictUntolerated(nodeName: string, taints: Taint[], ctx: ReconcileContext<NodeObject>): Promise<number | undefined> {
    const noExecute = taints.filter((t) => t.effect === 'NoExecute');
    if (noExecute.length === 0) return undefined;
    const now = Date.now();
    let next: number | undefined;
    for (const p of ctx.cache<PodObject>(Pod).byIndex(POD_NODE_INDEX, nodeName)) {
      if (p.metadata.deletionTimestamp || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
      const tols = ((p.spec as { tolerations?: Toleration[] }).tolerations ?? []);
      let due = Infinity;
      for (const t of noExecute) {
        const matching = tols.filter((x) => tolerates([x], t));
        let seconds: number | undefined;
        if (matching.length === 0) {
          if (t.key !== TAINT_UNREACHABLE && t.key !== TAINT_NOT_READY) { due = 0; break; }
          seconds = this.sim.config.timings.defaultTolerationSeconds;
        } else if (matching.every((x) => x.tolerationSeconds !== undefined)) {
          seconds = Math.min(...matching.map((x) => Math.max(0, x.tolerationSeconds!)));
        }
        if (seconds === undefined) continue; // tolerated forever
        const added = Date.parse(t.timeAdded ?? '') || now;
        due = Math.min(due, added + seconds * 1000);
      }
      if (due === Infinity) continue;
      if (due > now) { next = Math.min(next ?? Infinity, due - now); continue; }
      try {
        await ctx.client.delete(Pod, p.metadata.name!, { namespace: p.metadata.namespace, preconditions: { uid: p.metadata.uid } });
        ctx.recorder.event(p, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${p.metadata.namespace}/${p.metadata.name}`);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    return next;
  }

  private async syncTaints(node: NodeObject, readyStatus: string, ctx: ReconcileContext<NodeObject>): Promise<Taint[]> {
    const taints = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []);
    const want: Taint[] = [];
    const keep = (key: string, effect: string) => {
      const had = taints.find((t) => t.key === key && t.effect === effect);
      want.push(had ?? { key, effect, timeAdded: rfc3339() });
    };
    if (readyStatus === 'Unknown') { keep(TAINT_UNREACHABLE, 'NoSchedule'); keep(TAINT_UNREACHABLE, 'NoExecute'); }
    if (readyStatus === 'False') { keep(TAINT_NOT_READY, 'NoSchedule'); keep(TAINT_NOT_READY, 'NoExecute'); }
    if (node.spec?.unschedulable) keep(TAINT_UNSCHEDULABLE, 'NoSchedule');
    const others = taints.filter((t) => !MANAGED.has(t.key));
    const next = [...others, ...want];
    const same = next.length === taints.length && next.every((t) => taints.some((x) => x.key === t.key && x.effect === t.effect));
    if (same) return taints;
    await patchObject(ctx.client, node, (o) => {
      if (next.length === 0 && taints.length === 0) return;
      (o.spec as { taints?: Taint[] }).taints = next.map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect, ...(t.timeAdded ? { timeAdded: t.timeAdded } : {}) }));
    });
    return next;
  }
}
