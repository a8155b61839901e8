// Scale-down: after a Deployment shrinks, under-reserved nodes are tainted, drained through
// the eviction API (a PDB with maxUnavailable 1 is never violated — a watcher checks all the
// time), removed from the scaling group and from the cluster. Nodes with a kube-system pod
// without a PDB, a safe-to-evict "false" pod, or the scale-down-disabled annotation stay.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { SharedInformerFactory } from '../../src/informer/index.js';
import {
  deployment, events, eventually, isReady, isRunning, loops, metric, nodes, NodeKind, PDB, PodKind, pods, startAutoscaler, startCaEnv, type CaEnv, type Obj, type RunningAutoscaler,
} from './harness.js';

const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' };

describeInProcess('cluster autoscaler: scale-down', 'needs a group, static nodes and scale-down durations of its own', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler | undefined;
  before(async () => {
    env = await startCaEnv([{ name: 'workers', instanceType: 'ecs.g7.large', min: 1, max: 8, desired: 5 }]);
    await eventually('5 ready nodes', async () => (await nodes(env.client)).filter(isReady).length === 5, 30_000);
  });
  after(async () => {
    await ca?.stop();
    await env?.stop();
  });

  it('drains and removes under-reserved nodes without violating the PDB; blocked and annotated nodes stay', async () => {
    const { client } = env;
    const gid = env.groupId('workers');
    const names = (await nodes(client)).map((n) => n.metadata.name!).sort();
    const [kubeSystemNode, unsafeNode, disabledNode, ...free] = names;
    const cordon = (n: string, on: boolean) => client.patch(NodeKind, n, { spec: { unschedulable: on } }, { type: 'merge' });

    // web lands on the last two nodes only (the others are cordoned meanwhile)
    for (const n of [kubeSystemNode, unsafeNode, disabledNode]) await cordon(n, true);
    await client.create(deployment('web', 8, { cpu: '300m' }));
    await client.create({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } });
    await eventually('8 web pods running on the free nodes', async () => {
      const ps = (await pods(client, 'app=web')).filter(isRunning);
      return ps.length === 8 && ps.every((p) => free.includes(p.spec.nodeName));
    }, 30_000);
    for (const n of [kubeSystemNode, unsafeNode, disabledNode]) await cordon(n, false);
    // the blockers
    await client.create(deployment('sys', 1, { cpu: '100m', namespace: 'kube-system', nodeSelector: { 'kubernetes.io/hostname': kubeSystemNode } }));
    await client.create(deployment('pinned', 1, { cpu: '100m', nodeSelector: { 'kubernetes.io/hostname': unsafeNode }, annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' } }));
    await client.patch(NodeKind, disabledNode, { metadata: { annotations: { 'cluster-autoscaler.kubernetes.io/scale-down-disabled': 'true' } } }, { type: 'merge' });
    await eventually('blockers running', async () => (await pods(client, 'app=sys', 'kube-system')).filter(isRunning).length === 1
      && (await pods(client, 'app=pinned')).filter(isRunning).length === 1, 30_000);

    await client.patch(DEPLOY, 'web', { spec: { replicas: 4 } }, { namespace: 'default', type: 'merge' });
    await eventually('4 web pods, none terminating', async () => { const ps = await pods(client, 'app=web'); return ps.length === 4 && ps.every(isRunning); }, 30_000);
    await eventually('PDB allows 1', async () => (await client.get<Obj>(PDB, 'web', { namespace: 'default' })).status?.disruptionsAllowed === 1);

    // the watcher: healthy web pods never below 4 - maxUnavailable, checked at every change of a
    // web pod or a node the API server reports (a watch delivers every version, so none is missed)
    let minHealthy = Infinity;
    let tainted = false;
    const watch = new SharedInformerFactory(client);
    const webPods = watch.informerFor<Obj>(PodKind, { namespace: 'default', labelSelector: 'app=web' });
    const allNodes = watch.informerFor<Obj>(NodeKind);
    let live = false; // from the synced state on: the initial list arrives as one add per object
    const check = () => {
      if (!live) return;
      const healthy = webPods.reader.list().filter((p) => isRunning(p) && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
      minHealthy = Math.min(minHealthy, healthy);
      tainted ||= allNodes.reader.list().some((n) => n.spec?.taints?.some((t: any) => t.key === 'ToBeDeletedByClusterAutoscaler' && t.effect === 'NoSchedule' && /^\d+$/.test(t.value)));
    };
    const subs = [webPods.events$().subscribe(check), allNodes.events$().subscribe(check)];
    await Promise.all([webPods.waitForCacheSync(undefined, 10_000), allNodes.waitForCacheSync(undefined, 10_000)]);
    live = true;
    check();
    assert.equal(minHealthy, 4);
    // the ReplicaSet removed the newest pods, wherever they ran: the free nodes keep 4 web pods
    // between them (1.2 cores at most on a 2-core node), all under a 0.7 threshold
    ca = await startAutoscaler(env, { nodes: [`1:8:${gid}`], scaleDownUtilizationThreshold: '0.7' });
    try {
      await eventually('the two free nodes removed', async () => {
        const left = (await nodes(client)).map((n) => n.metadata.name!);
        return free.every((n) => !left.includes(n)) ? left : undefined;
      }, 60_000);
    } finally {
      for (const s of subs) s.unsubscribe();
      watch.shutdown();
    }
    assert.ok(minHealthy >= 3, `PDB violated: only ${minHealthy} healthy web pods at some point`);
    assert.ok(tainted, 'nodes were tainted ToBeDeletedByClusterAutoscaler=<unix time>:NoSchedule before removal');
    const left = (await nodes(client)).map((n) => n.metadata.name!).sort();
    assert.deepEqual(left, [kubeSystemNode, unsafeNode, disabledNode]);
    assert.equal(env.cloud.state.scalingGroups[0].desiredCapacity, 3);
    await eventually('all 4 web pods running again', async () => (await pods(client, 'app=web')).filter(isRunning).length === 4, 30_000);
    const downEvents = [...await events(client, 'ScaleDown'), ...await events(client, 'ScaleDownEmpty')];
    // the Deployment's scale-down leaves web pods on both free nodes: they were evicted, not just deleted
    assert.ok(downEvents.some((e) => e.involvedObject?.kind === 'Pod' && /deleting pod for node scale down/.test(e.message)), 'pods evicted for the scale-down');
    assert.ok(downEvents.some((e) => free.includes(e.involvedObject?.name)), 'ScaleDown / ScaleDownEmpty events on the removed nodes');
    // loops that saw only the blocked nodes left find none of them unneeded: none will go later
    await loops(ca, 2, (c) => c.nodes.length === 3);
    assert.equal(await metric(ca, 'cluster_autoscaler_unneeded_nodes_count'), 0, 'the blocked nodes are not unneeded');
    assert.deepEqual((await nodes(client)).map((n) => n.metadata.name!).sort(), [kubeSystemNode, unsafeNode, disabledNode]);
    const m = await ca.registry.metrics();
    assert.match(m, /cluster_autoscaler_scaled_down_nodes_total\{reason="(empty|underutilized)"\} [12]/);
  });
});
