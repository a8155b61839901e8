// ESS scaling activities in the emulator, observed through the adapter the controllers use
// (controllers/cloud's AlibabaScaling over the official RPC client): every capacity change is
// an activity — scale-out InProgress while its instances are Pending, then Successful (or
// Failed/Warning when they never become nodes), scale-in by desired capacity, RemoveInstances
// with its real activity id, the health check's removal and replacement — served by
// DescribeScalingActivities (RAM-checked) and kept in /_sim/state and the --state file.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from 'kubeloop/testing';
import { startCloudSim, type CloudSim } from './index.js';
import { Cloud } from './cloud.js';
import { MAX_ACTIVITIES_PER_GROUP, ACTIVITY_RETENTION_MS } from './activities.js';
import { defaultCloud } from './state.js';
import { defaultRetryPolicy, staticCredentials, type AlibabaCloud, type ScalingActivity } from '../cloud/index.js';
import { RpcApi } from '../cloud/rpc-client.js';
import { bootInstances, cloudFailure as failure, emulatorCloud, finishRemovals, simCall } from '../cloud/emulator-testkit.js';

const fastRetry = { maxAttempts: 1, baseDelayMs: 2, maxDelayMs: 10, budgetMs: 5_000, timeoutMs: 5_000 };

const cloudFor = (sim: CloudSim): AlibabaCloud => emulatorCloud(sim, fastRetry);

const boot = bootInstances;

const ESS_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/;

