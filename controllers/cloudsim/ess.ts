/**
 * ESS 2014-08-28 (scaling groups, configurations, instances, capacity) and the two ECS
 * 2014-05-26 reads the autoscaler needs (instance types, instances).
 */
import { SimError } from './cloud.js';
import { ACTIVITY_RETENTION_MS, recordScaleIn } from './activities.js';
import {
  DEFAULT_REMOVAL_POLICIES, REMOVAL_POLICIES, SCALING_ACTIVITY_STATUSES,
  newId, type Instance, type RemovalPolicy, type ScalingActivity, type ScalingActivityStatus, type ScalingGroup, type ScalingRule,
} from './state.js';
import {
  boolParam, intParam, jsonListParam, listParam, paged, required, tagParams, tokenPaged,
  type RpcContext, type RpcParams, type RpcService,
} from './rpc.js';

/**
 * ESS's (and ECS's) times: `2020-09-10T09:54Z` (minutes, UTC), as the API references' examples
 * show them (DescribeScalingGroups/Instances/Configurations `CreationTime` "2014-08-14T10:58Z",
 * ECS DescribeInstances "2017-12-10T04:04Z").
 */
const essTime = (iso: string) => { const t = Date.parse(iso); return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 16) + 'Z' : iso; };

function checkRegion(p: RpcParams, ctx: RpcContext): void {
  const r = required(p, 'RegionId');
  if (r !== ctx.cloud.state.regionId) throw new SimError('InvalidRegionId.NotFound', `The specified RegionId ${r} does not exist.`, 404);
}

function group(ctx: RpcContext, id: string): ScalingGroup {
  const g = ctx.cloud.state.scalingGroups.find((x) => x.scalingGroupId === id);
  if (!g) throw new SimError('InvalidScalingGroupId.NotFound', `The specified scaling group ${id} does not exist.`, 404);
  return g;
}

function groupView(g: ScalingGroup, ctx: RpcContext): Record<string, unknown> {
  const members = ctx.cloud.groupInstances(g.scalingGroupId);
  const count = (s: string) => members.filter((i) => i.lifecycleState === s).length;
  return {
    ScalingGroupId: g.scalingGroupId, ScalingGroupName: g.scalingGroupName, RegionId: g.regionId,
    MinSize: g.minSize, MaxSize: g.maxSize,
    // EnableDesiredCapacity: whether the group was created with an expected number of instances
    // (the field of DescribeScalingGroups' ScalingGroup that kubernetes/autoscaler's alicloud
    // provider reads, alibaba-cloud-sdk-go services/ess struct_scaling_group.go; its GetAsgSize
    // uses DesiredCapacity only when it is true). Without the feature the emulator leaves
    // DesiredCapacity out (an SDK reads 0); what ESS sends then is not documented.
    EnableDesiredCapacity: g.desiredCapacity !== undefined, ...(g.desiredCapacity !== undefined ? { DesiredCapacity: g.desiredCapacity } : {}),
    ActiveCapacity: count('InService'), PendingCapacity: count('Pending'), RemovingCapacity: count('Removing'),
    TotalCapacity: members.length, LifecycleState: g.lifecycleState, ActiveScalingConfigurationId: g.activeScalingConfigurationId,
    VpcId: g.vpcId, VSwitchId: g.vSwitchIds[0] ?? '', VSwitchIds: { VSwitchId: g.vSwitchIds },
    CreationTime: essTime(g.creationTime), MultiAZPolicy: 'BALANCE', RemovalPolicies: { RemovalPolicy: [...(g.removalPolicies?.length ? g.removalPolicies : DEFAULT_REMOVAL_POLICIES)] },
    Tags: { Tag: g.tags.map((t) => ({ TagKey: t.key, TagValue: t.value, Key: t.key, Value: t.value })) },
  };
}

