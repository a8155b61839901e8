/**
 * The route controller: keeps every configured VPC route table equal to the routes the
 * nodes want (one entry per pod CIDR -> the node's ECS instance), and reports each node's
 * `NetworkUnavailable` condition. Two controllers share one RouteDeps:
 *   - `route` (for: Node): cheap, in memory — if the node's routes are not (yet) in the last
 *     view of a table, the table is nudged through the `route-tables` queue handle with the
 *     aggregation wait as delay (the queue keeps the earliest time, so a burst of node events
 *     becomes one table pass); then the node's condition is patched when it should change;
 *   - `route-tables` (a request controller: a request names a route table): one pass over the
 *     table — list it once, plan, then at most `batchSize` writes, deletes first. A pass that
 *     wrote something is followed at once by another (which lists again, so writes are
 *     verified), and an idle table is resynced every `--route-reconciliation-period`. Every
 *     table is queued once when it starts (its source), so routes of nodes deleted while no
 *     controller ran are cleaned up even in a cluster with no nodes left. The nodes whose
 *     condition should change after a pass are queued through the `route` handle.
 * A queue never hands one key to two workers, so writes to a table are serialized.
 */
import {
  Controller, EventRecorder, Node, inject, queueOf,
  type ControllerQueue, type KubeObject, type NodeObject, type Predicate, type ReconcileContext, type Reconciler, type Request,
  type RequestContext, type RequestReconciler, type RequestSource, type SourceContext,
} from 'kubeloop';
import {
  isAlreadyExists, isConflict, isNotFound, isThrottled, isTimeout, isUnavailable, type RouteEntry, type VpcRouteApi,
} from '../cloud/index.js';
import type { Logger } from 'kubeloop';
import { isNotFound as isNotFoundApi } from 'kubeloop';
import type { RouteConfig } from './config.js';
import type { RouteMetrics } from './metrics.js';
import {
  CONDITION_TYPE, desiredRoutes, exclusion, isOwned, nodeCondition, nodeRoutes, ownerDescription, plan,
  routeEntryName, takeoverNode, type ConditionValue, type DesiredRoute, type NodeLike, type OwnerMark, type RoutePlan,
} from './planner.js';
import { RouteState, failureKey } from './state.js';

/** How soon a table with Pending entries is listed again (doubling per pass up to PENDING_RECHECK_MAX_MS). */
export const PENDING_RECHECK_MS = 250;
export const PENDING_RECHECK_MAX_MS = 5_000;
/** Controller names: metrics label, log field, Event source, queue handle. */
export const CONTROLLER_NAME = 'route';
export const TABLES_CONTROLLER_NAME = 'route-tables';

/** Everything the controller needs, bound by the plugin's setup (one per manager). */
export interface RouteDeps {
  config: RouteConfig;
  /** the identity marking this cluster's entries: --cluster-name, or the kube-system namespace's UID */
  owner: OwnerMark;
  /**
   * The kube-system Namespace: the object Events about the whole cluster are recorded on
   * (an entry taken over that concerns no node).
   */
  clusterRef: KubeObject;
  vpc: VpcRouteApi;
  tables: readonly string[];
  state: RouteState;
  /** Warning Events already raised, shared by both controllers (see Reports) */
  reports: Reports;
  metrics: RouteMetrics;
  log: Logger;
}

/**
 * Warning Events raised once per node, reason and scope while the message stays the same, so
 * resyncs do not repeat them; forgotten when the condition clears, so a recurrence is reported.
 */
export class Reports {
  private readonly reported = new Map<string, string>();

  constructor(private readonly log: Logger, private readonly dryRun: boolean) {}

  once(recorder: EventRecorder, node: NodeObject, reason: string, message: string, scope = ''): void {
    const key = `${node.metadata.name}|${reason}|${scope}`;
    if (this.reported.get(key) === message) return;
    this.reported.set(key, message);
    this.log.warn({ node: node.metadata.name, reason }, message);
    if (!this.dryRun) recorder.event(node, 'Warning', reason, message);
  }

  /** Forgets reports of `reason` and `scope` for nodes not in `still`. */
  clear(reason: string, scope: string, still: ReadonlySet<string>): void {
    for (const key of this.reported.keys()) {
      const [node, r, s] = key.split('|');
      if (r === reason && s === scope && !still.has(node)) this.reported.delete(key);
    }
  }

