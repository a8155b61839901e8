// Token refresh from the token's own ExpireTime, scaled down: the acceptance criterion is a
// 60 s lifetime with a 45 s threshold for 3 minutes; here 6 s / 4.5 s for 20 s (same ratios),
// with 30% of GetAuthorizationToken calls failing, pods pulling all along, and no credential
// text in the helper's log.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import {
  K, SECRET, authsOf, cloudCalls, createNamespace, eventually, podsOf, pullSecretsOf, secretOf, setConfig, setFaults, startAcrEnv, startHelper,
  type AcrEnv, type Obj, type RunningHelper,
} from './harness.js';

const LIFETIME_MS = 6_000;
const RUN_MS = 20_000;
const NAMESPACES = ['default', 'r-1', 'r-2'];

describeInProcess('ACR credential helper: refresh before expiry under API faults', 'shortens the emulator\'s token lifetime and reads the helper\'s logs', () => {
  let env: AcrEnv;
  let helper: RunningHelper | undefined;

  before(async () => {
    env = await startAcrEnv({ tokenLifetimeMs: LIFETIME_MS });
    for (const ns of NAMESPACES.slice(1)) await createNamespace(env, ns);
    await setConfig(env, { 'watch-namespace': NAMESPACES.join(','), 'expiring-threshold': '4.5s' });
    await setFaults(env, { action: 'GetAuthorizationToken', errorRate: 0.3 });
    await cloudCalls(env, true);
    helper = await startHelper(env);
  });
  after(async () => {
    await helper?.stop();
    await env?.stop();
  });

  it('keeps every Secret valid, pods pull without a failure, one token per refresh for all namespaces, no token in logs', async () => {
    for (const ns of NAMESPACES) await eventually(`SA default in ${ns} references the secret`, async () => (await pullSecretsOf(env, ns, 'default')).includes(SECRET));
    const issued = new Set<string>();
    const start = Date.now();
    let n = 0;
    let samples = 0;
    let nextPod = start;
    while (Date.now() - start < RUN_MS) {
      const now = Date.now();
      for (const ns of NAMESPACES) {
        const auths = authsOf((await secretOf(env, ns))!);
        const a = auths[env.registryHost];
        issued.add(a.password);
        const cred = (await env.state()).registryCredentials.find((c) => c.password === a.password);
        assert.ok(cred && cred.expiresAt > now, `${ns}: the Secret holds an expired token at +${now - start} ms`);
        samples++;
      }
      if (now >= nextPod) {
        // bare pods pulling with the pull policy Always, in turn in every namespace
        const ns = NAMESPACES[n % NAMESPACES.length];
        await env.client.create({
          apiVersion: 'v1', kind: 'Pod', metadata: { name: `puller-${n++}`, namespace: ns },
          spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: `${env.imageRepo}:latest` }] },
        } as Obj);
        nextPod = now + 1_000;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(samples > 100);
    for (const c of (await env.state()).registryCredentials) issued.add(c.password);
    // 20 s of 6 s tokens refreshed 1.5 s after issue: several refreshes happened
    assert.ok(issued.size >= 4, `tokens seen: ${issued.size}`);

    for (const ns of NAMESPACES) {
      await eventually(`pullers in ${ns} Running`, async () => {
        const ps = (await podsOf(env, ns)).filter((p) => p.metadata.name!.startsWith('puller-'));
        return ps.length > 0 && ps.every((p) => p.status?.phase === 'Running');
      });
      const failed = ((await env.client.list<Obj>(K.Event, { namespace: ns })).items as Obj[]).filter((e) => e.reason === 'Failed');
      assert.deepEqual(failed.map((e) => e.message), [], `${ns}: pull failures`);
    }

    // one GetAuthorizationToken per refresh, shared by the three namespaces (a per-namespace
    // design would need about three times as many)
    const m = await helper!.registry.metrics();
    const refreshes = Number(/acr_credential_refresh_total (\d+)/.exec(m)?.[1]);
    assert.ok(refreshes >= 4 && refreshes <= Math.ceil(RUN_MS / 1_500) + 6, `refreshes: ${refreshes}`);
    const calls = await cloudCalls(env);
    assert.ok((calls.GetAuthorizationToken ?? 0) >= refreshes, JSON.stringify(calls));
    assert.match(m, /acr_credential_expiry_timestamp_seconds\{registry="[^"]+",instance="cri-[^"]+"\} \d+/);

    const log = helper!.logs.join('');
    assert.ok(log.length > 0);
    for (const t of issued) {
      assert.ok(!log.includes(t), 'a registry token appears in the log');
      assert.ok(!log.includes(Buffer.from(`cr_temp_user:${t}`).toString('base64')), 'a registry auth string appears in the log');
    }
  });
});
