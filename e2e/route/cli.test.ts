// `kubeloop run route` as an operator runs it: a child process with flags, the emulator's
// credentials in the environment, against the built-in API server; SIGTERM stops it cleanly.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { CLUSTER_CIDR, createNode, customEntries, eventually, networkCondition, nodes, startRouteEnv, type RouteEnv } from './harness.js';
import { runController, runKubeloop, type KubeloopProcess } from '../support/index.js';
import { KUBELOOP_BIN } from '../support/bin.js';

const main = KUBELOOP_BIN;

function run(env: RouteEnv, args: string[]): KubeloopProcess {
  return runController('route', args, { kubeconfigPath: env.server.kubeconfigPath, cloud: env.cloud, logLevel: 'info' });
}

describeInProcess('kubeloop run route', 'starts kubeloop run route processes of its own, with its own flags', () => {
  let env: RouteEnv;
  const children: ChildProcess[] = [];
  before(async () => { env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false, nodes: false } }); });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await env?.stop();
  });

  it('routes the nodes, with flags and credentials from the environment, and stops on SIGTERM', async () => {
    await createNode(env, 'cli-1', '172.16.1.0/24');
    await createNode(env, 'cli-2', '172.16.2.0/24', { providerID: `alicloud://${env.cloud.regionId}.i-cli-2` });
    const p = run(env, [
      '--cluster-cidr', CLUSTER_CIDR, '--cluster-name', 'clitest', '--route-reconciliation-period', '2s',
      '--node-event-aggregation-wait-seconds', '0.2', '--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', '0',
    ]);
    children.push(p.child);
    await eventually('routes and conditions', async () => {
      const es = customEntries(env);
      return ['cli-1', 'cli-2'].every((n, i) => es.some((e) => e.destinationCidrBlock === `172.16.${i + 1}.0/24` && e.nextHopId === `i-${n}`
        && e.description === 'kubeloop:cluster=clitest' && e.status === 'Available'))
        && (await nodes(env)).every((n) => networkCondition(n)?.reason === 'RouteCreated');
    }, 30_000).catch((err) => { throw new Error(`${(err as Error).message}\n${p.output()}`); });
    // the single route table was discovered from the region's only VPC (no --route-table-ids)
    assert.match(p.output(), /route controller configured/);
    assert.match(p.output(), /route_controller_|kubeloop controllers started/);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.output());
  });

  it('exits with a clear message when --cluster-cidr is missing', async () => {
    const p = run(env, ['--metrics-bind-address', '0', '--health-probe-bind-address', '0']);
    children.push(p.child);
    assert.equal(await p.exited, 1);
    assert.match(p.output(), /kubeloop: --cluster-cidr is required/);
  });

  it('reports a bad flag before it reads the kubeconfig or needs cloud credentials', async () => {
    const p = runKubeloop(['run', 'route', '--kubeconfig', '/nonexistent/kubeconfig', '--cluster-cidr', '172.20.0.0/33',
      '--metrics-bind-address', '0', '--health-probe-bind-address', '0'], { KUBELOOP_CLOUD_EMULATOR: '', ALIBABA_CLOUD_ACCESS_KEY_ID: '' });
    children.push(p.child);
    assert.equal(await p.exited, 1);
    assert.match(p.output(), /--cluster-cidr: "172\.20\.0\.0\/33" is not an IPv4 network/);
    assert.doesNotMatch(p.output(), /kubeconfig|credentials/i);
  });

  it('offers its flags with their defaults in --help', async () => {
    const p = spawn(process.execPath, [main, 'run', 'route', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    await new Promise((r) => p.on('exit', r));
    for (const flag of ['--cluster-cidr', '--configure-cloud-routes', '--route-reconciliation-period', '--route-reconcile-batch-size',
      '--node-event-aggregation-wait-seconds', '--dry-run', '--cluster-name', '--route-table-ids', '--vpc-id']) {
      assert.ok(out.includes(flag), `${flag} in help:\n${out}`);
    }
    assert.match(out, /default: "5m"/);
  });
});
