// The contract between the chart and `kubeloop run`: every argument a rendered manager
// Deployment passes is an option the command declares, with a value its parser accepts —
// checked with the real command definitions (commander), for every controller plugin that exists.
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, CommanderError } from 'commander';
import { register } from '../../src/cli/commands/run.js';
import { plugins } from '@kubeloop/ack';
import lightAck from '@kubeloop/ack/cli';
import { loadExtensionParts } from '../../src/cli/index.js';
import { parse as parseYaml } from 'yaml';
import { parseAcrConfig } from '@kubeloop/ack/acr-credential-helper';
import { parsePriorities } from '@kubeloop/ack/cluster-autoscaler';
import { render, type Values } from './harness.js';

// the extension with its controllers loaded, as `kubeloop run` has it
const [ack] = await loadExtensionParts([lightAck]);

/** Chart controller keys by plugin name. */
const CHART_KEYS: Record<string, string> = {
  'acr-credential-helper': 'acrCredentialHelper',
  route: 'route',
  'log-config': 'logConfig',
  'cluster-autoscaler': 'clusterAutoscaler',
};

function runCommand(name: string): Command {
  const program = new Command('kubeloop');
  register(program, [ack]);
  const run = program.commands.find((c) => c.name() === 'run')!;
  const cmd = run.commands.find((c) => c.name() === name);
  assert.ok(cmd, `kubeloop run ${name} exists`);
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  return cmd;
}

/** Parses `args` as the command would; returns the unknown options and parse errors. */
function check(cmd: Command, args: string[]): string[] {
  // kubelet expands $(VAR) references from the container env before the process sees them
  const expanded = args.map((a) => a.replace('$(POD_NAMESPACE)', 'kubeloop-system'));
  try {
    const { unknown } = cmd.parseOptions(expanded);
    return unknown.filter((u) => u.startsWith('-')).map((u) => `unknown option ${u}`);
  } catch (err) {
    if (err instanceof CommanderError) return [err.message];
    throw err;
  }
}

/** Values with everything set that the chart turns into flags. */
const busy: Values = {
  replicaCount: 2,
  controllers: {
    acrCredentialHelper: { recreateStuckPods: true },
    route: { routeTableIDs: ['vtb-1', 'vtb-2'], vpcId: 'vpc-1', clusterName: 'c1', configureCloudRoutes: false, dryRun: true },
    logConfig: { driftCheckPeriod: '1m30s', backoffBase: '5s', backoffMax: '10m', maxConcurrentReconciles: 8 },
    clusterAutoscaler: { nodes: [{ min: 1, max: 5, id: 'asg-1' }], nodeGroupAutoDiscovery: ['tag:k8s.io/cluster-autoscaler/enabled=true,team=infra'], expander: 'priority', priorities: { '10': ['asg-1'] }, scaleDown: { enabled: false } },
  },
};

