/**
 * The disruption controller: PodDisruptionBudget status from the pods its selector matches —
 * expectedPods (the scale of the pods' controllers for maxUnavailable and percentages),
 * desiredHealthy, currentHealthy, disruptionsAllowed, the DisruptionAllowed condition, and
 * the `disruptedPods` the eviction API recorded (counted as unhealthy until the pod is seen
 * terminating or the entry expires). The API server's eviction handler trusts these numbers.
 */
import { controllerRef, labelSelectorFromSpec, LabelSelector, type LabelSelectorSpec } from '../api/index.js';
import {
  Controller, Deployment, Pod, PodDisruptionBudget, ReplicaSet, StatefulSet, inject, patchStatus, setCondition,
  type PodObject, type ReconcileContext, type Reconciler, type Request, type TypedObject,
} from '../controller/index.js';
import { SIM, type SimContext } from './config.js';
import { resolveIntOrPercent } from './deployment.js';
import { isPodReady } from './workload.js';

type PDB = TypedObject<{ selector?: LabelSelectorSpec | null; minAvailable?: number | string; maxUnavailable?: number | string }, { disruptedPods?: Record<string, string> } & Record<string, unknown>>;
type Scalable = TypedObject<{ replicas?: number }>;

const PODS = '~pods';
const toNamespace = (o: { metadata: { namespace?: string } }) => ({ namespace: o.metadata.namespace, name: PODS });

@Controller({
  for: PodDisruptionBudget,
  name: 'disruption',
  fieldManager: 'kube-controller-manager',
  needLeaderElection: false,
  watches: [
    { kind: Pod, map: toNamespace },
    { kind: ReplicaSet, map: toNamespace, predicates: [{ update: (o: Scalable, n: Scalable) => o.spec?.replicas !== n.spec?.replicas }] },
    { kind: Deployment, map: toNamespace, predicates: [{ update: (o: Scalable, n: Scalable) => o.spec?.replicas !== n.spec?.replicas }] },
    { kind: StatefulSet, map: toNamespace, predicates: [{ update: (o: Scalable, n: Scalable) => o.spec?.replicas !== n.spec?.replicas }] },
  ],
})
export class DisruptionController implements Reconciler<PDB> {
  constructor(@inject(SIM) private readonly sim: SimContext) {}

  reconcile(pdb: PDB, ctx: ReconcileContext<PDB>) {
    return this.sync(pdb, ctx);
  }

  async reconcileDeleted(req: Request, ctx: ReconcileContext<PDB>) {
    if (req.name !== PODS) return;
    for (const pdb of ctx.cache<PDB>(PodDisruptionBudget).list({ namespace: req.namespace })) ctx.enqueue({ namespace: pdb.metadata.namespace, name: pdb.metadata.name! });
  }

  private async sync(pdb: PDB, ctx: ReconcileContext<PDB>): Promise<{ requeueAfter: number } | undefined> {
    if (pdb.metadata.deletionTimestamp) return;
    const ns = pdb.metadata.namespace;
    const sel = pdb.spec?.selector === null || pdb.spec?.selector === undefined ? LabelSelector.nothing() : labelSelectorFromSpec(pdb.spec.selector);
    const pods = ctx.cache<PodObject>(Pod).list({ namespace: ns }).filter((p) => sel.matches(p.metadata.labels));
    const now = Date.now();
    const timeout = this.sim.config.timings.disruptedPodTimeoutMs;
    // disrupted pods stay unhealthy until seen terminating (or the entry expires)
    const disrupted: Record<string, string> = {};
    let nextExpiry: number | undefined;
    for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
      const p = pods.find((x) => x.metadata.name === name);
      const t = Date.parse(at);
      if (!p || p.metadata.deletionTimestamp || Number.isNaN(t) || t + timeout <= now) continue;
      disrupted[name] = at;
      nextExpiry = Math.min(nextExpiry ?? Infinity, t + timeout - now);
    }
    const healthy = pods.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p) && !(p.metadata.name! in disrupted)).length;
    let expected = pods.length;
    let desired: number;
    let error: string | undefined;
    const { minAvailable, maxUnavailable } = pdb.spec ?? {};
    try {
      if (maxUnavailable !== undefined || typeof minAvailable === 'string') expected = this.expectedScale(pods, ctx);
      if (maxUnavailable !== undefined) desired = Math.max(0, expected - resolveIntOrPercent(maxUnavailable, expected, true, '0'));
      else if (typeof minAvailable === 'string') desired = resolveIntOrPercent(minAvailable, expected, true, '0');
      else desired = minAvailable ?? 1;
    } catch (err) {
      error = (err as Error).message;
      desired = 0;
    }
    const allowed = error ? 0 : Math.max(0, healthy - desired);
    await patchStatus(ctx.client, pdb, (o) => {
      const cond = error
        ? { type: 'DisruptionAllowed', status: 'False' as const, reason: 'SyncFailed', message: error }
        : allowed > 0
          ? { type: 'DisruptionAllowed', status: 'True' as const, reason: 'SufficientPods', message: '' }
          : { type: 'DisruptionAllowed', status: 'False' as const, reason: 'InsufficientPods', message: '' };
      const list = setCondition((o.status as { conditions?: unknown } | undefined)?.conditions as Parameters<typeof setCondition>[0], { ...cond, observedGeneration: pdb.metadata.generation }).list;
      o.status = {
        ...o.status,
        observedGeneration: pdb.metadata.generation, currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected,
        disruptionsAllowed: allowed, disruptedPods: Object.keys(disrupted).length ? disrupted : null as unknown as undefined, conditions: list,
      };
    });
    return nextExpiry !== undefined ? { requeueAfter: nextExpiry } : undefined;
  }

  /** Sum of the scale of the pods' controllers (a Deployment counts for its ReplicaSets). */
  private expectedScale(pods: PodObject[], ctx: ReconcileContext<PDB>): number {
    const seen = new Map<string, number>();
    for (const p of pods) {
      const ref = controllerRef(p);
      if (!ref) throw new Error(`found no controller ref for pod "${p.metadata.name}"`);
      const ns = p.metadata.namespace;
      if (ref.kind === 'ReplicaSet') {
        const rs = ctx.cache<Scalable>(ReplicaSet).get(ns, ref.name);
        if (!rs || rs.metadata.uid !== ref.uid) continue;
        const dref = controllerRef(rs);
        const d = dref?.kind === 'Deployment' ? ctx.cache<Scalable>(Deployment).get(ns, dref.name) : undefined;
        if (d && d.metadata.uid === dref!.uid) seen.set(d.metadata.uid!, d.spec?.replicas ?? 1);
        else seen.set(rs.metadata.uid!, rs.spec?.replicas ?? 1);
      } else if (ref.kind === 'StatefulSet') {
        const ss = ctx.cache<Scalable>(StatefulSet).get(ns, ref.name);
        if (ss && ss.metadata.uid === ref.uid) seen.set(ss.metadata.uid!, ss.spec?.replicas ?? 1);
      } else {
        throw new Error(`found no controllers for pod "${p.metadata.name}"`);
      }
    }
    return [...seen.values()].reduce((a, b) => a + b, 0);
  }
}
