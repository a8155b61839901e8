// The autoscaler on ACK as it really is (issue #16): nodes carry the bare
// `<region>.<instance-id>` providerID, ESS's default removal policy removes the oldest
// instances, nodes run system DaemonSets and reserve resources, and a crashed run leaves
// ToBeDeletedByClusterAutoscaler taints behind. Each scenario once removed healthy nodes,
// stranded pods or left nodes unschedulable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  deployment, events, eventually, isReady, isRunning, nodes, NodeKind, pods, startAutoscaler, startCaEnv, type CaEnv, type Obj, type RunningAutoscaler,
} from './harness.js';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
const TAINT = 'ToBeDeletedByClusterAutoscaler';

/** Resolves once the autoscaler wrote its status at least `ms` after `since` (loops ran past that point). */
async function loopsRanUntil(env: CaEnv, since: number, ms: number): Promise<void> {
  await eventually(`an autoscaler loop ${ms} ms after start`, async () => {
    const cm = await env.client.get<Obj>(CM, 'cluster-autoscaler-status', { namespace: 'kube-system' });
    return Date.parse(cm.metadata.annotations?.['cluster-autoscaler.kubernetes.io/last-updated'] ?? '') >= since + ms;
  }, 20_000);
}

describe('cluster autoscaler on real ACK: a node with the bare <region>.<instance-id> providerID', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler;
  before(async () => {
    env = await startCaEnv([{ name: 'pool', instanceType: 'ecs.g7.large', min: 0, max: 5, desired: 1 }]);
    await eventually('one Ready node', async () => (await nodes(env.client)).filter(isReady).length === 1, 30_000);
  });
  after(async () => { await ca?.stop(); await env?.stop(); });

  it('maps the node to its group and never times it out as an unregistered instance', async () => {
    const [node] = await nodes(env.client);
    const id = env.groupId('pool');
    const inst = env.cloud.state.instances.find((i) => i.scalingGroupId === id)!;
    assert.equal(node.spec.providerID, `cn-hangzhou.${inst.instanceId}`, 'ACK form, no alicloud://');
    const started = Date.now();
    ca = await startAutoscaler(env, { nodes: [`0:5:${id}`], maxNodeProvisionTime: '1s', scaleDownEnabled: false });
    await loopsRanUntil(env, started, 3_000);
    const cm = await env.client.get<Obj>(CM, 'cluster-autoscaler-status', { namespace: 'kube-system' });
    assert.match(cm.data.status, /registered=1 longUnregistered=0/);
    assert.deepEqual((await nodes(env.client)).map((n) => n.metadata.name), [node.metadata.name], 'the node is still there');
    assert.equal(env.cloud.state.scalingGroups[0].desiredCapacity, 1);
    assert.equal((await events(env.client, 'ScaleUpTimedOut', 'kube-system')).length, 0);
  });
});

// in both providerID forms: with alicloud:// even the old mapping worked, and only the removal went wrong
for (const providerIdForm of ['ack', 'alicloud'] as const) describe(`cluster autoscaler on real ACK: provisioning timeout in a group holding an old healthy node (${providerIdForm} providerIDs)`, () => {
  let env: CaEnv;
  let ca: RunningAutoscaler;
  before(async () => {
    env = await startCaEnv([{ name: 'pool', instanceType: 'ecs.g7.xlarge', min: 0, max: 5, desired: 1 }], { providerIdForm });
    await eventually('the old node Ready', async () => (await nodes(env.client)).filter(isReady).length === 1, 30_000);
  });
  after(async () => { await ca?.stop(); await env?.stop(); });

  it('removes exactly the instance that never registered; ESS\'s OldestInstance policy never gets to pick the old node', async () => {
    const { client, cloud } = env;
    const id = env.groupId('pool');
    const group = cloud.state.scalingGroups.find((g) => g.scalingGroupId === id)!;
    const [oldNode] = await nodes(client);
    const oldInstance = cloud.state.instances.find((i) => i.scalingGroupId === id)!.instanceId;
    // from now on new instances boot but their node bootstrap fails
    group.bootstrapFails = true;
    // two pods of 2 cores: one fits on the old node (3600m left), the other needs a new one
    await client.create(deployment('big', 2, { cpu: '2' }));
    ca = await startAutoscaler(env, { nodes: [`0:5:${id}`], maxNodeProvisionTime: '2s', initialNodeGroupBackoffDuration: '1m', scaleDownEnabled: false });
    const stuck = await eventually('a second instance launched', () => cloud.state.instances.find((i) => i.scalingGroupId === id && i.instanceId !== oldInstance)?.instanceId, 20_000);
    const timedOut = await eventually('ScaleUpTimedOut', async () => (await events(client, 'ScaleUpTimedOut', 'kube-system'))[0], 20_000);
    await eventually('desired capacity back to 1', () => group.desiredCapacity === 1);
    assert.ok(cloud.state.instances.some((i) => i.instanceId === oldInstance), 'the old instance stays');
    await eventually('the stuck instance removed', () => !cloud.state.instances.some((i) => i.instanceId === stuck));
    assert.deepEqual(cloud.state.instances.filter((i) => i.scalingGroupId === id).map((i) => i.instanceId), [oldInstance]);
    assert.deepEqual((await nodes(client)).map((n) => n.metadata.name), [oldNode.metadata.name], 'the old node stays');
    assert.match(timedOut.message, new RegExp(`instances ${stuck} never became nodes`));
  });
});

