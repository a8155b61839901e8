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

  constructor(readonly tables: readonly string[]) {}

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
