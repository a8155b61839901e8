// The ACR credential helper run as a pod under the chart's generated ClusterRole: it writes its
// dockerconfigjson Secret and references it from the watched ServiceAccount; without the
// serviceaccounts update/patch verbs it hits a 403 naming serviceaccounts and never does.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { SECRET, createNamespace, eventually, pullSecretsOf, secretOf, setConfig, startAcrEnv, type AcrEnv } from '../acr-credential-helper/harness.js';
import { chartClusterRole, cloudPodEnv, rulesWithout, runUnderRole, type RolePod } from './harness.js';

const ARGS = ['acr-credential-helper', '--metrics-bind-address', '0', '--health-probe-bind-address', '0'];

describeInProcess('acr-credential-helper in-cluster under the generated RBAC', 'runs the helper as a pod of its own, also under a role without a rule (another helper of the cluster would compete)', () => {
  let env: AcrEnv;
  const pods: RolePod[] = [];
  before(async () => {
    env = await startAcrEnv();
    await createNamespace(env, 'ns-a');
    await createNamespace(env, 'ns-b');
  });
  after(async () => {
    for (const p of pods) await p.stop();
    await env?.stop();
  });

  it('writes the Secret and references it from the ServiceAccount as a pod under the generated role', async () => {
    await setConfig(env, { 'watch-namespace': 'ns-a', 'service-account': 'default' });
    const role = chartClusterRole();
    const p = await runUnderRole(env.server, env.client, 'kubeloop', role.rules, ARGS, cloudPodEnv(env.cloud));
    pods.push(p);
    const fail = (err: unknown) => { throw new Error(`${(err as Error).message}\n${p.pod.output()}`); };
    const secret = await eventually('Secret in ns-a', () => secretOf(env, 'ns-a')).catch(fail);
    assert.equal(secret.type, 'kubernetes.io/dockerconfigjson');
    await eventually('default SA references the Secret', async () => (await pullSecretsOf(env, 'ns-a', 'default')).includes(SECRET)).catch(fail);
    assert.doesNotMatch(p.pod.output(), /forbidden/i);
    assert.equal(await p.stop(), 0, p.pod.output());
  });

  it('without update/patch on serviceaccounts it gets a 403 naming serviceaccounts and never adds the reference (test of the test)', async () => {
    const rules = rulesWithout('serviceaccounts', ['update', 'patch']);
    assert.ok(rules.some((r) => r.resources?.includes('serviceaccounts') && r.verbs.includes('get')), 'reading is still allowed');
    await setConfig(env, { 'watch-namespace': 'ns-b', 'service-account': 'default' });
    const p = await runUnderRole(env.server, env.client, 'kubeloop-broken', rules, ARGS, cloudPodEnv(env.cloud));
    pods.push(p);
    await eventually('a 403 on serviceaccounts', () => /cannot (patch|update) resource \\?"serviceaccounts\\?" in API group/.test(p.pod.output()))
      .catch((err) => { throw new Error(`${(err as Error).message}\n${p.pod.output()}`); });
    await eventually('the Secret itself (still allowed) in ns-b', () => secretOf(env, 'ns-b'));
    assert.ok(!(await pullSecretsOf(env, 'ns-b', 'default')).includes(SECRET), 'the reference needs serviceaccounts update/patch');
  });
});
