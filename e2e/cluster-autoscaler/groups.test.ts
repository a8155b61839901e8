// Several auto-discovered groups: a tainted pool, a pool in another zone and a plain one.
// Template nodes carry the group's taints (from the scaling configuration's user data) and
// zone (from its vSwitches), so tolerating and zone-pinned pods scale the right group, the
// rest never lands on the tainted pool, and pods no group can take get NotTriggerScaleUp.
// A group with more than 10 instances (paged lookups) is fully recognised.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { deployment, events, eventually, isRunning, nodes, pods, startAutoscaler, startCaEnv, type CaEnv, type Obj, type RunningAutoscaler } from './harness.js';

describeInProcess('cluster autoscaler: several node groups', 'needs several scaling groups of its own (labels, taints, priorities)', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler;
  before(async () => {
    env = await startCaEnv([
      { name: 'general', instanceType: 'ecs.g7.large', min: 0, max: 5, zone: 'cn-hangzhou-k' },
      { name: 'batch', instanceType: 'ecs.g7.2xlarge', min: 0, max: 3, zone: 'cn-hangzhou-k', taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] },
      { name: 'zoneb', instanceType: 'ecs.c7.xlarge', min: 0, max: 3, zone: 'cn-hangzhou-b' },
      { name: 'many', instanceType: 'ecs.g7.large', min: 12, max: 12, desired: 12, labels: { big: 'true' }, taints: [{ key: 'many', effect: 'NoSchedule' }] },
    ]);
    await eventually('12 nodes of the big group', async () => (await nodes(env.client)).length === 12, 30_000);
    ca = await startAutoscaler(env, { nodeGroupAutoDiscovery: ['tag:k8s.io/cluster-autoscaler/enabled=true'], scaleDownEnabled: false });
  });
  after(async () => {
    await ca?.stop();
    await env?.stop();
  });

  const group = (name: string) => env.cloud.state.scalingGroups.find((g) => g.scalingGroupId === env.groupId(name))!;
  const nodeOf = async (p: Obj) => (await nodes(env.client)).find((n) => n.metadata.name === p.spec.nodeName);

  it('recognises every node of a group with more than 10 instances (nothing upcoming, nothing added)', async () => {
    const status = await eventually('status', async () => {
      const cm = await env.client.get<Obj>({ apiVersion: 'v1', kind: 'ConfigMap' }, 'cluster-autoscaler-status', { namespace: 'kube-system' });
      return cm.data?.status as string | undefined;
    });
    assert.match(status, new RegExp(`Name:        ${env.groupId('many')}\\n  Health:      Healthy \\(ready=12 unready=0 notStarted=0 registered=12 longUnregistered=0 cloudProviderTarget=12`));
    assert.match(status, /Cluster-wide:\n  Health:      Healthy \(ready=12 unready=0 notStarted=0 registered=12/);
  });

  it('tolerating pods scale the tainted group, zone-pinned pods the zone\'s group, others never the tainted one', async () => {
    const { client } = env;
    // plain pods of 1.4 cores and 4 GiB: one per node of either untainted pool (a 2-core ACK
    // node leaves 1480m and an 8 GiB one about 5.8 GiB after the reservation and the system
    // DaemonSets); least-waste prefers the 2-core/8 GiB general nodes over the 4-core/8 GiB zone-b ones
    await client.create(deployment('plain', 2, { cpu: '1400m', memory: '4Gi' }));
    await eventually('plain pods running', async () => (await pods(client, 'app=plain')).filter(isRunning).length === 2, 40_000);
    assert.equal(group('general').desiredCapacity, 2);
    assert.equal(group('zoneb').desiredCapacity, 0);
    await client.create(deployment('batch', 1, { cpu: '6', nodeSelector: { pool: 'batch' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }] }));
    await client.create(deployment('zonal', 1, { cpu: '1', affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['cn-hangzhou-b'] }] }] } } } }));
    await eventually('all pods running', async () => (await pods(client)).filter(isRunning).length === 4, 40_000).catch(async (err) => {
      const evs = ((await client.list<Obj>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' })).items as Obj[]).map((e) => `${e.reason} ${e.involvedObject?.name}: ${e.message}`);
      const ps = (await pods(client)).map((p) => `${p.metadata.name} ${p.spec.nodeName} ${p.status?.phase} ${JSON.stringify(p.status?.conditions)}`);
      const ns = (await nodes(client)).filter((n) => n.metadata.labels?.pool !== 'many').map((n) => `${n.metadata.name} ${n.metadata.labels?.pool} ${JSON.stringify(n.status?.allocatable)} ${JSON.stringify(n.spec?.taints)} ready=${JSON.stringify(n.status?.conditions?.find((c: any) => c.type === 'Ready')?.status)}`);
      throw new Error(`${(err as Error).message}\n${evs.filter((e) => !/CIDR|Pull|Creat|Start|Regist|NodeReady|Scheduled |Scaling/.test(e)).join('\n')}\n${ps.join('\n')}\n${ns.join('\n')}`);
    });
    assert.equal(group('batch').desiredCapacity, 1);
    assert.equal(group('zoneb').desiredCapacity, 1);
    assert.equal(group('general').desiredCapacity, 2);
    for (const p of await pods(client, 'app=batch')) assert.equal((await nodeOf(p))?.metadata.labels?.pool, 'batch');
    for (const p of await pods(client, 'app=zonal')) assert.equal((await nodeOf(p))?.metadata.labels?.['topology.kubernetes.io/zone'], 'cn-hangzhou-b');
    for (const p of await pods(client, 'app=plain')) assert.equal((await nodeOf(p))?.metadata.labels?.pool, 'general');
    const triggered = await events(client, 'TriggeredScaleUp');
    assert.ok(triggered.some((e) => e.involvedObject.name.startsWith('batch-') && e.message.includes(env.groupId('batch'))));
    assert.ok(triggered.some((e) => e.involvedObject.name.startsWith('zonal-') && e.message.includes(env.groupId('zoneb'))));
  });

  it('pods no group can take get NotTriggerScaleUp with the reasons', async () => {
    const { client } = env;
    await client.create(deployment('huge', 1, { cpu: '64' }));
    await client.create(deployment('elsewhere', 1, { cpu: '100m', nodeSelector: { 'topology.kubernetes.io/zone': 'cn-hangzhou-z' } }));
    const huge = await eventually('NotTriggerScaleUp for huge', async () => (await events(client, 'NotTriggerScaleUp')).find((e) => e.involvedObject.name.startsWith('huge-')), 20_000);
    assert.equal(huge.message, "pod didn't trigger scale-up: 2 Insufficient cpu, 1 max node group size reached, 1 node(s) had untolerated taint {dedicated: batch}");
    const elsewhere = await eventually('NotTriggerScaleUp for elsewhere', async () => (await events(client, 'NotTriggerScaleUp')).find((e) => e.involvedObject.name.startsWith('elsewhere-')), 20_000);
    assert.equal(elsewhere.message, "pod didn't trigger scale-up: 1 max node group size reached, 3 node(s) didn't match Pod's node affinity/selector");
    assert.equal(group('general').desiredCapacity, 2);
    assert.equal(group('batch').desiredCapacity, 1);
    assert.equal(group('zoneb').desiredCapacity, 1);
  });
});
