// ESS groups created without the "Expected number of instances" feature and the scaling-rule
// calls that size them (CreateScalingRule / ExecuteScalingRule / DeleteScalingRule), as the
// ESS 2014-08-28 API references describe them (sources in ess.ts), and the cloud adapter's
// temporary-rule sizing (scaleToTotalCapacity) with its ScalingActivityInProgress retries.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from 'kubeloop/testing';
import { startCloudSim, type CloudSim } from './index.js';
import { defaultRetryPolicy, staticCredentials } from '../cloud/index.js';
import { RpcApi } from '../cloud/rpc-client.js';
import { bootInstances, cloudFailure as failure, emulatorCloud } from '../cloud/emulator-testkit.js';

const fastRetry = { maxAttempts: 1, baseDelayMs: 2, maxDelayMs: 10, budgetMs: 5_000, timeoutMs: 5_000 };

const boot = bootInstances;

describe('emulator: ESS group without desired capacity, scaling rules', () => {
  let sim: CloudSim;
  let ess: RpcApi;
  let groupId: string;
  before(async () => {
    sim = await startCloudSim({
      cloud: { groupMinSize: 1, groupMaxSize: 6, groupDesiredCapacity: false },
      customize: (s) => { s.scalingGroups[0].bootDelayMs = -1; },
    });
    ess = new RpcApi('ess', sim.url, '2014-08-28', staticCredentials({ accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret }), { ...defaultRetryPolicy, ...fastRetry });
    groupId = sim.state.scalingGroups[0].scalingGroupId;
  });
  after(() => sim.stop());
  const members = () => sim.state.instances.filter((i) => i.scalingGroupId === groupId && i.lifecycleState !== 'Removing');
  const pending = () => members().filter((i) => i.lifecycleState === 'Pending').map((i) => i.instanceId);

  test('starts at MinSize; DescribeScalingGroups says EnableDesiredCapacity false and sends no DesiredCapacity; setting one is refused', async () => {
    await eventually('MinSize instances', () => members().length === 1);
    const r = await ess.call('DescribeScalingGroups', { RegionId: sim.regionId, 'ScalingGroupId.1': groupId });
    const g = r.ScalingGroups.ScalingGroup[0];
    assert.equal(g.EnableDesiredCapacity, false);
    assert.equal('DesiredCapacity' in g, false);
    const [client] = await emulatorCloud(sim, fastRetry).scaling.listScalingGroups({ scalingGroupIds: [groupId] });
    assert.equal(client.desiredCapacity, undefined);
    for (const action of ['ModifyScalingGroup', 'SetGroupDesiredCapacity']) {
      const err = await failure(ess.call(action, { ScalingGroupId: groupId, DesiredCapacity: 2 }));
      assert.equal(err.code, 'InvalidParameter', action);
      assert.match(err.message, /without the expected number of instances/);
    }
    assert.equal(members().length, 1, 'nothing launched');
    // MinSize/MaxSize still change: ESS keeps the instances within them
    await ess.call('ModifyScalingGroup', { ScalingGroupId: groupId, MaxSize: 6 });
    // the launch to MinSize is a scaling activity of its own: done once its instance booted
    await boot(sim, pending());
    await eventually('no activity in progress', () => !sim.state.scalingActivities.some((x) => x.statusCode === 'InProgress'));
  });

  test('a TotalCapacity rule scales; while its activity runs, rules and RemoveInstances are refused with ScalingActivityInProgress', async () => {
    const created = await ess.call('CreateScalingRule', { ScalingGroupId: groupId, AdjustmentType: 'TotalCapacity', AdjustmentValue: 3, ScalingRuleName: 'grow' });
    assert.match(String(created.ScalingRuleId), /^asr-/);
    assert.equal(created.ScalingRuleAri, `ari:acs:ess:${sim.regionId}:${sim.state.ram.accountId}:scalingrule/${created.ScalingRuleId}`);
    assert.equal((await failure(ess.call('CreateScalingRule', { ScalingGroupId: groupId, AdjustmentType: 'TotalCapacity', AdjustmentValue: 1, ScalingRuleName: 'grow' }))).code, 'InvalidScalingRuleName.Duplicate');
    assert.equal((await failure(ess.call('CreateScalingRule', { ScalingGroupId: groupId, AdjustmentType: 'TotalCapacity', AdjustmentValue: 1, MinAdjustmentMagnitude: 1 }))).code, 'InvalidMinAdjustmentMagnitudeMismatchAdjustmentType');

    const run = await ess.call('ExecuteScalingRule', { ScalingRuleAri: created.ScalingRuleAri });
    assert.equal(members().length, 3);
    const activity = sim.state.scalingActivities.find((a) => a.scalingActivityId === run.ScalingActivityId)!;
    assert.equal(activity.statusCode, 'InProgress');
    assert.match(activity.cause, new RegExp(`^A user requests to execute scaling rule "${created.ScalingRuleId}", changing the Total Capacity from "1" to "3"\\.$`));

    const shrink = await ess.call('CreateScalingRule', { ScalingGroupId: groupId, AdjustmentType: 'QuantityChangeInCapacity', AdjustmentValue: -1 });
    const busy = await failure(ess.call('ExecuteScalingRule', { ScalingRuleAri: shrink.ScalingRuleAri }));
    assert.deepEqual([busy.code, busy.kind, busy.httpStatus], ['ScalingActivityInProgress', 'Conflict', 400]);
    const inService = members().find((i) => i.lifecycleState === 'InService')!;
    assert.equal((await failure(ess.call('RemoveInstances', { ScalingGroupId: groupId, 'InstanceId.1': inService.instanceId }))).code, 'ScalingActivityInProgress');
    assert.equal((await failure(ess.call('ScaleWithAdjustment', { ScalingGroupId: groupId, AdjustmentType: 'TotalCapacity', AdjustmentValue: 2 }))).code, 'ScalingActivityInProgress');
    assert.equal(members().length, 3, 'nothing changed');

    await boot(sim, pending());
    await eventually('the scale-out done', () => sim.state.scalingActivities.find((a) => a.scalingActivityId === run.ScalingActivityId)?.statusCode === 'Successful');
    // the same total again: no change, refused
    assert.equal((await failure(ess.call('ExecuteScalingRule', { ScalingRuleAri: created.ScalingRuleAri }))).code, 'IncorrectCapacity.NoChange');
    // RemoveInstances now works; the group keeps what is left (no desired capacity to hold it at)
    const rm = await ess.call('RemoveInstances', { ScalingGroupId: groupId, 'InstanceId.1': inService.instanceId, DecreaseDesiredCapacity: false });
    assert.match(String(rm.ScalingActivityId), /^asa-/);
    await eventually('2 instances, no replacement', () => sim.state.instances.filter((i) => i.scalingGroupId === groupId).length === 2);
    assert.equal(sim.state.scalingGroups[0].desiredCapacity, undefined);

    await ess.call('DeleteScalingRule', { ScalingRuleId: created.ScalingRuleId });
    assert.equal((await failure(ess.call('ExecuteScalingRule', { ScalingRuleAri: created.ScalingRuleAri }))).code, 'InvalidScalingRuleAri.NotFound');
    assert.equal((await failure(ess.call('DeleteScalingRule', { ScalingRuleId: created.ScalingRuleId }))).code, 'InvalidScalingRuleId.NotFound');
    await ess.call('DeleteScalingRule', { ScalingRuleId: shrink.ScalingRuleId });
  });

  test('scaleToTotalCapacity: a temporary rule, retried while an activity runs, deleted afterwards', async () => {
    const calls: string[] = [];
    const cloud = emulatorCloud(sim, fastRetry, {
      activityRetry: { baseDelayMs: 20, maxDelayMs: 100, budgetMs: 10_000 },
      onCall: (e) => { if (e.action === 'ExecuteScalingRule') calls.push(e.code ?? 'ok'); },
    });
    // an activity in progress: one instance launching
    await cloud.scaling.scaleToTotalCapacity(groupId, members().length + 1);
    const launching = pending();
    assert.equal(launching.length, 1);
    const grown = cloud.scaling.scaleToTotalCapacity(groupId, 5);
    // refused while the first scale-out runs, then done once it ended
    await eventually('ExecuteScalingRule refused and retried', () => calls.filter((c) => c === 'ScalingActivityInProgress').length >= 2);
    await boot(sim, launching);
    await grown;
    assert.equal(calls.at(-1), 'ok');
    assert.equal(members().length, 5);
    assert.deepEqual(sim.state.scalingRules ?? [], [], 'the temporary rules are gone');
    // still busy when the budget is spent: the ScalingActivityInProgress error surfaces
    const impatient = emulatorCloud(sim, fastRetry, { activityRetry: { baseDelayMs: 5, maxDelayMs: 10, budgetMs: 50 } });
    const err = await failure(impatient.scaling.scaleToTotalCapacity(groupId, 6));
    assert.equal(err.code, 'ScalingActivityInProgress');
    assert.deepEqual(sim.state.scalingRules ?? [], [], 'deleted on failure too');
    await boot(sim, pending());
  });
});

describe('emulator: ExecuteScalingRule on a group with a desired capacity', () => {
  let sim: CloudSim;
  before(async () => { sim = await startCloudSim({ cloud: { groupMinSize: 1, groupMaxSize: 4 }, customize: (s) => { s.scalingGroups[0].bootDelayMs = -1; } }); });
  after(() => sim.stop());

  test('sets the desired capacity (clamped to MaxSize) and runs in parallel with an activity in progress', async () => {
    const cloud = emulatorCloud(sim, fastRetry);
    const groupId = sim.state.scalingGroups[0].scalingGroupId;
    await cloud.scaling.setDesiredCapacity(groupId, 2);
    await cloud.scaling.scaleToTotalCapacity(groupId, 9);
    assert.equal(sim.state.scalingGroups[0].desiredCapacity, 4);
    const [g] = await cloud.scaling.listScalingGroups({ scalingGroupIds: [groupId] });
    assert.equal(g.desiredCapacity, 4);
  });
});
