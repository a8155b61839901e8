// Node registration, heartbeats, lifecycle, IPAM and cloud instances as nodes.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAlibabaCloud } from '@kubeloop/ack/cloud';
import { describeInProcess } from '../support/index.js';
import { eventually, NodeKind, startEnv, type Env, type Obj } from './harness.js';

const ready = (n: Obj) => n.status?.conditions?.find((c: any) => c.type === 'Ready')?.status;

// Every scenario starts nodes of its own (names, sizes, CIDR range) or stops their kubelets:
// the in-process simulated cluster's; skipped in external mode.
const OWN = 'starts, stops or removes nodes of its own (static nodes with chosen names, CIDR range and kubelets)';

describeInProcess('simulated cluster: nodes', OWN, () => {
  let env: Env;
  before(async () => { env = await startEnv({ withCloud: true, clusterCidr: '172.16.0.0/22', nodeCidrMaskSize: 24, nodes: [{ name: 'static-1', cpu: 8, memory: '32Gi', labels: { tier: 'edge' }, taints: [{ key: 'edge', effect: 'PreferNoSchedule' }] }, { name: 'static-2' }] }); });
  after(async () => { await env?.stop(); });

  it('registers static nodes with capacity, labels, taints, addresses, a Lease and a podCIDR', async () => {
    const { client } = env;
    const n = await eventually('static-1 ready with a podCIDR', async () => {
      const n = await client.get<Obj>(NodeKind, 'static-1');
      return ready(n) === 'True' && n.spec.podCIDR ? n : undefined;
    });
    assert.deepEqual(n.spec.podCIDRs, [n.spec.podCIDR]);
    assert.match(n.spec.podCIDR, /^172\.16\.\d+\.0\/24$/);
    assert.equal(n.status.capacity.cpu, '8');
    assert.equal(n.status.capacity.memory, '32Gi');
    assert.equal(n.status.capacity.pods, '110');
    assert.equal(n.metadata.labels!.tier, 'edge');
    assert.equal(n.metadata.labels!['kubernetes.io/hostname'], 'static-1');
    assert.equal(n.metadata.labels!['kubernetes.io/os'], 'linux');
    assert.equal(n.metadata.labels!['topology.kubernetes.io/region'], env.cloud!.regionId);
    assert.deepEqual(n.spec.taints.map((t: any) => `${t.key}:${t.effect}`), ['edge:PreferNoSchedule']);
    assert.ok(n.status.addresses.some((a: any) => a.type === 'InternalIP'));
    const lease = await client.get<Obj>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, 'static-1', { namespace: 'kube-node-lease' });
    assert.equal(lease.spec.holderIdentity, 'static-1');
    const renewed = lease.spec.renewTime;
    await eventually('lease renewed', async () => (await client.get<Obj>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, 'static-1', { namespace: 'kube-node-lease' })).spec.renewTime !== renewed);
  });

  it('gives every node its own podCIDR and releases it when the node goes', async () => {
    const { client, sim } = env;
    await sim.addNode({ name: 'static-3' });
    const cidrs = await eventually('3+ nodes with CIDRs', async () => {
      const ns = (await client.list<Obj>(NodeKind)).items as Obj[];
      return ns.length >= 3 && ns.every((n) => n.spec.podCIDR) ? ns.map((n) => n.spec.podCIDR as string) : undefined;
    });
    assert.equal(new Set(cidrs).size, cidrs.length, 'no CIDR handed out twice');
    const gone = (await client.get<Obj>(NodeKind, 'static-3')).spec.podCIDR;
    await sim.removeNode('static-3');
    await eventually('static-3 deleted', async () => !((await client.list<Obj>(NodeKind)).items as Obj[]).some((n) => n.metadata.name === 'static-3'));
    // the cluster CIDR holds four /24s: static-1, static-2, the cloud instance and static-3 used
    // them all, so the next node can only get the range static-3 released
    await sim.addNode({ name: 'static-4' });
    const reused = await eventually('static-4 cidr', async () => (await client.get<Obj>(NodeKind, 'static-4')).spec.podCIDR as string | undefined);
    assert.equal(reused, gone);
    await sim.addNode({ name: 'static-5' });
    const ev = await eventually('CIDRNotAvailable for static-5', async () => ((await client.list<Obj>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' })).items as Obj[])
      .find((e) => e.involvedObject?.name === 'static-5' && e.reason === 'CIDRNotAvailable'));
    assert.equal(ev.message, 'Node static-5 status is now: CIDRNotAvailable');
    assert.equal((await client.get<Obj>(NodeKind, 'static-5')).spec.podCIDR, undefined);
    await sim.removeNode('static-5');
    await sim.removeNode('static-4');
  });

  it('turns a node whose kubelet stops heartbeating Unknown and taints it unreachable; it recovers', async () => {
    const { client, sim } = env;
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'on-static-2', namespace: 'default' },
      spec: { nodeName: 'static-2', containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    const podReady = async () => (await client.get<Obj>({ apiVersion: 'v1', kind: 'Pod' }, 'on-static-2', { namespace: 'default' }))
      .status?.conditions?.find((c: any) => c.type === 'Ready')?.status;
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'short-toleration', namespace: 'default' },
      spec: { nodeName: 'static-2', tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }],
        containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    await eventually('pod on static-2 ready', async () => (await podReady()) === 'True');
    sim.pauseNode('static-2');
    const n = await eventually('static-2 NotReady', async () => {
      const n = await client.get<Obj>(NodeKind, 'static-2');
      return ready(n) === 'Unknown' && n.spec.taints?.some((t: any) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute') ? n : undefined;
    }, 10_000);
    const c = n.status.conditions.find((x: any) => x.type === 'Ready');
    assert.equal(c.reason, 'NodeStatusUnknown');
    assert.equal(c.message, 'Kubelet stopped posting node status.');
    assert.ok(n.spec.taints.some((t: any) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoSchedule'));
    await eventually('its pod marked not ready', async () => (await podReady()) === 'False');
    // the taint manager evicts the pod that tolerates unreachable for 1 s only; the other keeps the default 300 s
    // (terminating until its kubelet is back where the API server deletes pods gracefully, gone at once otherwise)
    await eventually('short-toleration deleted', async () => {
      const p = ((await client.list<Obj>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'default' })).items as Obj[]).find((x) => x.metadata.name === 'short-toleration');
      return !p || !!p.metadata.deletionTimestamp;
    });
    const ev = await eventually('TaintManagerEviction event', async () => ((await client.list<Obj>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' })).items as Obj[])
      .find((e) => e.involvedObject?.name === 'short-toleration' && e.reason === 'TaintManagerEviction'));
    assert.equal(ev.message, 'Marking for deletion Pod default/short-toleration');
    assert.equal((await client.get<Obj>({ apiVersion: 'v1', kind: 'Pod' }, 'on-static-2', { namespace: 'default' })).metadata.deletionTimestamp, undefined);
    sim.resumeNode('static-2');
    await eventually('static-2 Ready again without the taints', async () => {
      const n = await client.get<Obj>(NodeKind, 'static-2');
      return ready(n) === 'True' && !(n.spec.taints ?? []).some((t: any) => t.key === 'node.kubernetes.io/unreachable');
    }, 10_000);
    await eventually('its pod ready again', async () => (await podReady()) === 'True');
    // the kubelet, back, finishes the eviction
    await eventually('short-toleration gone', async () =>
      !((await client.list<Obj>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'default' })).items as Obj[]).some((p) => p.metadata.name === 'short-toleration'));
  });

  it('registers an instance launched in the emulated scaling group as a Ready node, and deletes it when removed', async () => {
    const { client, cloud } = env;
    const ali = createAlibabaCloud({ regionId: cloud!.regionId, emulator: cloud!.url, credentials: { accessKeyId: cloud!.accessKeyId, accessKeySecret: cloud!.accessKeySecret } });
    const [group] = await ali.scaling.listScalingGroups();
    // ACK's providerID: <region>.<instance-id>, no alicloud:// prefix
    const cloudNodes = async () => ((await client.list<Obj>(NodeKind)).items as Obj[]).filter((n) => n.metadata.labels?.['alibabacloud.com/scaling-group-id'] === group.scalingGroupId);
    const before = await eventually('the group minimum instance is a node', async () => { const ns = await cloudNodes(); return ns.length === group.minSize ? ns : undefined; });
    await ali.scaling.setDesiredCapacity(group.scalingGroupId, group.minSize + 1);
    const added = await eventually('a new Ready cloud node with a podCIDR', async () => {
      const ns = await cloudNodes();
      const n = ns.find((x) => !before.some((b) => b.metadata.name === x.metadata.name));
      return n && ready(n) === 'True' && n.spec.podCIDR ? n : undefined;
    });
    const [instances] = [await ali.scaling.describeInstances()];
    const inst = instances.find((i: any) => added.spec.providerID === `${cloud!.regionId}.${i.instanceId}`);
    assert.ok(inst, `providerID ${added.spec.providerID} names an emulated instance`);
    assert.equal(added.metadata.name, `${cloud!.regionId}.${(inst as any).privateIpAddress}`);
    assert.equal(added.status.addresses.find((a: any) => a.type === 'InternalIP').address, (inst as any).privateIpAddress);
    assert.equal(added.metadata.labels!['node.kubernetes.io/instance-type'], 'ecs.g7.xlarge');
    assert.equal(added.status.capacity.cpu, '4');
    assert.equal(added.status.capacity.memory, '16Gi');
    // ACK's reservation policy (Kubernetes 1.28+): 6% + 1% + 2 x 0.5% of the first 4 cores (80m);
    // min(11 x 110 pods + 255, 25%) = 1465 MiB + the 300Mi eviction threshold
    assert.equal(added.status.allocatable.cpu, '3920m');
    // the kubelet reports Ki; the API server stores quantities in canonical form, a whole
    // number of MiB as Mi (apimachinery Quantity.String)
    assert.equal(added.status.allocatable.memory, `${16 * 1024 - 1465 - 300}Mi`);
    assert.equal(added.metadata.labels!.workload, 'general', 'labels from the scaling configuration');
    assert.ok(added.metadata.labels!['topology.kubernetes.io/zone']);
    // a pod running there is collected when the node goes, and its ReplicaSet replaces it
    await client.create({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'pinned', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'pinned' } }, template: { metadata: { labels: { app: 'pinned' } },
        spec: { nodeSelector: { 'kubernetes.io/hostname': added.metadata.name }, containers: [{ name: 'c', image: 'busybox:1.36' }] } } } });
    const list = async () => (await client.list<Obj>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'default', labelSelector: 'app=pinned' })).items as Obj[];
    const first = await eventually('pinned pod running on the cloud node', async () => (await list()).find((p) => p.status?.phase === 'Running'));
    assert.equal(first.spec.nodeName, added.metadata.name);
    await ali.scaling.removeInstances(group.scalingGroupId, [(inst as any).instanceId]);
    await eventually('node of the removed instance deleted', async () => !(await cloudNodes()).some((n) => n.metadata.name === added.metadata.name));
    const replacement = await eventually('old pod collected, replacement pending', async () => {
      const ps = await list();
      return !ps.some((p) => p.metadata.name === first.metadata.name) && ps.length === 1 && !ps[0].spec.nodeName ? ps[0] : undefined;
    });
    await eventually('replacement unschedulable', async () => (await client.get<Obj>({ apiVersion: 'v1', kind: 'Pod' }, replacement.metadata.name!, { namespace: 'default' }))
      .status?.conditions?.some((c: any) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
  });
});