  /** Forgets every report about `node` (it went away). */
  forgetNode(node: string): void {
    for (const key of this.reported.keys()) if (key.startsWith(`${node}|`)) this.reported.delete(key);
  }
}
export const ROUTE_DEPS = Symbol.for('kubeloop.route.deps');

const cond = (n: NodeLike) => n.status?.conditions?.find((c) => c.type === CONDITION_TYPE) as { status: string; reason?: string; message?: string } | undefined;

/** Node updates that can change a route or the condition (heartbeats are ignored). */
export const routeRelevantChange: Predicate<NodeObject> = {
  update(o, n) {
    const ready = (x: NodeObject) => x.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    const nu = (x: NodeObject) => { const c = cond(x as NodeLike); return c ? `${c.status}|${c.reason}|${c.message}` : ''; };
    return JSON.stringify(o.spec?.podCIDRs ?? o.spec?.podCIDR ?? null) !== JSON.stringify(n.spec?.podCIDRs ?? n.spec?.podCIDR ?? null)
      || o.spec?.podCIDR !== n.spec?.podCIDR
      || o.spec?.providerID !== n.spec?.providerID
      || exclusion(o as NodeLike) !== exclusion(n as NodeLike)
      || !!o.metadata.deletionTimestamp !== !!n.metadata.deletionTimestamp
      || ready(o) !== ready(n)
      || nu(o) !== nu(n);
  },
};

/** Errors worth retrying quietly (the adapter already retried them with backoff). */
export function isTransient(err: unknown): boolean {
  return isThrottled(err) || isUnavailable(err) || isTimeout(err) || isConflict(err);
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

function nodeRef(name: string, node?: NodeObject): NodeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, uid: node?.metadata.uid ?? name } } as NodeObject;
}

@Controller({
  for: Node,
  name: CONTROLLER_NAME,
  predicates: [routeRelevantChange],
  maxConcurrentReconciles: 4,
  // namespaces get: the kube-system namespace's UID is the default identity of the cluster's route entries
  rbac: [{ apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] }, { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }],
})
export class RouteController implements Reconciler<NodeObject> {
  constructor(
    @inject(ROUTE_DEPS) private readonly deps: RouteDeps,
    @inject(queueOf(TABLES_CONTROLLER_NAME)) private readonly tables: ControllerQueue,
    private readonly recorder: EventRecorder,
  ) {
    deps.state.started();
  }

  private nudgeTables(): void {
    for (const t of this.deps.tables) this.tables.enqueue({ name: t }, this.deps.config.aggregationWaitMs);
  }

  async reconcile(node: NodeObject, ctx: ReconcileContext<NodeObject>) {
    const { config, state } = this.deps;
    const r = nodeRoutes(node as NodeLike, config.clusterCidrs);
    if (!r.eligible) {
      if (r.reason === 'bad-provider-id' || r.reason === 'outside-cluster-cidr') this.deps.reports.once(this.recorder, node, 'SyncRouteFailed', r.message);
      return;
    }
    const verdicts = state.verdicts(r.cidrs, r.instanceId);
    if (verdicts.some((v) => v.state === 'missing')) this.nudgeTables();
    const want = nodeCondition(verdicts);
    if (want && !config.dryRun) await this.patchCondition(node, want, ctx);
  }

  reconcileDeleted(req: Request) {
    // a node went away: its owned routes are stale now
    this.deps.reports.forgetNode(req.name);
    this.nudgeTables();
    return undefined;
  }

  /** Strategic merge patch of the one condition (merged by type: other writers keep theirs). */
  private async patchCondition(node: NodeObject, want: ConditionValue, ctx: ReconcileContext<NodeObject>): Promise<void> {
    const have = cond(node as NodeLike) as { status: string; reason?: string; message?: string; lastTransitionTime?: string } | undefined;
    if (have && have.status === want.status && have.reason === want.reason && have.message === want.message) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const condition = {
      type: CONDITION_TYPE, status: want.status, reason: want.reason, message: want.message,
      lastTransitionTime: have && have.status === want.status && have.lastTransitionTime ? have.lastTransitionTime : now,
      lastHeartbeatTime: now,
    };
    try {
      await ctx.client.patch(Node, node.metadata.name!, { status: { conditions: [condition] } }, { type: 'strategic', subresource: 'status', signal: ctx.signal });
    } catch (err) {
      if (!isNotFoundApi(err)) throw err; // the node went away meanwhile: its delete event follows
    }
  }

}