test('every flag the chart passes to `kubeloop run <controller>` is declared by that command and parses', () => {
  assert.ok(plugins.length > 0, 'controllers/index lists the controller plugins');
  // the check itself: an undeclared flag is reported
  assert.deepEqual(check(runCommand(plugins[0].name), ['--log-level=info', '--no-such-flag=1']), ['unknown option --no-such-flag=1']);
  for (const p of plugins) {
    assert.ok(p.name in CHART_KEYS, `the chart has values for the ${p.name} controller`);
    const controllers = Object.fromEntries(Object.entries(CHART_KEYS).map(([name, key]) => [key, { enabled: name === p.name }]));
    for (const values of [{}, busy]) {
      const r = render({ values: { ...values, controllers: { ...(values.controllers as object), ...Object.fromEntries(Object.entries(controllers).map(([k, v]) => [k, { ...((values.controllers as Record<string, object> | undefined)?.[k] ?? {}), ...v }])) } } });
      const d = r.find('Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
      const args = d.spec.template.spec.containers[0].args;
      assert.deepEqual(args.slice(0, 2), ['run', p.name]);
      const cmd = runCommand(p.name);
      assert.deepEqual(check(cmd, args.slice(2)), [], `kubeloop ${args.join(' ')}`);
      // and the plugin's own validation accepts the values
      assert.doesNotThrow(() => p.validateFlags(cmd.opts()), `kubeloop ${args.join(' ')}`);
    }
  }
});

test('`kubeloop run all` accepts the single-layout Deployment\'s flags once every controller exists', () => {
  const r = render({ values: busy });
  const args = (r.find('Deployment', 'kubeloop') as unknown as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } }).spec.template.spec.containers[0].args;
  assert.deepEqual(args.slice(0, 2), ['run', 'all']);
  const all = runCommand('all');
  const problems = check(all, args.slice(2));
  const missing = Object.keys(CHART_KEYS).filter((n) => !plugins.some((p) => p.name === n));
  if (missing.length === 0) {
    assert.deepEqual(problems, [], `kubeloop ${args.join(' ')}`);
    return;
  }
  // until then, the only unknown flags are those the chart passes to the controllers not written yet
  const theirs = new Set<string>();
  for (const name of missing) {
    const only = Object.fromEntries(Object.entries(CHART_KEYS).map(([n, key]) => [key, { ...((busy.controllers as Record<string, object>)[key] ?? {}), enabled: n === name }]));
    const d = render({ values: { ...busy, controllers: only } }).find('Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
    for (const a of d.spec.template.spec.containers[0].args.slice(2)) theirs.add(a.split('=')[0]);
  }
  const common = new Set(runCommand(plugins[0].name).options.map((o) => o.long));
  for (const msg of problems) {
    const flag = /^unknown option (--[^=]+)/.exec(msg)?.[1];
    assert.ok(flag && theirs.has(flag) && !common.has(flag), `${msg}: not a flag of ${missing.join(', ')}`);
  }
});

test('the controllers parse the ConfigMaps the chart writes into what the values say', () => {
  const r = render({ values: {
    controllers: {
      acrCredentialHelper: { config: { watchNamespace: 'team-a,team-b', serviceAccount: '*', expiringThreshold: '20m', acrRegistryInfo: [{ instanceId: 'cri-1', regionId: 'cn-beijing', domains: ['r1.example.com'], expireDuration: 1800 }], webhook: { enable: true, failurePolicy: 'Fail', timeoutSeconds: 5 } } },
      clusterAutoscaler: { expander: 'priority', priorities: { '10': ['.*-spot-.*'], '50': ['^asg-ondemand$'] } },
    },
  } });
  const acr = parseAcrConfig((r.find('ConfigMap', 'acr-configuration') as unknown as { data: Record<string, string> }).data);
  assert.deepEqual(acr.namespaces, ['team-a', 'team-b']);
  assert.equal(acr.allServiceAccounts, true);
  assert.equal(acr.expiringThresholdMs, 20 * 60_000);
  assert.equal(acr.apiVersion, '2018-12-01');
  assert.deepEqual(acr.webhook, { enable: true, failurePolicy: 'Fail', timeoutSeconds: 5 });
  assert.deepEqual(acr.registries.map((e) => [e.instanceId, e.regionId, e.domains, e.expireDurationSeconds]), [['cri-1', 'cn-beijing', ['r1.example.com'], 1800]]);
  // defaults render a ConfigMap the controller accepts as well
  assert.doesNotThrow(() => parseAcrConfig((render().find('ConfigMap', 'acr-configuration') as unknown as { data: Record<string, string> }).data));
  const prio = parsePriorities(parseYaml((r.find('ConfigMap', 'cluster-autoscaler-priority-expander') as unknown as { data: { priorities: string } }).data.priorities));
  assert.deepEqual([...prio.keys()].sort((a, b) => a - b), [10, 50]);
  assert.ok(prio.get(10)!.some((re) => re.test('asg-spot-1')) && !prio.get(10)!.some((re) => re.test('asg-ondemand')));
  assert.ok(prio.get(50)!.some((re) => re.test('asg-ondemand')));
});
