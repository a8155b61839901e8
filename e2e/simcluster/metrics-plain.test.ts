// The simulated metrics-server on a simulated cluster without a cloud (every pod reachable):
// upstream's manifest shape (`--secure-port=10250`, a named port), the endpoints controller
// resolving it, usage declared by annotation, and the request-header identity the server
// authorizes with a SubjectAccessReview, through kubectl 1.32.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { startSimCluster, type SimCluster } from '../../src/simcluster/index.js';
import { eventually, silent } from '../support/index.js';

interface Result { code: number; stdout: string; stderr: string }

const MANIFEST = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:aggregated-metrics-reader, labels: {k8s-app: metrics-server}}
rules: [{apiGroups: [metrics.k8s.io], resources: [pods, nodes], verbs: [get, list, watch]}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: metrics-server, namespace: kube-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: metrics-server, namespace: kube-system, labels: {k8s-app: metrics-server}}
spec:
  selector: {matchLabels: {k8s-app: metrics-server}}
  template:
    metadata:
      labels: {k8s-app: metrics-server}
      annotations: {sim.kubeloop.io/simulate: metrics-server}
    spec:
      serviceAccountName: metrics-server
      containers:
      - name: metrics-server
        image: registry.k8s.io/metrics-server/metrics-server:v0.7.2
        args: [--cert-dir=/tmp, --secure-port=10250, --kubelet-use-node-status-port, --metric-resolution=15s]
        ports: [{name: https, containerPort: 10250, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system, labels: {k8s-app: metrics-server}}
spec:
  selector: {k8s-app: metrics-server}
  ports: [{name: https, port: 443, protocol: TCP, targetPort: https}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io, labels: {k8s-app: metrics-server}}
spec:
  service: {name: metrics-server, namespace: kube-system}
  group: metrics.k8s.io
  version: v1beta1
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {sim.kubeloop.io/usage: "cpu=300m,memory=200Mi"}
    spec:
      containers: [{name: web, image: nginx:1.27}]
`;

describe('simulated metrics-server without a cloud', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-metrics-plain-'));
  let server: ApiServer;
  let sim: SimCluster;
  let calls = 0;
  const kubectl = (args: string[], input?: string): Promise<Result> => new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(dir, 'cache', String(calls++)), ...args], { timeout: 30_000, env: { ...process.env, HOME: dir } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });

  before(async () => {
    server = await startApiServer({ port: 0, kubeconfigPath: join(dir, 'kubeconfig'), aggregator: { availabilityResyncMs: 300, availabilityCheckTimeoutMs: 1_000 } });
    sim = await startSimCluster({ kubeconfig: server.kubeconfig, nodes: 2, logger: silent(), timings: { metricResolutionMs: 1_000 } });
    server.setDialer(sim.network.dial);
    await eventually('default ServiceAccount', async () => (await kubectl(['get', 'serviceaccount', 'default'])).code === 0, 15_000, 200);
    const r = await kubectl(['apply', '-f', '-'], MANIFEST);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await sim?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves the named port into the Endpoints and serves kubectl top from the declared usage', async () => {
    await eventually('APIService Available', async () => /\bTrue\b/.test((await kubectl(['get', 'apiservice', 'v1beta1.metrics.k8s.io', '--no-headers'])).stdout), 30_000, 300);
    const ep = JSON.parse((await kubectl(['get', 'endpoints', 'metrics-server', '-n', 'kube-system', '-o', 'json'])).stdout) as { subsets: { ports: unknown[] }[] };
    assert.deepEqual(ep.subsets[0].ports, [{ name: 'https', port: 10250, protocol: 'TCP' }]);
    const slices = JSON.parse((await kubectl(['get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=metrics-server', '-o', 'json'])).stdout) as { items: Record<string, any>[] };
    assert.equal(slices.items.length, 1);
    const slice = slices.items[0];
    assert.match(slice.metadata.name, /^metrics-server-[a-z0-9]{5}$/);
    assert.equal(slice.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(slice.metadata.ownerReferences[0].kind, 'Service');
    assert.deepEqual([slice.addressType, slice.ports], ['IPv4', [{ name: 'https', port: 10250, protocol: 'TCP' }]]);
    assert.deepEqual(slice.endpoints.map((e: { addresses: string[]; conditions: unknown }) => [e.addresses[0], e.conditions]), [[(ep as unknown as { subsets: { addresses: { ip: string }[] }[] }).subsets[0].addresses[0].ip, { ready: true, serving: true, terminating: false }]]);
    const top = await eventually('kubectl top pods -l app=web', async () => {
      const r = await kubectl(['top', 'pods', '-l', 'app=web', '--no-headers']);
      const lines = r.stdout.trim().split('\n').filter(Boolean);
      return r.code === 0 && lines.length === 2 ? lines : undefined;
    }, 30_000, 300);
    assert.ok(top.every((l) => /^web-\S+\s+300m\s+200Mi$/.test(l.trim())), top.join('\n'));
    const nodes = await kubectl(['top', 'nodes', '--no-headers']);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.equal(nodes.stdout.trim().split('\n').length, 2);
    const containers = await kubectl(['top', 'pods', '-l', 'app=web', '--containers', '--no-headers']);
    assert.ok(containers.stdout.trim().split('\n').every((l) => /^web-\S+\s+web\s+300m\s+200Mi$/.test(l.trim())), containers.stdout + containers.stderr);
    // the server's Table (as metrics-server prints it: Name, cpu, memory, Window)
    const table = await kubectl(['get', 'pods.metrics.k8s.io', '-l', 'app=web']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+CPU\s+MEMORY\s+WINDOW$/m);
    assert.match(table.stdout, /^web-\S+\s+300m\s+200Mi\s+1s$/m);
  });

  it('a node whose kubelet stops answering has no metrics: kubectl top nodes shows <unknown>', async () => {
    const name = sim.pool.names()[0];
    sim.pauseNode(name);
    try {
      const r = await eventually('<unknown> node', async () => {
        const x = await kubectl(['top', 'nodes', '--no-headers']);
        return x.code === 0 && new RegExp(`^${name}\\s+<unknown>`, 'm').test(x.stdout) ? x : undefined;
      }, 15_000, 300);
      assert.equal(r.stdout.trim().split('\n').length, 2);
    } finally {
      sim.resumeNode(name);
    }
  });

  it('another user needs RBAC for the metrics API; the metrics-server authorizes the asserted user too', async () => {
    const denied = await kubectl(['top', 'pods', '--as=bob']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /pods\.metrics\.k8s\.io is forbidden: User "bob" cannot list resource "pods" in API group "metrics\.k8s\.io" in the namespace "default"/);
    const grant = await kubectl(['create', 'clusterrolebinding', 'bob-metrics', '--clusterrole=system:aggregated-metrics-reader', '--user=bob']);
    assert.equal(grant.code, 0, grant.stderr);
    // kubectl top needs discovery (system:discovery is bound to authenticated users) and list pods.metrics.k8s.io
    const r = await eventually('kubectl top pods as bob', async () => {
      const x = await kubectl(['top', 'pods', '--as=bob', '--as-group=system:authenticated', '-l', 'app=web', '--no-headers']);
      return x.code === 0 ? x : undefined;
    }, 15_000, 300);
    assert.equal(r.stdout.trim().split('\n').length, 2);
  });
});
