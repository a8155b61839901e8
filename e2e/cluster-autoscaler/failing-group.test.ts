// One failing node group never stalls the others: a configured group that cannot be read
// (here: it does not exist) is reported Unhealthy in the status ConfigMap and counted in
// errors_total, while the healthy group still scales up.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { deployment, eventually, isRunning, pods, startAutoscaler, startCaEnv, type CaEnv, type Obj, type RunningAutoscaler } from './harness.js';

describeInProcess('cluster autoscaler: a failing group', 'needs scaling groups of its own, one whose instances never boot', () => {
  let env: CaEnv;
  let ca: RunningAutoscaler;
  before(async () => {
    env = await startCaEnv([{ name: 'workers', instanceType: 'ecs.g7.large', min: 0, max: 3 }]);
    ca = await startAutoscaler(env, { nodes: ['0:5:asg-doesnotexist', `0:3:${env.groupId('workers')}`], scaleDownEnabled: false });
  });
  after(async () => {
    await ca?.stop();
    await env?.stop();
  });

  it('scales the healthy group and reports the broken one', async () => {
    const { client } = env;
    await client.create(deployment('app', 2, { cpu: '1400m' }));
    await eventually('pods running', async () => (await pods(client, 'app=app')).filter(isRunning).length === 2, 30_000);
    assert.equal(env.cloud.state.scalingGroups[0].desiredCapacity, 2);
    const status = await eventually('status', async () => {
      const cm = await client.get<Obj>({ apiVersion: 'v1', kind: 'ConfigMap' }, 'cluster-autoscaler-status', { namespace: 'kube-system' });
      return /ready=2/.test(cm.data?.status ?? '') ? cm.data.status as string : undefined;
    });
    assert.match(status, /Name:        asg-doesnotexist\n  Health:      Unhealthy .* error: /);
    assert.match(await ca.registry.metrics(), /cluster_autoscaler_errors_total\{type="cloudProviderError"\} [1-9]/);
  });
});
