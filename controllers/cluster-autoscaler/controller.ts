/**
 * The cluster autoscaler loop: one key on the queue, run once at start and then every
 * `--scan-interval`. Each run reads Pods, Nodes, PDBs and DaemonSets from the shared caches
 * and the node groups from ESS, builds a {@link ClusterSnapshot}, asks the pure planner, then acts:
 *   - at start, ToBeDeletedByClusterAutoscaler taints left by an earlier run (a crash
 *     mid-drain) are removed, as upstream's static_autoscaler cleanUpIfRequired does;
 *   - provisioning timeouts: instances of a group that did not become nodes within
 *     `--max-node-provision-time` are removed by id (RemoveInstances, decreasing the desired
 *     capacity), capacity ESS never launched is given back without touching any instance,
 *     and the group is backed off — never a plain desired-capacity cut, which would let ESS's
 *     removal policy (OldestScalingConfiguration, OldestInstance) pick healthy old nodes;
 *   - scale-up: the chosen group's desired capacity is raised (with
 *     --balance-similar-node-groups, the new nodes spread over it and its similar groups);
 *   - scale-down: empty unneeded nodes are tainted and removed from their group in bulk;
 *     one non-empty node at a time is tainted, drained through the eviction API (PDBs
 *     respected, 429 retried) and removed — in the background, so the loop keeps scanning;
 *     a failure removes the taint again;
 *   - Events, metrics and the status ConfigMap.
 */
import {
  ConfigMap, Controller, DaemonSet, EventRecorder, Node, Pod, PodDisruptionBudget, inject, watch,
  type Clock, type Logger, type NodeObject, type Predicate, type ReconcileContext, type Reconciler, type Request, type StartContext,
} from 'kubeloop';
import { isConflict, isNotFound, isTooManyRequests, type KubeObject } from 'kubeloop';
import type { KubeClient } from 'kubeloop';
import { isScalingActivityInProgress, type ScalingApi } from '../cloud/index.js';
import { parseYaml } from '../shared/index.js';
import { PRIORITY_CONFIGMAP, type AutoscalerConfig } from './config.js';
import { NodeGroupSource, type GroupState } from './groups.js';
import type { AutoscalerMetrics } from './metrics.js';
import { BLOCK_MESSAGES, drainability } from './drain.js';
import { nodeInfo, pdbInfo, podInfo, TO_BE_DELETED_TAINT, withRegisteredAllocatable, type ClusterSnapshot, type GroupInfo, type NodeInfo, type PdbInfo, type PodInfo } from './model.js';
import {
  daemonSetUsage, noScaleUpMessage, parsePriorities, planScaleDown, planScaleUp, upcomingCount, type NodeToRemove, type PlannerOptions,
} from './planner.js';
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
  /**
   * Wall-clock time (epoch ms) and the timers of the drain's waits; default the process's
   * clock. Tests pass a FakeClock started at an epoch time to run hours of scans in a second.
   */
  clock?: Clock;
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
/** The process's wall clock (the framework's realClock is monotonic; taints and status carry epoch times). */
export const wallClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
const sleep = (clock: Clock, ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (signal?.aborted) { resolve(); return; }
  const t = clock.setTimer(resolve, ms);
  signal?.addEventListener('abort', () => { clock.clearTimer(t); resolve(); }, { once: true });
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
  /** since when each group instance has been without a node (instance id -> ms) */
  unregisteredSince = new Map<string, number>();
  /** leftover deletion taints were cleaned (the first loop does it) */
  initialized = false;
  statusConfigMap?: Obj;
}

