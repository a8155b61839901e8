// A failed removal: while ESS refuses RemoveInstances the empty node is tainted, the call
// fails, the taint is removed again and ScaleDownFailed recorded; once ESS works again (after
// --scale-down-delay-after-failure) the node goes.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { events, eventually, isReady, loops, nodes, startAutoscaler, startCaEnv, type CaEnv, type RunningAutoscaler } from './harness.js';

describeInProcess('cluster autoscaler: failed scale-down', 'makes the emulator refuse the removal for an autoscaler of its own', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler;
  before(async () => {
    env = await startCaEnv([{ name: 'workers', instanceType: 'ecs.g7.large', min: 1, max: 3, desired: 2 }]);
    await eventually('2 ready nodes', async () => (await nodes(env.client)).filter(isReady).length === 2, 30_000);
  });
  after(async () => {
    await ca?.stop();
    await env?.stop();
  });

  it('removes the taint and records ScaleDownFailed, then succeeds once the cloud works', async () => {
    const { client, cloud } = env;
    cloud.faults.set({ action: 'RemoveInstances', errorRate: 1 });
    ca = await startAutoscaler(env, { nodes: [`1:3:${env.groupId('workers')}`], scaleDownUnneededTime: '0s', scaleDownDelayAfterFailure: '2s' });
    const failed = await eventually('ScaleDownFailed', async () => (await events(client, 'ScaleDownFailed'))[0], 30_000);
    assert.equal(failed.type, 'Warning');
    assert.match(failed.message, /failed to remove empty node/);
    await eventually('taint removed again', async () => !(await nodes(client)).some((n) => n.spec?.taints?.some((t: any) => t.key === 'ToBeDeletedByClusterAutoscaler')));
    assert.equal((await nodes(client)).length, 2);
    cloud.faults.clear();
    await eventually('one node removed (group minimum 1 kept)', async () => (await nodes(client)).length === 1, 30_000);
    assert.equal(cloud.state.scalingGroups[0].desiredCapacity, 1);
    // loops that saw the one node left (empty, unneeded at once: --scale-down-unneeded-time=0s) keep it
    await loops(ca, 2, (c) => c.nodes.length === 1);
    assert.equal((await nodes(client)).length, 1, 'the group minimum is kept');
    assert.equal(cloud.state.scalingGroups[0].desiredCapacity, 1);
  });
});