/** One pass over a route table per request (`{ name: <route table id> }`); see the module comment. */
@Controller({ name: TABLES_CONTROLLER_NAME, maxConcurrentReconciles: 4 })
export class RouteTableController implements RequestReconciler {
  private readonly owner: OwnerMark;
  /** consecutive passes per table that found entries still Pending (for the re-check backoff) */
  private readonly pendingPasses = new Map<string, number>();

  constructor(
    @inject(ROUTE_DEPS) private readonly deps: RouteDeps,
    @inject(queueOf(CONTROLLER_NAME)) private readonly nodes: ControllerQueue,
    private readonly recorder: EventRecorder,
  ) {
    this.owner = deps.owner;
    deps.state.started();
  }

  /** Every table once when the workers start. */
  sources(ctx: SourceContext): RequestSource[] {
    return [ctx.once(this.deps.tables.map((t) => ({ name: t })))];
  }

  reconcile(table: Request, ctx: RequestContext) {
    return this.reconcileTable(table.name, ctx);
  }

  private reportOnce(node: NodeObject, reason: string, message: string, scope = ''): void {
    this.deps.reports.once(this.recorder, node, reason, message, scope);
  }

  private clearReports(reason: string, scope: string, still: ReadonlySet<string>): void {
    this.deps.reports.clear(reason, scope, still);
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      const v = await fn();
      this.deps.metrics.cloudCalls.inc({ action, result: 'success' });
      return v;
    } catch (err) {
      this.deps.metrics.cloudCalls.inc({ action, result: 'error' });
      throw err;
    }
  }

  private async reconcileTable(tableId: string, ctx: RequestContext) {
    const { config, vpc, state, metrics } = this.deps;
    const end = metrics.reconcileDuration.startTimer({ route_table: tableId });
    try {
      const nodes = ctx.cache<NodeObject>(Node).list();
      const byName = new Map(nodes.map((n) => [n.metadata.name!, n]));
      const all = nodes.map((n) => nodeRoutes(n as NodeLike, config.clusterCidrs));
      const ds = desiredRoutes(all);
      let actual: RouteEntry[];
      try {
        actual = await this.call('DescribeRouteEntryList', () => vpc.listRouteEntries(tableId));
      } catch (err) {
        if (!isTransient(err)) {
          // e.g. the table was deleted or a RAM policy denies vpc:DescribeRouteEntryList (Forbidden.RAM): the nodes
          // waiting for a route get NetworkUnavailable=True saying so and a Warning Event; retried with the per-key backoff
          const msg = `Could not list route table ${tableId}: ${errText(err)}`;
          const failures = new Map<string, string>();
          for (const r of ds.routes) {
            if (state.verdict(tableId, r.cidr, r.instanceId).state === 'ready') continue;
            failures.set(failureKey(r.cidr, r.instanceId), msg);
            this.reportOnce(nodeRef(r.node, byName.get(r.node)), 'SyncRouteFailed', msg, tableId);
          }
          if (!config.dryRun) {
            state.fail(tableId, failures);
            this.enqueueNodesToUpdate(nodes);
          }
        }
        throw err;
      }
      this.clearReports('SyncRouteFailed', tableId, new Set());
      const takeover = config.deleteConflictingRoutes ? { clusterCidrs: config.clusterCidrs, nodes: nodes.map((n) => takeoverNode(n as NodeLike)) } : undefined;
      const p = plan(ds.routes, actual, this.owner, ds.keep, takeover);
      metrics.desired.set({ route_table: tableId }, ds.routes.length);
      metrics.actual.set({ route_table: tableId }, actual.filter((e) => isOwned(e, this.owner)).length);
      metrics.conflicts.set({ route_table: tableId }, p.conflicts.length);

      const failures = new Map<string, string>();
      for (const c of p.conflicts) {
        const msg = `route table ${tableId} has entry ${c.entry.routeEntryId} for ${c.route.cidr} pointing at ${c.entry.nextHopId || c.entry.nextHopType || 'another target'}, `
          + `not owned by cluster ${this.owner.clusterName}: not overwriting it; remove it or move the node's pod CIDR`;
        failures.set(failureKey(c.route.cidr, c.route.instanceId), msg);
        this.reportOnce(nodeRef(c.route.node, byName.get(c.route.node)), 'RouteConflict', msg, tableId);
      }
      for (const d of ds.duplicates) {
        const msg = `pod CIDR ${d.route.cidr} is also the pod CIDR of node ${d.winner.node}, which got the route`;
        failures.set(failureKey(d.route.cidr, d.route.instanceId), msg);
        this.reportOnce(nodeRef(d.route.node, byName.get(d.route.node)), 'RouteConflict', msg, tableId);
      }
      this.clearReports('RouteConflict', tableId, new Set([...p.conflicts.map((c) => c.route.node), ...ds.duplicates.map((d) => d.route.node)]));

      const writes: Array<({ verb: 'delete' } & RoutePlan['delete'][number]) | { verb: 'create'; route: DesiredRoute }> = [
        ...p.delete.map((d) => ({ verb: 'delete' as const, ...d })),
        ...p.create.map((route) => ({ verb: 'create' as const, route })),
      ];
      const log = ctx.log.child({ routeTable: tableId });
      if (writes.length || p.conflicts.length) {
        log.info({
          create: p.create.map((r) => `${r.cidr}->${r.instanceId} (${r.node})`),
          delete: p.delete.map((d) => `${d.entry.destinationCidrBlock}->${d.entry.nextHopId} (${d.reason})`),
          conflicts: p.conflicts.map((c) => `${c.route.cidr} held by ${c.entry.routeEntryId}`),
          dryRun: config.dryRun,
        }, config.dryRun ? 'route plan (dry run: nothing is written)' : 'route plan');
      }
      if (config.dryRun) {
        state.set(tableId, actual, failures);
        this.fullySynced(tableId);
        return { requeueAfter: config.reconciliationPeriodMs };
      }

      const batch = writes.slice(0, config.batchSize);
      let transient: unknown;
      let failed = 0;
      for (const w of batch) {
        if (ctx.signal.aborted) break;
        if (w.verb === 'delete') {
          try {
            // a replaced entry must be gone before its CIDR can be created again
            await this.call('DeleteRouteEntry', () => vpc.deleteRouteEntry({
              routeTableId: tableId, routeEntryId: w.entry.routeEntryId, destinationCidrBlock: w.entry.destinationCidrBlock, nextHopId: w.entry.nextHopId || undefined,
            }, { wait: !!w.route }));
            metrics.operations.inc({ verb: 'delete', result: 'success' });
            log.info({ cidr: w.entry.destinationCidrBlock, nextHop: w.entry.nextHopId, reason: w.reason }, 'deleted route entry');
            if (w.reason === 'conflict') {
              const about = w.node ? nodeRef(w.node, byName.get(w.node)) : this.deps.clusterRef;
              this.recorder.event(about, 'Normal', 'DeletedConflictingRoute',
                `Deleted route entry ${w.entry.routeEntryId} ${w.entry.destinationCidrBlock} -> ${w.entry.nextHopId} from route table ${tableId}, not marked by any kubeloop cluster: ${w.why}`);
            }
          } catch (err) {
            if (isNotFound(err)) { metrics.operations.inc({ verb: 'delete', result: 'success' }); continue; }
            metrics.operations.inc({ verb: 'delete', result: isThrottled(err) ? 'throttled' : 'error' });
            if (isTransient(err)) { transient ??= err; continue; }
            failed++;
            log.error({ err: errText(err), cidr: w.entry.destinationCidrBlock }, 'deleting route entry failed');
            if (w.route) {
              const msg = `could not replace the route for ${w.route.cidr} in ${tableId}: ${errText(err)}`;
              failures.set(failureKey(w.route.cidr, w.route.instanceId), msg);
              this.recorder.event(nodeRef(w.route.node, byName.get(w.route.node)), 'Warning', 'SyncRouteFailed', msg);
            }
          }
          continue;
        }
        const r = w.route;
        try {
          await this.call('CreateRouteEntry', () => vpc.createRouteEntry({
            routeTableId: tableId, destinationCidrBlock: r.cidr, nextHopId: r.instanceId, nextHopType: 'Instance',
            routeEntryName: routeEntryName(this.owner, r.node), description: ownerDescription(this.owner),
          }, { wait: false }));
          metrics.operations.inc({ verb: 'create', result: 'success' });
          this.recorder.event(nodeRef(r.node, byName.get(r.node)), 'Normal', 'CreatedRoute', `Created route for node ${r.node} ${r.cidr} with next hop ${r.instanceId} in route table ${tableId}`);
        } catch (err) {
          if (isAlreadyExists(err)) {
            // VPC_ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE: fine when the entry already points at the node (e.g. our
            // earlier attempt succeeded but its answer was lost); otherwise the next pass sees who holds it
            const existing = await this.call('DescribeRouteEntryList', () => vpc.listRouteEntries(tableId, { destinationCidrBlock: r.cidr })).catch(() => []);
            const ours = existing.some((e) => e.nextHopId === r.instanceId);
            metrics.operations.inc({ verb: 'create', result: ours ? 'success' : 'error' });
            // not visible yet (or listing failed): back off instead of spinning on an immediate next pass
            if (existing.length === 0) transient ??= err;
            continue;
          }
          metrics.operations.inc({ verb: 'create', result: isThrottled(err) ? 'throttled' : 'error' });
          if (isTransient(err)) { transient ??= err; continue; }
          failed++;
          const msg = `Could not create route ${r.cidr} -> ${r.instanceId} for node ${r.node} in route table ${tableId}: ${errText(err)}`;
          log.error({ err: errText(err), cidr: r.cidr, node: r.node }, 'creating route entry failed');
          failures.set(failureKey(r.cidr, r.instanceId), msg);
          this.recorder.event(nodeRef(r.node, byName.get(r.node)), 'Warning', 'CreateRouteFailed', msg);
        }
      }

      state.set(tableId, actual, failures);
      this.enqueueNodesToUpdate(nodes);
      if (transient || failed) {
        // back off (per key, exponential) before the next pass lists and retries
        throw new Error(`route table ${tableId}: ${failed} route write(s) failed${transient ? `, retrying after ${errText(transient)}` : ''}`);
      }
      if (writes.length <= batch.length) this.fullySynced(tableId);
      if (batch.length) return { requeueAfter: 1 }; // list again at once: verifies the writes, takes the next batch
      const pending = p.satisfied.some((s) => s.entry.status !== 'Available') || p.waiting.length > 0;
      if (!pending) {
        this.pendingPasses.delete(tableId);
        return { requeueAfter: config.reconciliationPeriodMs };
      }
      // entries settle in seconds on the real cloud: look again soon, then less and less often
      const n = this.pendingPasses.get(tableId) ?? 0;
      this.pendingPasses.set(tableId, n + 1);
      return { requeueAfter: Math.min(PENDING_RECHECK_MS * 2 ** Math.min(n, 5), PENDING_RECHECK_MAX_MS, config.reconciliationPeriodMs) };
    } finally {
      end();
    }
  }

  /** A pass listed the table and did every write it planned (for the readiness check and its metric). */
  private fullySynced(tableId: string): void {
    const now = Date.now();
    this.deps.state.fullySynced(tableId, now);
    this.deps.metrics.lastFullSync.set({ route_table: tableId }, now / 1000);
  }

  /** Enqueues the nodes whose NetworkUnavailable condition should change after a table pass. */
  private enqueueNodesToUpdate(nodes: readonly NodeObject[]): void {
    if (this.deps.config.dryRun) return;
    for (const n of nodes) {
      const r = nodeRoutes(n as NodeLike, this.deps.config.clusterCidrs);
      if (!r.eligible) continue;
      const want = nodeCondition(this.deps.state.verdicts(r.cidrs, r.instanceId));
      const have = cond(n as NodeLike);
      if (want && (!have || have.status !== want.status || have.reason !== want.reason || have.message !== want.message)) {
        this.nodes.enqueue({ name: n.metadata.name! });
      }
    }
  }
}