@Controller({
  for: Node,
  name: CONTROLLER_NAME,
  predicates: [never as Predicate<NodeObject>],
  watches: [
    watch(Pod, () => undefined, { predicates: [never] }), watch(PodDisruptionBudget, () => undefined, { predicates: [never] }),
    watch(DaemonSet, () => undefined, { predicates: [never] }),
  ],
  rbac: [
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['get', 'list', 'watch'] },
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
    private readonly recorder: EventRecorder,
  ) {
    this.groups = new NodeGroupSource(deps.ess, deps.config, deps.region);
    deps.controller = this;
  }

  private get clock(): Clock { return this.deps.clock ?? wallClock; }

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
      metrics.lastActivity.set({ activity: 'main' }, this.clock.now() / 1000);
    }
    return { requeueAfter: config.scanIntervalMs };
  }

  /** One pass of the loop (public for tests that drive it directly). */
  async runOnce(ctx: ReconcileContext<NodeObject>): Promise<void> {
    const { config, metrics } = this.deps;
    const st = this.state;
    const now = this.clock.now();

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
    if (!st.initialized) await this.cleanLeftoverTaints(nodes, ctx);
    for (const n of nodes) if (st.deleting.has(n.name)) n.toBeDeleted = true;
    const dsPods = (ctx.cache<Obj>(DaemonSet).list() as Obj[]).map((ds) => podInfo({
      metadata: { namespace: ds.metadata.namespace, name: ds.metadata.name, ownerReferences: [{ controller: true, kind: 'DaemonSet', name: ds.metadata.name }] },
      spec: ds.spec?.template?.spec,
    }));
    const infos = groups.map((g) => this.withBackoff(g.info, now));
    for (const g of infos) {
      g.template = withRegisteredAllocatable(g.template, nodes.filter((n) => n.groupId === g.id));
      g.daemonSetUsage = daemonSetUsage(dsPods, g.template);
    }
    const snapshot: ClusterSnapshot = { nodes, pods: podObjs.map(podInfo), pdbs: pdbObjs.map(pdbInfo), groups: infos };
    endState();

    const registered = new Map<string, NodeInfo[]>();
    for (const n of nodes) if (n.groupId) registered.set(n.groupId, [...(registered.get(n.groupId) ?? []), n]);
    const groupEvents: Array<{ type: 'Normal' | 'Warning'; reason: string; message: string }> = [];

    // ---- provisioning timeouts
    await this.handleProvisioningTimeouts(groups, infos, nodes, nodeObjs, registered, groupEvents, now, ctx);

    const opts: PlannerOptions = {
      now, expander: config.expander, random: this.deps.random, maxNodesTotal: config.maxNodesTotal, coresTotal: config.coresTotal, memoryTotal: config.memoryTotal,
      scaleDownEnabled: config.scaleDownEnabled, utilizationThreshold: config.utilizationThreshold, unneededTimeMs: config.unneededTimeMs,
      delayAfterAddMs: config.delayAfterAddMs, delayAfterFailureMs: config.delayAfterFailureMs, maxEmptyBulkDelete: config.maxEmptyBulkDelete,
      lastScaleUp: st.lastScaleUp, lastScaleDownFailure: st.lastScaleDownFailure, unneededSince: st.unneededSince,
      drainInProgress: [...st.deleting.keys()].length > 0, nodeStartupMs: config.maxNodeProvisionTimeMs,
      skipNodesWithSystemPods: config.skipNodesWithSystemPods, skipNodesWithLocalStorage: config.skipNodesWithLocalStorage,
      balanceSimilarNodeGroups: config.balanceSimilarNodeGroups,
    };
    if (config.expander === 'priority') opts.priorities = await this.priorities(ctx);

    // ---- scale-up
    const endUp = metrics.functionDuration.startTimer({ function: 'scaleUp' });
    const up = planScaleUp(snapshot, opts);
    endUp();
    metrics.unschedulablePodsCount.set(up.unschedulable.length);
    let scaledUp = false;
    if (up.chosen) {
      const { pods } = up.chosen;
      // one group, or with --balance-similar-node-groups the chosen one and its similar groups
      const increases = up.chosen.balanced ?? [{ group: up.chosen.group, newTarget: up.chosen.newTarget }];
      const grown: string[] = [];
      const stateOf = new Map(groups.map((x) => [x.info.id, x]));
      for (const { group: g, newTarget } of increases) {
        try {
          await this.resize(stateOf.get(g.id), g.id, newTarget);
          scaledUp = true;
          st.lastScaleUp = now;
          const prev = st.scaleUps.get(g.id);
          st.scaleUps.set(g.id, { since: prev?.since ?? now, from: prev?.from ?? g.target, to: newTarget });
          const msg = `Scale-up: setting group ${g.id} size to ${newTarget} instead of ${g.target} (max: ${g.max})`;
          ctx.log.info({ group: g.id, from: g.target, to: newTarget, pods: pods.length }, msg);
          groupEvents.push({ type: 'Normal', reason: 'ScaledUpGroup', message: msg });
          metrics.scaledUpNodes.inc(newTarget - g.target);
          metrics.lastActivity.set({ activity: 'scaleUp' }, now / 1000);
          grown.push(`{${g.id} ${g.target}->${newTarget} (max: ${g.max})}`);
          g.target = newTarget;
        } catch (err) {
          if (isScalingActivityInProgress(err)) {
            // a group without a desired capacity still busy after the retries: not a failure of
            // the group (no backoff), the next loop plans and tries again
            const msg = `Scale-up: group ${g.id} is busy with another scaling activity; growing it to ${newTarget} is retried`;
            ctx.log.info({ group: g.id, to: newTarget }, msg);
            groupEvents.push({ type: 'Normal', reason: 'ScaleUpDeferred', message: msg });
            continue;
          }
          const msg = `Scale-up: group ${g.id} could not grow to ${newTarget}: ${errText(err)}`;
          ctx.log.error({ group: g.id, err: errText(err) }, msg);
          metrics.errors.inc({ type: 'cloudProviderError' });
          metrics.failedScaleUps.inc({ reason: 'cloudProviderError' });
          groupEvents.push({ type: 'Warning', reason: 'FailedToScaleUpGroup', message: msg });
          this.backOff(g.id, now);
        }
      }
      if (grown.length) {
        for (const p of pods) {
          const obj = podByKey.get(p.key);
          if (obj) this.recorder.event(obj, 'Normal', 'TriggeredScaleUp', `pod triggered scale-up: [${grown.join(' ')}]`);
        }
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
    if (down.empty.length) await this.removeEmpty(down.empty, nodeByName, snapshot.pdbs, ctx);
    if (down.drain) this.startDrain(down.drain, nodeByName, snapshot.pdbs, ctx);

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

  /**
   * Removes the ToBeDeletedByClusterAutoscaler taints an earlier run left (it crashed or was
   * stopped mid-drain): upstream cleans them all when it starts (static_autoscaler.go
   * cleanUpIfRequired -> utils/taints CleanAllToBeDeleted), else the nodes stay unschedulable
   * forever. Nodes are marked untainted in `nodes` so this loop plans with them.
   */
  private async cleanLeftoverTaints(nodes: NodeInfo[], ctx: ReconcileContext<NodeObject>): Promise<void> {
    let failed = false;
    for (const n of nodes) {
      if (!n.toBeDeleted || this.state.deleting.has(n.name)) continue;
      try {
        await this.setDeletionTaint(ctx.client, n.name, false);
        n.toBeDeleted = false;
        n.taints = n.taints.filter((t) => t.key !== TO_BE_DELETED_TAINT);
        ctx.log.info({ node: n.name }, 'removed a ToBeDeletedByClusterAutoscaler taint left by an earlier run');
      } catch (err) {
        if (isNotFound(err)) continue;
        failed = true;
        this.deps.metrics.errors.inc({ type: 'apiCallError' });
        ctx.log.warn({ node: n.name, err: errText(err) }, 'could not remove a leftover ToBeDeletedByClusterAutoscaler taint');
      }
    }
    // retried next loop until every leftover taint is gone
    this.state.initialized = !failed;
  }

  /**
   * Instances that did not become nodes within --max-node-provision-time are removed by id,
   * and only those (upstream: clusterstate's long-unregistered nodes, deleted through the
   * node group's DeleteNodes, i.e. ESS RemoveInstances). An instance counts as registered when
   * any Node's providerID names it, whatever the form, so a providerID this code cannot parse
   * never makes a running node look unregistered. Desired capacity ESS has not launched
   * instances for is given back by setting the desired capacity to the member count, which
   * makes ESS remove nothing. The group is backed off either way.
   */
  private async handleProvisioningTimeouts(
    groups: GroupState[], infos: GroupInfo[], nodes: NodeInfo[], nodeObjs: Obj[], registered: Map<string, NodeInfo[]>,
    groupEvents: Array<{ type: 'Normal' | 'Warning'; reason: string; message: string }>, now: number, ctx: ReconcileContext<NodeObject>,
  ): Promise<void> {
    const { config, metrics, ess } = this.deps;
    const st = this.state;
    const nodeInstanceIds = new Set(nodes.map((n) => n.instanceId).filter((x): x is string => !!x));
    const providerIds = nodeObjs.map((n) => String(n.spec?.providerID ?? '')).filter(Boolean);
    const hasNode = (id: string) => nodeInstanceIds.has(id) || providerIds.some((p) => p.includes(id));
    const stillUnregistered = new Set<string>();
    for (const [i, gs] of groups.entries()) {
      const g = infos[i];
      if (g.unhealthy) continue;
      const reg = registered.get(g.id)?.length ?? 0;
      const live = gs.instances.filter((x) => !/^(Removing|Removed)$/.test(x.lifecycleState));
      const unregistered = live.filter((x) => !hasNode(x.instanceId));
      for (const x of unregistered) {
        stillUnregistered.add(x.instanceId);
        if (!st.unregisteredSince.has(x.instanceId)) st.unregisteredSince.set(x.instanceId, now);
      }
      let stuck = unregistered.filter((x) => now - st.unregisteredSince.get(x.instanceId)! >= config.maxNodeProvisionTimeMs).map((x) => x.instanceId);
      if (stuck.length) {
        // the caches may lag: a node that registered just now may already run pods, so the
        // instances are looked up once more among the server's Nodes before they are given up
        try {
          const fresh = (await ctx.client.list<Obj>(Node)).items.map((n) => String(n.spec?.providerID ?? '')).filter(Boolean);
          const registeredNow = stuck.filter((id) => fresh.some((p) => p.includes(id)));
          for (const id of registeredNow) { st.unregisteredSince.delete(id); stillUnregistered.delete(id); }
          stuck = stuck.filter((id) => !registeredNow.includes(id));
        } catch (err) {
          metrics.errors.inc({ type: 'apiCallError' });
          ctx.log.warn({ group: g.id, err: errText(err) }, 'could not read the nodes; instances that never registered are kept for now');
          continue;
        }
      }
      const up = upcomingCount(g, reg);
      if (up === 0) st.scaleUps.delete(g.id);
      // nodes asked for by someone else (or before a restart) are timed from when we first saw them missing
      else if (!st.scaleUps.has(g.id)) st.scaleUps.set(g.id, { since: now, from: reg, to: g.target });
      const req = st.scaleUps.get(g.id);
      const unlaunched = Math.max(0, g.target - live.length);
      const unlaunchedTimedOut = unlaunched > 0 && req !== undefined && now - req.since >= config.maxNodeProvisionTimeMs;
      if (stuck.length === 0 && !unlaunchedTimedOut) continue;

      const parts = [
        ...(stuck.length ? [`instances ${stuck.join(', ')} never became nodes`] : []),
        ...(unlaunchedTimedOut ? [`${unlaunched} requested instance(s) never launched`] : []),
      ];
      const msg = `Nodes added to group ${g.id} failed to register within ${Math.round(config.maxNodeProvisionTimeMs / 1000)}s (${parts.join('; ')})`;
      ctx.log.warn({ group: g.id, instances: stuck, unlaunched }, msg);
      groupEvents.push({ type: 'Warning', reason: 'ScaleUpTimedOut', message: msg });
      metrics.failedScaleUps.inc({ reason: 'timeout' });
      st.scaleUps.delete(g.id);
      this.backOff(g.id, now);
      g.backoffUntil = st.backoff.get(g.id)!.until;
      let members = live.length;
      // never below the group's minimum: upstream's removeOldUnregisteredNodes skips an
      // unregistered node once MinSize >= TargetSize, and ESS refuses a RemoveInstances that
      // leaves fewer members than MinSize (IncorrectCapacity.MinSize)
      const budget = Math.max(0, Math.min(g.target, gs.instances.length) - g.min);
      const removable = stuck.slice(0, budget);
      const kept = stuck.slice(budget);
      if (kept.length) {
        ctx.log.warn({ group: g.id, instances: kept, min: g.min }, 'node group min size reached, skipping unregistered instance removal');
        // looked at again after another --max-node-provision-time, not every loop
        for (const id of kept) st.unregisteredSince.set(id, now);
      }
      if (removable.length) {
        try {
          await ess.removeInstances(g.id, removable, { decreaseDesiredCapacity: true });
          for (const id of removable) { st.unregisteredSince.delete(id); stillUnregistered.delete(id); }
          g.target = Math.max(g.min, g.target - removable.length);
          members -= removable.length;
          ctx.log.info({ group: g.id, instances: removable }, 'removed instances that never registered');
        } catch (err) {
          metrics.errors.inc({ type: 'cloudProviderError' });
          ctx.log.error({ group: g.id, instances: removable, err: errText(err) }, 'could not remove instances that never registered');
          // tried again after another --max-node-provision-time, not every loop
          for (const id of removable) st.unregisteredSince.set(id, now);
        }
      }
      if (unlaunchedTimedOut && g.target > members) {
        const target = Math.max(g.min, members);
        try {
          await this.resize(gs, g.id, target);
          g.target = target;
        } catch (err) {
          metrics.errors.inc({ type: 'cloudProviderError' });
          ctx.log.error({ group: g.id, err: errText(err) }, 'could not give back capacity that never launched');
        }
      }
    }
    for (const id of [...st.unregisteredSince.keys()]) if (!stillUnregistered.has(id)) st.unregisteredSince.delete(id);
  }

  private withBackoff(g: GroupInfo, now: number): GroupInfo {
    const b = this.state.backoff.get(g.id);
    if (b && now - b.lastFailure > this.deps.config.backoffResetMs) this.state.backoff.delete(g.id);
    const live = this.state.backoff.get(g.id);
    return live && live.until > now ? { ...g, backoffUntil: live.until } : g;
  }

  /** Exponential back-off of a group: initial, doubled per failure in a row, capped. */
  /**
   * Sets a group's size. A group with an expected number of instances gets a new desired
   * capacity (ModifyScalingGroup); one created without (ESS cannot enable it later, and refuses
   * DesiredCapacity) is brought to a total capacity with a temporary scaling rule, as
   * kubernetes/autoscaler's alicloud provider did (alicloud_auto_scaling.go setCapcityInstanceSize).
   */
  private async resize(gs: GroupState | undefined, groupId: string, target: number): Promise<void> {
    if (gs?.group && gs.group.desiredCapacity === undefined) await this.deps.ess.scaleToTotalCapacity(groupId, target);
    else await this.deps.ess.setDesiredCapacity(groupId, target);
  }

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
      const next = on ? [...taints, { key: TO_BE_DELETED_TAINT, value: String(Math.floor(this.clock.now() / 1000)), effect: 'NoSchedule' }]
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

  /**
   * The pods on `node` now, read from the server after the deletion taint is on (nothing new
   * lands there any more): what must be evicted before the instance goes, or why it cannot be.
   */
  private async podsToEvict(client: KubeClient, node: string, pdbs: readonly PdbInfo[]): Promise<{ pods: PodInfo[]; objs: Map<string, Obj> }> {
    const list = (await client.list<Obj>(Pod, { fieldSelector: `spec.nodeName=${node}` })).items as Obj[];
    const v = drainability(list.map(podInfo), pdbs, undefined, this.deps.config);
    if (v.blocked) throw new Error(`pod ${v.blocked.pod.key} ${BLOCK_MESSAGES[v.blocked.reason]}`);
    return { pods: v.movable, objs: new Map(list.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p])) };
  }

  private async removeEmpty(list: NodeToRemove[], nodeByName: Map<string, Obj>, pdbs: readonly PdbInfo[], ctx: ReconcileContext<NodeObject>): Promise<void> {
    const { ess, metrics } = this.deps;
    const tainted: NodeToRemove[] = [];
    for (const r of list) {
      try {
        await this.setDeletionTaint(ctx.client, r.node.name, true);
      } catch (err) {
        metrics.errors.inc({ type: 'apiCallError' });
        ctx.log.warn({ node: r.node.name, err: errText(err) }, 'could not taint an empty node');
        continue;
      }
      try {
        // a pod may have landed since the snapshot: then the node is not empty any more
        const { pods } = await this.podsToEvict(ctx.client, r.node.name, pdbs);
        if (pods.length === 0) { tainted.push(r); continue; }
        ctx.log.info({ node: r.node.name, pods: pods.map((p) => p.key) }, 'node is not empty any more; not removed');
      } catch (err) {
        ctx.log.info({ node: r.node.name, err: errText(err) }, 'node cannot be removed any more');
      }
      await this.untaintQuietly(ctx.client, r.node.name, ctx.log);
    }
    const byGroup = new Map<string, NodeToRemove[]>();
    for (const r of tainted) byGroup.set(r.node.groupId!, [...(byGroup.get(r.node.groupId!) ?? []), r]);
    for (const [groupId, rs] of byGroup) {
      for (let i = 0; i < rs.length; i += 20) {
        const batch = rs.slice(i, i + 20);
        try {
          await ess.removeInstances(groupId, batch.map((r) => r.node.instanceId!), { decreaseDesiredCapacity: true });
          metrics.scaledDownNodes.inc({ reason: 'empty' }, batch.length);
          metrics.lastActivity.set({ activity: 'scaleDown' }, this.clock.now() / 1000);
          for (const r of batch) {
            this.state.unneededSince.delete(r.node.name);
            const obj = nodeByName.get(r.node.name);
            ctx.log.info({ node: r.node.name, group: groupId, instance: r.node.instanceId }, 'removed empty node');
            if (obj) this.recorder.event(obj, 'Normal', 'ScaleDownEmpty', `removing empty node ${r.node.name} (instance ${r.node.instanceId})`);
          }
        } catch (err) {
          this.state.lastScaleDownFailure = this.clock.now();
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
  private startDrain(r: NodeToRemove, nodeByName: Map<string, Obj>, pdbs: readonly PdbInfo[], ctx: ReconcileContext<NodeObject>): void {
    const name = r.node.name;
    const client = ctx.client;
    const log = ctx.log.child({ node: name });
    const nodeObj = nodeByName.get(name);
    const task = (async () => {
      try {
        await this.setDeletionTaint(client, name, true);
        if (nodeObj) this.recorder.event(nodeObj, 'Normal', 'ScaleDown', `marked the node ${name} as toBeDeleted/unschedulable (utilization ${r.utilization.toFixed(2)})`);
        // every pod on the node now, not only those the plan saw: none is left to die with the instance
        let { pods, objs } = await this.podsToEvict(client, name, pdbs);
        log.info({ pods: pods.map((p) => p.key), instance: r.node.instanceId }, 'draining unneeded node');
        const evicted = new Set<string>();
        for (let round = 1; pods.length > 0; round++) {
          // a scheduler whose cache had not seen the taint yet may bind a pod after the list:
          // the node is read again after each round and only an empty one is removed
          if (round > 3) throw new Error(`pods ${pods.map((p) => p.key).join(', ')} keep landing on the node`);
          await Promise.all(pods.map((p) => this.evict(client, p, objs.get(p.key), name)));
          await this.waitPodsGone(client, pods, name);
          for (const p of pods) evicted.add(p.uid);
          ({ pods, objs } = await this.podsToEvict(client, name, pdbs));
          pods = pods.filter((p) => !evicted.has(p.uid));
        }
        await this.deps.ess.removeInstances(r.node.groupId!, [r.node.instanceId!], { decreaseDesiredCapacity: true });
        this.deps.metrics.scaledDownNodes.inc({ reason: 'underutilized' });
        this.deps.metrics.lastActivity.set({ activity: 'scaleDown' }, this.clock.now() / 1000);
        this.state.unneededSince.delete(name);
        log.info({ group: r.node.groupId, instance: r.node.instanceId }, 'removed drained node');
      } catch (err) {
        this.state.lastScaleDownFailure = this.clock.now();
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
    const deadline = this.clock.now() + this.deps.config.maxPodEvictionTimeMs;
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
        if (!isTooManyRequests(err) || this.clock.now() > deadline) throw new Error(`evicting pod ${p.key}: ${errText(err)}`);
        await sleep(this.clock, Math.min(1_000, Math.max(100, this.deps.config.scanIntervalMs / 10)), signal);
      }
    }
  }

  /** Waits until the evicted pods are gone from the node (or --max-graceful-termination-sec + 30 s passed). */
  private async waitPodsGone(client: KubeClient, pods: PodInfo[], node: string): Promise<void> {
    const deadline = this.clock.now() + this.deps.config.maxGracefulTerminationSec * 1000 + 30_000;
    const uids = new Set(pods.map((p) => p.uid));
    for (;;) {
      const list = await client.list<Obj>(Pod, { fieldSelector: `spec.nodeName=${node}` });
      const left = list.items.filter((p) => uids.has(p.metadata.uid!));
      if (left.length === 0) return;
      if (this.clock.now() > deadline) throw new Error(`pods ${left.map((p) => p.metadata.name).join(', ')} did not terminate in time`);
      if (this.stopSignal?.aborted) throw new Error('the autoscaler is stopping');
      await sleep(this.clock, 200, this.stopSignal);
    }
  }

  private async writeStatus(client: KubeClient, text: string, log: Logger): Promise<void> {
    const { statusConfigMapName: name, namespace } = this.deps.config;
    const annotations = { 'cluster-autoscaler.kubernetes.io/last-updated': new Date(this.clock.now()).toISOString() };
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