function scalingInstanceView(i: Instance): Record<string, unknown> {
  return {
    InstanceId: i.instanceId, ScalingGroupId: i.scalingGroupId, ScalingConfigurationId: i.scalingConfigurationId,
    HealthStatus: 'Healthy', LifecycleState: i.lifecycleState, CreationType: i.creationType, CreationTime: essTime(i.creationTime),
    ZoneId: i.zoneId, LaunchTemplateId: '', WeightedCapacity: 1, Entrusted: false,
  };
}

/**
 * A group created without the expected-number-of-instances feature cannot be given a desired
 * capacity: ESS cannot enable the feature on an existing group
 * (https://www.alibabacloud.com/help/en/auto-scaling/latest/expected-number-of-instances).
 * The error ESS answers ModifyScalingGroup/SetGroupDesiredCapacity with then is not in the API
 * references (nor in any public SDK, Terraform provider or issue we could find); the emulator
 * answers the generic documented 400 `InvalidParameter` (NOT a confirmed ESS code).
 */
function noDesiredCapacity(g: ScalingGroup): SimError {
  return new SimError('InvalidParameter', `The specified parameter "DesiredCapacity" is not valid: scaling group ${g.scalingGroupId} was created without the expected number of instances feature, which cannot be enabled later.`, 400);
}

/**
 * ScalingActivityInProgress, with the message of ExecuteScalingRule's API reference: a group
 * without a desired capacity runs one scaling activity at a time and refuses calls that would
 * start another (ExecuteScalingRule and RemoveInstances usage notes: "The scaling group has no
 * ongoing scaling activities"; ESS 2014-08-28 references, AlibabaCloudDocs/ess
 * cn.zh-CN/API参考/触发任务/ExecuteScalingRule.md and RemoveInstances.md). A group with one runs
 * them in parallel (expected-number-of-instances, "parallel scaling activity": executing
 * scaling rules, manually adding or removing instances).
 */
function checkNoActivity(g: ScalingGroup, ctx: RpcContext): void {
  if (g.desiredCapacity !== undefined) return;
  if (ctx.cloud.state.scalingActivities.some((a) => a.scalingGroupId === g.scalingGroupId && a.statusCode === 'InProgress')) {
    throw new SimError('ScalingActivityInProgress', 'You cannot delete a scaling group or launch a new scaling activity while there is a scaling activity in progress for the specified scaling group.', 400);
  }
}

function setCapacity(g: ScalingGroup, desired: number, ctx: RpcContext): void {
  if (g.desiredCapacity === undefined) throw noDesiredCapacity(g);
  if (desired < g.minSize || desired > g.maxSize) {
    throw new SimError('InvalidParameter.DesiredCapacity', `DesiredCapacity ${desired} must be between MinSize ${g.minSize} and MaxSize ${g.maxSize}.`, 400);
  }
  const from = g.desiredCapacity;
  g.desiredCapacity = desired;
  ctx.cloud.reconcileGroup(g, ctx.now, { kind: 'desired-capacity', from, to: desired });
}

/** ScaleWithAdjustment's AdjustmentType values and the AdjustmentValue range of each (ESS 2014-08-28). */
const ADJUSTMENT_RANGES: Record<string, [number, number]> = {
  QuantityChangeInCapacity: [-1000, 1000],
  PercentChangeInCapacity: [-100, 10000],
  TotalCapacity: [0, 2000],
};

/** AdjustmentType and AdjustmentValue, both required, the value within its type's range (ScaleWithAdjustment, CreateScalingRule). */
function adjustmentOf(p: RpcParams): { type: string; value: number } {
  const type = required(p, 'AdjustmentType');
  const range = ADJUSTMENT_RANGES[type];
  if (!range) throw new SimError('InvalidParameter', `The specified parameter "AdjustmentType" is not valid: ${type}; valid values are ${Object.keys(ADJUSTMENT_RANGES).join(', ')}.`, 400);
  required(p, 'AdjustmentValue');
  const value = intParam(p, 'AdjustmentValue')!;
  if (value < range[0] || value > range[1]) {
    throw new SimError('InvalidParameter', `The specified parameter "AdjustmentValue" ${value} is out of range [${range[0]}, ${range[1]}] for AdjustmentType ${type}.`, 400);
  }
  return { type, value };
}

