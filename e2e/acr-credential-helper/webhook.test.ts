// The webhook mode (--acr-webhook + webhook-configuration.enable): a namespace, its ServiceAccount
// and a bare pod created together with one `kubectl apply -f` against the built-in API server.
// The race is made deterministic the way it happens in a cluster whose helper lags behind: the
// helper starts as a standby (another replica holds its Lease), so its controllers do nothing
// while its webhooks serve (webhooks run on every replica). Without the webhook the pod is
// admitted without the Secret and never pulls, even after the controller catches up (a pod's
// imagePullSecrets are fixed at admission; a bare pod is not recreated); with it the pod, the
// ServiceAccount and the Secret are right at admission and the pod runs.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describeInProcess, kubectlFor } from '../support/index.js';
import {
  K, SECRET, WEBHOOK_CONFIGURATION, addRepository, authsOf, eventually, eventsFor, pullSecretsOf, secretOf, setConfig, startAcrEnv, startHelper,
  waitingReason, type AcrEnv, type Obj, type RunningHelper,
} from './harness.js';

const LEASE = 'acr-credential-helper';
const microTime = () => new Date().toISOString().replace(/Z$/, '000Z');
const podSecrets = (p: Obj): string[] => (p.spec?.imagePullSecrets ?? []).map((r: { name: string }) => r.name);

