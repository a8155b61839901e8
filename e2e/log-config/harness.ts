/**
 * The log-config suites' environment, in-process: the built-in API server with the
 * generated AliyunLogConfig CRD applied by kubectl, the cloud emulator (SLS), the defaults
 * ConfigMap, and the log-config plugin on its own Manager with test-friendly durations.
 *
 * External mode (e2e/support/target.ts): the cluster of $KUBECONFIG, where the chart installed
 * the CRD, the defaults ConfigMap (whose project and machine group become PROJECT and GROUP)
 * and the controller; the emulator at $E2E_CLOUD_URL; each test file's objects in a namespace
 * of its own (NS), deleted at the end. `startController` then stands for the running
 * controller (its metrics scraped from $E2E_METRICS_URL_LOG_CONFIG); asking it for other flags,
 * or to stop, is a suite bug.
 */
import { after, before } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeClient } from '../../src/client/index.js';
import type { CloudSim } from '@kubeloop/ack/cloudsim';
import type { AlibabaCloud } from '@kubeloop/ack/cloud';
import type { Manager } from '../../src/controller/index.js';
import { createRegistry, type Registry } from '../../src/observability/index.js';
import { plugin, AliyunLogConfig } from '@kubeloop/ack/log-config';
import * as support from '../support/index.js';
import {
  emulatorCloud, eventually, kubectlFor, root, silent, startStack, testManager, EXTERNAL, externalTarget, externalNamespace, withoutInProcess,
  type EmulatorEndpoint, type KubectlResult, type Obj,
} from '../support/index.js';

export { eventually, root, silent, type KubectlResult, type Obj } from '../support/index.js';

export const CRD_FILE = join(root, 'crds/log.alibabacloud.com_aliyunlogconfigs.yaml');
/** The default project and machine group (external mode: those of the cluster's ConfigMap). */
export let PROJECT = 'k8s-log-test';
export let GROUP = 'k8s-group-test';
export const REGION = 'cn-hangzhou';
/** The namespace of the suites' objects: `default` in-process, one of the file's own in external mode. */
export let NS = 'default';

export interface LogEnv {
  /** in-process only (a getter that throws in external mode) */
  server: ApiServer;
  /** in-process only */
  cloud: CloudSim;
  client: KubeClient;
  /** in-process only */
  api: AlibabaCloud;
  /** the emulator as a user reaches it */
  emulator: EmulatorEndpoint;
  dir: string;
  /** kubectl with this server's kubeconfig and a private cache dir */
  kubectl(args: string[], stdin?: string): Promise<KubectlResult>;
  stop(): Promise<void>;
}

export async function startLogEnv(opts: { configMap?: Record<string, string> | false } = {}): Promise<LogEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-log-config-'));
  if (EXTERNAL) return startExternalEnv(dir, opts);
  const stack = await startStack({ server: { kubeconfigPath: join(dir, 'kubeconfig') }, cloud: { regionId: REGION } });
  const { server, client } = stack;
  const cloud = stack.cloud!;
  // few, quick adapter retries: the controller's own backoff is what the suites observe
  const api = emulatorCloud(cloud, { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 100, budgetMs: 2_000, timeoutMs: 5_000 });
  const kubectl = kubectlFor(server.kubeconfigPath, dir);
  const emulator = { url: cloud.url, regionId: cloud.regionId, accessKeyId: cloud.accessKeyId, accessKeySecret: cloud.accessKeySecret };
  const env: LogEnv = {
    server, cloud, client, api, emulator, dir, kubectl,
    async stop() {
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const r = await kubectl(['apply', '-f', CRD_FILE]);
  if (r.code !== 0) throw new Error(`applying the CRD: ${r.stderr}`);
  await eventually('CRD established', async () => {
    const list = await kubectl(['get', 'aliyunlogconfigs', '-A']);
    return list.code === 0;
  });
  if (opts.configMap !== false) {
    await client.create({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'alibaba-log-configuration', namespace: 'kube-system' },
      data: opts.configMap ?? { 'log-project': PROJECT, 'log-machine-group': GROUP },
    } as Obj);
  }
  return env;
}

