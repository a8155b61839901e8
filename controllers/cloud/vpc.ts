/**
 * VPC 2016-04-28 adapter for the route controller. The cloud refuses a route write while
 * another is in flight anywhere in the VPC (`IncorrectRouteEntryStatus`: "The vpc has NotStable
 * routeEntry status", also `OperationConflict`, `TaskConflict`) and a written entry is `Pending`
 * for a while; so writes are queued per VPC in this process (a table's VPC is looked up once;
 * per table when it cannot be), conflicts with other writers are retried with backoff, and by
 * default a write returns only once the entry is Available (or gone).
 */
import { CloudError, isForbidden, isNotFound } from './errors.js';
import { RpcApi, listOf, str, type RpcResponse } from './rpc-client.js';
import { callWithRetry, type RetryPolicy } from './retry.js';
import type {
  CreateRouteEntryInput, DeleteRouteEntryInput, RouteEntry, RouteTable, RouteWriteOptions, Vpc, VpcRouteApi,
} from './types.js';

function toEntry(e: RpcResponse): RouteEntry {
  const hop = listOf(e, 'NextHops', 'NextHop')[0];
  return {
    routeEntryId: str(e.RouteEntryId), routeTableId: str(e.RouteTableId), destinationCidrBlock: str(e.DestinationCidrBlock),
    nextHopType: str(hop?.NextHopType ?? e.NextHopType), nextHopId: str(hop?.NextHopId ?? e.InstanceId),
    routeEntryName: str(e.RouteEntryName), description: str(e.Description), type: str(e.Type), status: str(e.Status),
  };
}

export class AlibabaVpcRoutes implements VpcRouteApi {
  private readonly queues = new Map<string, Promise<unknown>>();
  /** the write queue of each route table: its VPC's (see lockKey) */
  private readonly lockKeys = new Map<string, string>();

  constructor(private readonly api: RpcApi, private readonly regionId: string, private readonly policy: RetryPolicy) {}

  async describeVpcs(vpcId?: string): Promise<Vpc[]> {
    const out: Vpc[] = [];
    for (let page = 1; ; page++) {
      const r = await this.api.call('DescribeVpcs', { RegionId: this.regionId, VpcId: vpcId, PageNumber: page, PageSize: 50 });
      const vpcs = listOf(r, 'Vpcs', 'Vpc');
      for (const v of vpcs) {
        out.push({
          vpcId: str(v.VpcId), vpcName: str(v.VpcName), cidrBlock: str(v.CidrBlock), vRouterId: str(v.VRouterId),
          routeTableIds: listOf(v, 'RouterTableIds', 'RouterTableIds').map(String),
        });
      }
      if (vpcs.length < 50 || out.length >= Number(r.TotalCount ?? 0)) return out;
    }
  }

  async listRouteTables(filter: { vpcId?: string; routeTableId?: string } = {}): Promise<RouteTable[]> {
    const out: RouteTable[] = [];
    for (let page = 1; ; page++) {
      const r = await this.api.call('DescribeRouteTableList', {
        RegionId: this.regionId, VpcId: filter.vpcId, RouteTableId: filter.routeTableId, PageNumber: page, PageSize: 50,
      });
      const tables = listOf(r, 'RouterTableList', 'RouterTableListType');
      for (const t of tables) {
        out.push({
          routeTableId: str(t.RouteTableId), routeTableName: str(t.RouteTableName), routeTableType: str(t.RouteTableType),
          vpcId: str(t.VpcId), vRouterId: str(t.RouterId),
        });
      }
      if (tables.length < 50 || out.length >= Number(r.TotalCount ?? 0)) return out;
    }
  }

  async listRouteEntries(routeTableId: string, filter: { destinationCidrBlock?: string; type?: string; nextHopId?: string; routeEntryId?: string } = {}): Promise<RouteEntry[]> {
    const out: RouteEntry[] = [];
    let token: string | undefined;
    do {
      const r = await this.api.call('DescribeRouteEntryList', {
        RegionId: this.regionId, RouteTableId: routeTableId, DestinationCidrBlock: filter.destinationCidrBlock,
        RouteEntryType: filter.type, NextHopId: filter.nextHopId, RouteEntryId: filter.routeEntryId, MaxResult: 100, NextToken: token,
      });
      for (const e of listOf(r, 'RouteEntrys', 'RouteEntry')) out.push(toEntry(e));
      token = str(r.NextToken) || undefined;
    } while (token);
    return out;
  }

  /**
   * The queue a table's writes wait in: its VPC's, since the VPC takes one route write at a time
   * across all its tables (VPC API reference, CreateRouteEntry/DeleteRouteEntry). Looked up once
   * per table; a table whose VPC cannot be read (no permission for DescribeRouteTableList, not
   * found) queues on its own and lets the retries absorb the conflicts; a transient failure is
   * looked up again next time.
   */
  private async lockKey(routeTableId: string): Promise<string> {
    const known = this.lockKeys.get(routeTableId);
    if (known) return known;
    try {
      const [t] = await this.listRouteTables({ routeTableId });
      const key = t?.vpcId ? `vpc/${t.vpcId}` : `table/${routeTableId}`;
      this.lockKeys.set(routeTableId, key);
      return key;
    } catch (err) {
      const key = `table/${routeTableId}`;
      if (isForbidden(err) || isNotFound(err)) this.lockKeys.set(routeTableId, key);
      return key;
    }
  }

