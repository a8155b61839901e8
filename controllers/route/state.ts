/**
 * What the controller last learned about each route table: the entries by CIDR (as last
 * listed) and the routes it could not put in place (conflicts, refused writes). Node
 * reconciles read it to decide the NetworkUnavailable condition without calling the cloud.
 */
import type { RouteEntry } from '../cloud/index.js';
import type { TableVerdict } from './planner.js';

export interface TableView {
  /** entries by destination CIDR */
  entries: Map<string, RouteEntry[]>;
  /** failures by `cidr|instanceId`: why that route is not in place */
  failures: Map<string, string>;
}

export const failureKey = (cidr: string, instanceId: string) => `${cidr}|${instanceId}`;

export class RouteState {
  private readonly views = new Map<string, TableView>();
  /** epoch ms of each table's last full sync (listed, and every planned write done) */
  private readonly syncedAt = new Map<string, number>();
  /** epoch ms since which this process has been syncing (a controller started, e.g. on gaining leadership) */
  private since: number | undefined;

  constructor(readonly tables: readonly string[]) {}

  /** The controller started working (the grace period of `staleTables` starts here). */
  started(now = Date.now()): void {
    this.since ??= now;
  }

  fullySynced(tableId: string, now = Date.now()): void {
    this.syncedAt.set(tableId, now);
  }

  /**
   * Tables whose last full sync (or, before the first one, the start) is older than `maxAgeMs`;
   * none while no controller runs here (a standby replica has nothing to sync).
   */
  staleTables(maxAgeMs: number, now = Date.now()): string[] {
    const since = this.since;
    if (since === undefined) return [];
    return this.tables.filter((t) => now - (this.syncedAt.get(t) ?? since) > maxAgeMs);
  }

  /**
   * Adds failures that concern a whole table (it cannot be listed) to its last view: routes
   * that were not in place are reported as failed, the last listing stays as it was.
   */
  fail(tableId: string, failures: ReadonlyMap<string, string>): void {
    const v = this.views.get(tableId);
    this.views.set(tableId, { entries: v?.entries ?? new Map(), failures: new Map([...(v?.failures ?? []), ...failures]) });
  }

  set(tableId: string, actual: readonly RouteEntry[], failures: Map<string, string>): void {
    const entries = new Map<string, RouteEntry[]>();
    for (const e of actual) {
      const list = entries.get(e.destinationCidrBlock) ?? [];
      list.push(e);
      entries.set(e.destinationCidrBlock, list);
    }
    this.views.set(tableId, { entries, failures });
  }

  view(tableId: string): TableView | undefined {
    return this.views.get(tableId);
  }

  /** The state of route `cidr` -> `instanceId` in one table. */
  verdict(tableId: string, cidr: string, instanceId: string): TableVerdict {
    const v = this.views.get(tableId);
    if (!v) return { state: 'missing' };
    const failed = v.failures.get(failureKey(cidr, instanceId));
    if (failed) return { state: 'failed', message: failed };
    const e = (v.entries.get(cidr) ?? []).find((x) => x.nextHopId === instanceId && x.status !== 'Deleting');
    if (!e) return { state: 'missing' };
    return e.status === 'Available' ? { state: 'ready' } : { state: 'pending' };
  }

  /** Verdicts of a node's routes across every table. */
  verdicts(cidrs: readonly string[], instanceId: string): TableVerdict[] {
    return this.tables.flatMap((t) => cidrs.map((c) => this.verdict(t, c, instanceId)));
  }
}
