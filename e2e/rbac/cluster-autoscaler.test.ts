// The cluster autoscaler run as a pod under the chart's generated ClusterRole: pending pods
// that need a node lead to a TriggeredScaleUp Event, a higher desired capacity of the scaling
// group and a status ConfigMap; without create/update/patch on configmaps it hits a 403 naming
// configmaps and never writes its status ConfigMap.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { deployment, eventually, events, startCaEnv, type CaEnv, type Obj } from '../cluster-autoscaler/harness.js';
import { chartClusterRole, cloudPodEnv, rulesWithout, runUnderRole, type RolePod } from './harness.js';

const ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap' };

function caArgs(env: CaEnv, statusName: string): string[] {
  return [
    'cluster-autoscaler', '--nodes', `0:4:${env.groupId('workers')}`, '--scan-interval', '300ms', '--scale-down-enabled=false',
    '--status-config-map-name', statusName, '--metrics-bind-address', '0', '--health-probe-bind-address', '0',
  ];
}

async function statusConfigMap(env: CaEnv, name: string): Promise<Obj | undefined> {
  try { return await env.client.get<Obj>(ConfigMap, name, { namespace: 'kube-system' }); } catch { return undefined; }
}

describeInProcess('cluster-autoscaler in-cluster under the generated RBAC', 'runs the autoscaler as a pod of its own, also under a role without a rule (another autoscaler of the cluster would compete)', () => {
  let env: CaEnv;
  const pods: RolePod[] = [];
  before(async () => { env = await startCaEnv([{ name: 'workers', instanceType: 'ecs.g7.large', min: 0, max: 4 }]); });
  after(async () => {
    for (const p of pods) await p.stop();
    await env?.stop();
  });

  it('scales the group up for pending pods and writes its status, as a pod under the generated role', async () => {
    const p = await runUnderRole(env.server, env.client, 'kubeloop', chartClusterRole().rules, caArgs(env, 'ca-status'), cloudPodEnv(env.cloud));
    pods.push(p);
    const fail = (err: unknown) => { throw new Error(`${(err as Error).message}\n${p.pod.output()}`); };
    // a 2-core ACK node leaves 1480m after the reservation and the system DaemonSet pods: one pod per new node
    await env.client.create(deployment('rbac', 2, { cpu: '1400m' }));
    await eventually('a TriggeredScaleUp Event', async () => (await events(env.client, 'TriggeredScaleUp')).length > 0, 30_000).catch(fail);
    await eventually('desired capacity risen', () => env.cloud.state.scalingGroups[0].desiredCapacity! >= 1, 30_000).catch(fail);
    const cm = await eventually('status ConfigMap', () => statusConfigMap(env, 'ca-status'), 30_000).catch(fail);
    assert.match(cm.data.status, /Cluster-autoscaler status at/);
    assert.doesNotMatch(p.pod.output(), /forbidden/i);
    assert.equal(await p.stop(), 0, p.pod.output());
  });

  it('without create/update/patch on configmaps it gets a 403 naming configmaps and never writes its status (test of the test)', async () => {
    const rules = rulesWithout('configmaps', ['create', 'update', 'patch']);
    assert.ok(rules.some((r) => r.resources?.includes('configmaps') && r.verbs.includes('get')), 'reading is still allowed');
    const p = await runUnderRole(env.server, env.client, 'kubeloop-broken', rules, caArgs(env, 'ca-status-broken'), cloudPodEnv(env.cloud));
    pods.push(p);
    await eventually('a 403 on configmaps', () => /cannot (create|update|patch) resource \\?"configmaps\\?" in API group/.test(p.pod.output()), 30_000)
      .catch((err) => { throw new Error(`${(err as Error).message}\n${p.pod.output()}`); });
    assert.equal(await statusConfigMap(env, 'ca-status-broken'), undefined, 'the status ConfigMap needs configmaps create');
  });
});
