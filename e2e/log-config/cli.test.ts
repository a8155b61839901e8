// `kubeloop run log-config` as a user runs it: a separate process with its flags (here a
// ConfigMap in another namespace, short drift checks), the emulator through
// --cloud-emulator and the standard credential variables; bad flags stop it with a message.
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { ConfigMap } from '../../src/controller/index.js';
import { alc, apply, eventually, fileSpec, getAlc, ready, slsConfig, startLogEnv, type LogEnv } from './harness.js';
import { runController } from '../support/index.js';
import { describeInProcess } from '../support/index.js';

describeInProcess('kubeloop run log-config', 'starts controller processes of its own, with its own flags and ConfigMap', () => {
  let env: LogEnv;
  let child: ChildProcess | undefined;

  before(async () => {
    env = await startLogEnv({ configMap: false });
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await env?.stop();
  });

  function run(args: string[]): { proc: ChildProcess; output: () => string; exit: Promise<number | null> } {
    const p = runController('log-config', args, { kubeconfigPath: env.server.kubeconfigPath, cloud: env.cloud, emulatorEnv: false, logLevel: 'warn' });
    return { proc: p.child, output: p.output, exit: p.exited };
  }

  it('a bad flag stops the command with a message naming it', async () => {
    const r = run(['--cloud-emulator', env.cloud.url, '--log-config-backoff-base', 'often', '--metrics-bind-address', '0', '--health-probe-bind-address', '0']);
    assert.notEqual(await r.exit, 0);
    assert.match(r.output(), /--log-config-backoff-base: "often" is not a duration/);
  });

  it('kubeloop run log-config reconciles objects with the defaults of a ConfigMap named by flags', async () => {
    await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'logging' } });
    await env.client.create({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sls-defaults', namespace: 'logging' },
      data: { 'log-project': 'k8s-log-cli', 'log-machine-group': 'cli-group' },
    });
    const r = run([
      '--cloud-emulator', env.cloud.url, '--metrics-bind-address', '0', '--health-probe-bind-address', '0',
      '--log-config-configmap', 'sls-defaults', '--log-config-configmap-namespace', 'logging',
      '--log-config-drift-check-period', '1s', '--log-config-max-concurrent-reconciles', '3',
    ]);
    child = r.proc;
    assert.equal((await apply(env, alc('cli', fileSpec('cli-logs')))).code, 0);
    const o = await eventually('cli ready', async () => { const x = await getAlc(env, 'cli'); return ready(x) && x; }, 30_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${r.output()}`);
    });
    assert.equal(o.status.project, 'k8s-log-cli');
    assert.deepEqual(o.status.machineGroups, ['cli-group']);
    assert.ok((await slsConfig(env, 'cli-logs', 'k8s-log-cli')));

    // a ConfigMap change reaches objects that use its defaults
    await env.client.patch(ConfigMap, 'sls-defaults', { data: { 'log-machine-group': 'cli-group-2' } }, { namespace: 'logging', type: 'merge' });
    await eventually('group moved', async () => (await getAlc(env, 'cli'))?.status?.machineGroups?.[0] === 'cli-group-2', 20_000);
    const groups = env.cloud.state.slsProjects.find((p) => p.projectName === 'k8s-log-cli')!.machineGroups;
    assert.deepEqual(groups.find((g) => g.groupName === 'cli-group-2')!.configs, ['cli-logs']);
    assert.deepEqual(groups.find((g) => g.groupName === 'cli-group')!.configs, [], 'the old binding is removed');

    const exited = r.exit;
    r.proc.kill('SIGTERM');
    assert.equal(await exited, 0, r.output());
  });
});