/**
 * The total capacity ScaleWithAdjustment aims at from `total` members, before the MinSize/MaxSize
 * clamp. For PercentChangeInCapacity ESS does not document its rounding; the emulator drops the
 * fraction (toward zero) and then applies MinAdjustmentMagnitude to the size of the change.
 */
function adjustedTotal(type: string, value: number, total: number, minMagnitude: number | undefined): number {
  switch (type) {
    case 'TotalCapacity':
      return value;
    case 'QuantityChangeInCapacity':
      return total + value;
    default: {
      let change = Math.trunc((total * value) / 100);
      if (value !== 0 && minMagnitude !== undefined && Math.abs(change) < minMagnitude) change = Math.sign(value) * minMagnitude;
      return total + change;
    }
  }
}


/** A scaling activity as DescribeScalingActivities 2014-08-28 returns it (capacities as strings, as ESS sends them). */
function activityView(a: ScalingActivity): Record<string, unknown> {
  return {
    ScalingActivityId: a.scalingActivityId, ScalingGroupId: a.scalingGroupId, Description: a.description, Cause: a.cause,
    StartTime: essTime(a.startTime), ...(a.endTime ? { EndTime: essTime(a.endTime) } : {}), Progress: a.progress,
    StatusCode: a.statusCode, StatusMessage: a.statusMessage, Detail: a.detail,
    TotalCapacity: String(a.totalCapacity), AttachedCapacity: String(a.attachedCapacity), AutoCreatedCapacity: String(a.autoCreatedCapacity),
    ScalingInstanceNumber: a.scalingInstanceNumber, CreatedCapacity: a.createdInstances.length, DestroyedCapacity: a.destroyedInstances.length,
    CreatedInstances: { CreatedInstance: [...a.createdInstances] }, DestroyedInstances: { DestroyedInstance: [...a.destroyedInstances] },
    TriggerSourceType: a.triggerSourceType, TriggerSourceId: a.triggerSourceId,
  };
}

