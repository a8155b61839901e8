/**
 * Pod garbage collection for deleted nodes (kube-controller-manager's PodGC, orphaned-pod
 * part): when a Node goes away — e.g. its cloud instance was removed by a scale-down — the
 * pods bound to it are force-deleted (grace period 0), so their ReplicaSets replace them
 * elsewhere. A pod bound to a node that never existed is deleted once the node is still
 * missing after a quarantine period.
 */
import { isNotFound } from '../api/index.js';
import {
  Controller, Index, Node, Pod,
  type NodeObject, type PodObject, type ReconcileContext, type Reconciler, type Request,
} from '../controller/index.js';
import { POD_NODE_INDEX, podNodeIndex } from './scheduler.js';

const GONE = '~node-gone:';
/** How long a pod may point at a node that does not exist before it is collected (upstream 40 s). */
export const ORPHAN_QUARANTINE_MS = 40_000;

@Controller({
  for: Pod,
  name: 'pod-gc',
  fieldManager: 'kube-controller-manager',
  needLeaderElection: false,
  predicates: [{ create: (p: PodObject) => !!p.spec?.nodeName, update: (o: PodObject, n: PodObject) => !o.spec?.nodeName && !!n.spec?.nodeName, delete: () => false, generic: () => false }],
  watches: [{ kind: Node, map: (n: NodeObject) => ({ name: GONE + n.metadata.name }), predicates: [{ create: () => false, update: () => false, delete: () => true }] }],
})
@Index({ kind: Pod, name: POD_NODE_INDEX, extract: podNodeIndex })
export class PodGcController implements Reconciler<PodObject> {
  private readonly firstSeenMissing = new Map<string, number>();

  async reconcile(pod: PodObject, ctx: ReconcileContext<PodObject>) {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || ctx.cache<NodeObject>(Node).get(nodeName)) { this.firstSeenMissing.delete(nodeName ?? ''); return; }
    const since = this.firstSeenMissing.get(nodeName) ?? Date.now();
    this.firstSeenMissing.set(nodeName, since);
    const wait = since + ORPHAN_QUARANTINE_MS - Date.now();
    if (wait > 0) return { requeueAfter: wait };
    await this.collect(nodeName, ctx);
  }

  async reconcileDeleted(req: Request, ctx: ReconcileContext<PodObject>) {
    if (req.namespace || !req.name.startsWith(GONE)) return;
    await this.collect(req.name.slice(GONE.length), ctx);
  }

  /** Force-deletes the pods of a node that the API server confirms is gone. */
  private async collect(nodeName: string, ctx: ReconcileContext<PodObject>): Promise<void> {
    try {
      await ctx.client.get(Node, nodeName);
      return; // it exists after all (the cache lags behind)
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.firstSeenMissing.delete(nodeName);
    for (const p of ctx.cache<PodObject>(Pod).byIndex(POD_NODE_INDEX, nodeName)) {
      try {
        await ctx.client.delete(Pod, p.metadata.name!, { namespace: p.metadata.namespace, gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } });
        ctx.log.info({ pod: `${p.metadata.namespace}/${p.metadata.name}`, node: nodeName }, 'PodGC is force deleting Pod');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
