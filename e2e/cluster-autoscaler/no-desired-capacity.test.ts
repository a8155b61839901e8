// A scaling group created without ESS's "Expected number of instances" (no desired capacity;
// ESS cannot enable it later): the autoscaler grows it with a temporary TotalCapacity scaling
// rule, as upstream's alicloud provider did, reads its size from its instances, and retries the
// calls ESS refuses while another scaling activity runs (ScalingActivityInProgress) instead of
// failing the scale-up or scale-down.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { deployment, events, eventually, isReady, isRunning, metric, nodes, pods, startAutoscaler, startCaEnv, type CaEnv, type Obj, type RunningAutoscaler } from './harness.js';

const members = (env: CaEnv, gid: string) => env.cloud.state.instances.filter((i) => i.scalingGroupId === gid && i.lifecycleState !== 'Removing');

describeInProcess('cluster autoscaler: a group without desired capacity scales up', 'needs a group of its own', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler;
  before(async () => {
    env = await startCaEnv([{ name: 'workers', instanceType: 'ecs.g7.large', min: 1, max: 6, desiredCapacity: false }]);
    await eventually('the first node is ready', async () => (await nodes(env.client)).filter(isReady).length === 1, 20_000);
    await eventually('its system pods running', async () => (await pods(env.client, undefined, 'kube-system')).filter(isRunning).length === 3, 20_000);
  });
  after(async () => {
    await ca?.stop();
    await env?.stop();
  });

  it('grows the group with a scaling rule; the pods run; no rule is left behind', async () => {
    const { client } = env;
    const gid = env.groupId('workers');
    assert.equal(env.cloud.state.scalingGroups[0].desiredCapacity, undefined);
    // as in scale-up.test.ts: 8 pods of 490m need 3 nodes
    await client.create(deployment('web', 8, { cpu: '490m' }));
    await eventually('5 pods unschedulable', async () => (await pods(client, 'app=web')).filter((p) =>
      p.status?.conditions?.some((c: any) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')).length === 5, 20_000);
    ca = await startAutoscaler(env, { nodes: [`1:6:${gid}`], scaleDownEnabled: false });
    const ev = await eventually('TriggeredScaleUp on a pending pod', async () => (await events(client, 'TriggeredScaleUp'))[0], 30_000);
    assert.match(ev.message, new RegExp(`pod triggered scale-up: \\[\\{${gid} 1->3 \\(max: 6\\)\\}\\]`));
    await eventually('3 ready nodes, 8 pods running', async () =>
      (await nodes(client)).filter(isReady).length === 3 && (await pods(client, 'app=web')).filter(isRunning).length === 8, 30_000);
    assert.equal(members(env, gid).length, 3);
    assert.equal(env.cloud.state.scalingGroups[0].desiredCapacity, undefined, 'still a group without desired capacity');
    assert.deepEqual(env.cloud.state.scalingRules ?? [], [], 'the temporary rule was deleted');
    const scaleOut = env.cloud.state.scalingActivities.find((a) => /execute scaling rule "asr-/.test(a.cause));
    assert.ok(scaleOut, 'a scale-out by a scaling rule');
    assert.equal(scaleOut.scalingInstanceNumber, 2);
    const scaled = (await events(client, 'ScaledUpGroup', 'kube-system'))[0];
    assert.match(scaled.message, new RegExp(`Scale-up: setting group ${gid} size to 3 instead of 1 \\(max: 6\\)`));
    assert.deepEqual(await events(client, 'FailedToScaleUpGroup', 'kube-system'), []);
    const m = await ca.registry.metrics();
    assert.match(m, /cluster_autoscaler_scaled_up_nodes_total 2/);
    assert.doesNotMatch(m, /cluster_autoscaler_failed_scale_ups_total\{reason="cloudProviderError"\} [1-9]/);
    // the group's target is its instances (upstream's GetAsgSize without EnableDesiredCapacity)
    await eventually('target gauge at 3', async () => await metric(ca, 'cluster_autoscaler_node_group_target_count', { node_group: gid }) === 3);
  });
});

describeInProcess('cluster autoscaler: a group without desired capacity scales down during a scaling activity', 'needs a group of its own with slow removals', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler | undefined;
  before(async () => {
    // slow removals: a scale-in activity stays in progress (its instances Removing) for 3 s
    env = await startCaEnv([{ name: 'workers', instanceType: 'ecs.g7.large', min: 0, max: 6, desired: 3, desiredCapacity: false }], { removeDelayMs: 3_000 });
    await eventually('3 ready nodes', async () => (await nodes(env.client)).filter(isReady).length === 3, 30_000);
  });
  after(async () => {
    await ca?.stop();
    await env?.stop();
  });

  it('removes a node that became empty while an earlier removal runs, without a failed scale-down', async () => {
    const { client } = env;
    const gid = env.groupId('workers');
    const [busy, ...free] = (await nodes(client)).map((n) => n.metadata.name!).sort();
    // a pod that cannot move keeps one node while the two others are removed
    await client.create(deployment('pinned', 1, { cpu: '100m', nodeSelector: { 'kubernetes.io/hostname': busy } }));
    await eventually('the pinned pod running', async () => (await pods(client, 'app=pinned')).filter(isRunning).length === 1, 20_000);
    ca = await startAutoscaler(env, { nodes: [`0:6:${gid}`], scaleDownUnneededTime: '1s' });
    const first = await eventually('the two free nodes being removed', () => {
      const a = env.cloud.state.scalingActivities.find((x) => x.scalingGroupId === gid && /remove ECS instances/.test(x.cause));
      return a?.statusCode === 'InProgress' ? a : undefined;
    }, 30_000);
    assert.equal(first.scalingInstanceNumber, 2);
    // the last node empties while that scale-in still runs: ESS refuses a second one meanwhile
    await client.delete({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'pinned', { namespace: 'default' });
    await eventually('all nodes removed', async () => (await nodes(client)).length === 0 && members(env, gid).length === 0, 60_000);
    const scaleIns = env.cloud.state.scalingActivities.filter((a) => a.scalingGroupId === gid && /remove ECS instances/.test(a.cause));
    assert.equal(scaleIns.length, 2);
    assert.ok(scaleIns[1].startTime >= scaleIns[0].endTime!, 'the second removal only after the first ended');
    const failed: Obj[] = await events(client, 'ScaleDownFailed');
    assert.deepEqual(failed.map((e) => e.message), [], 'no failed scale-down');
    assert.equal(await metric(ca, 'cluster_autoscaler_errors_total', { type: 'cloudProviderError' }) ?? 0, 0);
    assert.equal(free.length, 2);
  });
});

describeInProcess('cluster autoscaler: a group without desired capacity busy when a scale-up is due', 'needs a group of its own with slow removals', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler | undefined;
  before(async () => {
    // the ScalingActivityInProgress retries give up after 100 ms, well before the removal ends
    env = await startCaEnv([{ name: 'workers', instanceType: 'ecs.g7.large', min: 0, max: 6, desired: 2, desiredCapacity: false }], { removeDelayMs: 3_000, activityRetry: { budgetMs: 100 } });
    await eventually('2 ready nodes', async () => (await nodes(env.client)).filter(isReady).length === 2, 30_000);
  });
  after(async () => {
    await ca?.stop();
    await env?.stop();
  });

  it('defers the scale-up while a removal runs (no failure, no backoff) and grows the group once it ended', async () => {
    const { client } = env;
    const gid = env.groupId('workers');
    ca = await startAutoscaler(env, { nodes: [`0:6:${gid}`], scaleDownUnneededTime: '1s' });
    await eventually('the two empty nodes being removed', () =>
      env.cloud.state.scalingActivities.some((x) => x.scalingGroupId === gid && /remove ECS instances/.test(x.cause) && x.statusCode === 'InProgress'), 30_000);
    await client.create(deployment('web', 1, { cpu: '490m' }));
    const deferred = await eventually('ScaleUpDeferred', async () => (await events(client, 'ScaleUpDeferred', 'kube-system'))[0], 30_000);
    assert.match(deferred.message, new RegExp(`group ${gid} is busy with another scaling activity; growing it to 1 is retried`));
    await eventually('the pod running on a new node', async () => (await pods(client, 'app=web')).filter(isRunning).length === 1, 30_000);
    assert.deepEqual(await events(client, 'FailedToScaleUpGroup', 'kube-system'), []);
    assert.ok(env.cloud.state.scalingActivities.some((a) => a.scalingGroupId === gid && /execute scaling rule/.test(a.cause)));
  });
});
