/**
 * The Deployment controller: one ReplicaSet per pod template (named `<deployment>-<hash>`,
 * labelled `pod-template-hash`), rolled with RollingUpdate (maxSurge/maxUnavailable) or
 * Recreate, revisions in `deployment.kubernetes.io/revision`, old ReplicaSets pruned beyond
 * revisionHistoryLimit, and status with Available/Progressing conditions.
 */
import { controllerRef, isAlreadyExists, type LabelSelectorSpec } from '../api/index.js';
import {
  Controller, Deployment, ReplicaSet, patchObject, patchStatus, setCondition,
  type ReconcileContext, type Reconciler, type TypedObject,
} from '../controller/index.js';
import { adopt, ownedBy, ownerRefTo, selectorOf } from './workload.js';

interface Template { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> }
type Deploy = TypedObject<{
  replicas?: number; paused?: boolean; minReadySeconds?: number; revisionHistoryLimit?: number;
  selector?: LabelSelectorSpec; template?: Template;
  strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
}>;
type RS = TypedObject<{ replicas?: number; minReadySeconds?: number; selector?: LabelSelectorSpec; template?: Template }, { replicas?: number; readyReplicas?: number; availableReplicas?: number }>;

export const REVISION = 'deployment.kubernetes.io/revision';
const HASH_LABEL = 'pod-template-hash';

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

/** FNV-32a of the template (and collision count), encoded with upstream's safe alphabet. */
export function templateHash(t: Template | undefined, collisionCount = 0): string {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(stable(t ?? {}) + (collisionCount ? String(collisionCount) : ''), 'utf8')) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return String(h).split('').map((d) => alphabet[Number(d) % alphabet.length]).join('').slice(0, 10);
}

function withoutHash(t: Template | undefined): Template {
  const c = structuredClone(t ?? {});
  if (c.metadata?.labels) delete c.metadata.labels[HASH_LABEL];
  return c;
}

