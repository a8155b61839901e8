/**
 * The StatefulSet controller (no volumes): pods `<name>-<ordinal>` with stable names and the
 * `statefulset.kubernetes.io/pod-name` / `apps.kubernetes.io/pod-index` labels. OrderedReady
 * creates them one at a time, each after its predecessors are Running and Ready, and removes
 * the highest ordinal first; Parallel does both at once. RollingUpdate replaces pods of an
 * old template from the highest ordinal down (above `partition`), one at a time. Status:
 * replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas, revisions.
 */
import {
  Controller, Pod, StatefulSet, patchStatus,
  type PodObject, type ReconcileContext, type Reconciler, type TypedObject,
} from '../controller/index.js';
import { templateHash } from './deployment.js';
import { isPodAvailable, isPodReady, ownedBy, podFromTemplate } from './workload.js';

type STS = TypedObject<{
  replicas?: number; minReadySeconds?: number; podManagementPolicy?: 'OrderedReady' | 'Parallel';
  selector?: unknown; serviceName?: string;
  template?: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> };
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number } };
}>;

const REVISION_LABEL = 'controller-revision-hash';

function ordinalOf(sts: STS, p: PodObject): number {
  const prefix = `${sts.metadata.name}-`;
  const name = p.metadata.name ?? '';
  if (!name.startsWith(prefix)) return -1;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : -1;
}

const healthy = (p: PodObject) => p.status?.phase === 'Running' && isPodReady(p) && !p.metadata.deletionTimestamp;

@Controller({ for: StatefulSet, name: 'statefulset', fieldManager: 'kube-controller-manager', needLeaderElection: false, owns: [Pod] })
export class StatefulSetController implements Reconciler<STS> {
  async reconcile(sts: STS, ctx: ReconcileContext<STS>) {
    if (sts.metadata.deletionTimestamp) return;
    const replicas = sts.spec?.replicas ?? 1;
    const revision = `${sts.metadata.name}-${templateHash(sts.spec?.template)}`;
    const parallel = sts.spec?.podManagementPolicy === 'Parallel';
    const pods = new Map<number, PodObject>();
    for (const p of ctx.cache<PodObject>(Pod).list({ namespace: sts.metadata.namespace })) {
      const i = ordinalOf(sts, p);
      if (i >= 0 && ownedBy(sts, p)) pods.set(i, p);
    }
    const create = async (i: number) => {
      const pod = podFromTemplate(sts, sts.spec?.template, { name: `${sts.metadata.name}-${i}` });
      pod.metadata.labels = {
        ...pod.metadata.labels, [REVISION_LABEL]: revision,
        'statefulset.kubernetes.io/pod-name': pod.metadata.name!, 'apps.kubernetes.io/pod-index': String(i),
      };
      if (sts.spec?.serviceName) pod.spec = { ...pod.spec!, hostname: pod.metadata.name, subdomain: sts.spec.serviceName } as PodObject['spec'];
      await ctx.client.create(pod);
      ctx.recorder.event(sts, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`);
    };
    const remove = async (p: PodObject) => {
      await ctx.client.delete(Pod, p.metadata.name!, { namespace: p.metadata.namespace, preconditions: { uid: p.metadata.uid } }).catch(() => undefined);
      ctx.recorder.event(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata.name} in StatefulSet ${sts.metadata.name} successful`);
    };

    let blocked = false;
    // scale up: missing ordinals below replicas, lowest first; OrderedReady waits for each
    for (let i = 0; i < replicas && !blocked; i++) {
      const p = pods.get(i);
      if (!p) {
        await create(i);
        if (!parallel) blocked = true;
      } else if (!parallel && !healthy(p)) {
        blocked = true;
      }
    }
    // scale down: ordinals >= replicas, highest first (OrderedReady: one at a time, all others healthy)
    const surplus = [...pods.keys()].filter((i) => i >= replicas).sort((a, b) => b - a);
    for (const i of surplus) {
      const p = pods.get(i)!;
      if (p.metadata.deletionTimestamp) { if (!parallel) break; continue; }
      if (!parallel && (blocked || [...pods.values()].some((x) => x !== p && !healthy(x)))) break;
      await remove(p);
      if (!parallel) break;
    }
    // rolling update: highest outdated ordinal above the partition, once everything else is healthy
    if ((sts.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && !blocked) {
      const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
      const outdated = [...pods.entries()].filter(([i, p]) => i < replicas && i >= partition && p.metadata.labels?.[REVISION_LABEL] !== revision).sort((a, b) => b[0] - a[0]);
      const allHealthy = [...pods.entries()].filter(([i]) => i < replicas).every(([, p]) => healthy(p));
      if (outdated.length && allHealthy) await remove(outdated[0][1]);
    }

    const live = [...pods.entries()].filter(([, p]) => !p.metadata.deletionTimestamp).map(([, p]) => p);
    const minReady = sts.spec?.minReadySeconds ?? 0;
    const updated = live.filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision).length;
    const current = (sts.status as { currentRevision?: string } | undefined)?.currentRevision;
    const rolledOut = updated === replicas && live.length === replicas;
    await patchStatus(ctx.client, sts, (o) => {
      o.status = {
        ...o.status,
        observedGeneration: sts.metadata.generation,
        replicas: live.length,
        readyReplicas: live.filter(isPodReady).length,
        availableReplicas: live.filter((p) => isPodAvailable(p, minReady)).length,
        updatedReplicas: updated,
        currentReplicas: rolledOut ? updated : live.filter((p) => p.metadata.labels?.[REVISION_LABEL] === (current ?? revision)).length,
        currentRevision: rolledOut || !current ? revision : current,
        updateRevision: revision,
        collisionCount: 0,
      };
    }, { optimisticLock: false });
  }
}
