/**
 * ESS scaling activities: every capacity change of a scaling group is an activity with an id,
 * a cause, a status and a progress, as DescribeScalingActivities (2014-08-28) reports them
 * (https://www.alibabacloud.com/help/en/auto-scaling/developer-reference/api-ess-2014-08-28-describescalingactivities,
 * the process and statuses: https://www.alibabacloud.com/help/en/auto-scaling/user-guide/overview):
 *
 * - a scale-out is `InProgress` while its instances are Pending and `Successful` once all are
 *   InService (`Add "N" ECS instance(s)`, status message `"N" ECS instances are added`);
 * - a scale-in (desired capacity lowered, RemoveInstances) is `InProgress` while its instances
 *   are `Removing` (RemoveInstances: "A successful call only indicates that Auto Scaling has
 *   accepted the request ... the scaling activity may still fail") and `Successful` once they
 *   left the group; one for an instance the health check found gone is done when recorded;
 * - `Warning` (partly successful) and `Failed`: some or all of a scale-out's instances did not
 *   become nodes. On ACK the node join runs inside the scale-out (a lifecycle hook through OOS,
 *   https://www.alibabacloud.com/help/en/container-service-for-kubernetes/latest/scale-up-and-down-node-pools),
 *   so a group whose node bootstrap fails (`bootstrapFails`) ends its scale-outs `Failed`. ESS
 *   would roll such instances back; the emulator keeps them (InService, never a node), which is
 *   what an autoscaler's --max-node-provision-time must clean up.
 *
 * A group with a desired capacity ("expected number of instances") runs scaling activities in
 * parallel instead of rejecting one while another is in progress
 * (https://www.alibabacloud.com/help/en/auto-scaling/user-guide/expected-number-of-instances).
 * A group without one refuses the calls that would start a second activity (ExecuteScalingRule,
 * ScaleWithAdjustment, RemoveInstances) with ScalingActivityInProgress (their API references'
 * usage notes and error codes, ess.ts); the emulator answers the caller and records no
 * `Rejected` activity.
 *
 * Causes follow the documented shape — who asked for what, then `changing the Total Capacity
 * from "1" to "2".` (the reference's example: `A user requests to execute scaling rule "asr-…",
 * changing the Total Capacity from "1" to "2".`); the exact text ESS writes for desired-capacity
 * changes, ScaleWithAdjustment, RemoveInstances and health checks is not documented, so those are written in that shape.
 * ESS keeps 30 days of activities; the emulator also keeps at most {@link MAX_ACTIVITIES_PER_GROUP}
 * per group.
 */
import { SCALING_ACTIVITY_STATUSES, isoNow, newId, type CloudState, type Instance, type ScalingActivity, type ScalingActivityStatus, type ScalingGroup } from './state.js';

/** ESS answers for the last 30 days. */
export const ACTIVITY_RETENTION_MS = 30 * 24 * 3600 * 1000;
/** The emulator's bound, so a long-running `kubeloop dev` does not grow its state without end. */
export const MAX_ACTIVITIES_PER_GROUP = 100;

/** Why a group's capacity changes: what the activity's Cause and TriggerSourceType say. */
export type ActivityTrigger =
  /** a caller set the desired capacity (ModifyScalingGroup, SetGroupDesiredCapacity) */
  | { kind: 'desired-capacity'; from: number; to: number }
  /** ScaleWithAdjustment (what upstream's alicloud cluster-autoscaler calls, as TotalCapacity) */
  | { kind: 'adjustment'; adjustmentType: string; value: number }
  /** ExecuteScalingRule (what upstream's alicloud cluster-autoscaler called before ScaleWithAdjustment) */
  | { kind: 'scaling-rule'; scalingRuleId: string }
  /** RemoveInstances */
  | { kind: 'remove-instances'; instanceIds: string[] }
  /** an instance died (released behind ESS's back); ESS's health check removes it and replaces it */
  | { kind: 'health-check'; instanceId: string }
  /** ESS's own check of the group's instances against its desired capacity (startup, edited state) */
  | { kind: 'expected-capacity' };

const quoted = (ids: string[]) => `"${ids.join(', ')}"`;

