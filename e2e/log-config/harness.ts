/**
 * The log-config suites' environment, all in-process: the built-in API server with the
 * generated AliyunLogConfig CRD applied by kubectl, the cloud emulator (SLS), the defaults
 * ConfigMap, and the log-config plugin on its own Manager with test-friendly durations.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { startCloudSim, type CloudSim } from '../../src/cloudsim/index.js';
import { createAlibabaCloud, type AlibabaCloud } from '../../src/cloud/index.js';
import { Manager, type Logger } from '../../src/controller/index.js';
import { createRegistry, type Registry } from '../../src/observability/index.js';
import { plugin, AliyunLogConfig } from '../../controllers/log-config/index.js';
import type { KubeObject } from '../../src/api/index.js';

// dist/e2e/log-config -> repository root
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CRD_FILE = join(root, 'crds/log.alibabacloud.com_aliyunlogconfigs.yaml');
export const PROJECT = 'k8s-log-test';
export const GROUP = 'k8s-group-test';
export const REGION = 'cn-hangzhou';

export type Obj = KubeObject & { spec?: any; status?: any; [k: string]: any };

export const silent = () => pino({ level: process.env.LOG_LEVEL ?? 'silent' }) as unknown as Logger;

export interface KubectlResult { code: number; stdout: string; stderr: string }

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
  const server = await startApiServer({ port: 0, kubeconfigPath: join(dir, 'kubeconfig') });
  const cloud = await startCloudSim({ port: 0, regionId: REGION });
  const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
  // few, quick adapter retries: the controller's own backoff is what the suites observe
  const api = createAlibabaCloud({
    regionId: cloud.regionId, emulator: cloud.url,
    credentials: { accessKeyId: cloud.accessKeyId, accessKeySecret: cloud.accessKeySecret },
    retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 100, budgetMs: 2_000, timeoutMs: 5_000 },
  });
  const kubectl = (args: string[], stdin?: string) => new Promise<KubectlResult>((res) => {
    const child = execFile('kubectl', ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args],
      { env: { ...process.env, HOME: dir }, timeout: 60_000 },
      (err, stdout, stderr) => res({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr }));
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
  const env: LogEnv = {
    server, cloud, client, api, dir, kubectl,
    async stop() {
      client.close();
      await cloud.stop();
      await server.stop();
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
  const manager = new Manager({
    kubeconfig: env.server.kubeconfig, logger: silent(), registry,
    metricsBindAddress: false, healthProbeBindAddress: false, handleSignals: false, gracefulShutdownTimeoutMs: 5_000,
  });
  await plugin.setup(manager, {
    flags: { logConfigDriftCheckPeriod: '1s', logConfigBackoffBase: '200ms', logConfigBackoffMax: '1s', logConfigMaxConcurrentReconciles: '4', ...flags },
    cloud: env.api,
    logger: silent(),
  });
  await manager.start();
  return { manager, registry, stop: () => manager.stop() };
}

export async function eventually<T>(what: string, cond: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
export async function setFaults(env: LogEnv, rules: unknown): Promise<void> {
  const res = await fetch(`${env.cloud.url}/_sim/faults`, { method: rules === null ? 'DELETE' : 'POST', body: rules === null ? undefined : JSON.stringify(rules), headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`/_sim/faults: ${res.status} ${await res.text()}`);
}

/** The /_sim/state document. */
export async function simState(env: LogEnv): Promise<any> {
  const res = await fetch(`${env.cloud.url}/_sim/state`);
  return res.json();
}

export async function eventsFor(env: LogEnv, name: string, namespace = 'default'): Promise<Obj[]> {
  return ((await env.client.list<Obj>({ apiVersion: 'v1', kind: 'Event' }, { namespace })).items as Obj[]).filter((e) => e.involvedObject?.name === name);
}
