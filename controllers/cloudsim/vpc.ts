/**
 * VPC 2016-04-28: VPCs, route tables and route entries. Route writes are serialized per VPC
 * as in the real cloud: while an entry of any route table of the VPC is Pending (or
 * Deleting), any other route write in that VPC is refused with 400 `IncorrectRouteEntryStatus`
 * (CreateRouteEntry's error list: "The vpc has NotStable routeEntry status."; DeleteRouteEntry:
 * "You cannot delete a route entry of a VPC in which a vSwitch or another route entry is
 * being created or deleted", https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-deleterouteentry).
 * Error codes, messages and HTTP statuses below are those of the two API pages' error lists.
 */
import { SimError } from './cloud.js';
import { isoNow, newId, type CloudState, type RouteEntry, type RouteTable } from './state.js';
import { paged, required, tokenPaged, type RpcContext, type RpcParams, type RpcService } from './rpc.js';

function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const parts = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (parts.some((x) => x > 255) || bits > 32) return undefined;
  const ip = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  if ((ip & mask) >>> 0 !== ip) return undefined; // host bits set: not a network address
  return { base: ip, bits };
}

function checkRegion(p: RpcParams, ctx: RpcContext): void {
  const r = required(p, 'RegionId');
  if (r !== ctx.cloud.state.regionId) throw new SimError('InvalidRegionId.NotFound', `The specified RegionId ${r} does not exist.`, 404);
}

function table(ctx: RpcContext, id: string): RouteTable {
  const t = ctx.cloud.state.routeTables.find((x) => x.routeTableId === id);
  if (!t) throw new SimError('InvalidRouteTableId.NotFound', `The specified route table ${id} does not exist.`, 404);
  return t;
}

/** Any route entry write in flight in the table's VPC (all its route tables) refuses the next one. */
function assertNoWriteInFlight(state: CloudState, t: RouteTable): void {
  const busy = state.routeTables.some((x) => x.vpcId === t.vpcId && x.entries.some((e) => e.status !== 'Available'));
  if (busy) throw new SimError('IncorrectRouteEntryStatus', 'Some route entry status blocked this operation.', 400);
}

function entryView(e: RouteEntry): Record<string, unknown> {
  return {
    RouteEntryId: e.routeEntryId, RouteEntryName: e.routeEntryName, RouteTableId: e.routeTableId,
    DestinationCidrBlock: e.destinationCidrBlock, Type: e.type, Status: e.status, Description: e.description,
    IpVersion: 'ipv4', CreateTime: e.creationTime,
    NextHops: { NextHop: e.nextHopId || e.nextHopType !== 'local' ? [{ NextHopType: e.nextHopType, NextHopId: e.nextHopId, Enabled: 1, Weight: 0, NextHopRegionId: '' }] : [] },
  };
}