function causeOf(trigger: ActivityTrigger, group: ScalingGroup, direction: 'out' | 'in', fromTotal: number, toTotal: number): string {
  const change = `changing the Total Capacity from "${fromTotal}" to "${toTotal}".`;
  switch (trigger.kind) {
    case 'desired-capacity':
      return `A user requests to change the Desired Capacity of scaling group "${group.scalingGroupId}" from "${trigger.from}" to "${trigger.to}", ${change}`;
    case 'scaling-rule':
      // the API reference's own example (DescribeScalingActivities Cause)
      return `A user requests to execute scaling rule "${trigger.scalingRuleId}", ${change}`;
    case 'adjustment':
      return `A user requests to scale scaling group "${group.scalingGroupId}" with adjustment "${trigger.adjustmentType}" of "${trigger.value}", ${change}`;
    case 'remove-instances':
      return direction === 'in'
        ? `A user requests to remove ECS instances ${quoted(trigger.instanceIds)} from scaling group "${group.scalingGroupId}", ${change}`
        : `The scaling group "${group.scalingGroupId}" keeps its Desired Capacity of "${group.desiredCapacity}" after ECS instances ${quoted(trigger.instanceIds)} were removed, ${change}`;
    case 'health-check':
      return direction === 'in'
        ? `The health check of scaling group "${group.scalingGroupId}" finds ECS instance "${trigger.instanceId}" unhealthy and removes it, ${change}`
        : `The health check of scaling group "${group.scalingGroupId}" replaces unhealthy ECS instance "${trigger.instanceId}", ${change}`;
    case 'expected-capacity':
      if (group.desiredCapacity === undefined) return `The scaling group "${group.scalingGroupId}" has "${fromTotal}" instance(s), outside its MinSize "${group.minSize}" and MaxSize "${group.maxSize}", ${change}`;
      return `The scaling group "${group.scalingGroupId}" has "${fromTotal}" instance(s) and a Desired Capacity of "${group.desiredCapacity}", ${change}`;
  }
}

function capacities(state: CloudState, groupId: string): Pick<ScalingActivity, 'totalCapacity' | 'attachedCapacity' | 'autoCreatedCapacity'> {
  const members = state.instances.filter((i) => i.scalingGroupId === groupId);
  const attached = members.filter((i) => i.creationType === 'Attached').length;
  return { totalCapacity: members.length, attachedCapacity: attached, autoCreatedCapacity: members.length - attached };
}

function record(state: CloudState, activity: ScalingActivity, now: number): ScalingActivity {
  state.scalingActivities.push(activity);
  pruneActivities(state, now);
  return activity;
}

/**
 * Records the scale-out that launched `created` (already in the group) from `fromTotal`
 * members: InProgress until they are InService (see {@link settleActivities}).
 */
export function recordScaleOut(state: CloudState, group: ScalingGroup, created: Instance[], trigger: ActivityTrigger, fromTotal: number, now: number): ScalingActivity {
  const caps = capacities(state, group.scalingGroupId);
  const ids = created.map((i) => i.instanceId);
  const api = trigger.kind === 'desired-capacity' || trigger.kind === 'adjustment' || trigger.kind === 'scaling-rule';
  const activity = record(state, {
    scalingActivityId: newId('asa'), scalingGroupId: group.scalingGroupId,
    description: `Add "${ids.length}" ECS instance(s)`, cause: causeOf(trigger, group, 'out', fromTotal, caps.totalCapacity),
    startTime: isoNow(now), progress: 0, statusCode: 'InProgress', statusMessage: `Adding "${ids.length}" ECS instance(s)`,
    detail: `new ECS instances ${quoted(ids)} are created.`, ...caps, scalingInstanceNumber: ids.length,
    createdInstances: ids, destroyedInstances: [],
    triggerSourceType: api ? 'Api' : 'Ess', triggerSourceId: api ? state.ram.accountId : '',
  }, now);
  settleActivities(state, now);
  return activity;
}

/** The members of `groupId` that are not `Removing`: those a scale-in's Total Capacity ends at. */
const stayingCount = (state: CloudState, groupId: string) => state.instances.filter((i) => i.scalingGroupId === groupId && i.lifecycleState !== 'Removing').length;

/**
 * Records a scale-in of `removed` (Removing, or already gone) from `fromTotal` members:
 * InProgress until they all left the group (see {@link settleActivities}).
 */
export function recordScaleIn(state: CloudState, group: ScalingGroup, removed: Instance[], trigger: ActivityTrigger, fromTotal: number, now: number): ScalingActivity {
  const caps = capacities(state, group.scalingGroupId);
  const ids = removed.map((i) => i.instanceId);
  const api = trigger.kind === 'desired-capacity' || trigger.kind === 'adjustment' || trigger.kind === 'scaling-rule' || trigger.kind === 'remove-instances';
  const activity = record(state, {
    scalingActivityId: newId('asa'), scalingGroupId: group.scalingGroupId,
    description: `Remove "${ids.length}" ECS instance(s)`, cause: causeOf(trigger, group, 'in', fromTotal, stayingCount(state, group.scalingGroupId)),
    startTime: isoNow(now), progress: 0, statusCode: 'InProgress', statusMessage: `Removing "${ids.length}" ECS instance(s)`,
    detail: `ECS instances ${quoted(ids)} are removed.`, ...caps, scalingInstanceNumber: ids.length,
    createdInstances: [], destroyedInstances: ids,
    triggerSourceType: api ? 'Api' : 'Ess', triggerSourceId: api ? state.ram.accountId : '',
  }, now);
  settleActivities(state, now);
  return activity;
}

/** Whether the instance `id` still is a member of `groupId` (Removing, for a scale-in). */
const stillIn = (state: CloudState, groupId: string, id: string) => state.instances.some((i) => i.instanceId === id && i.scalingGroupId === groupId);

/**
 * Advances the scale-outs in progress: the share of their instances that finished (InService,
 * or gone before booting) is the progress; when all finished the activity ends Successful,
 * Warning or Failed. Returns whether anything changed.
 */
