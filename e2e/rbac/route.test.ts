// The route controller run as a pod under the chart's generated ClusterRole: it converges;
// with one rule taken away it hits a 403 and does not; `kubectl auth can-i --as` agrees with
// the role.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLUSTER_CIDR, createNode, customEntries, eventually, networkCondition, nodes, startRouteEnv, type RouteEnv } from '../route/harness.js';
import {
  chartClusterRole, type PodFiles, type PodProcess, type PolicyRule, requestToken, runAsPod, serviceAccountWithRole, stopPod, writePodFiles,
} from './harness.js';

const exec = promisify(execFile);

function routeArgs(env: RouteEnv, clusterName: string): string[] {
  return [
    'route', '--cluster-cidr', CLUSTER_CIDR, '--cluster-name', clusterName, '--route-reconciliation-period', '2s', '--route-table-ids', env.tableId,
    '--node-event-aggregation-wait-seconds', '0.2', '--metrics-bind-address', '0', '--health-probe-bind-address', '0',
  ];
}

function cloudEnv(env: RouteEnv): Record<string, string> {
  return {
    KUBELOOP_CLOUD_EMULATOR: env.cloud.url, ALIBABA_CLOUD_REGION_ID: env.cloud.regionId,
    ALIBABA_CLOUD_ACCESS_KEY_ID: env.cloud.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: env.cloud.accessKeySecret, KUBELOOP_LOG_LEVEL: 'info',
  };
}

describeInProcess('route controller in-cluster under the generated RBAC', 'runs the route controller as a pod of its own, also under a role without a rule (another controller of the cluster would compete)', () => {
  let env: RouteEnv;
  const pods: PodProcess[] = [];
  const files: PodFiles[] = [];
  before(async () => {
    env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false, nodes: false } });
  });
  after(async () => {
    for (const p of pods) await stopPod(p);
    for (const f of files) f.remove();
    await env?.stop();
  });

  it('kubectl auth can-i --as the ServiceAccount answers as the chart ClusterRole says', async () => {
    const can = async (...args: string[]) => {
      const r = await exec('kubectl', ['--kubeconfig', env.server.kubeconfigPath, 'auth', 'can-i', ...args, '--as', 'system:serviceaccount:kube-system:kubeloop']).catch((e) => e);
      return String(r.stdout).trim();
    };
    assert.equal(await can('list', 'nodes'), 'no', 'nothing is bound yet');
    const role = chartClusterRole();
    await serviceAccountWithRole(env.client, 'kube-system', 'kubeloop', role.metadata.name, role.rules);
    assert.equal(await can('list', 'nodes'), 'yes');
    assert.equal(await can('patch', 'nodes', '--subresource', 'status'), 'yes');
    assert.equal(await can('create', 'leases.coordination.k8s.io', '-n', 'kube-system'), 'yes');
    assert.equal(await can('delete', 'nodes'), 'no');
    assert.equal(await can('create', 'clusterroles'), 'no');
  });

  it('converges (routes + NetworkUnavailable=False) as a pod under the generated role', async () => {
    await createNode(env, 'rb-1', '172.16.11.0/24');
    await createNode(env, 'rb-2', '172.16.12.0/24');
    const f = writePodFiles(env.server, await requestToken(env.server, 'kube-system', 'kubeloop'), 'kube-system');
    files.push(f);
    const p = runAsPod(env.server, f, routeArgs(env, 'rbac'), cloudEnv(env));
    pods.push(p);
    await eventually('routes and conditions', async () => {
      const es = customEntries(env);
      const ns = (await nodes(env)).filter((n) => n.metadata.name?.startsWith('rb-'));
      return ['rb-1', 'rb-2'].every((n, i) => es.some((e) => e.destinationCidrBlock === `172.16.1${i + 1}.0/24` && e.nextHopId === `i-${n}` && e.status === 'Available'))
        && ns.length === 2 && ns.every((n) => networkCondition(n)?.reason === 'RouteCreated' && networkCondition(n)?.status === 'False');
    }, 30_000).catch((err) => { throw new Error(`${(err as Error).message}\n${p.output()}`); });
    assert.doesNotMatch(p.output(), /forbidden/i);
    assert.equal(await stopPod(p), 0, p.output());
  });

  it('without the nodes/status rule the controller gets 403 and never sets the condition (test of the test)', async () => {
    const rules: PolicyRule[] = chartClusterRole().rules.filter((r) => !(r.resources ?? []).includes('nodes/status'));
    assert.equal(rules.length, chartClusterRole().rules.length - 1, 'exactly one rule removed');
    await serviceAccountWithRole(env.client, 'kube-system', 'kubeloop-broken', 'kubeloop-broken', rules);
    await createNode(env, 'rb-3', '172.16.13.0/24');
    const f = writePodFiles(env.server, await requestToken(env.server, 'kube-system', 'kubeloop-broken'), 'kube-system');
    files.push(f);
    const p = runAsPod(env.server, f, routeArgs(env, 'broken'), cloudEnv(env));
    pods.push(p);
    await eventually('a 403 on nodes/status', () => /cannot (patch|update) resource \\"nodes\/status\\" in API group/.test(p.output()), 30_000)
      .catch((err) => { throw new Error(`${(err as Error).message}\n${p.output()}`); });
    const n = (await nodes(env)).find((x) => x.metadata.name === 'rb-3')!;
    assert.notEqual(networkCondition(n)?.reason, 'RouteCreated', 'the condition needs nodes/status');
    await stopPod(p);
  });
});