export const essService: RpcService = {
  service: 'ess',
  // ESS answers RAM refusals with 403 Forbidden.Unauthorized (see ram.ts); resources are
  // scaling groups (`acs:ess:{#regionId}:{#accountId}:scalinggroup/{#ScalingGroupId}`)
  ramProduct: 'ess',
  resource: (_action, p) => (p.ScalingGroupId ? `scalinggroup/${p.ScalingGroupId}` : undefined),
  version: '2014-08-28',
  handlers: {
    DescribeScalingGroups(p, ctx) {
      checkRegion(p, ctx);
      const ids = [...listParam(p, 'ScalingGroupId'), ...(jsonListParam(p, 'ScalingGroupIds') ?? [])];
      const names = [...listParam(p, 'ScalingGroupName'), ...(p.ScalingGroupName ? [p.ScalingGroupName] : [])];
      const tags = tagParams(p);
      const groups = ctx.cloud.state.scalingGroups.filter((g) =>
        (ids.length === 0 || ids.includes(g.scalingGroupId)) && (names.length === 0 || names.includes(g.scalingGroupName))
        && tags.every((t) => g.tags.some((x) => x.key === t.key && (!t.value || x.value === t.value))));
      const pg = paged(groups, p, 50);
      return { TotalCount: pg.totalCount, PageNumber: pg.pageNumber, PageSize: pg.pageSize, ScalingGroups: { ScalingGroup: pg.page.map((g) => groupView(g, ctx)) } };
    },

    DescribeScalingConfigurations(p, ctx) {
      checkRegion(p, ctx);
      const ids = listParam(p, 'ScalingConfigurationId');
      if (p.ScalingGroupId) group(ctx, p.ScalingGroupId);
      const cfgs = ctx.cloud.state.scalingConfigurations.filter((c) =>
        (!p.ScalingGroupId || c.scalingGroupId === p.ScalingGroupId) && (ids.length === 0 || ids.includes(c.scalingConfigurationId)));
      const pg = paged(cfgs, p, 50);
      return {
        TotalCount: pg.totalCount, PageNumber: pg.pageNumber, PageSize: pg.pageSize,
        ScalingConfigurations: { ScalingConfiguration: pg.page.map((c) => ({
          ScalingConfigurationId: c.scalingConfigurationId, ScalingConfigurationName: c.scalingConfigurationName,
          ScalingGroupId: c.scalingGroupId, InstanceType: c.instanceType, InstanceTypes: { InstanceType: [c.instanceType] },
          ImageId: c.imageId, UserData: c.userData, LifecycleState: c.lifecycleState, CreationTime: essTime(c.creationTime),
          Tags: { Tag: c.tags.map((t) => ({ Key: t.key, Value: t.value })) },
        })) },
      };
    },

    DescribeScalingInstances(p, ctx) {
      checkRegion(p, ctx);
      if (p.ScalingGroupId) group(ctx, p.ScalingGroupId);
      const ids = listParam(p, 'InstanceId');
      const members = ctx.cloud.state.instances.filter((i) => i.scalingGroupId
        && (!p.ScalingGroupId || i.scalingGroupId === p.ScalingGroupId)
        && (ids.length === 0 || ids.includes(i.instanceId))
        && (!p.LifecycleState || i.lifecycleState === p.LifecycleState)
        && (!p.CreationType || i.creationType === p.CreationType));
      const pg = paged(members, p, 50);
      return {
        TotalCount: pg.totalCount, PageNumber: pg.pageNumber, PageSize: pg.pageSize,
        ScalingInstances: { ScalingInstance: pg.page.map(scalingInstanceView) },
      };
    },

    ModifyScalingGroup(p, ctx) {
      const g = group(ctx, required(p, 'ScalingGroupId'));
      const min = intParam(p, 'MinSize', g.minSize)!;
      const max = intParam(p, 'MaxSize', g.maxSize)!;
      if (min < 0 || max < min || max > 2000) throw new SimError('InvalidParameter', `MinSize ${min} and MaxSize ${max} are not valid.`, 400);
      if (p.DesiredCapacity !== undefined && g.desiredCapacity === undefined) throw noDesiredCapacity(g);
      if (p.ScalingGroupName) g.scalingGroupName = p.ScalingGroupName;
      const policies = listParam(p, 'RemovalPolicy');
      if (policies.length) {
        const bad = policies.find((x) => !REMOVAL_POLICIES.includes(x as RemovalPolicy));
        if (bad || policies.length > 2) throw new SimError('InvalidParameter', `RemovalPolicy ${bad ?? policies.join(',')} is not valid.`, 400);
        g.removalPolicies = policies as RemovalPolicy[];
      }
      if (p.ActiveScalingConfigurationId) {
        if (!ctx.cloud.state.scalingConfigurations.some((c) => c.scalingConfigurationId === p.ActiveScalingConfigurationId && c.scalingGroupId === g.scalingGroupId)) {
          throw new SimError('InvalidScalingConfigurationId.NotFound', 'The specified scaling configuration does not exist.', 404);
        }
        g.activeScalingConfigurationId = p.ActiveScalingConfigurationId;
      }
      g.minSize = min;
      g.maxSize = max;
      // without a desired capacity ESS only keeps the instances within the new MinSize..MaxSize
      if (g.desiredCapacity === undefined) ctx.cloud.reconcileGroup(g, ctx.now);
      else setCapacity(g, intParam(p, 'DesiredCapacity', Math.min(Math.max(g.desiredCapacity, min), max))!, ctx);
      return {};
    },

    /** Newer ESS action for the same thing; kept for callers that use it. */
    SetGroupDesiredCapacity(p, ctx) {
      const g = group(ctx, required(p, 'ScalingGroupId'));
      setCapacity(g, intParam(p, 'DesiredCapacity')!, ctx);
      return {};
    },

    /**
     * Scales a group without a scaling rule: to a total (TotalCapacity, what upstream's alicloud
     * cluster-autoscaler sends, with SyncActivity=true), by a number or by a percentage of its
     * instances; the target is clamped to MinSize..MaxSize rather than refused (the API reference's
     * usage notes). The group must be Active. On a group with a desired capacity the call
     * sets it; a group without one is scaled directly and refuses the call while a scaling
     * activity is in progress (ScalingActivityInProgress, see checkNoActivity). With SyncActivity=false (the default) ESS answers ActivityType "CapacityChange" (only
     * the expected number changed; ESS starts the scaling when it next compares); the emulator's
     * ESS compares at once, so both modes end with the same instances, and the id returned is the
     * activity that the change started (empty when the group already had that many instances).
     * https://www.alibabacloud.com/help/en/auto-scaling/developer-reference/api-ess-2014-08-28-scalewithadjustment
     */
    ScaleWithAdjustment(p, ctx) {
      const g = group(ctx, required(p, 'ScalingGroupId'));
      const { type, value } = adjustmentOf(p);
      const minMagnitude = intParam(p, 'MinAdjustmentMagnitude');
      if (g.lifecycleState !== 'Active') throw new SimError('IncorrectScalingGroupStatus', 'The current status of the specified scaling group does not support this action.', 400);
      checkNoActivity(g, ctx);
      const total = ctx.cloud.stayingInstances(g.scalingGroupId).length;
      const target = Math.min(g.maxSize, Math.max(g.minSize, adjustedTotal(type, value, total, minMagnitude)));
      if (g.desiredCapacity !== undefined) g.desiredCapacity = target;
      const activity = ctx.cloud.reconcileGroup(g, ctx.now, { kind: 'adjustment', adjustmentType: type, value }, target);
      const sync = boolParam(p, 'SyncActivity', false);
      return { ScalingActivityId: activity?.scalingActivityId ?? '', ...(sync ? {} : { ActivityType: 'CapacityChange' }) };
    },

    /**
     * A simple scaling rule (ScalingRuleType SimpleScalingRule, the default; the other types
     * are not emulated and refused). AdjustmentType/AdjustmentValue as ScaleWithAdjustment's;
     * ScalingRuleName unique in its group (InvalidScalingRuleName.Duplicate), default the id;
     * Cooldown 0..86400 s. Answers ScalingRuleId and ScalingRuleAri
     * (`ari:acs:ess:{region}:{account}:scalingrule/{id}`), which ExecuteScalingRule takes.
     * https://www.alibabacloud.com/help/en/auto-scaling/developer-reference/api-ess-2014-08-28-createscalingrule
     * (AlibabaCloudDocs/ess cn.zh-CN/API参考/伸缩规则/CreateScalingRule.md)
     */
    CreateScalingRule(p, ctx) {
      const g = group(ctx, required(p, 'ScalingGroupId'));
      const ruleType = p.ScalingRuleType ?? 'SimpleScalingRule';
      if (ruleType !== 'SimpleScalingRule') throw new SimError('InvalidParameter', `The specified parameter "ScalingRuleType" ${ruleType} is not supported by the emulator; only SimpleScalingRule is.`, 400);
      const { type, value } = adjustmentOf(p);
      const minAdjustmentMagnitude = intParam(p, 'MinAdjustmentMagnitude');
      if (minAdjustmentMagnitude !== undefined && type !== 'PercentChangeInCapacity') {
        throw new SimError('InvalidMinAdjustmentMagnitudeMismatchAdjustmentType', 'MinAdjustmentMagnitude is not supported by the specified adjustment type.', 400);
      }
      const cooldown = intParam(p, 'Cooldown');
      if (cooldown !== undefined && (cooldown < 0 || cooldown > 86400)) throw new SimError('InvalidParameter', `The specified parameter "Cooldown" ${cooldown} is out of range [0, 86400].`, 400);
      const rules = (ctx.cloud.state.scalingRules ??= []);
      const id = newId('asr');
      const name = p.ScalingRuleName || id;
      if (rules.some((r) => r.scalingGroupId === g.scalingGroupId && r.scalingRuleName === name)) {
        throw new SimError('InvalidScalingRuleName.Duplicate', 'The specified value of parameter "ScalingRuleName" is duplicated.', 400);
      }
      const rule: ScalingRule = {
        scalingRuleId: id, scalingRuleAri: `ari:acs:ess:${ctx.cloud.state.regionId}:${ctx.cloud.state.ram.accountId}:scalingrule/${id}`,
        scalingRuleName: name, scalingGroupId: g.scalingGroupId, adjustmentType: type as ScalingRule['adjustmentType'], adjustmentValue: value,
        ...(minAdjustmentMagnitude !== undefined ? { minAdjustmentMagnitude } : {}), ...(cooldown !== undefined ? { cooldown } : {}),
      };
      rules.push(rule);
      ctx.cloud.changed();
      return { ScalingRuleId: rule.scalingRuleId, ScalingRuleAri: rule.scalingRuleAri };
    },

    /**
     * Runs a scaling rule (named by its ScalingRuleAri): the group must be Active
     * (IncorrectScalingGroupStatus) and, without a desired capacity, have no scaling activity in
     * progress (ScalingActivityInProgress); a call that would not change the total capacity is
     * refused (IncorrectCapacity.NoChange); the target is clamped to MinSize..MaxSize. With no
     * activity in progress the call bypasses the cool-down (the emulator has no cool-down).
     * PercentChangeInCapacity rounds half up (CreateScalingRule: 四舍五入).
     * https://www.alibabacloud.com/help/en/auto-scaling/developer-reference/api-ess-2014-08-28-executescalingrule
     * (usage notes and error codes; AlibabaCloudDocs/ess cn.zh-CN/API参考/触发任务/ExecuteScalingRule.md)
     */
    ExecuteScalingRule(p, ctx) {
      const ari = required(p, 'ScalingRuleAri');
      const rule = ctx.cloud.state.scalingRules?.find((r) => r.scalingRuleAri === ari);
      if (!rule) throw new SimError('InvalidScalingRuleAri.NotFound', 'The specified scaling rule Ari does not exist.', 404);
      const g = group(ctx, rule.scalingGroupId);
      if (g.lifecycleState !== 'Active') throw new SimError('IncorrectScalingGroupStatus', 'The current status of the specified scaling group does not support this action.', 400);
      checkNoActivity(g, ctx);
      const total = ctx.cloud.stayingInstances(g.scalingGroupId).length;
      const wanted = rule.adjustmentType === 'PercentChangeInCapacity'
        ? (() => {
          let change = Math.round((total * rule.adjustmentValue) / 100);
          if (rule.adjustmentValue !== 0 && rule.minAdjustmentMagnitude !== undefined && Math.abs(change) < rule.minAdjustmentMagnitude) change = Math.sign(rule.adjustmentValue) * rule.minAdjustmentMagnitude;
          return total + change;
        })()
        : adjustedTotal(rule.adjustmentType, rule.adjustmentValue, total, undefined);
      const target = Math.min(g.maxSize, Math.max(g.minSize, wanted));
      if (target === (g.desiredCapacity ?? total)) throw new SimError('IncorrectCapacity.NoChange', 'To execute the specified scaling rule, the total capacity will not change.', 400);
      if (g.desiredCapacity !== undefined) g.desiredCapacity = target;
      const activity = ctx.cloud.reconcileGroup(g, ctx.now, { kind: 'scaling-rule', scalingRuleId: rule.scalingRuleId }, target);
      return { ScalingActivityId: activity?.scalingActivityId ?? '' };
    },

    /** https://www.alibabacloud.com/help/en/auto-scaling/developer-reference/api-ess-2014-08-28-deletescalingrule */
    DeleteScalingRule(p, ctx) {
      const id = required(p, 'ScalingRuleId');
      const rules = ctx.cloud.state.scalingRules ?? [];
      const n = rules.findIndex((r) => r.scalingRuleId === id);
      if (n < 0) throw new SimError('InvalidScalingRuleId.NotFound', 'The specified scaling rule does not exist.', 404);
      rules.splice(n, 1);
      ctx.cloud.changed();
      return {};
    },

    RemoveInstances(p, ctx) {
      const g = group(ctx, required(p, 'ScalingGroupId'));
      const ids = listParam(p, 'InstanceId');
      if (ids.length === 0) throw new SimError('MissingParameter', 'The input parameter "InstanceId" that is mandatory for processing this request is not supplied.', 400);
      if (ids.length > 20) throw new SimError('InvalidParameter', 'At most 20 instances can be removed in one call.', 400);
      // "Before you call this operation ... The scaling group is in the Active state" (API reference)
      if (g.lifecycleState !== 'Active') throw new SimError('IncorrectScalingGroupStatus', 'The current status of the specified scaling group does not support this action.', 400);
      checkNoActivity(g, ctx);
      const members = ctx.cloud.groupInstances(g.scalingGroupId);
      const victims = ids.map((id) => {
        const i = members.find((m) => m.instanceId === id);
        if (!i) throw new SimError('InvalidInstanceId.NotFound', `The specified instance ${id} is not in the scaling group.`, 404);
        if (i.lifecycleState !== 'InService') throw new SimError('IncorrectInstanceStatus', `The instance ${id} is ${i.lifecycleState}; only InService instances can be removed.`, 400);
        return i;
      });
      const decrease = boolParam(p, 'DecreaseDesiredCapacity', true);
      // instances already on their way out do not count (they are Removing, see cloud.release)
      const staying = ctx.cloud.stayingInstances(g.scalingGroupId).length;
      if (staying - victims.length < g.minSize) {
        throw new SimError('IncorrectCapacity.MinSize', 'To remove the instances, the total capacity will be lesser than the MinSize.', 400);
      }
      for (const v of victims) ctx.cloud.release(v, ctx.now);
      const trigger = { kind: 'remove-instances', instanceIds: victims.map((v) => v.instanceId) } as const;
      const activity = recordScaleIn(ctx.cloud.state, g, victims, trigger, staying, ctx.now);
      // a group without a desired capacity has none to decrease (nor to keep: no replacements)
      if (decrease && g.desiredCapacity !== undefined) g.desiredCapacity = Math.max(g.minSize, g.desiredCapacity - victims.length);
      // without DecreaseDesiredCapacity ESS launches replacements: a scale-out activity of its own
      ctx.cloud.reconcileGroup(g, ctx.now, trigger);
      return { ScalingActivityId: activity.scalingActivityId };
    },

    /**
     * The group's scaling activities of the last 30 days, newest first: all of the region's, or
     * one group's (ScalingGroupId), or those named (ScalingActivityId.N, at most 20), filtered by
     * StatusCode; PageSize at most 50, default 10.
     */
    DescribeScalingActivities(p, ctx) {
      checkRegion(p, ctx);
      if (p.ScalingGroupId) group(ctx, p.ScalingGroupId);
      const ids = listParam(p, 'ScalingActivityId');
      if (ids.length > 20) throw new SimError('InvalidParameter', 'At most 20 ScalingActivityId values can be specified.', 400);
      if (p.StatusCode && !SCALING_ACTIVITY_STATUSES.includes(p.StatusCode as ScalingActivityStatus)) {
        throw new SimError('InvalidParameter', `The specified parameter "StatusCode" ${p.StatusCode} is not valid (${SCALING_ACTIVITY_STATUSES.join(', ')}).`, 400);
      }
      const since = ctx.now - ACTIVITY_RETENTION_MS;
      const list = ctx.cloud.state.scalingActivities
        .map((a, n) => ({ a, n }))
        .filter(({ a }) => (!p.ScalingGroupId || a.scalingGroupId === p.ScalingGroupId)
          && (ids.length === 0 || ids.includes(a.scalingActivityId))
          && (!p.StatusCode || a.statusCode === p.StatusCode)
          && (a.statusCode === 'InProgress' || Date.parse(a.startTime) >= since))
        .sort((x, y) => Date.parse(y.a.startTime) - Date.parse(x.a.startTime) || y.n - x.n)
        .map(({ a }) => a);
      const pg = paged(list, p, 50);
      return {
        TotalCount: pg.totalCount, PageNumber: pg.pageNumber, PageSize: pg.pageSize,
        ScalingActivities: { ScalingActivity: pg.page.map(activityView) },
      };
    },
  },
};

