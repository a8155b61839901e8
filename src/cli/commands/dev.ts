/**
 * `kubeloop dev`: a whole cluster in one process — the built-in API server and a simulated
 * cluster (nodes, kubelets, scheduler, workload controllers) — joined by the project's CLI
 * extensions (./extensions.ts): each may start something the cluster needs first (`prepare`,
 * e.g. `@kubeloop/ack`'s cloud emulator, whose instances become nodes) and its controllers once
 * the cluster is up (`start`); an extension without a `dev` hook has its controller plugins run
 * on one Manager with their flags' defaults (a scaffolded operator in its own project). The
 * CRDs of every custom resource they define are applied before their controllers start; their
 * webhooks are served with a generated certificate and registered with the API server. Writes
 * `<state-dir or .kubeloop>/kubeconfig` and `dev.json`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { KubeClient, loadKubeConfig } from '../../client/index.js';
import { Manager, definedCustomResources, type Logger } from '../../controller/index.js';
import { startApiServer } from '../../apiserver/index.js';
import { startSimCluster } from '../../simcluster/index.js';
import { flagDefaults, type CliExtension, type DevEnvironment, type DevPrepared, type PluginHandle } from '../extension.js';
import { installCrds, installWebhooks } from '../../testing/index.js';

/**
 * Points the built-in API server at the manager's webhooks. A server that does not serve
 * webhook configurations is reported, not fatal: the controllers still run.
 */
async function registerWebhooks(env: DevEnvironment, manager: Manager): Promise<void> {
  const client = new KubeClient(loadKubeConfig({ path: env.kubeconfigPath }));
  try {
    await installWebhooks(client, manager, { name: 'kubeloop-dev' });
    env.logger.info({ url: manager.webhookServer?.url }, 'webhooks registered with the API server');
  } catch (err) {
    env.logger.warn({ err }, 'serving webhooks, but the API server did not take their configurations');
  } finally {
    client.close();
  }
}

/** Runs the plugins of extensions without a dev hook on one Manager; returns how to stop it. */
async function startPlugins(extensions: readonly CliExtension[], env: DevEnvironment): Promise<() => Promise<void>> {
  const manager = new Manager({
    kubeconfig: env.kubeconfigPath, logger: env.logger, metricsBindAddress: false, healthProbeBindAddress: false, handleSignals: false,
    webhook: { port: 0, host: '127.0.0.1', selfSigned: true },
  });
  const handles: PluginHandle[] = [];
  for (const p of extensions.flatMap((e) => e.plugins ?? [])) {
    const flags = flagDefaults(p.flags());
    p.validateFlags(flags);
    const h = await p.setup(manager, { flags, logger: env.logger.child({ controller: p.name }) });
    if (h) handles.push(h);
  }
  await manager.start(env.signal);
  if (manager.webhooks.length) await registerWebhooks(env, manager);
  return async () => {
    await manager.stop();
    for (const h of handles.reverse()) await h.stop();
  };
}

interface DevOptions { stateDir?: string; kubeconfig?: string; port: string; nodes: string; bind: string; controllers: boolean; [extensionOption: string]: unknown }

export function register(program: Command, extensions: readonly CliExtension[]): void {
  const hooks = extensions.flatMap((e) => (e.dev ? [{ name: e.name, hook: e.dev }] : []));
  program
    .command('dev')
    .description('run a local development cluster: the built-in API server, a simulated cluster' +
      (hooks.length ? ` and ${hooks.map((h) => h.hook.description).join(', ')}` : ''))
    .option('--state-dir <dir>', 'keep API objects (and extensions\' state) here across restarts (in memory when omitted)')
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default <state-dir>/kubeconfig, or .kubeloop/kubeconfig)')
    .option('--port <n>', 'API server port (0 = any free port)', '0')
    .option('--bind <addr>', 'address the servers listen on', '127.0.0.1')
    .option('--nodes <n>', 'static simulated nodes (besides any an extension\'s cloud adds)', '2')
    .option('--no-controllers', 'run no controllers (the extensions still set the cluster up): run them yourself with `kubeloop run <name> --kubeconfig <path>`')
    .action(async (o: DevOptions) => {
      const port = intOption('--port', o.port, 65535);
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
        // the simulated components log to a file: routine reconcile retries (conflicts) would drown the terminal
        const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: undefined }, pino.destination({ dest: logFile, mkdir: true, sync: false })) as unknown as Logger;
        const pre = { apiServer, kubeconfigPath, stateDir, bind: o.bind, options: o, signal: abort.signal, logger, controllers: o.controllers !== false };
        const prepared: DevPrepared[] = [];
        for (const { hook } of hooks) {
          if (!hook.prepare) continue;
          const p = await hook.prepare(pre);
          stops.push(() => p.stop());
          prepared.push(p);
        }
        const simCloud = prepared.find((p) => p.simCloud)?.simCloud;
        const region = prepared.find((p) => p.simRegion)?.simRegion;
        const sim = await startSimCluster({ kubeconfig: apiServer.kubeconfig, nodes, cloud: simCloud, ...(region ? { region } : {}), logger });
        stops.push(() => sim.stop());
        // the CRDs of every custom resource the extensions define, applied and Established
        const client = new KubeClient(loadKubeConfig({ kubeconfig: apiServer.kubeconfig }));
        try {
          await installCrds(client, definedCustomResources());
        } finally {
          client.close();
        }
        const env: DevEnvironment = { ...pre, sim };
        const started: string[] = [];
        for (const { hook } of hooks) {
          if (!hook.start) continue;
          stops.push(await hook.start(env));
          if (env.controllers) started.push(hook.description);
        }
        const plain = extensions.filter((e) => !e.dev && e.plugins?.length);
        if (plain.length && env.controllers) {
          stops.push(await startPlugins(plain, env));
          started.push(plain.flatMap((e) => (e.plugins ?? []).map((p) => p.name)).join(', '));
        }
        mkdirSync(dirname(devJson), { recursive: true });
        writeFileSync(devJson, JSON.stringify({
          apiServer: apiServer.url, kubeconfig: kubeconfigPath, clusterCidr: sim.config.clusterCidr,
          ...Object.assign({}, ...prepared.map((p) => p.devJson ?? {})),
          stateDir: stateDir ?? null, pid: process.pid,
        }, null, 2) + '\n', { mode: 0o600 });
        const rel = (p: string) => (p.startsWith(process.cwd() + '/') ? p.slice(process.cwd().length + 1) : p);
        process.stdout.write([
          'kubeloop dev is running:',
          `  API server       ${apiServer.url}`,
          `  kubeconfig       ${kubeconfigPath}`,
          ...prepared.flatMap((p) => (p.banner ?? []).map((l) => `  ${l}`)),
          `  simulated nodes  ${nodes} static${simCloud ? ' + the cloud\'s instances' : ''}`,
          `  running          ${started.join('; ') || 'no controllers (run yours with --kubeconfig ' + rel(kubeconfigPath) + ')'}`,
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