async function startExternalEnv(dir: string, opts: { configMap?: Record<string, string> | false }): Promise<LogEnv> {
  if (opts.configMap !== undefined) throw new Error('startLogEnv({ configMap }) sets up a cluster of its own: skip the scenario in external mode');
  const t = externalTarget();
  if (!t.cloud) throw new Error('the log-config suites need the cloud emulator: set E2E_CLOUD_URL');
  const client = t.client();
  const ns = await externalNamespace(client, 'e2e-log-config');
  NS = ns.name;
  const cm = await client.get<Obj>({ apiVersion: 'v1', kind: 'ConfigMap' }, 'alibaba-log-configuration', { namespace: 'kube-system' });
  PROJECT = cm.data?.['log-project'] || PROJECT;
  GROUP = cm.data?.['log-machine-group'] || GROUP;
  // kubectl's default namespace is the file's: the kubeconfig's context names it
  const kc = parseYaml(t.kubeconfig) as { 'current-context': string; contexts: Array<{ name: string; context: Record<string, unknown> }> };
  const ctx = kc.contexts.find((c) => c.name === kc['current-context']);
  if (ctx) ctx.context.namespace = ns.name;
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, JSON.stringify(kc), { mode: 0o600 });
  const env = {
    client, emulator: t.cloud, dir,
    kubectl: kubectlFor(kubeconfigPath, dir),
    async stop() {
      await ns.remove();
      client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  } as LogEnv;
  return withoutInProcess(env, ['server', 'cloud', 'api']);
}

export interface RunningController {
  /** in-process only */
  manager: Manager;
  /** `metrics()` works in both modes */
  registry: Pick<Registry, 'metrics'>;
  stop(): Promise<void>;
}

/**
 * Starts the log-config plugin with short durations (overridable by `flags`). External mode:
 * the cluster's running controller (with the chart values' durations); `flags` are not allowed.
 */
export async function startController(env: LogEnv, flags: Record<string, unknown> = {}): Promise<RunningController> {
  if (EXTERNAL) {
    const known = ['logConfigDriftCheckPeriod', 'logConfigBackoffBase', 'logConfigBackoffMax'];
    const other = Object.keys(flags).filter((f) => !known.includes(f));
    if (other.length) throw new Error(`the cluster's log-config controller runs with the chart's flags, not ${other.join(', ')}: skip the scenario in external mode`);
    const url = process.env.E2E_METRICS_URL_LOG_CONFIG;
    const metrics = async () => {
      if (!url) throw new Error('set E2E_METRICS_URL_LOG_CONFIG to the controller\'s metrics URL');
      return (await fetch(`${url}/metrics`)).text();
    };
    return withoutInProcess({ registry: { metrics }, stop: async () => undefined } as RunningController, ['manager']);
  }
  const registry = createRegistry();
  const manager = testManager(env.server.kubeconfig, silent(), registry);
  await plugin.setup(manager, {
    flags: { logConfigDriftCheckPeriod: '1s', logConfigBackoffBase: '200ms', logConfigBackoffMax: '1s', logConfigMaxConcurrentReconciles: '4', ...flags },
    cloud: env.api,
    logger: silent(),
  });
  await manager.start();
  return { manager, registry, stop: () => manager.stop() };
}

/**
 * The suites' usual shape: a `before` hook that starts the environment (`envOptions`) and the
 * controller (`flags`) and hands both to `started`, and an `after` hook that stops them.
 */
export function withLogController(
  started: (env: LogEnv, ctl: RunningController) => void,
  o: { envOptions?: Parameters<typeof startLogEnv>[0]; flags?: Record<string, unknown> } = {},
): void {
  let env: LogEnv | undefined;
  let ctl: RunningController | undefined;
  before(async () => {
    env = await startLogEnv(o.envOptions);
    ctl = await startController(env, o.flags);
    started(env, ctl);
  });
  after(async () => {
    await ctl?.stop();
    await env?.stop();
  });
}

