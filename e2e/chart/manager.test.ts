// The manager container as the chart renders it, run for real and "as a pod": the rendered
// args and env (fieldRefs and secretKeyRefs resolved as the kubelet would) start `kubeloop run
// all` against the built-in API server (chart applied, RBAC enforced) with a TokenRequest token
// of the chart's ServiceAccount and no kubeconfig, and against the cloud emulator started with
// the AccessKey of the chart's generated Secret. All four controllers get ready under the
// generated ClusterRole; /healthz, /readyz and /metrics answer on the rendered ports; SIGTERM
// stops it cleanly; `kubectl auth can-i --as` grants the generated rules to that ServiceAccount only,
// and the same container as an unbound ServiceAccount logs the forbidden requests and never gets ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '../../src/apiserver/index.js';
import { startCloudSim } from '@kubeloop/ack/cloudsim';
import { chartDir, render } from './harness.js';
import { eventually as pollUntil, type Condition } from '../support/index.js';
import { KUBELOOP_BIN } from '../support/bin.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function get(url: string): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url);
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

/** kubeloop/testing's `eventually`, polling a child process every 200 ms for up to 30 s by default. */
const eventually = <T>(what: string, cond: Condition<T>, timeoutMs = 30_000) => pollUntil(what, cond, timeoutMs, 200);

