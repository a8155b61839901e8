// Several registry instances in one Secret: an instance by id with its domains from
// ListInstanceEndpoint, another with explicitly configured domains; one token per instance.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import {
  SECOND_INSTANCE, authsOf, eventually, podsOf, pullSecretsOf, SECRET, secretOf, setConfig, startAcrEnv, startHelper,
  type AcrEnv, type Obj, type RunningHelper,
} from './harness.js';

describeInProcess('ACR credential helper: several registry instances', 'adds a second registry instance to an emulator of its own', () => {
  let env: AcrEnv;
  let helper: RunningHelper | undefined;
  before(async () => {
    env = await startAcrEnv({ secondRegistry: true });
    helper = await startHelper(env);
  });
  after(async () => {
    await helper?.stop();
    await env?.stop();
  });

  it('writes an auths entry per domain of every instance, and pods pull from both', async () => {
    const first = (await env.state()).registries[0];
    const secondHost = `second-registry.cr.kubeloop.local:${env.emulatorPort()}`;
    await setConfig(env, {
      'acr-registry-info': `- instanceId: ${first.instanceId}\n- instanceId: ${SECOND_INSTANCE}\n  domains: ["${secondHost}"]\n`,
    });
    await eventually('SA default references the secret', async () => (await pullSecretsOf(env, 'default', 'default')).includes(SECRET));
    const auths = await eventually('three domains', async () => { const s = await secretOf(env, 'default'); return s && Object.keys(authsOf(s)).length === 3 && authsOf(s); });
    const vpcHost = first.vpcDomains[0].replace('{port}', String(env.emulatorPort()));
    assert.deepEqual(Object.keys(auths).sort(), [env.registryHost, vpcHost, secondHost].sort());
    assert.equal(auths[env.registryHost].password, auths[vpcHost].password);
    assert.notEqual(auths[env.registryHost].password, auths[secondHost].password);
    const st = await env.state();
    const owner = (pw: string) => st.registryCredentials.find((c) => c.password === pw)?.instanceId;
    assert.equal(owner(auths[env.registryHost].password), first.instanceId);
    assert.equal(owner(auths[secondHost].password), SECOND_INSTANCE);

    for (const [name, image] of [['from-first', `${env.imageRepo}:v1`], ['from-second', `${secondHost}/team/svc:v1`]]) {
      await env.client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image }] } } as Obj);
    }
    await eventually('both pods Running', async () => (await podsOf(env, 'default')).filter((p) => p.status?.phase === 'Running').length === 2);
  });
});
