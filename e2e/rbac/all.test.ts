// `kubeloop run all` as the chart's manager pod, in-cluster: the chart (ServiceAccount,
// generated ClusterRole + binding, ConfigMaps) applied to the built-in API server with RBAC on,
// a TokenRequest token for the chart's ServiceAccount in the token file, no kubeconfig. Every
// controller starts, the leader Lease is taken with the POD_NAME identity, the route controller
// converges, and nothing is ever forbidden.

import assert from 'node:assert/strict';
import { inProcessOnly } from '../support/index.js';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '../../src/apiserver/index.js';
import { startCloudSim } from '@kubeloop/ack/cloudsim';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { chartDir, render } from '../chart/harness.js';
import { requestToken, runAsPod, stopPod, writePodFiles, type PodProcess } from './harness.js';
import { eventually as pollUntil, type Condition } from '../support/index.js';

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

/** kubeloop/testing's `eventually`, polling a child process every 200 ms for up to 30 s. */
const eventually = <T>(what: string, cond: Condition<T>) => pollUntil(what, cond, 30_000, 200);

inProcessOnly('kubeloop run all as the chart pod, with only the chart RBAC, starts every controller and is never forbidden', 'runs every controller as a pod of its own against a server of its own; npm run e2e:external runs them under the chart\'s RBAC', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-rbac-all-'));
  const server = await startApiServer({ port: 0, kubeconfigPath: join(dir, 'kubeconfig') });
  const admin = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
  const [probePort, simPort] = [await freePort(), await freePort()];
  const r = render({ values: { cloudsim: { enabled: true, port: simPort }, probes: { port: probePort } } });
  const secret = r.find('Secret', 'kubeloop-cloudsim-credentials') as unknown as { data: Record<string, string> };
  const keys = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  const sim = await startCloudSim({ port: simPort, accessKeyId: keys['access-key-id'], accessKeySecret: keys['access-key-secret'], regionId: 'cn-hangzhou' });
  let pod: PodProcess | undefined;
  const files = [] as { remove(): void }[];
  try {
    const kubectl = (...args: string[]) => new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile('kubectl', ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args], { env: { ...process.env, HOME: dir } },
        (err, _out, stderr) => resolve({ code: err ? 1 : 0, stderr })));
    assert.equal((await kubectl('create', 'namespace', 'kubeloop-system')).code, 0);
    const crds = await kubectl('apply', '-f', join(chartDir, 'crds'));
    assert.equal(crds.code, 0, crds.stderr);
    const manifests = join(dir, 'chart.yaml');
    writeFileSync(manifests, r.objects.filter((o) => o.kind !== 'NetworkPolicy').map(({ source: _s, ...o }) => `---\n${JSON.stringify(o)}\n`).join(''));
    const applied = await kubectl('apply', '-f', manifests);
    assert.equal(applied.code, 0, applied.stderr);

    const deploy = r.find('Deployment', 'kubeloop') as unknown as {
      spec: { template: { spec: { serviceAccountName: string; containers: Array<{ args: string[]; env: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { key: string } } }> }> } } };
    };
    const podSpec = deploy.spec.template.spec;
    const c = podSpec.containers[0];
    const env: Record<string, string> = {};
    for (const e of c.env) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.fieldRef) env[e.name] = e.valueFrom.fieldRef.fieldPath === 'metadata.namespace' ? 'kubeloop-system' : 'kubeloop-0';
      else if (e.valueFrom?.secretKeyRef) env[e.name] = keys[e.valueFrom.secretKeyRef.key];
    }
    const args = c.args.map((a) => a.replace(/\$\((\w+)\)/g, (_m, v: string) => env[v] ?? '').replace(/^(--(?:metrics|health-probe)-bind-address=):\d+/, '$1127.0.0.1:0'));
    // what the cluster's DNS does: the emulator Service's name leads to the emulator, here on loopback
    assert.equal(env.KUBELOOP_CLOUD_EMULATOR, `http://kubeloop-cloudsim.kubeloop-system.svc:${simPort}`);
    env.KUBELOOP_CLOUD_EMULATOR = `http://127.0.0.1:${simPort}`;
    assert.equal(args[0], 'run');
    if (!args.includes('--leader-elect')) args.push('--leader-elect');

    const token = await requestToken(server, 'kubeloop-system', podSpec.serviceAccountName);
    const f = writePodFiles(server, token, 'kubeloop-system');
    files.push(f);
    pod = runAsPod(server, f, args.slice(1), { ...env, KUBELOOP_LOG_LEVEL: 'info' });
    const p = pod;
    const exited = p.exited.then((code) => { throw new Error(`manager exited (${code}):\n${p.output()}`); });
    await Promise.race([eventually('controllers started', async () => /kubeloop controllers started/.test(p.output())), exited]);
    const lease = await Promise.race([eventually('the leader Lease', async () => {
      const l = await admin.get<{ spec?: { holderIdentity?: string } }>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, 'kubeloop-all', { namespace: 'kubeloop-system' }).catch(() => undefined);
      return l?.spec?.holderIdentity ? l : undefined;
    }), exited]);
    assert.match(lease.spec!.holderIdentity!, /^kubeloop-0_/);

    await admin.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'all-1' }, spec: { podCIDR: '10.244.1.0/24', providerID: 'alicloud://cn-hangzhou.i-all-1' } });
    await Promise.race([eventually('NetworkUnavailable=False (RouteCreated)', async () => {
      const n = await admin.get<{ status?: { conditions?: { type: string; reason?: string }[] } }>({ apiVersion: 'v1', kind: 'Node' }, 'all-1');
      return n.status?.conditions?.some((x) => x.type === 'NetworkUnavailable' && x.reason === 'RouteCreated');
    }), exited]).catch((err) => { throw new Error(`${(err as Error).message}\n${p.output()}`); });
    for (const name of ['route', 'log-config', 'acr-credential-helper', 'cluster-autoscaler']) assert.ok(p.output().includes(name), `${name} runs:\n${p.output()}`);
    assert.doesNotMatch(p.output(), /forbidden|Unauthorized/i, 'the chart RBAC covers every request');
    assert.equal(await stopPod(p), 0, p.output());
    pod = undefined;
  } finally {
    if (pod) await stopPod(pod);
    for (const f of files) f.remove();
    admin.close();
    await sim.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
