// Scale-up on one group: a Deployment beyond the cluster's capacity gets exactly the nodes
// binpacking says, its pods learn why (TriggeredScaleUp), and they all run on the new nodes.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { deployment, events, eventually, isReady, isRunning, loops, metric, nodes, pods, startAutoscaler, startCaEnv, type CaEnv, type Obj, type RunningAutoscaler } from './harness.js';

describeInProcess('cluster autoscaler: scale-up', 'needs a group of its own and exact binpacking counts; e2e/cluster-autoscaler/cluster.test.ts covers scale-up and -down on any cluster with simulated nodes', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler;
  before(async () => {
    env = await startCaEnv([{ name: 'workers', instanceType: 'ecs.g7.large', min: 1, max: 6, desired: 1 }]);
    await eventually('the first node is ready', async () => (await nodes(env.client)).filter(isReady).length === 1);
    // and runs its system DaemonSet pods: the simulated scheduler neither orders by priority nor
    // preempts, so app pods placed first could leave no room for them
    await eventually('its system pods running', async () => (await pods(env.client, undefined, 'kube-system')).filter(isRunning).length === 3, 20_000);
  });
  after(async () => {
    await ca?.stop();
    await env?.stop();
  });

  it('raises the desired capacity by what binpacking needs; new nodes come up and all pods run', async () => {
    const { client } = env;
    const gid = env.groupId('workers');
    await client.create(deployment('web', 1, { cpu: '490m' }));
    await eventually('1 pod running', async () => (await pods(client, 'app=web')).filter(isRunning).length === 1);
    // a 2-core ACK node leaves 1480m (1930m allocatable - 450m of system DaemonSet pods): it
    // takes 3 pods of 490m, so 8 pods need 3 nodes, i.e. 2 more (and 4 never fit in 1930m, so
    // pods bound to a new node before its DaemonSet pods cannot crowd them out)
    await client.patch({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'web', { spec: { replicas: 8 } }, { namespace: 'default', type: 'merge' });
    // the autoscaler starts once the scheduler gave up on the extra pods, so one loop sees them all
    await eventually('5 pods unschedulable', async () => (await pods(client, 'app=web')).filter((p) =>
      p.status?.conditions?.some((c: any) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')).length === 5, 20_000);
    ca = await startAutoscaler(env, { nodes: [`1:6:${gid}`], scaleDownEnabled: false });
    const ev = await eventually('TriggeredScaleUp on a pending pod', async () => (await events(client, 'TriggeredScaleUp'))[0], 30_000);
    assert.match(ev.message, new RegExp(`pod triggered scale-up: \\[\\{${gid} 1->3 \\(max: 6\\)\\}\\]`));
    assert.equal(ev.source?.component ?? ev.reportingComponent, 'cluster-autoscaler');
    assert.equal(env.cloud.state.scalingGroups[0].desiredCapacity, 3);
    await eventually('3 ready nodes, 8 pods running', async () =>
      (await nodes(client)).filter(isReady).length === 3 && (await pods(client, 'app=web')).filter(isRunning).length === 8, 30_000);
    // nothing more: the pods fit (two loops that saw them all running planned no scale-up)
    await loops(ca, 2, (c) => c.pods.filter((p) => p.metadata.labels?.app === 'web' && isRunning(p)).length === 8);
    assert.equal(await metric(ca, 'cluster_autoscaler_unschedulable_pods_count'), 0);
    assert.equal(env.cloud.state.scalingGroups[0].desiredCapacity, 3);

    const status = await eventually('status ConfigMap', async () => {
      const cm = await client.get<Obj>({ apiVersion: 'v1', kind: 'ConfigMap' }, 'cluster-autoscaler-status', { namespace: 'kube-system' });
      return /ready=3/.test(cm.data?.status ?? '') ? cm.data.status as string : undefined;
    });
    assert.match(status, /^Cluster-autoscaler status at /);
    assert.match(status, /Cluster-wide:\n  Health:      Healthy \(ready=3 unready=0 notStarted=0 registered=3 longUnregistered=0\)/);
    assert.match(status, new RegExp(`Name:        ${gid}\\n  Health:      Healthy .*cloudProviderTarget=3 \\(minSize=1, maxSize=6\\)`));
    const scaled = (await events(client, 'ScaledUpGroup', 'kube-system'))[0];
    assert.match(scaled.message, new RegExp(`Scale-up: setting group ${gid} size to 3 instead of 1 \\(max: 6\\)`));
    const m = await ca.registry.metrics();
    assert.match(m, /cluster_autoscaler_scaled_up_nodes_total 2/);
    assert.match(m, new RegExp(`cluster_autoscaler_node_group_target_count\\{node_group="${gid}"\\} 3`));
    // the gauge is set by each loop: the one after the last pod was bound reports none
    await eventually('no unschedulable pods reported', async () => /cluster_autoscaler_unschedulable_pods_count 0/.test(await ca.registry.metrics()));
  });
});