describe('emulator: ESS scaling activities', () => {
  let sim: CloudSim;
  let cloud: AlibabaCloud;
  let groupId: string;
  before(async () => {
    // min 0: no activity at startup; instances never boot unless a test lets them (deterministic InProgress)
    // removals last an hour unless a test lets them finish (finishRemovals): InProgress never races the clock
    sim = await startCloudSim({ cloud: { groupMinSize: 0, groupMaxSize: 10 }, timings: { removeDelayMs: 3_600_000 }, customize: (s) => { s.scalingGroups[0].bootDelayMs = -1; } });
    cloud = cloudFor(sim);
    groupId = sim.state.scalingGroups[0].scalingGroupId;
  });
  after(() => sim.stop());

  const newest = async (): Promise<ScalingActivity> => (await cloud.scaling.listScalingActivities(groupId))[0];
  const members = () => sim.state.instances.filter((i) => i.scalingGroupId === groupId).map((i) => i.instanceId);

  test('a scale-out by desired capacity is InProgress while its instances are Pending, then Successful', async () => {
    await cloud.scaling.setDesiredCapacity(groupId, 2);
    const a = await newest();
    assert.equal(a.description, 'Add "2" ECS instance(s)');
    assert.equal(a.statusCode, 'InProgress');
    assert.equal(a.progress, 0);
    assert.equal(a.endTime, '');
    assert.match(a.startTime, ESS_TIME);
    assert.match(a.cause, /^A user requests to change the Desired Capacity of scaling group "asg-[a-z0-9]+" from "0" to "2", changing the Total Capacity from "0" to "2"\.$/);
    assert.deepEqual([...a.createdInstances].sort(), members().sort());
    assert.equal(a.scalingInstanceNumber, 2);
    assert.equal(a.totalCapacity, 2);

    await boot(sim, [a.createdInstances[0]]);
    const half = (await cloud.scaling.listScalingActivities(groupId, { scalingActivityIds: [a.scalingActivityId] }))[0];
    assert.deepEqual([half.statusCode, half.progress], ['InProgress', 50]);
    await boot(sim, [a.createdInstances[1]]);
    const done = (await cloud.scaling.listScalingActivities(groupId, { scalingActivityIds: [a.scalingActivityId] }))[0];
    assert.deepEqual([done.statusCode, done.progress, done.statusMessage], ['Successful', 100, '"2" ECS instances are added']);
    assert.match(done.endTime, ESS_TIME);
  });

  test('a scale-in by desired capacity is InProgress while its instance is Removing, then a Successful removal naming it', async () => {
    const before = members();
    await cloud.scaling.setDesiredCapacity(groupId, 1);
    const a = await newest();
    // ESS accepts the request and removes asynchronously: the instance is Removing meanwhile
    assert.deepEqual([a.description, a.statusCode, a.progress, a.endTime], ['Remove "1" ECS instance(s)', 'InProgress', 0, '']);
    assert.equal(a.destroyedInstances.length, 1);
    const [removing] = await cloud.scaling.listScalingInstances(groupId, { lifecycleState: 'Removing' });
    assert.equal(removing?.instanceId, a.destroyedInstances[0]);
    assert.match(a.cause, /from "2" to "1", changing the Total Capacity from "2" to "1"\.$/);
    await finishRemovals(sim, a.destroyedInstances);
    const done = await eventually('the removal ends Successful', async () => {
      const x = (await cloud.scaling.listScalingActivities(groupId, { scalingActivityIds: [a.scalingActivityId] }))[0];
      assert.equal(x.statusCode, 'Successful');
      return x;
    });
    assert.deepEqual([done.progress, done.statusMessage], [100, '"1" ECS instances are removed']);
    assert.match(done.endTime, ESS_TIME);
    assert.ok(before.includes(a.destroyedInstances[0]) && !members().includes(a.destroyedInstances[0]));
    assert.equal(done.totalCapacity, 1);
  });

  test('RemoveInstances returns the id of its activity; without decreasing, the replacement is an activity of its own', async () => {
    await cloud.scaling.setDesiredCapacity(groupId, 2);
    await boot(sim, members());
    const [victim] = members();
    const [activityId] = await cloud.scaling.removeInstances(groupId, [victim], { decreaseDesiredCapacity: false });
    assert.match(activityId, /^asa-[a-z0-9]{20}$/);
    // a Removing instance is not InService: naming it again is refused, as ESS refuses it
    const again = await failure(cloud.scaling.removeInstances(groupId, [victim], { decreaseDesiredCapacity: false }));
    assert.equal(again.code, 'IncorrectInstanceStatus');
    await finishRemovals(sim, [victim]);
    const removal = await eventually('the removal ends Successful', async () => {
      const [x] = await cloud.scaling.listScalingActivities(groupId, { scalingActivityIds: [activityId] });
      assert.equal(x.statusCode, 'Successful');
      return x;
    });
    assert.deepEqual([removal.description, removal.destroyedInstances], ['Remove "1" ECS instance(s)', [victim]]);
    assert.match(removal.cause, new RegExp(`^A user requests to remove ECS instances "${victim}" from scaling group`));
    const replacement = await newest();
    assert.notEqual(replacement.scalingActivityId, activityId);
    assert.deepEqual([replacement.description, replacement.statusCode], ['Add "1" ECS instance(s)', 'InProgress']);
    assert.match(replacement.cause, new RegExp(`keeps its Desired Capacity of "2" after ECS instances "${victim}" were removed`));
    await boot(sim, replacement.createdInstances);
  });

  test('an instance that dies is removed and replaced by the health check: two activities from ESS itself', async () => {
    const [victim] = members();
    assert.equal((await simCall(sim, 'DELETE', `/_sim/instances/${victim}`)).status, 200);
    const [add, remove] = await cloud.scaling.listScalingActivities(groupId);
    assert.deepEqual([remove.description, remove.destroyedInstances, remove.statusCode], ['Remove "1" ECS instance(s)', [victim], 'Successful']);
    assert.match(remove.cause, new RegExp(`health check .* finds ECS instance "${victim}" unhealthy`));
    assert.equal(add.description, 'Add "1" ECS instance(s)');
    assert.match(add.cause, new RegExp(`health check .* replaces unhealthy ECS instance "${victim}"`));
    const wire = (await simCall(sim, 'GET', '/_sim/state')).json.scalingActivities as Array<{ scalingActivityId: string; triggerSourceType: string }>;
    assert.deepEqual(wire.filter((x) => [add.scalingActivityId, remove.scalingActivityId].includes(x.scalingActivityId)).map((x) => x.triggerSourceType), ['Ess', 'Ess']);
    await boot(sim, add.createdInstances);
  });

  test('a group whose node bootstrap fails ends its scale-out Failed; one whose instance went before booting, Warning', async () => {
    const patch = await simCall(sim, 'PATCH', '/_sim/state', [{ op: 'add', path: '/scalingGroups/0/bootstrapFails', value: true }]);
    assert.equal(patch.status, 200);
    await cloud.scaling.setDesiredCapacity(groupId, 3);
    const failed = await newest();
    await boot(sim, failed.createdInstances);
    const [after] = await cloud.scaling.listScalingActivities(groupId, { scalingActivityIds: [failed.scalingActivityId] });
    assert.equal(after.statusCode, 'Failed');
    assert.match(after.statusMessage, /^"0" ECS instances are added; the node bootstrap \(user data\) failed on ECS instances "i-/);
    assert.deepEqual(await cloud.scaling.listScalingActivities(groupId, { statusCode: 'Failed' }).then((l) => l.map((x) => x.scalingActivityId)), [failed.scalingActivityId]);

    await simCall(sim, 'PATCH', '/_sim/state', [{ op: 'remove', path: '/scalingGroups/0/bootstrapFails' }]);
    await cloud.scaling.setDesiredCapacity(groupId, 5);
    const partly = await newest();
    assert.equal(partly.createdInstances.length, 2);
    const [gone, kept] = partly.createdInstances;
    assert.equal((await simCall(sim, 'DELETE', `/_sim/instances/${gone}`)).status, 200);
    await boot(sim, [kept]);
    const [w] = await cloud.scaling.listScalingActivities(groupId, { scalingActivityIds: [partly.scalingActivityId] });
    assert.equal(w.statusCode, 'Warning');
    assert.equal(w.statusMessage, `"1" ECS instances are added; ECS instances "${gone}" were removed before they were in service`);
    await boot(sim, members());
  });

  test('ESS and ECS times are minutes in UTC, as the API references show them (2014-08-14T10:58Z)', async () => {
    const [inst] = await cloud.scaling.listScalingInstances(groupId);
    assert.match(inst.creationTime, ESS_TIME);
    const [ecs] = await cloud.scaling.describeInstances({ instanceIds: [inst.instanceId] });
    assert.ok(ecs, 'the member is an ECS instance');
    const raw = await new RpcApi('ess', sim.url, '2014-08-28', staticCredentials({ accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret }), { ...defaultRetryPolicy, ...fastRetry })
      .call('DescribeScalingGroups', { RegionId: sim.regionId, 'ScalingGroupId.1': groupId });
    const g = (raw.ScalingGroups as { ScalingGroup: Array<{ CreationTime: string }> }).ScalingGroup[0];
    assert.match(g.CreationTime, ESS_TIME);
  });

  test('DescribeScalingActivities pages, filters and refuses bad input like ESS', async () => {
    const all = await cloud.scaling.listScalingActivities(groupId);
    assert.ok(all.length >= 8);
    // newest first
    const times = all.map((a) => a.startTime);
    assert.deepEqual(times, [...times].sort().reverse());
    assert.equal((await failure(cloud.scaling.listScalingActivities('asg-nosuchgroup'))).code, 'InvalidScalingGroupId.NotFound');
    assert.equal((await failure(cloud.scaling.listScalingActivities(groupId, { statusCode: 'Done' }))).code, 'InvalidParameter');
    // the adapter asks in batches of 20, so go around it for the wire's limits
    const ess = new RpcApi('ess', sim.url, '2014-08-28', staticCredentials({ accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret }), { ...defaultRetryPolicy, ...fastRetry });
    const ids: Record<string, string> = {};
    for (let i = 1; i <= 21; i++) ids[`ScalingActivityId.${i}`] = `asa-${i}`;
    assert.equal((await failure(ess.call('DescribeScalingActivities', { RegionId: sim.regionId, ...ids }))).code, 'InvalidParameter');
    assert.equal((await failure(ess.call('DescribeScalingActivities', { RegionId: sim.regionId, PageSize: 51 }))).code, 'InvalidParameter');
    const page = await ess.call('DescribeScalingActivities', { RegionId: sim.regionId, ScalingGroupId: groupId, PageSize: 2, PageNumber: 2 });
    assert.equal(page.TotalCount, all.length);
    const onPage = (page.ScalingActivities as { ScalingActivity: Array<Record<string, unknown>> }).ScalingActivity;
    assert.deepEqual(onPage.map((a) => a.ScalingActivityId), all.slice(2, 4).map((a) => a.scalingActivityId));
    // capacities are strings on the wire, as ESS sends them
    assert.equal(typeof onPage[0].TotalCapacity, 'string');
  });

  test('RAM: DescribeScalingActivities is checked like every ESS action', async () => {
    const put = await simCall(sim, 'PUT', '/_sim/ram/users/kubeloop/policies/no-activities', {
      Version: '1', Statement: [{ Effect: 'Allow', Action: ['*'], Resource: '*' }, { Effect: 'Deny', Action: ['ess:DescribeScalingActivities'], Resource: '*' }],
    });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    try {
      const err = await failure(cloud.scaling.listScalingActivities(groupId));
      assert.equal(err.code, 'Forbidden.Unauthorized');
      await cloud.scaling.listScalingInstances(groupId);
    } finally {
      await simCall(sim, 'DELETE', '/_sim/ram/policies/no-activities');
    }
    assert.ok((await cloud.scaling.listScalingActivities(groupId)).length > 0);
  });

  test('/_sim/state refuses activities of the wrong shape', async () => {
    const bad = await simCall(sim, 'PATCH', '/_sim/state', [{ op: 'replace', path: '/scalingActivities/0/progress', value: 'half' }]);
    assert.equal(bad.status, 422);
    assert.match(bad.json.Message ?? bad.json.message ?? JSON.stringify(bad.json), /scalingActivities\/0\/progress must be a number/);
    const status = await simCall(sim, 'PATCH', '/_sim/state', [{ op: 'replace', path: '/scalingActivities/0/statusCode', value: 'Done' }]);
    assert.equal(status.status, 422);
    const list = await simCall(sim, 'PATCH', '/_sim/state', [{ op: 'replace', path: '/scalingActivities', value: {} }]);
    assert.equal(list.status, 422);
    // a document from before scaling activities is whole: it has none
    const { scalingActivities, ...older } = (await simCall(sim, 'GET', '/_sim/state')).json;
    assert.ok(scalingActivities.length > 0);
    const put = await simCall(sim, 'PUT', '/_sim/state', older);
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.deepEqual(await cloud.scaling.listScalingActivities(groupId), []);
  });
});

describe('emulator: scaling activities are kept in the --state file and bounded', () => {
  test('a restart with kept state still answers for the activities; an older file without them loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'essact-'));
    try {
      const file = join(dir, 'state.json');
      const first = await startCloudSim({ stateFile: file, persistDebounceMs: 5, timings: { bootDelayMs: 1 } });
      const groupId = first.state.scalingGroups[0].scalingGroupId;
      let ids: string[];
      try {
        await cloudFor(first).scaling.setDesiredCapacity(groupId, 2);
        ids = first.state.scalingActivities.map((a) => a.scalingActivityId);
        assert.equal(ids.length, 2); // startup's scale-out to the minimum, then ours
        await eventually('both scale-outs end', () => first.state.scalingActivities.every((a) => a.statusCode === 'Successful'));
      } finally {
        await first.stop();
      }

      const second = await startCloudSim({ stateFile: file });
      try {
        const listed = await cloudFor(second).scaling.listScalingActivities(groupId);
        assert.deepEqual(listed.map((a) => a.scalingActivityId), [...ids].reverse());
        assert.ok(listed.every((a) => a.statusCode === 'Successful'));
      } finally {
        await second.stop();
      }

      const old = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      delete old.scalingActivities;
      writeFileSync(file, JSON.stringify(old));
      const third = await startCloudSim({ stateFile: file });
      try {
        assert.deepEqual(await cloudFor(third).scaling.listScalingActivities(groupId), []);
      } finally {
        await third.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('activities older than 30 days go, and each group keeps a bounded number', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const cloud = new Cloud(defaultCloud({ groupMinSize: 0, groupMaxSize: 2 }), { bootDelayMs: 0, routeSettleMs: 0, registryTokenLifetimeMs: 1, registryBearerLifetimeMs: 1 });
    cloud.stop();
    const g = cloud.state.scalingGroups[0];
    g.desiredCapacity = 1;
    cloud.reconcileGroup(g, t0);
    cloud.tick(t0 + 1);
    cloud.stop();
    const firstId = cloud.state.scalingActivities[0].scalingActivityId;
    g.desiredCapacity = 0;
    cloud.reconcileGroup(g, t0 + ACTIVITY_RETENTION_MS + 60_000);
    assert.ok(!cloud.state.scalingActivities.some((a) => a.scalingActivityId === firstId), 'the 31-day-old activity is gone');
    for (let n = 0; n < MAX_ACTIVITIES_PER_GROUP + 20; n++) {
      g.desiredCapacity = n % 2 ? 0 : 1;
      cloud.reconcileGroup(g, t0 + ACTIVITY_RETENTION_MS + 120_000 + n * 1000);
      cloud.tick(t0 + ACTIVITY_RETENTION_MS + 120_000 + n * 1000 + 1);
      cloud.stop();
    }
    assert.equal(cloud.state.scalingActivities.length, MAX_ACTIVITIES_PER_GROUP);
  });
});

describe('emulator: ESS ScaleWithAdjustment (what upstream alicloud cluster-autoscaler calls)', () => {
  let sim: CloudSim;
  let ess: RpcApi;
  let groupId: string;
  before(async () => {
    sim = await startCloudSim({ cloud: { groupMinSize: 1, groupMaxSize: 6 }, customize: (s) => { s.scalingGroups[0].bootDelayMs = -1; } });
    ess = new RpcApi('ess', sim.url, '2014-08-28', staticCredentials({ accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret }), { ...defaultRetryPolicy, ...fastRetry });
    groupId = sim.state.scalingGroups[0].scalingGroupId;
  });
  after(() => sim.stop());
  // the members that stay (those being removed leave asynchronously)
  const members = () => sim.state.instances.filter((i) => i.scalingGroupId === groupId && i.lifecycleState !== 'Removing').length;
  const desired = () => sim.state.scalingGroups[0].desiredCapacity;
  const scale = (AdjustmentType: string, AdjustmentValue: number, extra: Record<string, unknown> = {}) =>
    ess.call('ScaleWithAdjustment', { ScalingGroupId: groupId, AdjustmentType, AdjustmentValue, ...extra });

  test('TotalCapacity with SyncActivity=true (as upstream sends it) scales to the total and returns the scale-out activity', async () => {
    const r = await scale('TotalCapacity', 3, { SyncActivity: true, ActivityMetadata: '{"cluster-autoscaler/alicloud/managed":"true"}' });
    assert.match(r.ScalingActivityId as string, /^asa-/);
    assert.equal(r.ActivityType, undefined);
    assert.deepEqual([members(), desired()], [3, 3]);
    const activity = sim.state.scalingActivities.find((x) => x.scalingActivityId === r.ScalingActivityId)!;
    assert.equal(activity.description, 'Add "2" ECS instance(s)');
    assert.match(activity.cause, /with adjustment "TotalCapacity" of "3", changing the Total Capacity from "1" to "3"\.$/);
    assert.equal(activity.triggerSourceType, 'Api');
  });

  test('without SyncActivity the answer says only the desired capacity changed (CapacityChange)', async () => {
    const r = await scale('QuantityChangeInCapacity', -1);
    assert.equal(r.ActivityType, 'CapacityChange');
    assert.deepEqual([members(), desired()], [2, 2]);
  });

  test('the target is clamped to MinSize..MaxSize instead of refused; a percentage honours MinAdjustmentMagnitude', async () => {
    await scale('QuantityChangeInCapacity', 100, { SyncActivity: true });
    assert.deepEqual([members(), desired()], [6, 6]);
    await scale('TotalCapacity', 0, { SyncActivity: true });
    assert.deepEqual([members(), desired()], [1, 1]);
    await scale('PercentChangeInCapacity', 10, { SyncActivity: true, MinAdjustmentMagnitude: 2 });
    assert.deepEqual([members(), desired()], [3, 3], '10% of 1 is under the magnitude of 2');
    await scale('PercentChangeInCapacity', 100, { SyncActivity: true });
    assert.deepEqual([members(), desired()], [6, 6]);
    const same = await scale('TotalCapacity', 6, { SyncActivity: true });
    assert.equal(same.ScalingActivityId, '', 'nothing to do: no activity');
  });

  test('refuses a bad type, an out-of-range value, a missing value and an inactive group like ESS', async () => {
    assert.equal((await failure(scale('ExactCapacity', 2))).code, 'InvalidParameter');
    assert.equal((await failure(scale('TotalCapacity', 2001))).code, 'InvalidParameter');
    assert.equal((await failure(scale('QuantityChangeInCapacity', -1001))).code, 'InvalidParameter');
    assert.equal((await failure(ess.call('ScaleWithAdjustment', { ScalingGroupId: groupId, AdjustmentType: 'TotalCapacity' }))).code, 'MissingParameter');
    assert.equal((await failure(ess.call('ScaleWithAdjustment', { ScalingGroupId: 'asg-nosuchgroup', AdjustmentType: 'TotalCapacity', AdjustmentValue: 1 }))).code, 'InvalidScalingGroupId.NotFound');
    const off = await simCall(sim, 'PATCH', '/_sim/state', [{ op: 'replace', path: '/scalingGroups/0/lifecycleState', value: 'Inactive' }]);
    assert.equal(off.status, 200, JSON.stringify(off.json));
    assert.equal((await failure(scale('TotalCapacity', 2))).code, 'IncorrectScalingGroupStatus');
    // RemoveInstances too: "The scaling group is in the Active state" (ESS API reference)
    const [member] = sim.state.instances.filter((i) => i.scalingGroupId === groupId).map((i) => i.instanceId);
    assert.equal((await failure(ess.call('RemoveInstances', { ScalingGroupId: groupId, 'InstanceId.1': member }))).code, 'IncorrectScalingGroupStatus');
  });
});