describe('cluster autoscaler on real ACK: a crash mid-drain', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler;
  before(async () => {
    env = await startCaEnv([{ name: 'pool', instanceType: 'ecs.g7.large', min: 1, max: 5, desired: 1 }]);
    await eventually('one Ready node', async () => (await nodes(env.client)).filter(isReady).length === 1, 30_000);
  });
  after(async () => { await ca?.stop(); await env?.stop(); });

  it('removes the ToBeDeletedByClusterAutoscaler taint the crashed run left, so pods schedule there again', async () => {
    const { client } = env;
    const [node] = await nodes(client);
    const name = node.metadata.name!;
    // what a run that died between tainting and removing the node leaves behind
    await client.patch(NodeKind, name, { spec: { taints: [{ key: TAINT, value: String(Math.floor(Date.now() / 1000) - 60), effect: 'NoSchedule' }] } }, { type: 'merge' });
    await client.create(deployment('app', 1, { cpu: '200m' }));
    await eventually('the pod is Unschedulable on the tainted node', async () => (await pods(client, 'app=app'))[0]?.status?.conditions?.some((c: any) => c.reason === 'Unschedulable'));
    ca = await startAutoscaler(env, { nodes: [`1:5:${env.groupId('pool')}`], scaleDownEnabled: false });
    await eventually('taint removed', async () => !((await client.get<Obj>(NodeKind, name)).spec?.taints ?? []).some((t: any) => t.key === TAINT));
    await eventually('the pod runs on the node', async () => (await pods(client, 'app=app')).some((p) => isRunning(p) && p.spec.nodeName === name), 20_000);
  });
});

describe('cluster autoscaler on real ACK: DaemonSet overhead and reserved resources', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler;
  before(async () => {
    env = await startCaEnv([
      { name: 'small', instanceType: 'ecs.g7.large', min: 0, max: 5 },
      { name: 'big', instanceType: 'ecs.g7.xlarge', min: 0, max: 5 },
    ]);
  });
  after(async () => { await ca?.stop(); await env?.stop(); });

  it('does not count on room a new node\'s reservation and system pods take', async () => {
    const { client, cloud } = env;
    const small = env.groupId('small');
    const big = env.groupId('big');
    const group = (id: string) => cloud.state.scalingGroups.find((g) => g.scalingGroupId === id)!;
    let smallGrew = false;
    let watching = true;
    const watcher = (async () => { while (watching) { smallGrew ||= group(small).desiredCapacity > 0; await new Promise((r) => setTimeout(r, 20)); } })();
    // 1700m: below a 2-core node's capacity, above what it leaves (1900m allocatable - 300m of system pods)
    await client.create(deployment('app', 1, { cpu: '1700m' }));
    ca = await startAutoscaler(env, { nodes: [`0:5:${small}`, `0:5:${big}`], scaleDownEnabled: false });
    try {
      const pod = await eventually('the pod runs', async () => (await pods(client, 'app=app')).find(isRunning), 40_000);
      const node = await client.get<Obj>(NodeKind, pod.spec.nodeName);
      assert.equal(node.metadata.labels?.['alibabacloud.com/scaling-group-id'], big);
      assert.equal(node.status.allocatable.cpu, '3900m', 'ACK reserves 100m of a 4-core node');
      // kube-proxy, the network plugin and the log agent run on the new node
      await eventually('the system pods on the new node', async () => (await pods(client, undefined, 'kube-system'))
        .filter((p) => p.spec.nodeName === node.metadata.name && isRunning(p)).length === 3);
    } finally {
      watching = false;
      await watcher;
    }
    assert.equal(smallGrew, false, 'the small group was never grown for a pod that cannot fit there');
  });
});
