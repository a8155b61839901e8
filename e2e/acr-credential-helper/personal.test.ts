// Container Registry Personal Edition. ACK documents: "Leave instanceId empty for a Personal
// Edition ACR instance"; its registry is registry[-vpc].<region>.aliyuncs.com and its login
// comes from its own token API (CR 2016-06-07 GetAuthorizationToken, GET /tokens), not from
// an Enterprise Edition instance.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeNeeds } from '../support/index.js';
import {
  authsOf, eventually, pullSecretsOf, SECRET, secretOf, setConfig, startAcrEnv, startHelper,
  type AcrEnv, type RunningHelper,
} from './harness.js';

describeNeeds('ACR credential helper: Personal Edition', { cloud: true }, () => {
  let env: AcrEnv;
  let helper: RunningHelper | undefined;
  before(async () => {
    env = await startAcrEnv();
    helper = await startHelper(env);
  });
  after(async () => {
    await helper?.stop();
    await env?.stop();
  });

  it('an entry without instanceId logs in to the region\'s Personal Edition registry with its token API', async () => {
    await setConfig(env, { 'acr-registry-info': '- regionId: cn-hangzhou\n' });
    await eventually('SA default references the secret', async () => (await pullSecretsOf(env, 'default', 'default')).includes(SECRET));
    // (on a shared cluster the Secret may still hold the previous configuration's registry for a moment)
    const auths = await eventually('the Personal Edition domains', async () => {
      const s = await secretOf(env, 'default');
      return s && authsOf(s)['registry.cn-hangzhou.aliyuncs.com'] ? authsOf(s) : undefined;
    });
    assert.deepEqual(Object.keys(auths).sort(), ['registry-vpc.cn-hangzhou.aliyuncs.com', 'registry.cn-hangzhou.aliyuncs.com']);
    const minted = (await env.state()).registryCredentials.find((c) => c.password === auths['registry.cn-hangzhou.aliyuncs.com'].password);
    assert.equal(minted?.instanceId, 'personal', 'the token comes from the Personal Edition token API, not from an Enterprise instance');
    assert.equal(auths['registry.cn-hangzhou.aliyuncs.com'].username, 'cr_temp_user');
  });
});
