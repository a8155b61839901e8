// `kubeloop run acr-credential-helper` as an operator runs it: a child process with flags and
// the emulator's credentials in the environment, a ConfigMap in a non-default place, a
// registry reached through an assumed RAM role; its stdout never shows a token; SIGTERM stops it;
// --acr-webhook serves the webhooks with a mounted certificate.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACR_WEBHOOKS } from '@kubeloop/ack/acr-credential-helper';
import { K, addRepository, authsOf, createNamespace, eventually, podsOf, secretOf, setConfig, startAcrEnv, type AcrEnv, type Obj } from './harness.js';
import { runController, type KubeloopProcess } from '../support/index.js';
import { webhookConfigurations } from '../../src/controller/index.js';
import { selfSignedCert } from '../../src/controller/webhook/certs.js';

function run(env: AcrEnv, args: string[]): KubeloopProcess {
  return runController('acr-credential-helper', args, { kubeconfigPath: env.server.kubeconfigPath, cloud: env.cloud, logLevel: 'debug' });
}

describeInProcess('kubeloop run acr-credential-helper', 'starts kubeloop run processes of its own', () => {
  let env: AcrEnv;
  const children: ChildProcess[] = [];
  before(async () => { env = await startAcrEnv(); });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await env?.stop();
  });

  it('serves a registry through an assumed role from a ConfigMap in another namespace; no token on stdout; stops on SIGTERM', async () => {
    await createNamespace(env, 'acr-system');
    const instanceId = (await env.state()).registries[0].instanceId;
    await env.client.create({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'acr', namespace: 'acr-system' },
      data: {
        'watch-namespace': 'default', 'expiring-threshold': '1m',
        'acr-registry-info': `- instanceId: ${instanceId}\n  assumeRoleARN: acs:ram::123456789012:role/acr-puller\n  expireDuration: 900\n`,
      },
    } as Obj);
    const p = run(env, ['--acr-configmap-namespace', 'acr-system', '--acr-configmap-name', 'acr', '--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', '0']);
    children.push(p.child);
    const secret = await Promise.race([
      eventually('Secret in default', () => secretOf(env, 'default'), 30_000),
      p.exited.then((code) => { throw new Error(`exited with ${code}`); }),
    ]).catch((err) => { throw new Error(`${(err as Error).message}\n${p.output()}`); });
    const token = authsOf(secret)[env.registryHost];
    assert.ok(token, Object.keys(authsOf(secret)).join(','));
    // obtained with the role's STS credentials: it expires with the 900 s role session, not after 1 h
    const cred = (await env.state()).registryCredentials.find((c) => c.password === token.password);
    assert.ok(cred && cred.expiresAt <= Date.now() + 900_000, `expires at ${cred?.expiresAt}`);

    const image = await addRepository(env, 'cli');
    await env.client.create({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'cli-pull', namespace: 'default' },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image }] },
    } as Obj);
    await eventually('pod Running', async () => (await podsOf(env, 'default')).some((x) => x.metadata.name === 'cli-pull' && x.status?.phase === 'Running'));
    assert.ok((await env.client.get<Obj>(K.Pod, 'cli-pull', { namespace: 'default' })).spec.imagePullSecrets.some((r: { name: string }) => r.name === 'acr-credential-kubeloop'));

    assert.match(p.output(), /ACR credential helper configured/);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.output());
    for (const c of (await env.state()).registryCredentials) assert.ok(!p.output().includes(c.password), 'a token on stdout');
  });

  it('--acr-webhook serves the webhooks with the certificate of --webhook-cert-dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acr-cli-webhook-'));
    try {
      const cert = selfSignedCert(['127.0.0.1', 'localhost']);
      writeFileSync(join(dir, 'tls.crt'), cert.certPem);
      writeFileSync(join(dir, 'tls.key'), cert.keyPem);
      writeFileSync(join(dir, 'ca.crt'), cert.caPem!);
      await setConfig(env, { 'watch-namespace': 'cli-hook', 'webhook-configuration': 'enable: true\n' });
      const p = run(env, ['--acr-webhook', '--webhook-port', '0', '--webhook-cert-dir', dir, '--metrics-bind-address', '0', '--health-probe-bind-address', '0']);
      children.push(p.child);
      const url = await Promise.race([
        eventually('the webhook server URL in the log', () => /"webhooks":"(https:\/\/[^"]+)"/.exec(p.output())?.[1], 30_000),
        p.exited.then((code) => { throw new Error(`exited with ${code}`); }),
      ]).catch((err) => { throw new Error(`${(err as Error).message}\n${p.output()}`); });
      const { mutating } = webhookConfigurations([...ACR_WEBHOOKS], 'acr-cli', { endpoint: { url }, caBundle: cert.caPem });
      await env.client.create(mutating as Obj);
      try {
        await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cli-hook' } });
        // the namespace's default ServiceAccount got ours at creation; a pod right after it too
        const pod = await eventually('a pod in cli-hook', () => env.client.create<Obj>({
          apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'cli-hook' },
          spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }] },
        } as Obj).catch(() => undefined));
        assert.deepEqual(pod.spec.imagePullSecrets, [{ name: 'acr-credential-kubeloop' }], p.output());
        assert.ok(await secretOf(env, 'cli-hook'), 'the Secret exists when the pod is admitted');
        // ... through the webhook: the default ServiceAccount's creation was admitted by it
        await eventually('the webhook admitted the default ServiceAccount', () => /"serviceAccount":"default","msg":"added the pull secret to the ServiceAccount"/.test(p.output()));
      } finally {
        await env.client.delete(K.MutatingWebhookConfiguration, 'acr-cli');
      }
      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0, p.output());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits with a clear message for a bad flag', async () => {
    const p = run(env, ['--acr-configmap-namespace', 'Not Valid', '--metrics-bind-address', '0', '--health-probe-bind-address', '0']);
    children.push(p.child);
    assert.equal(await p.exited, 1);
    assert.match(p.output(), /--acr-configmap-namespace: "Not Valid" is not a namespace name/);
  });
});