/** An int-or-percent of `total` (percentages round up for surge, down for unavailable). */
export function resolveIntOrPercent(v: number | string | undefined, total: number, roundUp: boolean, dflt: string): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const m = /^(\d+)%$/.exec(x);
  if (!m) {
    if (/^\d+$/.test(x)) return Number(x);
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage: "${x}"`);
  }
  const f = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(f) : Math.floor(f);
}

const revisionOf = (rs: RS) => Number(rs.metadata.annotations?.[REVISION] ?? '0') || 0;

@Controller({ for: Deployment, name: 'deployment', fieldManager: 'kube-controller-manager', needLeaderElection: false, maxConcurrentReconciles: 4, owns: [ReplicaSet] })
export class DeploymentController implements Reconciler<Deploy> {
  async reconcile(d: Deploy, ctx: ReconcileContext<Deploy>) {
    if (d.metadata.deletionTimestamp) return;
    const ns = d.metadata.namespace;
    const sel = selectorOf(d);
    const all: RS[] = [];
    for (const rs of ctx.cache<RS>(ReplicaSet).list({ namespace: ns })) {
      if (ownedBy(d, rs)) all.push(structuredClone(rs));
      else if (!controllerRef(rs) && !sel.isEmpty() && sel.matches(rs.metadata.labels) && !rs.metadata.deletionTimestamp) {
        await adopt(ctx.client, d, rs);
        all.push(structuredClone(rs));
      }
    }
    const replicas = d.spec?.replicas ?? 1;
    const template = d.spec?.template;
    let newRS = all.find((rs) => stable(withoutHash(rs.spec?.template)) === stable(withoutHash(template)));
    const old = all.filter((rs) => rs !== newRS);
    const maxOldRevision = Math.max(0, ...old.map(revisionOf));
    let created = false;
    const strategy = d.spec?.strategy?.type ?? 'RollingUpdate';
    const surge = strategy === 'Recreate' ? 0 : resolveIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxSurge, replicas, true, '25%');
    let unavailable = strategy === 'Recreate' ? 0 : resolveIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxUnavailable, replicas, false, '25%');
    if (strategy !== 'Recreate' && surge === 0 && unavailable === 0) unavailable = 1;

    if (d.spec?.paused) {
      await this.status(d, all, newRS, false, unavailable, ctx);
      return;
    }
    if (!newRS) {
      const hash = templateHash(template, (d.status as { collisionCount?: number } | undefined)?.collisionCount);
      const oldActive = old.reduce((s, rs) => s + (rs.spec?.replicas ?? 0), 0);
      const initial = strategy === 'Recreate' ? 0 : old.length === 0 ? replicas : Math.max(0, Math.min(replicas, replicas + surge - oldActive));
      const labels = { ...(template?.metadata?.labels ?? {}), [HASH_LABEL]: hash };
      const rs: RS = {
        apiVersion: 'apps/v1', kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name}-${hash}`, namespace: ns, labels,
          annotations: { [REVISION]: String(maxOldRevision + 1), 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas + surge) },
          ownerReferences: [ownerRefTo(d)],
        },
        spec: {
          replicas: initial, minReadySeconds: d.spec?.minReadySeconds ?? 0,
          selector: { ...(d.spec?.selector ?? {}), matchLabels: { ...(d.spec?.selector?.matchLabels ?? {}), [HASH_LABEL]: hash } },
          template: { ...structuredClone(template ?? {}), metadata: { ...(template?.metadata ?? {}), labels } },
        },
      };
      try {
        newRS = await ctx.client.create(rs);
        created = true;
        ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs.metadata.name} from 0 to ${initial}`);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        // the informer has not shown it yet (or a hash collision): try again shortly
        return { requeueAfter: 200 };
      }
    } else if (revisionOf(newRS) <= maxOldRevision) {
      newRS = await patchObject(ctx.client, newRS, (o) => { o.metadata.annotations = { ...o.metadata.annotations, [REVISION]: String(maxOldRevision + 1) }; });
    }
    const rev = newRS!.metadata.annotations?.[REVISION];
    if (rev && d.metadata.annotations?.[REVISION] !== rev) {
      // through the status subresource, as upstream's getNewReplicaSet does (UpdateStatus): its
      // status strategy lets annotations through and bumps no generation, where a write of the
      // main resource would (a Deployment's generation counts annotation changes)
      await ctx.client.patch(Deployment, d.metadata.name!, { metadata: { annotations: { [REVISION]: rev } } }, { namespace: d.metadata.namespace, subresource: 'status', type: 'merge', signal: ctx.signal });
    }

    const scale = async (rs: RS, to: number) => {
      const from = rs.spec?.replicas ?? 0;
      if (from === to) return;
      await patchObject(ctx.client, rs, (o) => {
        o.spec = { ...o.spec, replicas: to };
        o.metadata.annotations = { ...o.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas + surge) };
      });
      rs.spec = { ...rs.spec, replicas: to };
      ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`);
    };
    const nrs = newRS!;
    if (strategy === 'Recreate') {
      for (const rs of old) await scale(rs, 0);
      const oldPods = old.reduce((s, rs) => s + (rs.status?.replicas ?? 0), 0);
      if (oldPods === 0) await scale(nrs, replicas);
    } else {
      // scale up the new ReplicaSet within maxSurge
      const total = () => all.concat(all.includes(nrs) ? [] : [nrs]).reduce((s, rs) => s + (rs.spec?.replicas ?? 0), 0);
      const cur = nrs.spec?.replicas ?? 0;
      if (cur > replicas) await scale(nrs, replicas);
      else if (cur < replicas) {
        const room = replicas + surge - total();
        if (room > 0) await scale(nrs, cur + Math.min(room, replicas - cur));
      }
      // scale down old ReplicaSets within maxUnavailable: unhealthy replicas first, then the oldest
      const minAvailable = replicas - unavailable;
      const available = all.reduce((s, rs) => s + (rs.status?.availableReplicas ?? 0), 0) + (all.includes(nrs) ? 0 : nrs.status?.availableReplicas ?? 0);
      const oldSorted = [...old].sort((a, b) => revisionOf(a) - revisionOf(b));
      const newUnavailable = Math.max(0, (nrs.spec?.replicas ?? 0) - (nrs.status?.availableReplicas ?? 0));
      let budget = total() - minAvailable - newUnavailable;
      for (const rs of oldSorted) {
        if (budget <= 0) break;
        const unhealthy = Math.max(0, (rs.spec?.replicas ?? 0) - (rs.status?.availableReplicas ?? 0));
        const n = Math.min(budget, unhealthy);
        if (n > 0) { await scale(rs, (rs.spec?.replicas ?? 0) - n); budget -= n; }
      }
      let down = available - minAvailable;
      for (const rs of oldSorted) {
        if (down <= 0) break;
        const n = Math.min(down, rs.spec?.replicas ?? 0);
        if (n > 0) { await scale(rs, (rs.spec?.replicas ?? 0) - n); down -= n; }
      }
    }
    // history
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const idle = old.filter((rs) => (rs.spec?.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0).sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      await ctx.client.delete(ReplicaSet, rs.metadata.name!, { namespace: ns, preconditions: { uid: rs.metadata.uid } }).catch(() => undefined);
    }
    await this.status(d, all.includes(nrs) ? all : [...all, nrs], nrs, created, unavailable, ctx);
  }

  private async status(d: Deploy, all: RS[], newRS: RS | undefined, created: boolean, maxUnavailable: number, ctx: ReconcileContext<Deploy>) {
    const replicas = d.spec?.replicas ?? 1;
    const sum = (f: (rs: RS) => number | undefined) => all.reduce((s, rs) => s + (f(rs) ?? 0), 0);
    const st = {
      observedGeneration: d.metadata.generation,
      replicas: sum((rs) => rs.status?.replicas),
      updatedReplicas: newRS?.status?.replicas ?? 0,
      readyReplicas: sum((rs) => rs.status?.readyReplicas),
      availableReplicas: sum((rs) => rs.status?.availableReplicas),
      unavailableReplicas: 0,
    };
    st.unavailableReplicas = Math.max(0, replicas - st.availableReplicas);
    await patchStatus(ctx.client, d, (o) => {
      let list = (o.status?.conditions ?? []) as Parameters<typeof setCondition>[0];
      const avail = st.availableReplicas >= replicas - maxUnavailable;
      list = setCondition(list, avail
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }).list;
      const name = newRS?.metadata.name;
      const complete = newRS && st.updatedReplicas === replicas && st.replicas === replicas && st.availableReplicas >= replicas;
      if (d.spec?.paused) list = setCondition(list, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }).list;
      else if (complete) list = setCondition(list, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}" has successfully progressed.` }).list;
      else if (created) list = setCondition(list, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${name}"` }).list;
      else if (name) list = setCondition(list, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${name}" is progressing.` }).list;
      for (const c of list) (c as Record<string, unknown>).lastUpdateTime ??= c.lastTransitionTime;
      o.status = { ...o.status, ...st, conditions: list };
    }, { optimisticLock: false });
  }
}
