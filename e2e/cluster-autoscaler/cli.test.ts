// `kubeloop run cluster-autoscaler` as an operator runs it: a child process with upstream's
// flags and the emulator's credentials in the environment; it scales a group up, writes
// its status ConfigMap and stops cleanly on SIGTERM. Bad flags exit 1 with a clear message.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { deployment, eventually, isRunning, pods, startCaEnv, type CaEnv, type Obj } from './harness.js';
import { KUBELOOP_BIN } from '../support/bin.js';

const main = KUBELOOP_BIN;

function run(env: CaEnv, args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [main, 'run', 'cluster-autoscaler', '--kubeconfig', env.server.kubeconfigPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      KUBELOOP_CLOUD_EMULATOR: env.cloud.url,
      ALIBABA_CLOUD_REGION_ID: env.cloud.regionId,
      ALIBABA_CLOUD_ACCESS_KEY_ID: env.cloud.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: env.cloud.accessKeySecret,
      KUBELOOP_LOG_LEVEL: 'info',
    },
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, output: () => out, exited };
}

describeInProcess('kubeloop run cluster-autoscaler', 'starts kubeloop run cluster-autoscaler processes of its own, with its own flags', () => {
  let env: CaEnv;
  const children: ChildProcess[] = [];
  before(async () => { env = await startCaEnv([{ name: 'workers', instanceType: 'ecs.g7.large', min: 0, max: 4 }]); });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await env?.stop();
  });

  it('scales a group for pending pods with flags from the command line, and stops on SIGTERM', async () => {
    const gid = env.groupId('workers');
    const p = run(env, ['--nodes', `0:4:${gid}`, '--scan-interval', '300ms', '--scale-down-enabled=false',
      '--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', '0']);
    children.push(p.child);
    await env.client.create(deployment('cli', 2, { cpu: '1400m' }));
    await eventually('pods running on new nodes', async () => (await pods(env.client, 'app=cli')).filter(isRunning).length === 2, 40_000)
      .catch((err) => { throw new Error(`${(err as Error).message}\n${p.output()}`); });
    assert.equal(env.cloud.state.scalingGroups[0].desiredCapacity, 2);
    const cm = await env.client.get<Obj>({ apiVersion: 'v1', kind: 'ConfigMap' }, 'cluster-autoscaler-status', { namespace: 'kube-system' });
    assert.match(cm.data.status, /Cluster-autoscaler status at/);
    assert.match(p.output(), /cluster autoscaler configured/);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.output());
  });

  it('exits with a clear message without node groups or with a bad flag', async () => {
    const a = run(env, ['--metrics-bind-address', '0', '--health-probe-bind-address', '0']);
    children.push(a.child);
    assert.equal(await a.exited, 1);
    assert.match(a.output(), /no node groups: give --nodes=<min>:<max>:<scaling group id>/);
    const b = run(env, ['--nodes', '3:1:asg-x', '--metrics-bind-address', '0', '--health-probe-bind-address', '0']);
    children.push(b.child);
    assert.equal(await b.exited, 1);
    assert.match(b.output(), /--nodes: min 3 is greater than max 1 for asg-x/);
    const c = run(env, ['--nodes', '1:3:asg-x', '--expander', 'cheapest', '--metrics-bind-address', '0', '--health-probe-bind-address', '0']);
    children.push(c.child);
    assert.equal(await c.exited, 1);
    assert.match(c.output(), /--expander: "cheapest" is not one of least-waste, most-pods, random, priority/);
  });

  it('offers upstream\'s flags with their defaults in --help', async () => {
    const p = spawn(process.execPath, [main, 'run', 'cluster-autoscaler', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    await new Promise((r) => p.on('exit', r));
    for (const flag of ['--nodes', '--node-group-auto-discovery', '--scan-interval', '--expander', '--max-nodes-total', '--cores-total', '--memory-total',
      '--max-node-provision-time', '--scale-down-utilization-threshold', '--scale-down-unneeded-time', '--scale-down-delay-after-add',
      '--scale-down-delay-after-failure', '--initial-node-group-backoff-duration', '--max-node-group-backoff-duration']) {
      assert.ok(out.includes(flag), `${flag} in help:\n${out}`);
    }
    assert.match(out, /default: "10s"/);
    assert.match(out, /default: "least-waste"/);
  });
});
