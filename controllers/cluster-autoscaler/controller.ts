/**
 * The cluster autoscaler loop: one key on the queue, run once at start and then every
 * `--scan-interval`. Each run reads Pods, Nodes and PDBs from the shared caches and the node
 * groups from ESS, builds a {@link ClusterSnapshot}, asks the pure planner, then acts:
 *   - provisioning timeouts: a group whose new nodes did not register within
 *     `--max-node-provision-time` is shrunk back to what registered and backed off;
 *   - scale-up: the chosen group's desired capacity is raised;
 *   - scale-down: empty unneeded nodes are tainted and removed from their group in bulk;
 *     one non-empty node at a time is tainted, drained through the eviction API (PDBs
 *     respected, 429 retried) and removed — in the background, so the loop keeps scanning;
 *     a failure removes the taint again;
 *   - Events, metrics and the status ConfigMap.
 */
import {
  ConfigMap, Controller, EventRecorder, Manager, Node, Pod, PodDisruptionBudget, inject, watch,
  type Logger, type NodeObject, type Predicate, type ReconcileContext, type Reconciler, type Request, type StartContext,
} from 'kubeloop';
import { isConflict, isNotFound, isTooManyRequests, type KubeObject } from 'kubeloop';
import type { KubeClient } from 'kubeloop';
import type { ScalingApi } from '../cloud/index.js';
import { parse as parseYaml } from 'yaml';
import { PRIORITY_CONFIGMAP, type AutoscalerConfig } from './config.js';
import { NodeGroupSource, type GroupState } from './groups.js';
import type { AutoscalerMetrics } from './metrics.js';
import { nodeInfo, pdbInfo, podInfo, TO_BE_DELETED_TAINT, type ClusterSnapshot, type GroupInfo, type NodeInfo, type PodInfo } from './model.js';
import { noScaleUpMessage, parsePriorities, planScaleDown, planScaleUp, upcomingCount, type NodeToRemove, type PlannerOptions } from './planner.js';
import { StatusTracker, type GroupStatus, type NodeCounts } from './status.js';

export const CONTROLLER_NAME = 'cluster-autoscaler';
/** The loop's queue key; a namespaced key can never be a (cluster-scoped) Node's. */
export const LOOP_KEY: Request = { namespace: 'cluster-autoscaler', name: 'loop' };

export interface AutoscalerDeps {
  config: AutoscalerConfig;
  ess: ScalingApi;
  region: string;
  metrics: AutoscalerMetrics;
  log: Logger;
  /** test hook: the random source of the `random` and `priority` expanders */
  random?: () => number;
  /** the controller instance, once the manager created it (tests and the plugin's stop handle) */
  controller?: ClusterAutoscalerController;
}
export const AUTOSCALER_DEPS = Symbol.for('kubeloop.cluster-autoscaler.deps');
/** An unchanged NotTriggerScaleUp is repeated for a pod at most this often. */
export const DUPLICATE_EVENT_WINDOW_MS = 5 * 60_000;

type Obj = KubeObject & { spec?: any; status?: any };

/** Node/Pod/PDB events never enqueue anything: the loop runs on its interval, as upstream. */
const never: Predicate<KubeObject> = { create: () => false, update: () => false, delete: () => false, generic: () => false };

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

interface Backoff { failures: number; until: number; lastFailure: number }
interface ScaleUpRequest { since: number; from: number; to: number }

/** What the loop remembers between runs. */
export class AutoscalerState {
  unneededSince = new Map<string, number>();
  lastScaleUp = 0;
  lastScaleDownFailure = 0;
  backoff = new Map<string, Backoff>();
  scaleUps = new Map<string, ScaleUpRequest>();
  /** nodes being drained/removed in the background */
  deleting = new Map<string, Promise<void>>();
  status = new StatusTracker();
  /** last NotTriggerScaleUp per pod uid */
  notTriggered = new Map<string, { message: string; at: number }>();
  statusConfigMap?: Obj;
}

@Controller({
  for: Node,
  name: CONTROLLER_NAME,
  predicates: [never as Predicate<NodeObject>],
  watches: [watch(Pod, () => undefined, { predicates: [never] }), watch(PodDisruptionBudget, () => undefined, { predicates: [never] })],
  rbac: [
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
  ],
})
export class ClusterAutoscalerController implements Reconciler<NodeObject> {
  readonly state = new AutoscalerState();
  private readonly groups: NodeGroupSource;
  private stopSignal?: AbortSignal;