  /** Runs `fn` after every earlier write queued under `key` settled. */
  private serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    const tail = next.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => { if (this.queues.get(key) === tail) this.queues.delete(key); });
    return next;
  }

  /** Retries the cloud's "table busy" answers with backoff (the route table accepts one write at a time). */
  private whileBusy<T>(action: string, fn: () => Promise<T>): Promise<T> {
    // A busy table stays busy for seconds on the real cloud: back off more patiently than
    // for throttling, still bounded by the overall budget (maxAttempts 1 disables retries).
    const patient = { ...this.policy, maxAttempts: this.policy.maxAttempts <= 1 ? 1 : 50, baseDelayMs: Math.max(this.policy.baseDelayMs, 50), maxDelayMs: Math.max(this.policy.maxDelayMs, 2000) };
    return callWithRetry(patient, () => fn(),
      () => new CloudError('Timeout', 'Timeout', `no answer within ${this.policy.timeoutMs} ms`, 'vpc', action),
      { retryOn: ['Conflict'] });
  }

  private async waitFor(routeTableId: string, action: string, done: (entries: RouteEntry[]) => RouteEntry | true | undefined, filter: { destinationCidrBlock?: string; routeEntryId?: string }): Promise<RouteEntry | undefined> {
    const deadline = Date.now() + this.policy.budgetMs;
    const destination = filter.destinationCidrBlock ?? filter.routeEntryId;
    for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
      const entries = await this.listRouteEntries(routeTableId, filter);
      const d = done(entries);
      if (d === true) return undefined;
      if (d) return d;
      if (Date.now() + delay > deadline) {
        throw new CloudError('Timeout', 'Timeout', `route entry for ${destination} did not settle within ${this.policy.budgetMs} ms`, 'vpc', action);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  async createRouteEntry(input: CreateRouteEntryInput, opts: RouteWriteOptions = {}): Promise<RouteEntry> {
    return this.serialize(await this.lockKey(input.routeTableId), async () => {
      const r = await this.whileBusy('CreateRouteEntry', () => this.api.call('CreateRouteEntry', {
        RegionId: this.regionId, RouteTableId: input.routeTableId, DestinationCidrBlock: input.destinationCidrBlock,
        NextHopType: input.nextHopType ?? 'Instance', NextHopId: input.nextHopId,
        RouteEntryName: input.routeEntryName || undefined, Description: input.description || undefined,
      }));
      const id = str(r.RouteEntryId);
      const pending: RouteEntry = {
        routeEntryId: id, routeTableId: input.routeTableId, destinationCidrBlock: input.destinationCidrBlock,
        nextHopType: input.nextHopType ?? 'Instance', nextHopId: input.nextHopId, routeEntryName: input.routeEntryName ?? '',
        description: input.description ?? '', type: 'Custom', status: 'Pending',
      };
      if (opts.wait === false) return pending;
      const entry = await this.waitFor(input.routeTableId, 'CreateRouteEntry', (entries) => {
        const e = entries.find((x) => (id && x.routeEntryId === id) || (!id && x.destinationCidrBlock === input.destinationCidrBlock));
        return e && e.status === 'Available' ? e : undefined;
      }, id ? { routeEntryId: id } : { destinationCidrBlock: input.destinationCidrBlock });
      return entry ?? pending;
    });
  }

  async deleteRouteEntry(input: DeleteRouteEntryInput, opts: RouteWriteOptions = {}): Promise<void> {
    if (!input.routeEntryId && !input.destinationCidrBlock) {
      throw new CloudError('InvalidParameter', 'MissingParameter', 'routeEntryId or destinationCidrBlock is required', 'vpc', 'DeleteRouteEntry');
    }
    return this.serialize(await this.lockKey(input.routeTableId), async () => {
      // DeleteRouteEntry takes RouteEntryId alone, or RouteTableId + DestinationCidrBlock (+ NextHopId):
      // RouteEntryId with either of the others is refused (400
      // ParamExclusive.RouteEntryIdAndRouteTableIdOrDestCidrBlock, the API reference's error list).
      // The destination form is upstream's (cloud-provider-alibaba-cloud pkg/provider/alibaba/vpc
      // DeleteRoute) and names the route table, which RAM policies on `routetable/<id>` check.
      const byDestination = !!input.destinationCidrBlock;
      await this.whileBusy('DeleteRouteEntry', () => this.api.call('DeleteRouteEntry', byDestination
        ? { RegionId: this.regionId, RouteTableId: input.routeTableId, DestinationCidrBlock: input.destinationCidrBlock, NextHopId: input.nextHopId }
        : { RegionId: this.regionId, RouteEntryId: input.routeEntryId }));
      if (opts.wait === false) return;
      const filter = input.routeEntryId ? { routeEntryId: input.routeEntryId } : { destinationCidrBlock: input.destinationCidrBlock };
      await this.waitFor(input.routeTableId, 'DeleteRouteEntry', (entries) =>
        entries.some((x) => (input.routeEntryId ? x.routeEntryId === input.routeEntryId : x.destinationCidrBlock === input.destinationCidrBlock)) ? undefined : true, filter);
    });
  }
}
