// The simulated metrics-server of `kubeloop dev` (ACK's add-on, played in-process) through
// kubectl 1.32: `kubectl top nodes` / `kubectl top pods -A`, and its reachability following the
// emulated VPC: without the route to its node's pod CIDR the API server cannot reach it, the
// APIService turns unavailable and `kubectl top` fails; with the route back it works again.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ack from '@kubeloop/ack/cli';
import { startDev, type DevSession } from '../../src/cli/index.js';
import { eventually, silent } from '../support/index.js';

interface Result { code: number; stdout: string; stderr: string }
type Condition = { type: string; status: string; reason?: string; message?: string };
type RouteEntry = { routeEntryId: string; destinationCidrBlock: string; nextHopId: string };

describe('kubeloop dev: the simulated metrics-server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-metrics-'));
  let dev: DevSession;
  let cloudUrl: string;
  // A discovery cache per call: kubectl keeps what it discovered for hours, and a cache
  // written while the metrics API was unavailable would hide it from `kubectl top` (which
  // then says "Metrics API not available", on a real cluster too).
  let calls = 0;
  const kubectl = (args: string[]): Promise<Result> => new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', dev.kubeconfigPath, '--cache-dir', join(dir, 'cache', String(calls++)), ...args], { timeout: 30_000, env: { ...process.env, HOME: dir } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
  const sim = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const r = await fetch(`${cloudUrl}${path}`, { method, headers: { 'Content-Type': 'application/json-patch+json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${await r.clone().text()}`);
    return r.status === 204 ? undefined : r.json();
  };
  const apiService = async (): Promise<Condition | undefined> => {
    const r = await kubectl(['get', 'apiservice', 'v1beta1.metrics.k8s.io', '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as { status?: { conditions?: Condition[] } }).status?.conditions?.find((c) => c.type === 'Available') : undefined;
  };

  before(async () => {
    dev = await startDev({
      stateDir: dir, nodes: 2, logger: silent(), options: { cloudPort: 0 },
      // checks every 300 ms with a 500 ms timeout instead of every 30 s with 5 s; scrapes every 1 s
      apiServer: { aggregator: { availabilityResyncMs: 300, availabilityCheckTimeoutMs: 500, dialTimeoutMs: 1_000 }, namespaceDeletionGracePeriodMs: 0 },
      sim: { timings: { metricResolutionMs: 1_000, leaseRenewIntervalMs: 500, nodeStatusReportMs: 2_000 } },
    }, [ack]);
    cloudUrl = (dev.prepared.find((p) => p.devJson?.cloud)!.devJson!.cloud as { url: string }).url;
  });
  after(async () => {
    await dev?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs ACK\'s metrics-server: Deployment, Service with Endpoints on the pod, APIService Available', async () => {
    const c = await eventually('APIService available', async () => ((await apiService())?.status === 'True' ? apiService() : undefined), 30_000, 300);
    assert.deepEqual([c!.reason, c!.message], ['Passed', 'all checks passed']);
    const svc = JSON.parse((await kubectl(['get', 'apiservice', 'v1beta1.metrics.k8s.io', '-o', 'json'])).stdout) as { spec: Record<string, unknown> };
    assert.deepEqual(svc.spec, { service: { name: 'metrics-server', namespace: 'kube-system', port: 443 }, group: 'metrics.k8s.io', version: 'v1beta1', insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 100 });
    const pod = JSON.parse((await kubectl(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=metrics-server', '-o', 'json'])).stdout) as { items: { status: { podIP: string } }[] };
    assert.equal(pod.items.length, 1);
    const ep = JSON.parse((await kubectl(['get', 'endpoints', 'metrics-server', '-n', 'kube-system', '-o', 'json'])).stdout) as { subsets: { addresses: { ip: string; targetRef: { kind: string } }[]; ports: { port: number; protocol: string }[] }[] };
    assert.equal(ep.subsets[0].addresses[0].ip, pod.items[0].status.podIP);
    assert.equal(ep.subsets[0].addresses[0].targetRef.kind, 'Pod');
    assert.deepEqual(ep.subsets[0].ports, [{ port: 443, protocol: 'TCP' }]);
  });

  it('kubectl top nodes and kubectl top pods -A show the simulated usage', async () => {
    const nodes = (await kubectl(['get', 'nodes', '-o', 'name'])).stdout.trim().split('\n').map((n) => n.replace('node/', ''));
    let last: Result | undefined;
    const top = await eventually('kubectl top nodes', async () => {
      const r = last = await kubectl(['top', 'nodes']);
      return r.code === 0 && nodes.every((n) => new RegExp(`^${n.replace(/\./g, '\\.')}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%\\s*$`, 'm').test(r.stdout)) ? r : undefined;
    }, 30_000, 300).catch((err: Error) => assert.fail(`${err.message}\n${last?.stdout}${last?.stderr}`));
    assert.match(top!.stdout, /^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)/);
    // every ACK system DaemonSet pod uses what it requests (terway-eniip 100m+250m / 100Mi+100Mi);
    // kube-proxy-worker requests nothing, so it shows the simulated floor (1m / 4Mi), as metrics-server's does
    const pods = await eventually('kubectl top pods -A', async () => {
      const r = last = await kubectl(['top', 'pods', '-A']);
      return r.code === 0 && /^kube-system\s+terway-eniip-\S+\s+350m\s+200Mi\s*$/m.test(r.stdout) && /^kube-system\s+kube-proxy-worker-\S+\s+1m\s+4Mi\s*$/m.test(r.stdout)
        && /^kube-system\s+metrics-server-\S+\s+1m\s+4Mi\s*$/m.test(r.stdout) ? r : undefined;
    }, 30_000, 300).catch((err: Error) => assert.fail(`${err.message}\n${last?.stdout}${last?.stderr}`));
    assert.match(pods!.stdout, /^NAMESPACE\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    const selected = await kubectl(['top', 'pods', '-n', 'kube-system', '-l', 'k8s-app=terway-eniip', '--no-headers']);
    assert.equal(selected.code, 0, selected.stderr);
    assert.ok(selected.stdout.trim().split('\n').every((l) => /^terway-eniip-\S+\s+350m\s+200Mi$/.test(l.trim())), selected.stdout);
    const raw = JSON.parse((await kubectl(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/nodes/${nodes[0]}`])).stdout) as Record<string, any>;
    assert.equal(raw.kind, 'NodeMetrics');
    assert.equal(raw.window, '1s');
    assert.match(raw.usage.cpu, /^\d+[num]?$/);
    assert.match(raw.usage.memory, /^\d+(Ki|Mi|Gi)?$/);
  });

  it('without the VPC route to its node the API server cannot reach it: unavailable, kubectl top fails; the route back heals it', async () => {
    const pod = JSON.parse((await kubectl(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=metrics-server', '-o', 'json'])).stdout) as { items: { spec: { nodeName: string }; status: { podIP: string } }[] };
    const { nodeName } = pod.items[0].spec;
    const node = JSON.parse((await kubectl(['get', 'node', nodeName, '-o', 'json'])).stdout) as { spec: { podCIDR: string; providerID: string } };
    const state = await sim('GET', '/_sim/state') as { routeTables: { entries: RouteEntry[] }[] };
    const entries = state.routeTables[0].entries;
    const index = entries.findIndex((e) => e.destinationCidrBlock === node.spec.podCIDR);
    assert.ok(index >= 0, `a route for ${node.spec.podCIDR}: ${JSON.stringify(entries)}`);
    const route = entries[index];
    assert.ok(node.spec.providerID.endsWith(route.nextHopId));

    await sim('DELETE', `/_sim/route-entries/${route.routeEntryId}`);
    const down = await eventually('FailedDiscoveryCheck', async () => ((await apiService())?.reason === 'FailedDiscoveryCheck' ? apiService() : undefined), 15_000, 300);
    const url = `https://${pod.items[0].status.podIP}:443/apis/metrics.k8s.io/v1beta1`;
    // packets to the pod are dropped: the check's client times out, as kube-apiserver's does
    assert.equal(down!.message, `failing or missing response from ${url}: Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
    assert.equal(down!.status, 'False');
    const failed = await kubectl(['top', 'nodes']);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /ServiceUnavailable|Metrics API not available/);
    const shown = await kubectl(['get', 'apiservices', 'v1beta1.metrics.k8s.io']);
    assert.match(shown.stdout, /^v1beta1\.metrics\.k8s\.io\s+kube-system\/metrics-server\s+False \(FailedDiscoveryCheck\)\s+\S+$/m);
    // the namespace controller cannot discover metrics.k8s.io/v1beta1: a deleted namespace stays Terminating
    assert.equal((await kubectl(['create', 'namespace', 'doomed'])).code, 0);
    assert.equal((await kubectl(['delete', 'namespace', 'doomed', '--wait=false'])).code, 0);
    await eventually('NamespaceDeletionDiscoveryFailure', async () => {
      const r = await kubectl(['get', 'namespace', 'doomed', '-o', 'json']);
      const ns = r.code === 0 ? JSON.parse(r.stdout) as { status: { phase: string; conditions?: Condition[] } } : undefined;
      return ns?.status.phase === 'Terminating' && ns.status.conditions?.some((c) => c.type === 'NamespaceDeletionDiscoveryFailure' && c.status === 'True' && /metrics\.k8s\.io\/v1beta1/.test(c.message ?? ''));
    }, 15_000, 300);

    // the route back (as the route controller would put it): reachable again
    await sim('PATCH', '/_sim/state', [{ op: 'add', path: '/routeTables/0/entries/-', value: route }]);
    await eventually('Available again', async () => (await apiService())?.status === 'True', 15_000, 300);
    await eventually('kubectl top nodes again', async () => (await kubectl(['top', 'nodes'])).code === 0, 15_000, 300);
    await eventually('namespace gone', async () => /NotFound/.test((await kubectl(['get', 'namespace', 'doomed'])).stderr), 20_000, 300);
  });
});
