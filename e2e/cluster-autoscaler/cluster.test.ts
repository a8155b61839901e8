// The cluster autoscaler as installed, in both modes (in-process; E2E_TARGET=external against
// the cluster's own autoscaler, its tag-discovered scaling group and simulated nodes): pods
// that fit on no node raise the group's desired capacity, the new instances join as nodes and
// the pods run; once the pods are gone the group shrinks back. Only the Kubernetes API and the
// emulator's /_sim/state are used; the replica count and cpu request come from what the
// cluster and the group's instance type say, not from a known topology.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeNeeds, EXTERNAL, externalNamespace, externalTarget, emulatorState, type EmulatorEndpoint } from '../support/index.js';
import { deployment, eventually, isReady, isRunning, nodes, pods, startAutoscaler, startCaEnv, type Obj } from './harness.js';
import type { KubeClient } from '../../src/client/index.js';

interface Target { client: KubeClient; emulator: EmulatorEndpoint; ns: string; stop(): Promise<void> }

/** cpu quantity ("3800m", "4") in millicores */
const millis = (q: string): number => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);

describeNeeds('cluster autoscaler (in-process or the cluster\'s)', { simulatedNodes: true, cloud: true }, () => {
  let t: Target;
  before(async () => {
    if (EXTERNAL) {
      const x = externalTarget();
      const client = x.client();
      const ns = await externalNamespace(client, 'e2e-autoscaler');
      t = { client, emulator: x.cloud!, ns: ns.name, stop: async () => { await ns.remove(); client.close(); } };
      return;
    }
    const env = await startCaEnv([{ name: 'workers', instanceType: 'ecs.g7.large', min: 1, max: 6, desired: 1 }]);
    await eventually('the first node is ready', async () => (await nodes(env.client)).filter(isReady).length === 1);
    const ca = await startAutoscaler(env, { nodeGroupAutoDiscovery: [], nodes: [`1:6:${env.groupId('workers')}`], scaleDownUnneededTime: '2s' });
    const emulator = { url: env.cloud.url, regionId: env.cloud.regionId, accessKeyId: env.cloud.accessKeyId, accessKeySecret: env.cloud.accessKeySecret };
    t = { client: env.client, emulator, ns: 'default', stop: async () => { await ca.stop(); await env.stop(); } };
  });
  after(async () => { await t?.stop(); });

  it('scales the group up for pods that fit nowhere, runs them on the new nodes, and scales back down once they are gone', async () => {
    const state = await emulatorState(t.emulator);
    const group = state.scalingGroups[0];
    const conf = state.scalingConfigurations.find((c: any) => c.scalingGroupId === group.scalingGroupId);
    const type = state.instanceTypes.find((x: any) => x.instanceTypeId === conf.instanceType);
    const before = group.desiredCapacity as number;
    // half a new instance's cores: one pod per new node, whatever else runs there
    const cpu = `${type.cpuCoreCount * 500}m`;
    // more replicas than the cluster's allocatable cpu could ever hold: some pods must wait
    const ready = (await nodes(t.client)).filter((n) => isReady(n) && !n.spec?.unschedulable);
    const fit = ready.reduce((sum, n) => sum + Math.floor(millis(n.status.allocatable.cpu) / millis(cpu)), 0);
    const replicas = fit + 1;
    assert.ok(before + 1 <= group.maxSize, `the group can grow (desired ${before}, max ${group.maxSize})`);
    await t.client.create(deployment('burst', replicas, { cpu, memory: '64Mi', namespace: t.ns }));

    const ev = await eventually('TriggeredScaleUp on a pending pod', async () =>
      ((await t.client.list<Obj>({ apiVersion: 'v1', kind: 'Event' }, { namespace: t.ns })).items as Obj[]).find((e) => e.reason === 'TriggeredScaleUp'), 60_000);
    assert.match(ev.message, new RegExp(`pod triggered scale-up: \\[\\{${group.scalingGroupId} ${before}->\\d+ \\(max: ${group.maxSize}\\)\\}\\]`));
    const grown = await eventually('desired capacity raised', async () => {
      const g = (await emulatorState(t.emulator)).scalingGroups.find((x: any) => x.scalingGroupId === group.scalingGroupId);
      return g.desiredCapacity > before ? g.desiredCapacity as number : undefined;
    });
    await eventually(`${replicas} pods running`, async () => (await pods(t.client, 'app=burst', t.ns)).filter(isRunning).length === replicas, 90_000);
    assert.ok(grown <= group.maxSize);

    await t.client.delete({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'burst', { namespace: t.ns });
    await eventually('the group back to its size', async () => {
      const g = (await emulatorState(t.emulator)).scalingGroups.find((x: any) => x.scalingGroupId === group.scalingGroupId);
      return g.desiredCapacity === before;
    }, 120_000);
  });
});
