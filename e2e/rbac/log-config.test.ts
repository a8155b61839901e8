// The log-config controller run as a pod under the chart's generated ClusterRole: an
// AliyunLogConfig becomes Ready (statusCode 200) and its Logtail config exists in the emulator;
// without update/patch on aliyunlogconfigs/status it hits a 403 naming that subresource and
// the status never becomes OK.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { PROJECT, alc, apply, eventually, fileSpec, getAlc, ready, simState, startLogEnv, type LogEnv } from '../log-config/harness.js';
import { chartClusterRole, cloudPodEnv, rulesWithout, runUnderRole, type RolePod } from './harness.js';

const ARGS = [
  'log-config', '--metrics-bind-address', '0', '--health-probe-bind-address', '0',
  '--log-config-drift-check-period', '1s', '--log-config-backoff-base', '200ms', '--log-config-backoff-max', '1s',
];

async function emulatorHasConfig(env: LogEnv, name: string): Promise<boolean> {
  const st = await simState(env);
  return (st.slsProjects ?? []).some((p: any) => p.projectName === PROJECT && (p.configs ?? []).some((c: any) => c.configName === name));
}

describeInProcess('log-config in-cluster under the generated RBAC', 'runs the controller as a pod of its own, also under a role without a rule (another controller of the cluster would compete)', () => {
  let env: LogEnv;
  const pods: RolePod[] = [];
  before(async () => { env = await startLogEnv(); });
  after(async () => {
    for (const p of pods) await p.stop();
    await env?.stop();
  });

  it('an AliyunLogConfig becomes Ready/OK and exists in the emulator, as a pod under the generated role', async () => {
    const p = await runUnderRole(env.server, env.client, 'kubeloop', chartClusterRole().rules, ARGS, cloudPodEnv(env.cloud));
    pods.push(p);
    const fail = (err: unknown) => { throw new Error(`${(err as Error).message}\n${p.pod.output()}`); };
    const r = await apply(env, alc('rbac-ok', fileSpec('rbac-ok-logs')));
    assert.equal(r.code, 0, r.stderr);
    const o = await eventually('Ready with statusCode 200', async () => { const x = await getAlc(env, 'rbac-ok'); return ready(x) && x; }, 30_000).catch(fail);
    assert.equal(o.status.statusCode, 200);
    assert.ok(await emulatorHasConfig(env, 'rbac-ok-logs'), 'the Logtail config is in /_sim/state');
    assert.doesNotMatch(p.pod.output(), /forbidden/i);
    assert.equal(await p.stop(), 0, p.pod.output());
  });

  it('without update/patch on aliyunlogconfigs/status it gets a 403 naming it and the status never becomes OK (test of the test)', async () => {
    const rules = rulesWithout('aliyunlogconfigs/status', ['update', 'patch']);
    assert.ok(!rules.some((r) => r.resources?.includes('aliyunlogconfigs/status') && (r.verbs.includes('update') || r.verbs.includes('patch'))));
    const p = await runUnderRole(env.server, env.client, 'kubeloop-broken', rules, ARGS, cloudPodEnv(env.cloud));
    pods.push(p);
    const r = await apply(env, alc('rbac-broken', fileSpec('rbac-broken-logs')));
    assert.equal(r.code, 0, r.stderr);
    await eventually('a 403 on aliyunlogconfigs/status', async () => /cannot (patch|update) resource \\?"aliyunlogconfigs\/status\\?" in API group/.test(p.pod.output()), 30_000)
      .catch((err) => { throw new Error(`${(err as Error).message}\n${p.pod.output()}`); });
    const o = await getAlc(env, 'rbac-broken');
    assert.notEqual(o?.status?.statusCode, 200, 'the status needs aliyunlogconfigs/status');
    assert.ok(!ready(o));
  });
});
