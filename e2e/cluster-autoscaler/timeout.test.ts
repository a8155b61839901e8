// Provisioning timeout: the preferred group's instances boot but never become nodes, so after
// --max-node-provision-time the scale-up fails (ScaleUpTimedOut), the group is shrunk back
// and backed off, and the pods get nodes from the other group.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { deployment, events, eventually, isRunning, nodes, pods, startAutoscaler, startCaEnv, type CaEnv, type Obj, type RunningAutoscaler } from './harness.js';

describeInProcess('cluster autoscaler: provisioning timeout and backoff', 'needs instances that never register and a provisioning timeout of its own', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler;
  before(async () => {
    env = await startCaEnv([
      { name: 'stuck', instanceType: 'ecs.g7.xlarge', min: 0, max: 5, bootstrapFails: true },
      { name: 'backup', instanceType: 'ecs.g7.large', min: 0, max: 5 },
    ]);
    const stuck = env.groupId('stuck');
    await env.client.create({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-autoscaler-priority-expander', namespace: 'kube-system' },
      data: { priorities: `50:\n  - ${stuck}\n10:\n  - .*\n` },
    });
    ca = await startAutoscaler(env, {
      nodes: [`0:5:${stuck}`, `0:5:${env.groupId('backup')}`], expander: 'priority', maxNodeProvisionTime: '2s',
      initialNodeGroupBackoffDuration: '1m', maxNodeGroupBackoffDuration: '5m', scaleDownEnabled: false,
    });
  });
  after(async () => {
    await ca?.stop();
    await env?.stop();
  });

  it('times out the stuck group, backs it off, and scales the other group instead', async () => {
    const { client, cloud } = env;
    const stuck = env.groupId('stuck');
    const backup = env.groupId('backup');
    const group = (id: string) => cloud.state.scalingGroups.find((g) => g.scalingGroupId === id)!;
    await client.create(deployment('app', 2, { cpu: '1400m' }));
    // the priority expander prefers the stuck group: 2 pods of 1.4 cores on 4-core nodes = 1 node
    await eventually('stuck group asked for a node', () => group(stuck).desiredCapacity === 1, 20_000);
    const timedOut = await eventually('ScaleUpTimedOut', async () => (await events(client, 'ScaleUpTimedOut', 'kube-system'))[0], 20_000);
    assert.match(timedOut.message, new RegExp(`Nodes added to group ${stuck} failed to register within 2s`));
    assert.equal(timedOut.type, 'Warning');
    assert.equal(timedOut.involvedObject?.name, 'cluster-autoscaler-status');
    await eventually('stuck group shrunk back', () => group(stuck).desiredCapacity === 0);
    // 1.4-core pods on 2-core nodes (1480m left after reservation and system pods): one each
    await eventually('backup group grows instead', () => group(backup).desiredCapacity === 2, 20_000);
    await eventually('both pods running', async () => (await pods(client, 'app=app')).filter(isRunning).length === 2, 30_000);
    assert.equal((await nodes(client)).length, 2);
    // backed off: not tried again although it is preferred
    assert.equal(group(stuck).desiredCapacity, 0);
    const status = await eventually('status shows the backoff', async () => {
      const cm = await client.get<Obj>({ apiVersion: 'v1', kind: 'ConfigMap' }, 'cluster-autoscaler-status', { namespace: 'kube-system' });
      return new RegExp(`Name:        ${stuck}\\n[^\\n]*\\n[^\\n]*\\n[^\\n]*\\n  ScaleUp:     Backoff`).test(cm.data?.status ?? '') ? cm.data.status as string : undefined;
    });
    assert.match(status, /until \d{4}-/);
    const m = await ca.registry.metrics();
    assert.match(m, /cluster_autoscaler_failed_scale_ups_total\{reason="timeout"\} 1/);
    assert.match(m, /cluster_autoscaler_scaled_up_nodes_total 3/);
  });
});
