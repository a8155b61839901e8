// Token refresh from the token's own ExpireTime, scaled down: the acceptance criterion is a
// 60 s lifetime with a 45 s threshold for 3 minutes; here 6 s / 4.5 s for 12 refreshes (about
// 20 s, same ratios), with 30% of GetAuthorizationToken calls failing, pods pulling all along,
// and no credential text in the helper's log. Every version of the Secrets is checked as a
// watch delivers it (no sampling): each arrives while the token it replaces is still valid.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { MANAGED_LABEL } from '@kubeloop/ack/acr-credential-helper';
import { SharedInformerFactory, type StoreEvent } from '../../src/informer/index.js';
import { describeInProcess } from '../support/index.js';
import {
  K, SECRET, authsOf, cloudCalls, createNamespace, eventually, podsOf, pullSecretsOf, setConfig, setFaults, startAcrEnv, startHelper,
  type AcrEnv, type Obj, type RunningHelper,
} from './harness.js';

const LIFETIME_MS = 6_000;
/** refreshes to watch (at 1.5 s each, about 20 s) */
const REFRESHES = 12;
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
    const problems: string[] = [];
    const held = new Map<string, { password: string; expiresAt: number }>();
    const expiryOf = (password?: string) => env.cloud.state.registryCredentials.find((c) => c.password === password)?.expiresAt ?? 0;
    const pullers: Array<Promise<unknown>> = [];
    let n = 0;
    let versions = 0;
    const onSecret = (e: StoreEvent<Obj>) => {
      const ns = e.obj.metadata.namespace!;
      if (!NAMESPACES.includes(ns) || e.obj.metadata.name !== SECRET) return;
      const now = Date.now();
      if (e.type === 'delete') return void problems.push(`${ns}: the Secret was deleted at +${now - start} ms`);
      const prev = held.get(ns);
      if (prev && prev.expiresAt <= now) problems.push(`${ns}: its token was replaced ${now - prev.expiresAt} ms after it expired`);
      const password = authsOf(e.obj)[env.registryHost]?.password;
      const expiresAt = expiryOf(password);
      if (expiresAt <= now) problems.push(`${ns}: a version of the Secret holds an expired or unknown token at +${now - start} ms`);
      held.set(ns, { password, expiresAt });
      issued.add(password);
      versions++;
      if (ns === NAMESPACES[0] && prev && prev.password !== password) {
        // at each refresh a bare pod pulling with the pull policy Always, in turn in every namespace
        const pns = NAMESPACES[n % NAMESPACES.length];
        pullers.push(env.client.create({
          apiVersion: 'v1', kind: 'Pod', metadata: { name: `puller-${n++}`, namespace: pns },
          spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: `${env.imageRepo}:latest` }] },
        } as Obj));
      }
    };
    const refreshTotal = async () => Number(/acr_credential_refresh_total (\d+)/.exec(await helper!.registry.metrics())?.[1] ?? 0);
    const before = await refreshTotal();
    const watch = new SharedInformerFactory(env.client);
    const secrets = watch.informerFor<Obj>(K.Secret, { labelSelector: `${MANAGED_LABEL}=true` });
    const sub = secrets.events$().subscribe(onSecret);
    try {
      // (a problem ends the watch early: it fails below with what went wrong)
      await eventually(`${REFRESHES} refreshes`, async () => problems.length > 0 || (await refreshTotal()) >= before + REFRESHES, REFRESHES * 5_000);
    } finally {
      sub.unsubscribe();
      watch.shutdown();
    }
    const elapsed = Date.now() - start;
    await Promise.all(pullers);
    assert.deepEqual(problems, []);
    for (const [ns, h] of held) assert.ok(h.expiresAt > Date.now(), `${ns}: the Secret holds an expired token at the end`);
    assert.ok(versions >= REFRESHES * NAMESPACES.length, `Secret versions seen: ${versions}`);
    assert.ok(n >= REFRESHES - 1, `pullers: ${n}`);
    for (const c of (await env.state()).registryCredentials) issued.add(c.password);
    assert.ok(issued.size >= REFRESHES, `tokens seen: ${issued.size}`);

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
    // and not more often than the threshold says (one per 1.5 s of token life, plus retries)
    assert.ok(refreshes >= REFRESHES && refreshes <= Math.ceil(elapsed / 1_500) + 6, `refreshes: ${refreshes} in ${elapsed} ms`);
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
