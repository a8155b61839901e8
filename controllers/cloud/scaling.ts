/**
 * ESS 2014-08-28 + ECS 2014-05-26 adapter for the cluster autoscaler. Every list pages
 * through to the end (PageSize 50 for ESS, 100 for ECS) — the original autoscaler's
 * lookups broke past 10 instances because they read only the first page.
 */
import { CloudError, isScalingActivityInProgress } from './errors.js';
import { RpcApi, listOf, num, str, tagMap, type RpcParams, type RpcResponse } from './rpc-client.js';
import { decodeUserDataText, parseKubeletFlags } from './userdata.js';
import type { Instance, InstanceType, ScalingActivity, ScalingApi, ScalingConfiguration, ScalingGroup, ScalingInstance } from './types.js';

/**
 * Whether the group has an expected number of instances: DescribeScalingGroups'
 * EnableDesiredCapacity (what kubernetes/autoscaler's alicloud GetAsgSize branches on, reading
 * DesiredCapacity only then and ActiveCapacity+PendingCapacity+InitCapacity otherwise); from
 * an answer without that field, whether it carries a DesiredCapacity.
 */
function hasDesiredCapacity(g: RpcResponse): boolean {
  if (g.EnableDesiredCapacity !== undefined && g.EnableDesiredCapacity !== null) return g.EnableDesiredCapacity === true || g.EnableDesiredCapacity === 'true';
  return g.DesiredCapacity !== undefined && g.DesiredCapacity !== null && g.DesiredCapacity !== '';
}

function toGroup(g: RpcResponse): ScalingGroup {
  const vsw = listOf(g, 'VSwitchIds', 'VSwitchId').map(String);
  return {
    scalingGroupId: str(g.ScalingGroupId), scalingGroupName: str(g.ScalingGroupName), regionId: str(g.RegionId),
    minSize: num(g.MinSize), maxSize: num(g.MaxSize), desiredCapacity: hasDesiredCapacity(g) ? num(g.DesiredCapacity, num(g.TotalCapacity)) : undefined,
    activeCapacity: num(g.ActiveCapacity), pendingCapacity: num(g.PendingCapacity), totalCapacity: num(g.TotalCapacity),
    activeScalingConfigurationId: str(g.ActiveScalingConfigurationId), vpcId: str(g.VpcId),
    vSwitchIds: vsw.length ? vsw : (g.VSwitchId ? [str(g.VSwitchId)] : []), zoneIds: [], lifecycleState: str(g.LifecycleState), tags: tagMap(g),
  };
}