export const vpcService: RpcService = {
  service: 'vpc',
  // RAM resource of the route entry actions: the route table (VPC API reference, e.g.
  // DeleteRouteEntry: `acs:vpc:{#regionId}:{#accountId}:routetable/{#RouteTableId}`); the
  // Describe/List calls authorize on all resources
  // DeleteRouteEntry by RouteEntryId alone names no table: the entry's own table is the resource
  resource: (action, p, state) => {
    if (!/RouteEntr/.test(action)) return undefined;
    const tableId = p.RouteTableId || (p.RouteEntryId ? state.routeTables.find((t) => t.entries.some((e) => e.routeEntryId === p.RouteEntryId))?.routeTableId : undefined);
    return tableId ? `routetable/${tableId}` : undefined;
  },
  version: '2016-04-28',
  handlers: {
    DescribeVpcs(p, ctx) {
      checkRegion(p, ctx);
      const vpcs = ctx.cloud.state.vpcs.filter((v) => !p.VpcId || p.VpcId.split(',').includes(v.vpcId));
      const pg = paged(vpcs, p, 50);
      return {
        TotalCount: pg.totalCount, PageNumber: pg.pageNumber, PageSize: pg.pageSize,
        Vpcs: { Vpc: pg.page.map((v) => ({
          VpcId: v.vpcId, VpcName: v.vpcName, RegionId: v.regionId, CidrBlock: v.cidrBlock, VRouterId: v.vRouterId,
          Status: v.status, IsDefault: false,
          RouterTableIds: { RouterTableIds: ctx.cloud.state.routeTables.filter((t) => t.vpcId === v.vpcId).map((t) => t.routeTableId) },
          VSwitchIds: { VSwitchId: [...new Set(ctx.cloud.state.scalingGroups.filter((g) => g.vpcId === v.vpcId).flatMap((g) => g.vSwitchIds))] },
        })) },
      };
    },

    /** vSwitches are derived from the scaling groups (each lists its vSwitches and their zones). */
    DescribeVSwitches(p, ctx) {
      checkRegion(p, ctx);
      const seen = new Map<string, { VSwitchId: string; VpcId: string; ZoneId: string; Status: string; CidrBlock: string; VSwitchName: string }>();
      for (const g of ctx.cloud.state.scalingGroups) {
        g.vSwitchIds.forEach((id, i) => {
          if (!seen.has(id)) seen.set(id, { VSwitchId: id, VpcId: g.vpcId, ZoneId: g.zoneIds[i] ?? '', Status: 'Available', CidrBlock: '', VSwitchName: '' });
        });
      }
      const list = [...seen.values()].filter((v) => (!p.VpcId || v.VpcId === p.VpcId) && (!p.VSwitchId || v.VSwitchId === p.VSwitchId) && (!p.ZoneId || v.ZoneId === p.ZoneId));
      const pg = paged(list, p, 50);
      return { TotalCount: pg.totalCount, PageNumber: pg.pageNumber, PageSize: pg.pageSize, VSwitches: { VSwitch: pg.page } };
    },

    DescribeRouteTableList(p, ctx) {
      checkRegion(p, ctx);
      const tables = ctx.cloud.state.routeTables.filter((t) =>
        (!p.VpcId || t.vpcId === p.VpcId) && (!p.RouteTableId || t.routeTableId === p.RouteTableId)
        && (!p.RouteTableName || t.routeTableName === p.RouteTableName) && (!p.RouterId || t.vRouterId === p.RouterId));
      const pg = paged(tables, p, 50);
      return {
        Success: true, TotalCount: pg.totalCount, PageNumber: pg.pageNumber, PageSize: pg.pageSize,
        RouterTableList: { RouterTableListType: pg.page.map((t) => ({
          RouteTableId: t.routeTableId, RouteTableName: t.routeTableName, RouteTableType: t.routeTableType, VpcId: t.vpcId,
          RouterId: t.vRouterId, RouterType: 'VRouter', Status: 'Available', Description: '', CreationTime: isoNow(),
        })) },
      };
    },

    DescribeRouteEntryList(p, ctx) {
      checkRegion(p, ctx);
      const t = table(ctx, required(p, 'RouteTableId'));
      const entries = t.entries.filter((e) =>
        (!p.RouteEntryId || e.routeEntryId === p.RouteEntryId)
        && (!p.DestinationCidrBlock || e.destinationCidrBlock === p.DestinationCidrBlock)
        && (!p.RouteEntryName || e.routeEntryName === p.RouteEntryName)
        && (!p.RouteEntryType || e.type === p.RouteEntryType)
        && (!p.NextHopId || e.nextHopId === p.NextHopId)
        && (!p.NextHopType || e.nextHopType === p.NextHopType));
      const pg = tokenPaged(entries, p, 100, 10, 'MaxResult');
      return { NextToken: pg.nextToken, RouteEntrys: { RouteEntry: pg.page.map(entryView) } };
    },

    CreateRouteEntry(p, ctx) {
      checkRegion(p, ctx);
      const t = table(ctx, required(p, 'RouteTableId'));
      const dest = required(p, 'DestinationCidrBlock');
      if (!parseCidr(dest)) throw new SimError('InvalidCidrBlock.Malformed', 'Specified CIDR block is not valid.', 400);
      const nextHopType = p.NextHopType || 'Instance';
      const nextHopId = required(p, 'NextHopId');
      if (nextHopType === 'Instance' && ctx.options.validateNextHop && !ctx.cloud.state.instances.some((i) => i.instanceId === nextHopId)) {
        throw new SimError('InvalidInstanceId.NotFound', `The specified instance ${nextHopId} does not exist.`, 404);
      }
      const name = p.RouteEntryName ?? '';
      if (name.startsWith('http://') || name.startsWith('https://') || name.length > 128) {
        throw new SimError('InvalidRouteEntryName.Malformed', 'The name must be 1 to 128 characters long and cannot start with http:// or https://.', 400);
      }
      // a write in flight in the VPC (even one deleting this very destination) is a conflict to retry
      assertNoWriteInFlight(ctx.cloud.state, t);
      if (t.entries.some((e) => e.destinationCidrBlock === dest)) {
        throw new SimError('InvalidCIDRBlock.Duplicate', 'Specified CIDR block is already exists.', 400);
      }
      // the documented quota and error (VPC API reference, error codes of route entry writes:
      // 400 QuotaExceeded.VpcRouteEntryNum "The quota of vpc route entry num is exceeded, usage %s/%s.")
      const custom = t.entries.filter((e) => e.type === 'Custom').length;
      if (custom >= ctx.options.routeEntryQuota) {
        throw new SimError('QuotaExceeded.VpcRouteEntryNum', `The quota of vpc route entry num is exceeded, usage ${custom}/${ctx.options.routeEntryQuota}.`, 400);
      }
      const entry: RouteEntry = {
        routeEntryId: newId('rte'), routeTableId: t.routeTableId, destinationCidrBlock: dest, nextHopType, nextHopId,
        routeEntryName: name, description: p.Description ?? '', type: 'Custom', status: 'Pending',
        settlesAt: ctx.now + ctx.cloud.timings.routeSettleMs, creationTime: isoNow(ctx.now),
      };
      t.entries.push(entry);
      ctx.cloud.tick(ctx.now);
      ctx.cloud.changed();
      return { RouteEntryId: entry.routeEntryId };
    },

    /**
     * By RouteEntryId alone, or by RouteTableId + DestinationCidrBlock (+ NextHopId): RouteEntryId
     * is mutually exclusive with RouteTableId and DestinationCidrBlock (400
     * ParamExclusive.RouteEntryIdAndRouteTableIdOrDestCidrBlock in the API's error list; the
     * transit-router twin of the code says "RouteEntryId and ...RouteTableIdOrDestCidrBlock is
     * mutually exclusive"). Upstream's cloud-controller-manager deletes by table + CIDR + next hop
     * (kubernetes/cloud-provider-alibaba-cloud pkg/provider/alibaba/vpc/vpc.go DeleteRoute).
     */
    DeleteRouteEntry(p, ctx) {
      checkRegion(p, ctx);
      let t: RouteTable;
      let e: RouteEntry | undefined;
      if (p.RouteEntryId) {
        if (p.RouteTableId || p.DestinationCidrBlock) {
          throw new SimError('ParamExclusive.RouteEntryIdAndRouteTableIdOrDestCidrBlock', 'RouteEntryId and RouteTableIdOrDestCidrBlock is mutually exclusive.', 400);
        }
        const owner = ctx.cloud.state.routeTables.find((x) => x.entries.some((y) => y.routeEntryId === p.RouteEntryId));
        if (!owner) throw new SimError('InvalidRouteEntryId.NotFound', 'Specified RouteEntryId does not exist.', 400);
        t = owner;
        e = t.entries.find((x) => x.routeEntryId === p.RouteEntryId);
      } else {
        if (!p.RouteTableId || !p.DestinationCidrBlock) throw new SimError('MissingParameter', 'Miss mandatory parameter.', 400);
        t = table(ctx, p.RouteTableId);
        const dest = p.DestinationCidrBlock;
        e = t.entries.find((x) => x.destinationCidrBlock === dest && (!p.NextHopId || x.nextHopId === p.NextHopId));
      }
      if (!e) throw new SimError('InvalidRouteEntry.NotFound', 'Route entry not exists.', 400);
      if (e.type === 'System') throw new SimError('OperationDenied', 'Specified operation is denied as route entry type is system.', 400);
      if (e.status !== 'Available') throw new SimError('IncorrectRouteEntryStatus', 'Specified routeEntry status error.', 400);
      assertNoWriteInFlight(ctx.cloud.state, t);
      e.status = 'Deleting';
      e.settlesAt = ctx.now + ctx.cloud.timings.routeSettleMs;
      ctx.cloud.tick(ctx.now);
      ctx.cloud.changed();
      return {};
    },
  },
};