export function settleActivities(state: CloudState, now: number): boolean {
  let changed = false;
  for (const a of state.scalingActivities) {
    if (a.statusCode !== 'InProgress') continue;
    if (a.createdInstances.length === 0) {
      // a scale-in: done when every destroyed instance left the group
      if (a.destroyedInstances.length === 0) continue;
      const left = a.destroyedInstances.filter((id) => !stillIn(state, a.scalingGroupId, id)).length;
      if (left < a.destroyedInstances.length) {
        const progress = Math.floor((left / a.destroyedInstances.length) * 100);
        if (progress !== a.progress) { a.progress = progress; changed = true; }
        continue;
      }
      a.statusCode = 'Successful';
      a.statusMessage = `"${left}" ECS instances are removed`;
      a.progress = 100;
      a.endTime = isoNow(now);
      Object.assign(a, capacities(state, a.scalingGroupId));
      changed = true;
      continue;
    }
    const insts = a.createdInstances.map((id) => state.instances.find((i) => i.instanceId === id && i.scalingGroupId === a.scalingGroupId));
    const done = insts.filter((i) => !i || i.lifecycleState === 'InService').length;
    const total = insts.length;
    if (done < total) {
      const progress = Math.floor((done / total) * 100);
      if (progress !== a.progress) { a.progress = progress; changed = true; }
      continue;
    }
    const group = state.scalingGroups.find((g) => g.scalingGroupId === a.scalingGroupId);
    const added = insts.filter((i): i is Instance => i !== undefined);
    const gone = a.createdInstances.filter((_, n) => !insts[n]);
    const joined = group?.bootstrapFails ? [] : added;
    const notJoined = added.filter((i) => !joined.includes(i)).map((i) => i.instanceId);
    a.statusCode = joined.length === total ? 'Successful' : joined.length === 0 ? 'Failed' : 'Warning';
    const reasons = [
      ...(notJoined.length ? [`the node bootstrap (user data) failed on ECS instances ${quoted(notJoined)}`] : []),
      ...(gone.length ? [`ECS instances ${quoted(gone)} were removed before they were in service`] : []),
    ];
    a.statusMessage = `"${joined.length}" ECS instances are added${reasons.length ? `; ${reasons.join('; ')}` : ''}`;
    a.progress = 100;
    a.endTime = isoNow(now);
    Object.assign(a, capacities(state, a.scalingGroupId));
    changed = true;
  }
  return changed;
}

/** Drops activities older than 30 days and all but the newest {@link MAX_ACTIVITIES_PER_GROUP} of each group. */
export function pruneActivities(state: CloudState, now: number): void {
  const cutoff = now - ACTIVITY_RETENTION_MS;
  const kept: ScalingActivity[] = [];
  const perGroup = new Map<string, number>();
  for (let n = state.scalingActivities.length - 1; n >= 0; n--) {
    const a = state.scalingActivities[n];
    const count = perGroup.get(a.scalingGroupId) ?? 0;
    // an activity in progress stays until it ends, whatever its age
    if (a.statusCode !== 'InProgress' && (Date.parse(a.startTime) < cutoff || count >= MAX_ACTIVITIES_PER_GROUP)) continue;
    perGroup.set(a.scalingGroupId, count + 1);
    kept.push(a);
  }
  if (kept.length !== state.scalingActivities.length) state.scalingActivities = kept.reverse();
}

/** What makes a `scalingActivities` list unusable (the handlers read its fields unchecked). */
export function activityProblems(list: unknown): string[] {
  if (!Array.isArray(list)) return ['"scalingActivities" must be a list of objects'];
  const out: string[] = [];
  const strings = ['scalingActivityId', 'scalingGroupId', 'description', 'cause', 'startTime', 'statusCode', 'statusMessage', 'detail', 'triggerSourceType', 'triggerSourceId'] as const;
  const numbers = ['progress', 'totalCapacity', 'attachedCapacity', 'autoCreatedCapacity', 'scalingInstanceNumber'] as const;
  list.forEach((a, n) => {
    const at = `/scalingActivities/${n}`;
    if (!a || typeof a !== 'object' || Array.isArray(a)) return void out.push(`${at} must be an object`);
    const o = a as Record<string, unknown>;
    for (const k of strings) if (typeof o[k] !== 'string') out.push(`${at}/${k} must be a string`);
    for (const k of numbers) if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) out.push(`${at}/${k} must be a number`);
    for (const k of ['createdInstances', 'destroyedInstances']) if (!Array.isArray(o[k]) || (o[k] as unknown[]).some((x) => typeof x !== 'string')) out.push(`${at}/${k} must be a list of strings`);
    if (typeof o.statusCode === 'string' && !SCALING_ACTIVITY_STATUSES.includes(o.statusCode as ScalingActivityStatus)) out.push(`${at}/statusCode must be one of ${SCALING_ACTIVITY_STATUSES.join(', ')}`);
    if (o.endTime !== undefined && typeof o.endTime !== 'string') out.push(`${at}/endTime must be a string`);
    if (typeof o.startTime === 'string' && Number.isNaN(Date.parse(o.startTime))) out.push(`${at}/startTime must be a time`);
  });
  return out.slice(0, 10);
}