test('the rendered manager container, run as a pod with the chart\'s ServiceAccount token, gets all four controllers ready under the generated RBAC', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-chart-manager-'));
  const server = await startApiServer({ port: 0, kubeconfigPath: join(dir, 'kubeconfig') });
  const [metricsPort, probePort, simPort] = [await freePort(), await freePort(), await freePort()];
  const r = render({ values: { cloudsim: { enabled: true, port: simPort }, metrics: { port: metricsPort }, probes: { port: probePort } } });
  const secret = r.find('Secret', 'kubeloop-cloudsim-credentials') as unknown as { data: Record<string, string> };
  const keys = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  const sim = await startCloudSim({ port: simPort, accessKeyId: keys['access-key-id'], accessKeySecret: keys['access-key-secret'], regionId: 'cn-hangzhou' });
  let child: ReturnType<typeof spawn> | undefined;
  let output = '';
  try {
    // the chart's objects in the cluster (ConfigMaps the controllers read, RBAC, ...)
    const kubectl = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile('kubectl', ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args], { env: { ...process.env, HOME: dir } },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr })));
    const kubectlOut = async (...args: string[]) => {
      const res = await kubectl(...args);
      assert.equal(res.code, 0, `kubectl ${args.join(' ')}: ${res.stderr}`);
      return res.stdout;
    };
    assert.equal((await kubectl('create', 'namespace', 'kubeloop-system')).code, 0);
    // crds/ first, as Helm does (the log-config controller watches AliyunLogConfigs)
    const crds = await kubectl('apply', '-f', join(chartDir, 'crds'));
    assert.equal(crds.code, 0, crds.stderr);
    const manifests = join(dir, 'chart.yaml');
    writeFileSync(manifests, r.objects.filter((o) => o.kind !== 'NetworkPolicy').map(({ source: _s, ...o }) => `---\n${JSON.stringify(o)}\n`).join(''));
    const applied = await kubectl('apply', '-f', manifests);
    assert.equal(applied.code, 0, applied.stderr);

    const pod = r.find('Deployment', 'kubeloop') as unknown as { spec: { template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } } }>; livenessProbe: { httpGet: { path: string } }; readinessProbe: { httpGet: { path: string } } }> } } } };
    const c = pod.spec.template.spec.containers[0];
    // what the kubelet does: resolve env, then expand $(VAR) in args
    const env: Record<string, string> = {};
    for (const e of c.env) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.fieldRef) env[e.name] = e.valueFrom.fieldRef.fieldPath === 'metadata.namespace' ? 'kubeloop-system' : 'kubeloop-0';
      else if (e.valueFrom?.secretKeyRef) {
        assert.equal(e.valueFrom.secretKeyRef.name, 'kubeloop-cloudsim-credentials');
        env[e.name] = keys[e.valueFrom.secretKeyRef.key];
      }
    }
    const args = c.args.map((a) => a.replace(/\$\((\w+)\)/g, (_m, v: string) => env[v] ?? '')
      // the pod's own network namespace is this machine's loopback here
      .replace(/^(--(?:metrics|health-probe)-bind-address=):/, '$1127.0.0.1:'));
    assert.equal(env.KUBELOOP_CLOUD_EMULATOR, `http://kubeloop-cloudsim.kubeloop-system.svc:${simPort}`);
    // what the cluster's DNS does: the emulator Service's name leads to the emulator, here on loopback
    env.KUBELOOP_CLOUD_EMULATOR = `http://127.0.0.1:${simPort}`;
    // the ServiceAccount volume of the pod: a TokenRequest token, the CA, the namespace
    const sa = (r.find('Deployment', 'kubeloop') as unknown as { spec: { template: { spec: { serviceAccountName: string } } } }).spec.template.spec.serviceAccountName;
    const podEnv = async (account: string) => {
      const token = await kubectlOut('-n', 'kubeloop-system', 'create', 'token', account);
      const saDir = mkdtempSync(join(dir, 'sa-'));
      writeFileSync(join(saDir, 'token'), token.trim(), { mode: 0o600 });
      writeFileSync(join(saDir, 'ca.crt'), server.caPem);
      writeFileSync(join(saDir, 'namespace'), 'kubeloop-system');
      const base: Record<string, string | undefined> = { ...process.env };
      delete base.KUBECONFIG;
      return { ...base, ...env, HOME: saDir, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(server.port), KUBELOOP_SERVICE_ACCOUNT_DIR: saDir };
    };
    child = spawn(process.execPath, [KUBELOOP_BIN, ...args], { env: await podEnv(sa), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const probes = `http://127.0.0.1:${probePort}`;
    await Promise.race([
      eventually('/readyz', async () => ((await get(`${probes}${c.readinessProbe.httpGet.path}`)).status === 200 ? true : undefined)),
      exited.then((code) => { throw new Error(`manager exited (${code}):\n${output}`); }),
    ]);
    assert.equal((await get(`${probes}${c.livenessProbe.httpGet.path}`)).status, 200);
    const metrics = await get(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(metrics.status, 200);
    for (const name of ['route', 'log-config', 'acr-credential-helper', 'cluster-autoscaler']) {
      assert.ok(output.includes(name) || metrics.body.includes(name), `${name} is running:\n${output}`);
    }
    assert.match(metrics.body, /controller_runtime_max_concurrent_reconciles/);
    assert.doesNotMatch(output, new RegExp(keys['access-key-secret']), 'credentials never appear in logs');
    assert.doesNotMatch(output, /forbidden|\b403\b/i, 'the generated ClusterRole covers every request');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    child = undefined;

    // the authorizer agrees: each generated rule is granted to the chart's ServiceAccount and
    // to no other (kubectl auth can-i --as, one verb per rule)
    assert.equal((await kubectl('-n', 'kubeloop-system', 'create', 'serviceaccount', 'unbound')).code, 0);
    const role = r.find('ClusterRole') as unknown as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
    for (const rule of role.rules) {
      const [resource, sub] = rule.resources[0].split('/');
      const target = rule.apiGroups[0] ? `${resource}.${rule.apiGroups[0]}` : resource;
      const canI = (who: string) => kubectl('auth', 'can-i', rule.verbs[0], target, ...(sub ? ['--subresource', sub] : []), '-A', '--as', `system:serviceaccount:kubeloop-system:${who}`);
      const [granted, refused] = [await canI(sa), await canI('unbound')];
      assert.equal(granted.stdout.trim(), 'yes', `${sa} may ${rule.verbs[0]} ${rule.resources[0]}: ${granted.stderr}`);
      assert.equal(refused.stdout.trim(), 'no', `unbound may not ${rule.verbs[0]} ${rule.resources[0]}`);
    }
    // and the same container as that unbound account is refused and says so
    let denied = '';
    child = spawn(process.execPath, [KUBELOOP_BIN, ...args], { env: await podEnv('unbound'), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (denied += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (denied += d.toString()));
    await eventually('a forbidden list/watch in the log', async () => (/forbidden/i.test(denied) ? true : undefined), 20_000)
      .catch((e: Error) => { throw new Error(`${e.message}:\n${denied}`); });
    assert.notEqual((await get(`${probes}${c.readinessProbe.httpGet.path}`)).status, 200, 'not ready without permissions');
    child.kill('SIGKILL');
    child = undefined;
  } finally {
    child?.kill('SIGKILL');
    await sim.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