const chunks = <T>(xs: T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

/** How long calls refused with ScalingActivityInProgress are retried (full-jitter exponential backoff). */
export interface ActivityRetry {
  baseDelayMs: number;
  maxDelayMs: number;
  /** give up (the error surfaces) once this much time has passed since the first attempt */
  budgetMs: number;
}

export const defaultActivityRetry: ActivityRetry = { baseDelayMs: 500, maxDelayMs: 5_000, budgetMs: 30_000 };


export class AlibabaScaling implements ScalingApi {
  private readonly activityRetry: ActivityRetry;
  constructor(
    private readonly ess: RpcApi, private readonly ecs: RpcApi, private readonly vpc: RpcApi, private readonly regionId: string,
    activityRetry: Partial<ActivityRetry> = {},
  ) {
    this.activityRetry = { ...defaultActivityRetry, ...activityRetry };
  }

  /**
   * Runs `call` again while ESS answers ScalingActivityInProgress — a group without a desired
   * capacity runs one scaling activity at a time (ExecuteScalingRule / RemoveInstances usage
   * notes); Terraform's alicloud provider retries that code the same way — within the budget.
   */
  private async whileActivityInProgress<T>(call: () => Promise<T>): Promise<T> {
    const { baseDelayMs, maxDelayMs, budgetMs } = this.activityRetry;
    const started = Date.now();
    for (let n = 0; ; n++) {
      try {
        return await call();
      } catch (err) {
        if (!isScalingActivityInProgress(err)) throw err;
        const delay = baseDelayMs / 2 + Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** n) / 2;
        if (Date.now() - started + delay > budgetMs) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Fills `zoneIds` from the groups' vSwitches (ESS does not report zones; template nodes need them). */
  private async withZones(groups: ScalingGroup[]): Promise<ScalingGroup[]> {
    const zoneOf = new Map<string, string>();
    for (const vpcId of new Set(groups.map((g) => g.vpcId).filter(Boolean))) {
      for (const v of await this.allPages(this.vpc, 'DescribeVSwitches', { VpcId: vpcId }, 'VSwitches', 'VSwitch', 50)) zoneOf.set(str(v.VSwitchId), str(v.ZoneId));
    }
    for (const g of groups) g.zoneIds = g.vSwitchIds.map((id) => zoneOf.get(id) ?? '');
    return groups;
  }

  /** PageNumber/PageSize pagination until every item (TotalCount) was read. */
  private async allPages(api: RpcApi, action: string, params: RpcParams, outer: string, inner: string, pageSize: number): Promise<RpcResponse[]> {
    const out: RpcResponse[] = [];
    for (let page = 1; ; page++) {
      const r = await api.call(action, { RegionId: this.regionId, ...params, PageNumber: page, PageSize: pageSize });
      const items = listOf(r, outer, inner);
      out.push(...items);
      if (items.length < pageSize || out.length >= num(r.TotalCount, Infinity)) return out;
    }
  }

  async listScalingGroups(filter: { scalingGroupIds?: string[]; scalingGroupName?: string; tags?: Record<string, string> } = {}): Promise<ScalingGroup[]> {
    const params: RpcParams = { ScalingGroupName: filter.scalingGroupName };
    Object.entries(filter.tags ?? {}).forEach(([k, v], i) => {
      params[`Tag.${i + 1}.Key`] = k;
      if (v) params[`Tag.${i + 1}.Value`] = v;
    });
    const ids = filter.scalingGroupIds ?? [];
    if (ids.length === 0) return this.withZones((await this.allPages(this.ess, 'DescribeScalingGroups', params, 'ScalingGroups', 'ScalingGroup', 50)).map(toGroup));
    const out: ScalingGroup[] = [];
    for (const batch of chunks(ids, 20)) {
      const p: RpcParams = { ...params };
      batch.forEach((id, i) => { p[`ScalingGroupId.${i + 1}`] = id; });
      out.push(...(await this.allPages(this.ess, 'DescribeScalingGroups', p, 'ScalingGroups', 'ScalingGroup', 50)).map(toGroup));
    }
    return this.withZones(out);
  }

  async getScalingGroup(scalingGroupId: string): Promise<ScalingGroup> {
    const [g] = await this.listScalingGroups({ scalingGroupIds: [scalingGroupId] });
    if (!g) throw new CloudError('NotFound', 'InvalidScalingGroupId.NotFound', `scaling group ${scalingGroupId} not found`, 'ess', 'DescribeScalingGroups', 404);
    return g;
  }

  async listScalingConfigurations(scalingGroupId: string): Promise<ScalingConfiguration[]> {
    const items = await this.allPages(this.ess, 'DescribeScalingConfigurations', { ScalingGroupId: scalingGroupId }, 'ScalingConfigurations', 'ScalingConfiguration', 50);
    return items.map((c) => {
      const userData = decodeUserDataText(str(c.UserData));
      const flags = parseKubeletFlags(userData);
      const types = listOf(c, 'InstanceTypes', 'InstanceType').map(String);
      const tags: Record<string, string> = {};
      for (const t of listOf(c, 'Tags', 'Tag')) tags[str(t.Key ?? t.TagKey)] = str(t.Value ?? t.TagValue);
      return {
        scalingConfigurationId: str(c.ScalingConfigurationId), scalingConfigurationName: str(c.ScalingConfigurationName),
        scalingGroupId: str(c.ScalingGroupId), instanceType: str(c.InstanceType) || types[0] || '',
        instanceTypes: types.length ? types : [str(c.InstanceType)], imageId: str(c.ImageId), lifecycleState: str(c.LifecycleState),
        userData, nodeLabels: flags.labels, nodeTaints: flags.taints, tags,
      };
    });
  }

  async listScalingInstances(scalingGroupId: string, filter: { lifecycleState?: string } = {}): Promise<ScalingInstance[]> {
    const items = await this.allPages(this.ess, 'DescribeScalingInstances', { ScalingGroupId: scalingGroupId, LifecycleState: filter.lifecycleState }, 'ScalingInstances', 'ScalingInstance', 50);
    return items.map((i) => ({
      instanceId: str(i.InstanceId), scalingGroupId: str(i.ScalingGroupId), scalingConfigurationId: str(i.ScalingConfigurationId),
      lifecycleState: str(i.LifecycleState), healthStatus: str(i.HealthStatus), creationType: str(i.CreationType),
      creationTime: str(i.CreationTime), zoneId: str(i.ZoneId),
    }));
  }

  async setDesiredCapacity(scalingGroupId: string, desiredCapacity: number): Promise<void> {
    await this.modifyScalingGroup(scalingGroupId, { desiredCapacity });
  }

  async modifyScalingGroup(scalingGroupId: string, change: { minSize?: number; maxSize?: number; desiredCapacity?: number }): Promise<void> {
    for (const [k, v] of Object.entries(change)) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
        throw new CloudError('InvalidParameter', 'InvalidParameter', `${k} must be a non-negative integer, got ${v}`, 'ess', 'ModifyScalingGroup');
      }
    }
    await this.ess.call('ModifyScalingGroup', {
      RegionId: this.regionId, ScalingGroupId: scalingGroupId, MinSize: change.minSize, MaxSize: change.maxSize, DesiredCapacity: change.desiredCapacity,
    }, { idempotent: true });
  }

  async scaleToTotalCapacity(scalingGroupId: string, total: number): Promise<string> {
    if (!Number.isInteger(total) || total < 0) {
      throw new CloudError('InvalidParameter', 'InvalidParameter', `the total capacity must be a non-negative integer, got ${total}`, 'ess', 'CreateScalingRule');
    }
    // upstream (kubernetes/autoscaler cluster-autoscaler/cloudprovider/alicloud
    // alicloud_auto_scaling.go setCapcityInstanceSize, before it moved to ScaleWithAdjustment in
    // 2024): a TotalCapacity simple rule, executed by its ScalingRuleAri, deleted afterwards
    const rule = await this.ess.call('CreateScalingRule', {
      RegionId: this.regionId, ScalingGroupId: scalingGroupId, ScalingRuleType: 'SimpleScalingRule',
      ScalingRuleName: `kubeloop-autoscaler-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      AdjustmentType: 'TotalCapacity', AdjustmentValue: total,
    });
    try {
      const r = await this.whileActivityInProgress(() => this.ess.call('ExecuteScalingRule', { RegionId: this.regionId, ScalingRuleAri: str(rule.ScalingRuleAri) }));
      return str(r.ScalingActivityId);
    } finally {
      await this.ess.call('DeleteScalingRule', { RegionId: this.regionId, ScalingRuleId: str(rule.ScalingRuleId) }, { idempotent: true }).catch(() => undefined);
    }
  }

  async removeInstances(scalingGroupId: string, instanceIds: string[], opts: { decreaseDesiredCapacity?: boolean } = {}): Promise<string[]> {
    const activities: string[] = [];
    for (const batch of chunks(instanceIds, 20)) {
      const p: RpcParams = { RegionId: this.regionId, ScalingGroupId: scalingGroupId, DecreaseDesiredCapacity: opts.decreaseDesiredCapacity ?? true };
      batch.forEach((id, i) => { p[`InstanceId.${i + 1}`] = id; });
      const r = await this.whileActivityInProgress(() => this.ess.call('RemoveInstances', p));
      activities.push(str(r.ScalingActivityId));
    }
    return activities;
  }

  async listScalingActivities(scalingGroupId: string, filter: { scalingActivityIds?: string[]; statusCode?: string } = {}): Promise<ScalingActivity[]> {
    const ids = filter.scalingActivityIds ?? [];
    const batches = ids.length ? chunks(ids, 20) : [[]];
    const out: ScalingActivity[] = [];
    for (const batch of batches) {
      const p: RpcParams = { ScalingGroupId: scalingGroupId, StatusCode: filter.statusCode };
      batch.forEach((id, i) => { p[`ScalingActivityId.${i + 1}`] = id; });
      for (const a of await this.allPages(this.ess, 'DescribeScalingActivities', p, 'ScalingActivities', 'ScalingActivity', 50)) {
        out.push({
          scalingActivityId: str(a.ScalingActivityId), scalingGroupId: str(a.ScalingGroupId), description: str(a.Description), cause: str(a.Cause),
          statusCode: str(a.StatusCode), statusMessage: str(a.StatusMessage), progress: num(a.Progress), startTime: str(a.StartTime), endTime: str(a.EndTime),
          totalCapacity: num(a.TotalCapacity), scalingInstanceNumber: num(a.ScalingInstanceNumber),
          createdInstances: listOf(a, 'CreatedInstances', 'CreatedInstance').map(String), destroyedInstances: listOf(a, 'DestroyedInstances', 'DestroyedInstance').map(String),
        });
      }
    }
    return out;
  }

  async describeInstanceTypes(instanceTypeIds: string[] = []): Promise<InstanceType[]> {
    const out: InstanceType[] = [];
    const batches = instanceTypeIds.length ? chunks(instanceTypeIds, 10) : [[]];
    for (const batch of batches) {
      let token: string | undefined;
      do {
        const p: RpcParams = { MaxResults: 100, NextToken: token };
        batch.forEach((id, i) => { p[`InstanceTypes.${i + 1}`] = id; });
        const r = await this.ecs.call('DescribeInstanceTypes', p);
        for (const t of listOf(r, 'InstanceTypes', 'InstanceType')) {
          out.push({
            instanceTypeId: str(t.InstanceTypeId), instanceTypeFamily: str(t.InstanceTypeFamily), cpuCoreCount: num(t.CpuCoreCount),
            memoryGiB: num(t.MemorySize), gpuAmount: num(t.GPUAmount), gpuSpec: str(t.GPUSpec),
          });
        }
        token = str(r.NextToken) || undefined;
      } while (token);
    }
    return out;
  }

  async describeInstances(filter: { instanceIds?: string[]; vpcId?: string } = {}): Promise<Instance[]> {
    const toInstance = (i: RpcResponse): Instance => {
      const ips = listOf(i.VpcAttributes, 'PrivateIpAddress', 'IpAddress');
      return {
        instanceId: str(i.InstanceId), instanceName: str(i.InstanceName), hostName: str(i.HostName), instanceType: str(i.InstanceType),
        regionId: str(i.RegionId), zoneId: str(i.ZoneId), status: str(i.Status), privateIpAddress: str(ips[0]),
        vpcId: str(i.VpcAttributes?.VpcId), vSwitchId: str(i.VpcAttributes?.VSwitchId), tags: tagMap(i),
      };
    };
    const batches = filter.instanceIds ? chunks(filter.instanceIds, 100) : [undefined];
    const out: Instance[] = [];
    for (const batch of batches) {
      if (batch && batch.length === 0) continue;
      const items = await this.allPages(this.ecs, 'DescribeInstances', { VpcId: filter.vpcId, InstanceIds: batch ? JSON.stringify(batch) : undefined }, 'Instances', 'Instance', 100);
      out.push(...items.map(toInstance));
    }
    return out;
  }
}
