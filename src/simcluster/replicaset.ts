/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods from the template, adopts
 * matching orphans and releases pods that stopped matching, and reports replicas,
 * fullyLabeledReplicas, readyReplicas, availableReplicas and observedGeneration.
 */
import { controllerRef, objectKey } from '../api/index.js';
import {
  Controller, Pod, ReplicaSet, patchStatus, setCondition, removeCondition,
  type PodObject, type ReconcileContext, type Reconciler, type Request, type TypedObject,
} from '../controller/index.js';
import {
  Expectations, adopt, deletionOrder, isActive, isPodAvailable, isPodReady, ownedBy, podFromTemplate, release, selectorOf, slowStart,
} from './workload.js';

type RS = TypedObject<{ replicas?: number; minReadySeconds?: number; selector?: unknown; template?: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> } }>;

/** Request meaning "an orphan pod changed in this namespace": every ReplicaSet there checks adoption. */
const ADOPT = '~adopt';

@Controller({
  for: ReplicaSet,
  name: 'replicaset',
  fieldManager: 'kube-controller-manager',
  needLeaderElection: false,
  maxConcurrentReconciles: 4,
  owns: [Pod],
  watches: [{ kind: Pod, map: (p: PodObject) => (controllerRef(p) || p.metadata.deletionTimestamp ? undefined : { namespace: p.metadata.namespace, name: ADOPT }) }],
})
export class ReplicaSetController implements Reconciler<RS> {
  private readonly expectations = new Expectations();

  async reconcile(rs: RS, ctx: ReconcileContext<RS>) {
    return this.sync(rs, ctx);
  }

  async reconcileDeleted(req: Request, ctx: ReconcileContext<RS>) {
    if (req.name !== ADOPT) { this.expectations.forget(`${req.namespace}/${req.name}`); return; }
    for (const rs of ctx.cache<RS>(ReplicaSet).list({ namespace: req.namespace })) {
      if (!selectorOf(rs).isEmpty()) ctx.enqueue({ namespace: rs.metadata.namespace, name: rs.metadata.name! });
    }
  }

  /** Adopts orphans matching the selector, releases owned pods that no longer match; returns the owned pods. */
  private async claim(rs: RS, ctx: ReconcileContext<RS>): Promise<PodObject[]> {
    const sel = selectorOf(rs);
    const owned: PodObject[] = [];
    if (rs.metadata.deletionTimestamp) return ctx.cache<PodObject>(Pod).list({ namespace: rs.metadata.namespace }).filter((p) => ownedBy(rs, p));
    for (const p of ctx.cache<PodObject>(Pod).list({ namespace: rs.metadata.namespace })) {
      const ref = controllerRef(p);
      const matches = !sel.isEmpty() && sel.matches(p.metadata.labels);
      if (ref?.uid === rs.metadata.uid) {
        if (matches) owned.push(p);
        else await release(ctx.client, rs, p);
      } else if (!ref && matches && !p.metadata.deletionTimestamp) {
        await adopt(ctx.client, rs, p);
        owned.push(p);
      }
    }
    return owned;
  }

  private async sync(rs: RS, ctx: ReconcileContext<RS>) {
    const key = objectKey(rs);
    const pods = await this.claim(rs, ctx);
    const active = pods.filter(isActive);
    const want = rs.spec?.replicas ?? 1;
    const cache = ctx.cache<PodObject>(Pod);
    let createError: unknown;
    if (!rs.metadata.deletionTimestamp && this.expectations.satisfied(key, (n) => cache.get(rs.metadata.namespace, n))) {
      const diff = active.length - want;
      if (diff < 0) {
        const n = Math.min(-diff, 500);
        const names: string[] = [];
        const r = await slowStart(Array.from({ length: n }, (_, i) => i), async () => {
          const created = await ctx.client.create(podFromTemplate(rs, rs.spec?.template));
          names.push(created.metadata.name!);
          this.expectations.expectCreations(key, [created.metadata.name!]);
          ctx.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
        });
        if (r.error) {
          createError = r.error;
          ctx.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${(r.error as Error).message}`);
        }
      } else if (diff > 0) {
        const victims = [...active].sort(deletionOrder).slice(0, Math.min(diff, 500));
        this.expectations.expectDeletions(key, victims.map((p) => p.metadata.name!));
        await Promise.all(victims.map(async (p) => {
          try {
            await ctx.client.delete(Pod, p.metadata.name!, { namespace: p.metadata.namespace, preconditions: { uid: p.metadata.uid } });
            ctx.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
          } catch (err) {
            ctx.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
          }
        }));
      }
    }
    const tmplLabels = rs.spec?.template?.metadata?.labels ?? {};
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const status = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => Object.entries(tmplLabels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => isPodAvailable(p, minReady)).length,
      observedGeneration: rs.metadata.generation,
    };
    await patchStatus(ctx.client, rs, (o) => {
      const conds = o.status?.conditions as Parameters<typeof setCondition>[0];
      let list = conds;
      if (createError) list = setCondition(list, { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: (createError as Error).message }).list;
      else if (list) { list = [...list]; removeCondition(list, 'ReplicaFailure'); }
      o.status = { ...status, ...(list?.length ? { conditions: list } : {}) };
    }, { optimisticLock: false });
    if (createError) throw createError;
    // availability depends on time when minReadySeconds is set
    if (minReady && status.readyReplicas > status.availableReplicas) return { requeueAfter: minReady * 1000 };
  }
}