export const ecsService: RpcService = {
  service: 'ecs',
  // DescribeInstances: `acs:ecs:{#regionId}:{#accountId}:instance/*`
  resource: (action) => (action === 'DescribeInstances' ? 'instance/*' : undefined),
  version: '2014-05-26',
  handlers: {
    DescribeInstanceTypes(p, ctx) {
      const ids = listParam(p, 'InstanceTypes');
      const types = ctx.cloud.state.instanceTypes.filter((t) =>
        (ids.length === 0 || ids.includes(t.instanceTypeId)) && (!p.InstanceTypeFamily || t.instanceTypeFamily === p.InstanceTypeFamily));
      const pg = tokenPaged(types, p, 1600, 100, 'MaxResults');
      return {
        NextToken: pg.nextToken,
        InstanceTypes: { InstanceType: pg.page.map((t) => ({
          InstanceTypeId: t.instanceTypeId, InstanceTypeFamily: t.instanceTypeFamily, CpuCoreCount: t.cpuCoreCount,
          MemorySize: t.memorySize, GPUAmount: t.gpuAmount, GPUSpec: t.gpuSpec, EniQuantity: 4, LocalStorageCategory: '',
        })) },
      };
    },

    DescribeInstances(p, ctx) {
      checkRegion(p, ctx);
      const ids = jsonListParam(p, 'InstanceIds');
      if (ids && ids.length > 100) throw new SimError('InvalidParameter', 'InstanceIds accepts at most 100 ids.', 400);
      const tags = tagParams(p);
      const list = ctx.cloud.state.instances.filter((i) =>
        (!ids || ids.includes(i.instanceId)) && (!p.VpcId || i.vpcId === p.VpcId) && (!p.ZoneId || i.zoneId === p.ZoneId)
        && (!p.Status || i.status === p.Status) && (!p.InstanceType || i.instanceType === p.InstanceType)
        && tags.every((t) => i.tags.some((x) => x.key === t.key && (!t.value || x.value === t.value))));
      const view = (i: Instance) => ({
        InstanceId: i.instanceId, InstanceName: i.instanceName, HostName: i.hostName, InstanceType: i.instanceType,
        RegionId: i.regionId, ZoneId: i.zoneId, Status: i.status, CreationTime: essTime(i.creationTime),
        VpcAttributes: { VpcId: i.vpcId, VSwitchId: i.vSwitchId, PrivateIpAddress: { IpAddress: [i.privateIpAddress] } },
        Tags: { Tag: i.tags.map((t) => ({ TagKey: t.key, TagValue: t.value })) },
      });
      if (p.MaxResults !== undefined || p.NextToken) {
        const pg = tokenPaged(list, p, 100, 10, 'MaxResults');
        return { NextToken: pg.nextToken, Instances: { Instance: pg.page.map(view) } };
      }
      const pg = paged(list, p, 100);
      return { TotalCount: pg.totalCount, PageNumber: pg.pageNumber, PageSize: pg.pageSize, Instances: { Instance: pg.page.map(view) } };
    },
  },
};
