// The ConfigMap keys ACK documents for aliyun-acr-credential-helper: the cross-account RRSA
// fields of an acr-registry-info item (rrsaRoleARN: the cluster's role, assumed with the pod's
// RRSA OIDC token through rrsaOIDCProviderRoleARN; then assumeRoleARN in the other account)
// are accepted and used; notify-email needs nothing; an unknown key is a Warning Event, not a
// rejected ConfigMap. Failures are counted per registry; no Event ever carries a token.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  K, authsOf, cloudCalls, eventually, eventsFor, pullSecretsOf, SECRET, secretOf, denyRam, liftRamDeny, setConfig, startAcrEnv, startHelper,
  type AcrEnv, type Obj, type RunningHelper,
} from './harness.js';

/** A projected ServiceAccount token as ACK mounts it for RRSA (a JWT; the emulator checks its form and expiry). */
function oidcToken(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ iss: 'https://oidc-ack.cn-hangzhou.aliyuncs.com/c123', sub: 'system:serviceaccount:kube-system:kubeloop', exp: Math.floor(Date.now() / 1000) + 3600 })}.c2ln`;
}

describeInProcess('ACR credential helper: ACK\'s ConfigMap keys', 'needs an OIDC token file in the helper\'s environment (RRSA)', () => {
  let env: AcrEnv;
  let helper: RunningHelper | undefined;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeloop-rrsa-'));
    writeFileSync(join(dir, 'token'), oidcToken());
    process.env.ALIBABA_CLOUD_OIDC_TOKEN_FILE = join(dir, 'token');
    env = await startAcrEnv();
    helper = await startHelper(env);
  });
  after(async () => {
    await helper?.stop();
    await env?.stop();
    delete process.env.ALIBABA_CLOUD_OIDC_TOKEN_FILE;
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses rrsaRoleARN/rrsaOIDCProviderRoleARN (AssumeRoleWithOIDC, then assumeRoleARN) and warns about an unknown key', async () => {
    const instanceId = (await env.state()).registries[0].instanceId;
    await cloudCalls(env, true);
    await setConfig(env, {
      'notify-email': 'ops@example.com',
      'future-option': 'on',
      'acr-registry-info': `- instanceId: ${instanceId}\n  assumeRoleARN: acs:ram::222222222222:role/acr-puller\n  expireDuration: 3600\n`
        + '  rrsaRoleARN: acs:ram::111111111111:role/cluster-role\n  rrsaOIDCProviderRoleARN: acs:ram::111111111111:oidc-provider/ack-rrsa-c123\n',
    });
    await eventually('SA default references the secret', async () => (await pullSecretsOf(env, 'default', 'default')).includes(SECRET));
    const auths = await eventually('credentials', async () => { const s = await secretOf(env, 'default'); return s && authsOf(s); });
    assert.ok(auths[env.registryHost]);
    const calls = await cloudCalls(env);
    assert.ok((calls.AssumeRoleWithOIDC ?? 0) >= 1, `RRSA used: ${JSON.stringify(calls)}`);
    assert.ok((calls.AssumeRole ?? 0) >= 1, 'then the cross-account role');
    const warn = await eventually('a Warning Event about the unknown key', async () =>
      (await eventsFor(env, 'kube-system', 'acr-configuration')).find((e) => e.reason === 'UnknownConfigurationKey'));
    assert.equal(warn.type, 'Warning');
    assert.match(warn.message, /future-option/);
    assert.doesNotMatch(warn.message, /notify-email/, 'a documented key needs no warning');
    assert.ok(!(await eventsFor(env, 'kube-system', 'acr-configuration')).some((e) => e.reason === 'InvalidConfiguration'));
  });

  it('counts failures per registry, and no Event ever carries a token', async () => {
    const instanceId = (await env.state()).registries[0].instanceId;
    await denyRam(env, 'cr:GetAuthorizationToken');
    // an Enterprise instance and the region's Personal Edition
    await setConfig(env, { 'acr-registry-info': `- instanceId: ${instanceId}\n- regionId: ${env.emulator.regionId}\n` });
    const m = await eventually('failures of both registries counted', async () => {
      const text = await helper!.registry.metrics();
      return new RegExp(`acr_credential_refresh_failures_total\\{instance="${instanceId}"\\} [1-9]`).test(text)
        && new RegExp(`acr_credential_refresh_failures_total\\{instance="personal/${env.emulator.regionId}"\\} [1-9]`).test(text) && text;
    });
    assert.ok(m);
    await liftRamDeny(env);
    await eventually('credentials again', async () => { const s = await secretOf(env, 'default'); return s && Object.keys(authsOf(s)).length === 4; });
    const tokens = (await env.state()).registryCredentials.map((c) => c.password);
    assert.ok(tokens.length > 0);
    const events = (await Promise.all(['default', 'kube-system'].map((ns) => env.client.list<Obj>(K.Event, { namespace: ns })))).flatMap((l) => l.items as Obj[]);
    assert.ok(events.length > 0);
    for (const e of events) {
      for (const t of tokens) assert.ok(!JSON.stringify(e).includes(t), `Event ${e.reason} carries a token`);
      assert.doesNotMatch(JSON.stringify(e), /"auth":/, 'no docker config in an Event');
    }
  });
});