  constructor(
    @inject(AUTOSCALER_DEPS) private readonly deps: AutoscalerDeps,
    private readonly manager: Manager,
    private readonly recorder: EventRecorder,
  ) {
    this.groups = new NodeGroupSource(deps.ess, deps.config, deps.region);
    deps.controller = this;
  }

  onStart(ctx: StartContext): void {
    this.stopSignal = ctx.signal;
    ctx.enqueue(LOOP_KEY);
  }

  reconcile(): void {
    // Node events are filtered out; nothing is keyed by a node
  }

  async reconcileDeleted(req: Request, ctx: ReconcileContext<NodeObject>) {
    if (req.namespace !== LOOP_KEY.namespace || req.name !== LOOP_KEY.name) return undefined;
    const { metrics, config } = this.deps;
    const end = metrics.functionDuration.startTimer({ function: 'main' });
    try {
      await this.runOnce(ctx);
    } catch (err) {
      metrics.errors.inc({ type: 'internalError' });
      ctx.log.error({ err: errText(err) }, 'autoscaler loop failed');
    } finally {
      end();
      metrics.lastActivity.set({ activity: 'main' }, Date.now() / 1000);
    }
    return { requeueAfter: config.scanIntervalMs };
  }

  /** One pass of the loop (public for tests that drive it directly). */
  async runOnce(ctx: ReconcileContext<NodeObject>): Promise<void> {
    const { config, metrics } = this.deps;
    const st = this.state;
    const now = Date.now();

    // ---- state: groups from ESS, objects from the caches
    const endState = metrics.functionDuration.startTimer({ function: 'updateState' });
    const { groups, errors } = await this.groups.load();
    for (const e of errors) { metrics.errors.inc({ type: 'cloudProviderError' }); ctx.log.warn({}, e); }
    const groupOfInstance = new Map<string, string>();
    for (const g of groups) for (const i of g.instances) groupOfInstance.set(i.instanceId, g.info.id);
    const nodeObjs = ctx.cache<NodeObject>(Node).list() as Obj[];
    const podObjs = ctx.cache<Obj>(Pod).list() as Obj[];
    const pdbObjs = ctx.cache<Obj>(PodDisruptionBudget).list() as Obj[];
    const podByKey = new Map<string, Obj>();
    for (const p of podObjs) podByKey.set(`${p.metadata.namespace}/${p.metadata.name}`, p);
    const nodeByName = new Map<string, Obj>(nodeObjs.map((n) => [n.metadata.name!, n]));
    const nodes = nodeObjs.map((n) => nodeInfo(n, (id) => groupOfInstance.get(id)));
    for (const n of nodes) if (st.deleting.has(n.name)) n.toBeDeleted = true;
    const infos = groups.map((g) => this.withBackoff(g.info, now));
    const snapshot: ClusterSnapshot = { nodes, pods: podObjs.map(podInfo), pdbs: pdbObjs.map(pdbInfo), groups: infos };
    endState();

    const registered = new Map<string, NodeInfo[]>();
    for (const n of nodes) if (n.groupId) registered.set(n.groupId, [...(registered.get(n.groupId) ?? []), n]);
    const groupEvents: Array<{ type: 'Normal' | 'Warning'; reason: string; message: string }> = [];

    // ---- provisioning timeouts
    for (const g of infos) {
      if (g.unhealthy) continue;
      const reg = registered.get(g.id)?.length ?? 0;
      const up = upcomingCount(g, reg);
      if (up === 0) { st.scaleUps.delete(g.id); continue; }
      // nodes asked for by someone else (or before a restart) are timed from when we first saw them missing
      if (!st.scaleUps.has(g.id)) st.scaleUps.set(g.id, { since: now, from: reg, to: g.target });
      const req = st.scaleUps.get(g.id)!;
      if (now - req.since < config.maxNodeProvisionTimeMs) continue;
      // the new nodes never came: give the capacity back (ESS releases the newest, i.e. the
      // stuck instances) and let other groups take the pods
      st.scaleUps.delete(g.id);
      const msg = `Nodes added to group ${g.id} failed to register within ${Math.round(config.maxNodeProvisionTimeMs / 1000)}s (${up} of ${req.to - req.from} missing)`;
      ctx.log.warn({ group: g.id, missing: up }, msg);
      groupEvents.push({ type: 'Warning', reason: 'ScaleUpTimedOut', message: msg });
      metrics.failedScaleUps.inc({ reason: 'timeout' });
      this.backOff(g.id, now);
      g.backoffUntil = st.backoff.get(g.id)!.until;
      try {
        const target = Math.max(g.min, reg, g.target - up);
        await this.deps.ess.setDesiredCapacity(g.id, target);
        g.target = target;
      } catch (err) {
        metrics.errors.inc({ type: 'cloudProviderError' });
        ctx.log.error({ group: g.id, err: errText(err) }, 'could not shrink a timed-out group');
      }
    }

    const opts: PlannerOptions = {
      now, expander: config.expander, random: this.deps.random, maxNodesTotal: config.maxNodesTotal, coresTotal: config.coresTotal, memoryTotal: config.memoryTotal,
      scaleDownEnabled: config.scaleDownEnabled, utilizationThreshold: config.utilizationThreshold, unneededTimeMs: config.unneededTimeMs,
      delayAfterAddMs: config.delayAfterAddMs, delayAfterFailureMs: config.delayAfterFailureMs, maxEmptyBulkDelete: config.maxEmptyBulkDelete,
      lastScaleUp: st.lastScaleUp, lastScaleDownFailure: st.lastScaleDownFailure, unneededSince: st.unneededSince,
      drainInProgress: [...st.deleting.keys()].length > 0, nodeStartupMs: config.maxNodeProvisionTimeMs,
      skipNodesWithSystemPods: config.skipNodesWithSystemPods, skipNodesWithLocalStorage: config.skipNodesWithLocalStorage,
    };
    if (config.expander === 'priority') opts.priorities = await this.priorities(ctx);

    // ---- scale-up
    const endUp = metrics.functionDuration.startTimer({ function: 'scaleUp' });
    const up = planScaleUp(snapshot, opts);
    endUp();
    metrics.unschedulablePodsCount.set(up.unschedulable.length);
    let scaledUp = false;
    if (up.chosen) {
      const { group: g, nodeCount, newTarget, pods } = up.chosen;
      try {
        await this.deps.ess.setDesiredCapacity(g.id, newTarget);
        scaledUp = true;
        st.lastScaleUp = now;
        const prev = st.scaleUps.get(g.id);
        st.scaleUps.set(g.id, { since: prev?.since ?? now, from: prev?.from ?? g.target, to: newTarget });
        const msg = `Scale-up: setting group ${g.id} size to ${newTarget} instead of ${g.target} (max: ${g.max})`;
        ctx.log.info({ group: g.id, from: g.target, to: newTarget, pods: pods.length }, msg);
        groupEvents.push({ type: 'Normal', reason: 'ScaledUpGroup', message: msg });
        metrics.scaledUpNodes.inc(nodeCount);
        metrics.lastActivity.set({ activity: 'scaleUp' }, now / 1000);
        for (const p of pods) {
          const obj = podByKey.get(p.key);
          if (obj) this.recorder.event(obj, 'Normal', 'TriggeredScaleUp', `pod triggered scale-up: [{${g.id} ${g.target}->${newTarget} (max: ${g.max})}]`);
        }
        g.target = newTarget;
      } catch (err) {
        const msg = `Scale-up: group ${g.id} could not grow to ${newTarget}: ${errText(err)}`;
        ctx.log.error({ group: g.id, err: errText(err) }, msg);
        metrics.errors.inc({ type: 'cloudProviderError' });
        metrics.failedScaleUps.inc({ reason: 'cloudProviderError' });
        groupEvents.push({ type: 'Warning', reason: 'FailedToScaleUpGroup', message: msg });
        this.backOff(g.id, now);
      }
    }
    // like upstream without --record-duplicated-events: the same message for the same pod at
    // most once per 5 minutes (thousands of pending pods must not mean thousands of writes per loop)
    const seen = new Set<string>();
    for (const { pod, reasons } of up.noScaleUp.values()) {
      const obj = podByKey.get(pod.key);
      const msg = noScaleUpMessage(reasons);
      seen.add(pod.uid);
      const last = st.notTriggered.get(pod.uid);
      if (last && last.message === msg && now - last.at < DUPLICATE_EVENT_WINDOW_MS) continue;
      st.notTriggered.set(pod.uid, { message: msg, at: now });
      if (obj) this.recorder.event(obj, 'Normal', 'NotTriggerScaleUp', msg);
    }
    for (const uid of st.notTriggered.keys()) if (!seen.has(uid)) st.notTriggered.delete(uid);

    // ---- scale-down
    const endDown = metrics.functionDuration.startTimer({ function: 'scaleDown' });
    const scaleUpInProgress = scaledUp || infos.some((g) => !g.unhealthy && upcomingCount(g, registered.get(g.id)?.length ?? 0) > 0);
    const down = planScaleDown(snapshot, opts, scaleUpInProgress);
    endDown();
    st.unneededSince = down.unneeded;
    metrics.unneededNodesCount.set(down.unneeded.size);
    if (down.empty.length) await this.removeEmpty(down.empty, nodeByName, ctx);
    if (down.drain) this.startDrain(down.drain, nodeByName, podByKey, ctx);

    // ---- metrics and status
    const counts = (list: NodeInfo[], upcoming: number, longUnregistered: number): NodeCounts => ({
      ready: list.filter((n) => n.ready).length, unready: list.filter((n) => !n.ready).length,
      notStarted: upcoming - longUnregistered, registered: list.length, longUnregistered,
    });
    const groupStatuses: GroupStatus[] = infos.map((g) => {
      const reg = registered.get(g.id) ?? [];
      const upc = g.unhealthy ? 0 : upcomingCount(g, reg.length);
      const req = st.scaleUps.get(g.id);
      const long = req && now - req.since >= config.maxNodeProvisionTimeMs ? upc : 0;
      const b = st.backoff.get(g.id);
      metrics.nodeGroupMin.set({ node_group: g.id }, g.min);
      metrics.nodeGroupMax.set({ node_group: g.id }, g.max);
      metrics.nodeGroupTarget.set({ node_group: g.id }, g.target);
      return {
        id: g.id, counts: counts(reg, upc, long), min: g.min, max: g.max, target: g.target, unhealthy: g.unhealthy,
        scaleUp: b && b.until > now ? 'Backoff' : upc > 0 ? 'InProgress' : 'NoActivity', backoffUntil: b?.until,
        candidates: reg.filter((n) => down.unneeded.has(n.name)).length,
      };
    });
    const totalUpcoming = groupStatuses.reduce((n, g) => n + g.counts.notStarted + g.counts.longUnregistered, 0);
    const totalLong = groupStatuses.reduce((n, g) => n + g.counts.longUnregistered, 0);
    const cluster = counts(nodes, totalUpcoming, totalLong);
    metrics.nodesCount.set({ state: 'ready' }, cluster.ready);
    metrics.nodesCount.set({ state: 'unready' }, cluster.unready);
    metrics.nodesCount.set({ state: 'notStarted' }, cluster.notStarted);
    metrics.nodesCount.set({ state: 'longUnregistered' }, cluster.longUnregistered);
    metrics.lastActivity.set({ activity: 'autoscaling' }, now / 1000);
    if (config.writeStatusConfigMap) {
      const text = st.status.render({
        now, counts: cluster, scaleUp: totalUpcoming > 0 ? 'InProgress' : 'NoActivity',
        scaleDown: down.unneeded.size ? 'CandidatesPresent' : 'NoCandidates', candidates: down.unneeded.size, groups: groupStatuses,
      });
      await this.writeStatus(ctx.client, text, ctx.log);
    }
    const cm = st.statusConfigMap ?? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: config.statusConfigMapName, namespace: config.namespace } } as Obj;
    for (const e of groupEvents) this.recorder.event(cm, e.type, e.reason, e.message);
  }

  private withBackoff(g: GroupInfo, now: number): GroupInfo {
    const b = this.state.backoff.get(g.id);
    if (b && now - b.lastFailure > this.deps.config.backoffResetMs) this.state.backoff.delete(g.id);
    const live = this.state.backoff.get(g.id);
    return live && live.until > now ? { ...g, backoffUntil: live.until } : g;
  }

  /** Exponential back-off of a group: initial, doubled per failure in a row, capped. */
  private backOff(groupId: string, now: number): void {
    const { initialBackoffMs, maxBackoffMs } = this.deps.config;
    const prev = this.state.backoff.get(groupId);
    const failures = (prev?.failures ?? 0) + 1;
    const duration = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (failures - 1));
    this.state.backoff.set(groupId, { failures, until: now + duration, lastFailure: now });
    this.deps.log.warn({ group: groupId, backoffMs: duration, failures }, 'node group backed off');
  }

  /** The priority expander's config; an unreadable or invalid ConfigMap is logged and means no priorities. */
  private async priorities(ctx: ReconcileContext<NodeObject>): Promise<Map<number, RegExp[]>> {
    try {
      const cm = await ctx.client.get<Obj & { data?: Record<string, string> }>(ConfigMap, PRIORITY_CONFIGMAP, { namespace: this.deps.config.namespace });
      return parsePriorities(parseYaml(cm.data?.priorities ?? ''));
    } catch (err) {
      if (!isNotFound(err)) this.deps.metrics.errors.inc({ type: 'configurationError' });
      ctx.log.warn({ err: errText(err) }, `priority expander: ConfigMap ${this.deps.config.namespace}/${PRIORITY_CONFIGMAP} unusable; choosing at random`);
      return new Map();
    }
  }

  // ---------------------------------------------------------------- node removal

  /** Adds (or removes) the ToBeDeletedByClusterAutoscaler taint, re-reading on conflicts. */
  private async setDeletionTaint(client: KubeClient, name: string, on: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const node = await client.get<Obj>(Node, name);
      const taints: any[] = node.spec?.taints ?? [];
      const has = taints.some((t) => t.key === TO_BE_DELETED_TAINT);
      if (has === on) return;
      const next = on ? [...taints, { key: TO_BE_DELETED_TAINT, value: String(Math.floor(Date.now() / 1000)), effect: 'NoSchedule' }]
        : taints.filter((t) => t.key !== TO_BE_DELETED_TAINT);
      try {
        await client.patch(Node, name, { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { taints: next } }, { type: 'merge' });
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 5) throw err;
      }
    }
  }

  private async untaintQuietly(client: KubeClient, name: string, log: Logger): Promise<void> {
    try { await this.setDeletionTaint(client, name, false); } catch (err) {
      if (!isNotFound(err)) log.error({ node: name, err: errText(err) }, 'could not remove the ToBeDeletedByClusterAutoscaler taint');
    }
  }

  private async removeEmpty(list: NodeToRemove[], nodeByName: Map<string, Obj>, ctx: ReconcileContext<NodeObject>): Promise<void> {
    const { ess, metrics } = this.deps;
    const tainted: NodeToRemove[] = [];
    for (const r of list) {
      try {
        await this.setDeletionTaint(ctx.client, r.node.name, true);
        tainted.push(r);
      } catch (err) {
        metrics.errors.inc({ type: 'apiCallError' });
        ctx.log.warn({ node: r.node.name, err: errText(err) }, 'could not taint an empty node');
      }
    }
    const byGroup = new Map<string, NodeToRemove[]>();
    for (const r of tainted) byGroup.set(r.node.groupId!, [...(byGroup.get(r.node.groupId!) ?? []), r]);
    for (const [groupId, rs] of byGroup) {
      for (let i = 0; i < rs.length; i += 20) {
        const batch = rs.slice(i, i + 20);
        try {
          await ess.removeInstances(groupId, batch.map((r) => r.node.instanceId!), { decreaseDesiredCapacity: true });
          metrics.scaledDownNodes.inc({ reason: 'empty' }, batch.length);
          metrics.lastActivity.set({ activity: 'scaleDown' }, Date.now() / 1000);
          for (const r of batch) {
            this.state.unneededSince.delete(r.node.name);
            const obj = nodeByName.get(r.node.name);
            ctx.log.info({ node: r.node.name, group: groupId }, 'removed empty node');
            if (obj) this.recorder.event(obj, 'Normal', 'ScaleDownEmpty', `removing empty node ${r.node.name}`);
          }
        } catch (err) {
          this.state.lastScaleDownFailure = Date.now();
          metrics.errors.inc({ type: 'cloudProviderError' });
          for (const r of batch) {
            await this.untaintQuietly(ctx.client, r.node.name, ctx.log);
            const obj = nodeByName.get(r.node.name);
            if (obj) this.recorder.event(obj, 'Warning', 'ScaleDownFailed', `failed to remove empty node ${r.node.name} from group ${groupId}: ${errText(err)}`);
          }
        }
      }
    }
  }

  /** Drains and removes one node in the background (the loop keeps scanning meanwhile). */
  private startDrain(r: NodeToRemove, nodeByName: Map<string, Obj>, podByKey: Map<string, Obj>, ctx: ReconcileContext<NodeObject>): void {
    const name = r.node.name;
    const client = ctx.client;
    const log = ctx.log.child({ node: name });
    const nodeObj = nodeByName.get(name);
    const task = (async () => {
      try {
        await this.setDeletionTaint(client, name, true);
        if (nodeObj) this.recorder.event(nodeObj, 'Normal', 'ScaleDown', `marked the node ${name} as toBeDeleted/unschedulable (utilization ${r.utilization.toFixed(2)})`);
        log.info({ pods: r.pods.map((p) => p.key) }, 'draining unneeded node');
        await Promise.all(r.pods.map((p) => this.evict(client, p, podByKey.get(p.key), name)));
        await this.waitPodsGone(client, r.pods, name);
        await this.deps.ess.removeInstances(r.node.groupId!, [r.node.instanceId!], { decreaseDesiredCapacity: true });
        this.deps.metrics.scaledDownNodes.inc({ reason: 'underutilized' });
        this.deps.metrics.lastActivity.set({ activity: 'scaleDown' }, Date.now() / 1000);
        this.state.unneededSince.delete(name);
        log.info({ group: r.node.groupId }, 'removed drained node');
      } catch (err) {
        this.state.lastScaleDownFailure = Date.now();
        this.deps.metrics.errors.inc({ type: 'scaleDownError' });
        log.error({ err: errText(err) }, 'scale-down failed');
        await this.untaintQuietly(client, name, log);
        if (nodeObj) this.recorder.event(nodeObj, 'Warning', 'ScaleDownFailed', `failed to drain and remove node ${name}: ${errText(err)}`);
      } finally {
        this.state.deleting.delete(name);
      }
    })();
    this.state.deleting.set(name, task);
  }

  /** POST pods/eviction; 429 (PDB) retried until --max-pod-eviction-time. */
  private async evict(client: KubeClient, p: PodInfo, obj: Obj | undefined, node: string): Promise<void> {
    const deadline = Date.now() + this.deps.config.maxPodEvictionTimeMs;
    const signal = this.stopSignal;
    // as upstream: the pod's own grace period, capped by --max-graceful-termination-sec
    const own = Number(obj?.spec?.terminationGracePeriodSeconds ?? 30);
    const gracePeriodSeconds = Math.max(0, Math.min(Number.isFinite(own) ? own : 30, this.deps.config.maxGracefulTerminationSec));
    for (;;) {
      if (signal?.aborted) throw new Error('the autoscaler is stopping');
      try {
        await client.transport.requestJSON({
          method: 'POST', path: `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.name)}/eviction`,
          body: JSON.stringify({
            apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p.name, namespace: p.namespace },
            deleteOptions: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds },
          }),
        });
        if (obj) this.recorder.event(obj, 'Normal', 'ScaleDown', `deleting pod for node scale down (node ${node})`);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isTooManyRequests(err) || Date.now() > deadline) throw new Error(`evicting pod ${p.key}: ${errText(err)}`);
        await sleep(Math.min(1_000, Math.max(100, this.deps.config.scanIntervalMs / 10)), signal);
      }
    }
  }

  /** Waits until the evicted pods are gone from the node (or --max-graceful-termination-sec + 30 s passed). */
  private async waitPodsGone(client: KubeClient, pods: PodInfo[], node: string): Promise<void> {
    const deadline = Date.now() + this.deps.config.maxGracefulTerminationSec * 1000 + 30_000;
    const uids = new Set(pods.map((p) => p.uid));
    for (;;) {
      const list = await client.list<Obj>(Pod, { fieldSelector: `spec.nodeName=${node}` });
      const left = list.items.filter((p) => uids.has(p.metadata.uid!));
      if (left.length === 0) return;
      if (Date.now() > deadline) throw new Error(`pods ${left.map((p) => p.metadata.name).join(', ')} did not terminate in time`);
      if (this.stopSignal?.aborted) throw new Error('the autoscaler is stopping');
      await sleep(200, this.stopSignal);
    }
  }

  private async writeStatus(client: KubeClient, text: string, log: Logger): Promise<void> {
    const { statusConfigMapName: name, namespace } = this.deps.config;
    const annotations = { 'cluster-autoscaler.kubernetes.io/last-updated': new Date().toISOString() };
    try {
      try {
        this.state.statusConfigMap = await client.patch<Obj>(ConfigMap, name, { metadata: { annotations }, data: { status: text } }, { type: 'merge', namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.state.statusConfigMap = await client.create<Obj>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, annotations }, data: { status: text } } as Obj);
      }
    } catch (err) {
      this.deps.metrics.errors.inc({ type: 'apiCallError' });
      log.warn({ err: errText(err) }, 'could not write the status ConfigMap');
    }
  }

  /** Waits for background drains (tests, shut-down). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.state.deleting.values()]);
  }
}

export type { GroupState };