/** An AliyunLogConfig manifest. */
export function alc(name: string, spec: Record<string, unknown>, namespace = NS): Obj {
  return { apiVersion: AliyunLogConfig.apiVersion, kind: 'AliyunLogConfig', metadata: { name, namespace }, spec };
}

export function fileSpec(configName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    logstore: `${configName}-store`,
    logtailConfig: {
      configName, inputType: 'file',
      inputDetail: { logType: 'common_reg_log', logPath: '/var/log/app', filePattern: '*.log', dockerFile: true, dockerIncludeLabel: { app: configName } },
    },
    ...extra,
  };
}

/** Applies manifests with `kubectl apply -f <file>` (one YAML document each). */
export async function apply(env: LogEnv, ...objs: Obj[]): Promise<KubectlResult> {
  const file = join(env.dir, `apply-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, objs.map((o) => `---\n${JSON.stringify(o)}\n`).join(''));
  return env.kubectl(['apply', '-f', file]);
}

export async function getAlc(env: LogEnv, name: string, namespace = NS): Promise<Obj | undefined> {
  try {
    return await env.client.get<Obj>(AliyunLogConfig, name, { namespace });
  } catch {
    return undefined;
  }
}

export const ready = (o: Obj | undefined) => o?.status?.statusCode === 200 && o.status.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True'
  && o.status.observedGeneration === o.metadata.generation;

/** An SLS project as the emulator's state document shows it (GET /_sim/state). */
export const slsProject = async (env: LogEnv, project = PROJECT): Promise<SlsProjectView | undefined> =>
  ((await simState(env)).slsProjects as SlsProjectView[]).find((p) => p.projectName === project);
export const slsConfig = async (env: LogEnv, name: string, project = PROJECT): Promise<any> => (await slsProject(env, project))?.configs.find((c) => c.configName === name);

/** The fields of an emulated SLS project the suites read. */
export interface SlsProjectView {
  projectName: string;
  configs: Array<{ configName: string; inputDetail: any; outputDetail: any; lastModifyTime: number; [k: string]: any }>;
  machineGroups: Array<{ groupName: string; configs: string[]; [k: string]: any }>;
  logstores: Array<{ logstoreName: string; [k: string]: any }>;
}

/** Emulator fault rules (POST /_sim/faults; null clears). */
export const setFaults = (env: LogEnv, rules: unknown): Promise<void> => support.setFaults(env.emulator, rules);

/**
 * Attaches to the controller's credential (the emulator's AccessKey, RAM user `kubeloop`) a
 * policy allowing everything but `actions` (an `Effect: Deny` statement); {@link liftRamDeny} removes it.
 */
export const denyRam = (env: LogEnv, ...actions: string[]): Promise<void> => support.setRamPolicy(env.emulator, { user: 'kubeloop' }, 'test-deny', {
  Version: '1', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: actions, Resource: '*' }],
});

/** Removes the policy {@link denyRam} attached. */
export const liftRamDeny = (env: LogEnv): Promise<void> => support.deleteRamPolicy(env.emulator, 'test-deny');

/** The /_sim/state document. */
export const simState = (env: LogEnv): Promise<any> => support.simState(env.emulator);

export const eventsFor = (env: LogEnv, name: string, namespace = NS): Promise<Obj[]> => support.eventsFor(env.client, name, namespace);

/** A console change: the JSON Patch `ops(state)` returns, applied with PATCH /_sim/state. */
export async function patchState(env: LogEnv, ops: (state: any) => Promise<unknown[]> | unknown[]): Promise<void> {
  const res = await fetch(`${env.emulator.url}/_sim/state`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(await ops(await simState(env))) });
  if (!res.ok) throw new Error(`PATCH /_sim/state: ${res.status} ${await res.text()}`);
}
