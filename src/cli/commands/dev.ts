import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command, Option } from 'commander';
import pino from 'pino';
import { CustomResourceDefinition, Manager, crdManifest, definedCustomResources, groupByCrd, type Logger } from '../../controller/index.js';
import { isAlreadyExists } from '../../api/index.js';
import { createAlibabaCloud } from '../../cloud/index.js';
import { plugins, type PluginHandle } from '../../../controllers/index.js';
import { startApiServer, type ApiServer } from '../../apiserver/index.js';
import { startCloudSim, type CloudSim } from '../../cloudsim/index.js';
import { startSimCluster, type SimCluster } from '../../simcluster/index.js';

/** Everything `kubeloop dev` runs, handed to the controllers that join it. */
export interface DevEnvironment {
  apiServer: ApiServer;
  cloud: CloudSim;
  sim: SimCluster;
  /** kubeconfig (file path) of the built-in API server */
  kubeconfigPath: string;
  /** aborted when `kubeloop dev` stops */
  signal: AbortSignal;
  /** logs to `<state-dir or .kubeloop>/dev.log` */
  logger: Logger;
}

/** Commander option defaults of a plugin's flags, keyed like parsed flags (`--cluster-cidr` -> clusterCidr). */
function flagDefaults(options: Option[], overrides: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of options) {
    const key = o.attributeName();
    if (key in overrides) out[key] = overrides[key];
    else if (o.defaultValue !== undefined) out[key] = o.defaultValue;
  }
  return out;
}

