/**
 * The DaemonSet controller: one pod per eligible node (nodeSelector, node affinity, taints
 * with the DaemonSet's default tolerations), pinned with required node affinity on
 * `metadata.name` and placed by the scheduler like upstream; pods of an old template are
 * replaced within maxUnavailable; status numbers as upstream reports them.
 */
import {
  Controller, DaemonSet, Node, Pod, patchStatus,
  type NodeObject, type PodObject, type ReconcileContext, type Reconciler, type Request, type TypedObject,
} from '../controller/index.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE } from './config.js';
import { resolveIntOrPercent, templateHash } from './deployment.js';
import { matchesNodeSelectorAndAffinity, taintsOf, tolerates, type Toleration } from './predicates.js';
import { isActive, isPodAvailable, isPodReady, ownedBy, podFromTemplate } from './workload.js';

type DS = TypedObject<{
  selector?: unknown; minReadySeconds?: number;
  template?: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> };
  updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
}>;

const NODES = '~nodes';
const HASH_LABEL = 'controller-revision-hash';

export const daemonTolerations: Toleration[] = [
  { key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
  { key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
];

/** The node a daemon pod is meant for (bound node, or its metadata.name affinity). */
export function targetNode(p: PodObject): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  const terms = (p.spec as { affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: Array<{ matchFields?: Array<{ key: string; values?: string[] }> }> } } } })
    .affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return terms.flatMap((t) => t.matchFields ?? []).find((f) => f.key === 'metadata.name')?.values?.[0];
}

@Controller({
  for: DaemonSet,
  name: 'daemonset',
  fieldManager: 'kube-controller-manager',
  needLeaderElection: false,
  owns: [Pod],
  watches: [{
    kind: Node, map: () => ({ name: NODES }),
    predicates: [{ update: (o: NodeObject, n: NodeObject) => JSON.stringify([o.metadata.labels, taintsOf(o), o.spec?.unschedulable]) !== JSON.stringify([n.metadata.labels, taintsOf(n), n.spec?.unschedulable]) }],
  }],
})
export class DaemonSetController implements Reconciler<DS> {
  async reconcile(ds: DS, ctx: ReconcileContext<DS>) {
    return this.sync(ds, ctx);
  }

  async reconcileDeleted(req: Request, ctx: ReconcileContext<DS>) {
    if (req.name !== NODES || req.namespace) return;
    for (const ds of ctx.cache<DS>(DaemonSet).list()) ctx.enqueue({ namespace: ds.metadata.namespace, name: ds.metadata.name! });
  }

  private eligible(ds: DS, node: NodeObject): boolean {
    const spec = (ds.spec?.template?.spec ?? {}) as { nodeSelector?: Record<string, string>; affinity?: never; tolerations?: Toleration[] };
    if (!matchesNodeSelectorAndAffinity(spec, node)) return false;
    const tols = [...(spec.tolerations ?? []), ...daemonTolerations];
    return taintsOf(node).every((t) => (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') || tolerates(tols, t));
  }

  private async sync(ds: DS, ctx: ReconcileContext<DS>) {
    if (ds.metadata.deletionTimestamp) return;
    const nodes = ctx.cache<NodeObject>(Node).list();
    const pods = ctx.cache<PodObject>(Pod).list({ namespace: ds.metadata.namespace }).filter((p) => ownedBy(ds, p) && isActive(p));
    const hash = templateHash(ds.spec?.template);
    const byNode = new Map<string, PodObject[]>();
    for (const p of pods) {
      const n = targetNode(p) ?? '';
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const minReady = ds.spec?.minReadySeconds ?? 0;
    let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
    const toCreate: string[] = [];
    const toDelete: PodObject[] = [];
    const outdated: PodObject[] = [];
    for (const node of nodes) {
      const name = node.metadata.name!;
      const on = byNode.get(name) ?? [];
      byNode.delete(name);
      if (this.eligible(ds, node)) {
        desired++;
        if (on.length === 0) { toCreate.push(name); continue; }
        current++;
        const [keep, ...extra] = [...on].sort((a, b) => (Date.parse(a.metadata.creationTimestamp ?? '') || 0) - (Date.parse(b.metadata.creationTimestamp ?? '') || 0));
        toDelete.push(...extra);
        if (isPodReady(keep)) ready++;
        if (isPodAvailable(keep, minReady)) available++;
        if (keep.metadata.labels?.[HASH_LABEL] === hash) updated++;
        else outdated.push(keep);
      } else if (on.length) {
        misscheduled += on.filter((p) => p.spec?.nodeName).length;
        toDelete.push(...on);
      }
    }
    for (const rest of byNode.values()) toDelete.push(...rest); // nodes that are gone
    // rolling update: replace outdated pods while within maxUnavailable
    if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const maxUnavailable = Math.max(1, resolveIntOrPercent(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable, desired, false, '1'));
      let room = maxUnavailable - (desired - available);
      for (const p of outdated) {
        if (room <= 0) break;
        if (isPodAvailable(p, minReady)) room--;
        toDelete.push(p);
      }
    }
    for (const nodeName of toCreate) {
      const tmplSpec = (ds.spec?.template?.spec ?? {}) as Record<string, unknown> & { tolerations?: Toleration[]; affinity?: Record<string, unknown> };
      const pod = podFromTemplate(ds, ds.spec?.template, {
        spec: {
          affinity: {
            ...(tmplSpec.affinity ?? {}),
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] } },
          },
          tolerations: [...(tmplSpec.tolerations ?? []), ...daemonTolerations.filter((t) => !(tmplSpec.tolerations ?? []).some((x) => x.key === t.key && x.effect === t.effect))],
        },
      });
      pod.metadata.labels = { ...pod.metadata.labels, [HASH_LABEL]: hash };
      const created = await ctx.client.create(pod);
      ctx.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    }
    for (const p of toDelete) {
      await ctx.client.delete(Pod, p.metadata.name!, { namespace: p.metadata.namespace, preconditions: { uid: p.metadata.uid } }).catch(() => undefined);
      ctx.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
    }
    await patchStatus(ctx.client, ds, (o) => {
      o.status = {
        ...o.status,
        desiredNumberScheduled: desired, currentNumberScheduled: current, numberMisscheduled: misscheduled,
        numberReady: ready, numberAvailable: available, numberUnavailable: Math.max(0, desired - available),
        updatedNumberScheduled: updated, observedGeneration: ds.metadata.generation,
      };
    }, { optimisticLock: false });
    if (minReady && ready > available) return { requeueAfter: minReady * 1000 };
  }
}