describeInProcess('ACR credential helper: webhook mode', 'starts helpers of its own with --acr-webhook (a standby replica) and registers their webhooks', () => {
  let env: AcrEnv;
  let helper: RunningHelper | undefined;
  let dir: string;
  let kubectl: ReturnType<typeof kubectlFor>;

  before(async () => {
    env = await startAcrEnv();
    dir = mkdtempSync(join(tmpdir(), 'acr-webhook-'));
    kubectl = kubectlFor(env.server.kubeconfigPath, dir);
    // the Lease of a previous leader that is gone; handed over below
    await env.client.create({
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LEASE, namespace: 'kube-system' },
      spec: { holderIdentity: 'previous-leader', leaseDurationSeconds: 3600, acquireTime: microTime(), renewTime: microTime() },
    });
    helper = await startHelper(env, { acrWebhook: true }, [], {
      leaderElection: { leaseName: LEASE, leaseNamespace: 'kube-system', leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 },
    });
    assert.equal(helper.manager.isLeader, false);
  });
  after(async () => {
    await helper?.stop();
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the ConfigMap and waits until the helper's cache (what the webhooks read) has it. */
  async function configure(data: Record<string, string>): Promise<void> {
    await setConfig(env, data);
    const want = (await env.client.get<Obj>(K.ConfigMap, 'acr-configuration', { namespace: 'kube-system' })).metadata.resourceVersion;
    await eventually('the helper sees the ConfigMap', () => helper!.manager.cache<Obj>(K.ConfigMap).get('kube-system', 'acr-configuration')?.metadata.resourceVersion === want);
  }

  /** Namespace, ServiceAccount `robot` and a bare pod using it, in one file, applied by kubectl. */
  async function applyTogether(ns: string, image: string): Promise<void> {
    const docs = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: ns } },
      {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app', namespace: ns },
        spec: { serviceAccountName: 'robot', terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image }] },
      },
    ];
    const file = join(dir, `${ns}.yaml`);
    writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
    const r = await kubectl(['apply', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
  }

  const pod = (ns: string) => env.client.get<Obj>(K.Pod, 'app', { namespace: ns });
  const failedPulls = async (ns: string) => (await eventsFor(env, ns, 'app')).filter((e) => e.reason === 'Failed').reduce((n, e) => n + (e.count ?? 1), 0);

  it('with the webhook a pod created with its namespace and ServiceAccount runs; without it, it never pulls', async () => {
    const base = { 'watch-namespace': 'wh-off,wh-on,wh-own', 'service-account': 'default,robot' };

    // enabled: everything is right at admission, with no reconcile having run
    await configure({ ...base, 'webhook-configuration': 'enable: true\nfailure-policy: Ignore\ntimeout-seconds: 10\n' });
    await applyTogether('wh-on', await addRepository(env, 'wh-on'));
    assert.deepEqual(podSecrets(await pod('wh-on')), [SECRET]);
    assert.deepEqual(await pullSecretsOf(env, 'wh-on', 'robot'), [SECRET]);
    const secret = await secretOf(env, 'wh-on');
    assert.ok(secret, 'the Secret is created at admission');
    assert.equal(secret.metadata.labels?.['acr.kubeloop.io/managed'], 'true');
    assert.ok(authsOf(secret)[env.registryHost]);
    await eventually('app Running in wh-on', async () => (await pod('wh-on')).status?.phase === 'Running');
    const failed = (await eventsFor(env, 'wh-on', 'app')).filter((e) => e.reason === 'Failed');
    assert.deepEqual(failed.map((e) => e.message), [], 'no failed pull with the webhook');
    assert.equal(helper!.manager.isLeader, false, 'the controller took no part');

    // disabled in the ConfigMap (served, but acting on nothing): the controller's path only
    await configure({ ...base, 'webhook-configuration': 'enable: false\n' });
    await applyTogether('wh-off', await addRepository(env, 'wh-off'));
    assert.deepEqual(podSecrets(await pod('wh-off')), []);
    await eventually('ErrImagePull in wh-off', async () => /ErrImagePull|ImagePullBackOff/.test(waitingReason(await pod('wh-off')) ?? ''));

    // the controller catches up (it becomes leader): the ServiceAccount and the Secret are
    // there, but the pod's list is fixed and it keeps failing
    const lease = await env.client.get<Obj>(K.Lease, LEASE, { namespace: 'kube-system' });
    await env.client.update({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
    await eventually('the helper leads', () => helper!.manager.isLeader);
    await eventually('robot in wh-off references the Secret', async () => (await pullSecretsOf(env, 'wh-off', 'robot')).includes(SECRET));
    await eventually('the Secret in wh-off', async () => !!(await secretOf(env, 'wh-off')));
    const failuresThen = await failedPulls('wh-off');
    await eventually('another failed pull in wh-off after the Secret exists', async () => (await failedPulls('wh-off')) > failuresThen);
    const still = await pod('wh-off');
    assert.notEqual(still.status?.phase, 'Running');
    assert.deepEqual(podSecrets(still), []);

    // the registry token never reaches a log line
    const log = helper!.logs.join('');
    assert.match(log, /created the pull secret at admission/);
    assert.ok(!log.includes(authsOf(secret)[env.registryHost].password), 'a registry token appears in the log');
  });

  it('adds ours once after the pod\'s own entries, and only where the ServiceAccount path would', async () => {
    await configure({ 'watch-namespace': 'wh-off,wh-on,wh-own', 'service-account': 'default,robot', 'webhook-configuration': 'enable: true\n' });
    await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wh-own' } });
    await eventually('SA default in wh-own', async () => { try { await env.client.get(K.ServiceAccount, 'default', { namespace: 'wh-own' }); return true; } catch { return false; } });
    await env.client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'other', namespace: 'wh-own' } });
    const mk = (name: string, spec: Record<string, unknown>) => env.client.create<Obj>({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'wh-own' },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }], ...spec },
    } as Obj);
    assert.deepEqual(podSecrets(await mk('own', { imagePullSecrets: [{ name: 'mine' }] })), ['mine', SECRET]);
    assert.deepEqual(podSecrets(await mk('both', { imagePullSecrets: [{ name: SECRET }, { name: 'mine' }] })), [SECRET, 'mine']);
    // ServiceAccount "other" is not selected: neither it nor its pods get ours
    assert.deepEqual(podSecrets(await mk('unselected', { serviceAccountName: 'other' })), []);
    assert.deepEqual(await pullSecretsOf(env, 'wh-own', 'other'), []);
    // a server-side dry run is answered too (sideEffects NoneOnDryRun: the webhook creates nothing then)
    const r = await kubectl(['run', 'dry', '-n', 'wh-own', '--image=registry.k8s.io/pause:3.9', '--dry-run=server', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(podSecrets(JSON.parse(r.stdout)), [SECRET]);

    // a Secret of our name that is not ours: nothing there gets a reference to it
    await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wh-taken' } });
    await env.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: SECRET, namespace: 'wh-taken' }, type: 'Opaque', data: { k: 'dg==' } } as Obj);
    await configure({ 'watch-namespace': 'wh-off,wh-on,wh-own,wh-taken', 'service-account': 'default,robot', 'webhook-configuration': 'enable: true\n' });
    await env.client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'wh-taken' } });
    assert.deepEqual(await pullSecretsOf(env, 'wh-taken', 'robot'), []);
    const taken = await eventually('a pod in wh-taken', () => env.client.create<Obj>({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'wh-taken' },
      spec: { serviceAccountName: 'robot', terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }] },
    } as Obj).catch(() => undefined));
    assert.deepEqual(podSecrets(taken), []);
    assert.equal((await env.client.get<Obj>(K.Secret, SECRET, { namespace: 'wh-taken' })).type, 'Opaque');
  });

  it('failurePolicy Ignore: with the helper down, pods are still created', async () => {
    const cfg = await env.client.get<Obj>(K.MutatingWebhookConfiguration, WEBHOOK_CONFIGURATION);
    assert.deepEqual(cfg.webhooks.map((w: Obj) => [w.name, w.failurePolicy, w.sideEffects, w.rules[0].operations]).sort(), [
      ['pods.acr-credential-helper.kubeloop.io', 'Ignore', 'NoneOnDryRun', ['CREATE']],
      ['serviceaccounts.acr-credential-helper.kubeloop.io', 'Ignore', 'NoneOnDryRun', ['CREATE']],
    ]);
    await helper!.manager.stop(); // the configuration stays registered, pointing at nothing
    const p = await env.client.create<Obj>({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'while-down', namespace: 'wh-on' },
      spec: { serviceAccountName: 'robot', terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }] },
    } as Obj);
    // admitted without the webhook: what the ServiceAccount path gives (robot references ours)
    assert.deepEqual(podSecrets(p), [SECRET]);
    const sa = await env.client.create<Obj>({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'while-down', namespace: 'wh-on' } });
    assert.equal(sa.metadata.name, 'while-down');
  });
});