/** Applies the CRDs of every custom resource the controllers define and waits until they are served. */
async function installCrds(manager: Manager): Promise<void> {
  const client = manager.client;
  for (const [name, versions] of groupByCrd(definedCustomResources())) {
    await client.apply(crdManifest(...versions), { force: true, fieldManager: 'kubeloop-dev' });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const crd = await client.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(CustomResourceDefinition, name);
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} was not established within 15 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Cluster-wide settings an ACK cluster has and the controllers read: the log-config
 * controller's default project and machine group (ConfigMap kube-system/alibaba-log-configuration),
 * pointing at the emulator's default SLS project. Created only when absent, so a user's edits
 * (kept with --state-dir) win.
 */
async function installClusterDefaults(manager: Manager, env: DevEnvironment): Promise<void> {
  const project = env.cloud.state.slsProjects[0]?.projectName;
  if (!project) return;
  try {
    await manager.client.create({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'alibaba-log-configuration', namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'kubeloop-dev' } },
      data: { 'log-project': project, 'log-machine-group': 'k8s-group-kubeloop' },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  // The ACR credential helper's settings (CONTROLLERS.md defaults): the default namespace's
  // default ServiceAccount gets pull credentials for the emulator's registry instance.
  try {
    await manager.client.create({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'acr-configuration', namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'kubeloop-dev' } },
      data: { 'watch-namespace': 'default', 'service-account': 'default', 'expiring-threshold': '15m' },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/**
 * THE place where controllers join `kubeloop dev`. Each entry starts something against the
 * environment and returns a function that stops it; they start after the simulated cluster
 * is up and stop before it, in reverse order. The default entry runs every shipped
 * controller plugin (controllers/index.ts) on one Manager, with the cloud adapters pointed at
 * the emulator and flags at their defaults (the route controller's --cluster-cidr is the
 * simulated cluster's, the autoscaler discovers the emulator's tagged scaling group) and their CRDs applied first. A plugin whose setup fails is reported
 * and skipped.
 */
export const devControllers: Array<{ name: string; start(env: DevEnvironment): Promise<() => Promise<void>> }> = [
  {
    name: `controllers (${plugins.map((p) => p.name).join(', ') || 'none yet'})`,
    async start(env) {
      // Anything a controller builds from the environment (e.g. the ACR helper's clients for
      // registries in other regions) must reach the emulator too, never the real cloud.
      process.env.KUBELOOP_CLOUD_EMULATOR = env.cloud.url;
      process.env.ALIBABA_CLOUD_REGION_ID = env.cloud.regionId;
      process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = env.cloud.accessKeyId;
      process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = env.cloud.accessKeySecret;
      delete process.env.ALIBABA_CLOUD_SECURITY_TOKEN;
      const cloud = createAlibabaCloud({
        regionId: env.cloud.regionId, emulator: env.cloud.url,
        credentials: { accessKeyId: env.cloud.accessKeyId, accessKeySecret: env.cloud.accessKeySecret },
      });
      const manager = new Manager({
        kubeconfig: env.kubeconfigPath, logger: env.logger, metricsBindAddress: false, healthProbeBindAddress: false, handleSignals: false,
        cacheSyncTimeoutMs: 30_000,
      });
      await installCrds(manager);
      await installClusterDefaults(manager, env);
      const handles: PluginHandle[] = [];
      for (const p of plugins) {
        try {
          const flags = flagDefaults(p.flags(), {
            clusterCidr: env.sim.config.clusterCidr,
            // the emulator's default scaling group carries this tag
            nodeGroupAutoDiscovery: ['tag:k8s.io/cluster-autoscaler/enabled=true'],
          });
          const h = await p.setup(manager, { flags, cloud, logger: env.logger.child({ controller: p.name }) });
          if (h) handles.push(h);
        } catch (err) {
          process.stderr.write(`kubeloop dev: controller ${p.name} not started: ${(err as Error).message}\n`);
        }
      }
      await manager.start(env.signal);
      return async () => {
        await manager.stop();
        for (const h of handles.reverse()) await h.stop();
      };
    },
  },
];

interface DevOptions { stateDir?: string; kubeconfig?: string; port: string; cloudPort: string; nodes: string; bind: string }

/** `kubeloop dev`: built-in API server + cloud emulator + simulated cluster in one process. */
export function register(program: Command): void {
  program
    .command('dev')
    .description('run a local development environment: the built-in API server, the cloud emulator and a simulated cluster')
    .option('--state-dir <dir>', 'keep API objects and cloud state here across restarts (in memory when omitted)')
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default <state-dir>/kubeconfig, or .kubeloop/kubeconfig)')
    .option('--port <n>', 'API server port (0 = any free port)', '0')
    .option('--cloud-port <n>', 'cloud emulator port (0 = any free port)', '0')
    .option('--bind <addr>', 'address both servers listen on', '127.0.0.1')
    .option('--nodes <n>', 'static simulated nodes besides the cloud instances', '2')
    .action(async (o: DevOptions) => {
      const port = intOption('--port', o.port, 65535);
      const cloudPort = intOption('--cloud-port', o.cloudPort, 65535);
      const nodes = intOption('--nodes', o.nodes, 5000);
      const stateDir = o.stateDir ? resolve(o.stateDir) : undefined;
      const base = stateDir ?? resolve('.kubeloop');
      const kubeconfigPath = resolve(o.kubeconfig ?? join(base, 'kubeconfig'));
      const devJson = join(base, 'dev.json');
      const logFile = join(base, 'dev.log');
      mkdirSync(base, { recursive: true });
      if (stateDir) mkdirSync(join(stateDir, 'apiserver'), { recursive: true });

      const abort = new AbortController();
      const stops: Array<() => Promise<void>> = [];
      let stopping = false;
      const stop = async (code: number) => {
        if (stopping) return;
        stopping = true;
        abort.abort();
        process.stdout.write('kubeloop dev: stopping...\n');
        for (const s of stops.reverse()) {
          try { await s(); } catch (err) { process.stderr.write(`kubeloop dev: ${String(err)}\n`); }
        }
        rmSync(devJson, { force: true });
        process.exit(code);
      };
      process.on('SIGINT', () => void stop(0));
      process.on('SIGTERM', () => void stop(0));

      try {
        const apiServer = await startApiServer({ port, bind: o.bind, dataDir: stateDir ? join(stateDir, 'apiserver') : undefined, kubeconfigPath });
        stops.push(() => apiServer.stop());
        const cloud = await startCloudSim({ port: cloudPort, host: o.bind, stateFile: stateDir ? join(stateDir, 'cloud.json') : undefined });
        stops.push(() => cloud.stop());
        // the simulated components log to a file: routine reconcile retries (conflicts) would drown the terminal
        const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: undefined }, pino.destination({ dest: logFile, mkdir: true, sync: false })) as unknown as Logger;
        const sim = await startSimCluster({
          kubeconfig: apiServer.kubeconfig, nodes, region: cloud.regionId, cloud: { url: cloud.url }, logger,
        });
        stops.push(() => sim.stop());
        const started: string[] = [];
        const env: DevEnvironment = { apiServer, cloud, sim, kubeconfigPath, signal: abort.signal, logger };
        for (const c of devControllers) {
          stops.push(await c.start(env));
          started.push(c.name);
        }
        mkdirSync(dirname(devJson), { recursive: true });
        writeFileSync(devJson, JSON.stringify({
          apiServer: apiServer.url, kubeconfig: kubeconfigPath,
          cloud: { url: cloud.url, accessKeyId: cloud.accessKeyId, accessKeySecret: cloud.accessKeySecret, regionId: cloud.regionId, slsEndpoint: cloud.slsEndpoint },
          stateDir: stateDir ?? null, pid: process.pid,
        }, null, 2) + '\n', { mode: 0o600 });
        const rel = (p: string) => (p.startsWith(process.cwd() + '/') ? p.slice(process.cwd().length + 1) : p);
        process.stdout.write([
          'kubeloop dev is running:',
          `  API server       ${apiServer.url}`,
          `  kubeconfig       ${kubeconfigPath}`,
          `  cloud emulator   ${cloud.url} (region ${cloud.regionId}, AccessKey ${cloud.accessKeyId})`,
          `  simulated nodes  ${nodes} static + the emulator's scaling group instances`,
          `  running          ${started.join('; ') || 'no controllers'}`,
          `  state            ${stateDir ?? 'in memory (use --state-dir to keep it)'}`,
          `  details          ${devJson}`,
          `  logs             ${logFile}`,
          '',
          'Try:',
          `  kubectl --kubeconfig ${rel(kubeconfigPath)} get nodes,pods -A`,
          '',
          'Ctrl-C stops everything.',
          '',
        ].join('\n'));
      } catch (err) {
        process.stderr.write(`kubeloop dev: ${err instanceof Error ? err.message : String(err)}\n`);
        await stop(1);
      }
    });
}

function intOption(name: string, v: string, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > max) throw new Error(`invalid ${name}: ${v} (expected an integer between 0 and ${max})`);
  return n;
}
