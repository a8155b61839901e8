/**
 * The log-config suites' environment, all in-process: the built-in API server with the
 * generated AliyunLogConfig CRD applied by kubectl, the cloud emulator (SLS), the defaults
 * ConfigMap, and the log-config plugin on its own Manager with test-friendly durations.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeClient } from '../../src/client/index.js';
import type { CloudSim } from '@kubeloop/ack/cloudsim';
import type { AlibabaCloud } from '@kubeloop/ack/cloud';
import type { Manager } from '../../src/controller/index.js';
import { createRegistry, type Registry } from '../../src/observability/index.js';
import { plugin, AliyunLogConfig } from '@kubeloop/ack/log-config';
import * as support from '../support/index.js';
import { emulatorCloud, eventually, kubectlFor, root, silent, startStack, testManager, type KubectlResult, type Obj } from '../support/index.js';

export { eventually, root, silent, type KubectlResult, type Obj } from '../support/index.js';

export const CRD_FILE = join(root, 'crds/log.alibabacloud.com_aliyunlogconfigs.yaml');
export const PROJECT = 'k8s-log-test';
export const GROUP = 'k8s-group-test';
export const REGION = 'cn-hangzhou';

export interface LogEnv {
  server: ApiServer;
  cloud: CloudSim;
  client: KubeClient;
  api: AlibabaCloud;
  dir: string;
  /** kubectl with this server's kubeconfig and a private cache dir */
  kubectl(args: string[], stdin?: string): Promise<KubectlResult>;
  stop(): Promise<void>;
}

export async function startLogEnv(opts: { configMap?: Record<string, string> | false } = {}): Promise<LogEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-log-config-'));
  const stack = await startStack({ server: { kubeconfigPath: join(dir, 'kubeconfig') }, cloud: { regionId: REGION } });
  const { server, client } = stack;
  const cloud = stack.cloud!;
  // few, quick adapter retries: the controller's own backoff is what the suites observe
  const api = emulatorCloud(cloud, { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 100, budgetMs: 2_000, timeoutMs: 5_000 });
  const kubectl = kubectlFor(server.kubeconfigPath, dir);
  const env: LogEnv = {
    server, cloud, client, api, dir, kubectl,
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

export interface RunningController {
  manager: Manager;
  registry: Registry;
  stop(): Promise<void>;
}

/** Starts the log-config plugin with short durations (overridable by `flags`). */
export async function startController(env: LogEnv, flags: Record<string, unknown> = {}): Promise<RunningController> {
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

/** An AliyunLogConfig manifest. */
export function alc(name: string, spec: Record<string, unknown>, namespace = 'default'): Obj {
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

export async function getAlc(env: LogEnv, name: string, namespace = 'default'): Promise<Obj | undefined> {
  try {
    return await env.client.get<Obj>(AliyunLogConfig, name, { namespace });
  } catch {
    return undefined;
  }
}

export const ready = (o: Obj | undefined) => o?.status?.statusCode === 200 && o.status.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True'
  && o.status.observedGeneration === o.metadata.generation;

export const slsProject = (env: LogEnv, project = PROJECT) => env.cloud.state.slsProjects.find((p) => p.projectName === project);
export const slsConfig = (env: LogEnv, name: string, project = PROJECT) => slsProject(env, project)?.configs.find((c) => c.configName === name);

/** Emulator fault rules (POST /_sim/faults; null clears). */
export const setFaults = (env: LogEnv, rules: unknown): Promise<void> => support.setFaults(env.cloud, rules);

/**
 * Attaches to the controller's credential (the emulator's AccessKey, RAM user `kubeloop`) a
 * policy allowing everything but `actions` (an `Effect: Deny` statement); {@link liftRamDeny} removes it.
 */
export const denyRam = (env: LogEnv, ...actions: string[]): Promise<void> => support.setRamPolicy(env.cloud, { user: 'kubeloop' }, 'test-deny', {
  Version: '1', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: actions, Resource: '*' }],
});

/** Removes the policy {@link denyRam} attached. */
export const liftRamDeny = (env: LogEnv): Promise<void> => support.deleteRamPolicy(env.cloud, 'test-deny');

/** The /_sim/state document. */
export const simState = (env: LogEnv): Promise<any> => support.simState(env.cloud);

export const eventsFor = (env: LogEnv, name: string, namespace = 'default'): Promise<Obj[]> => support.eventsFor(env.client, name, namespace);
