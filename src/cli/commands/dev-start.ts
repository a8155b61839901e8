/**
 * What `kubeloop dev` (./dev.ts) runs, imported only when it runs: the API server, the
 * extensions' dev hooks, the simulated cluster, the CRDs, the controllers and the console, until
 * SIGINT/SIGTERM. `startDev` is the same without the console and the process handling, for tests
 * (`kubeloop/cli`).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { KubeClient, loadKubeConfig } from '../../client/index.js';
import { Manager, definedCustomResources, type Logger } from '../../controller/index.js';
// the API server runs on a thread of its own: only its thread's handle loads here
import type { ApiServerThreadOptions, RemoteApiServer } from '../../apiserver/thread.js';
import { devApiServerOptions, intOption, startApiServerOn, type StartingApiServer } from './dev-preload.js';
import { startSimCluster, type SimCluster, type SimClusterOptions } from '../../simcluster/index.js';
import { loadExtensionParts } from '../extensions.js';
import { flagDefaults, type CliExtension, type DevEnvironment, type DevPrepared, type DevStarted, type PluginHandle } from '../extension.js';
import { startConsole, type ConsoleServer, type MetricsTarget } from '../../console/index.js';
// (not the testing index, which loads the API server with startTestEnv)
import { installCrds } from '../../testing/crds.js';
import { installWebhooks } from '../../testing/webhooks.js';

// required, not imported: Node 20 scans an imported CommonJS package for its export names (~6 ms a start)
const pino = createRequire(import.meta.url)('pino') as typeof import('pino').default;

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
async function startPlugins(extensions: readonly CliExtension[], env: DevEnvironment): Promise<DevStarted> {
  const manager = new Manager({
    // metrics and probes on free loopback ports, for the console and dev.json; the simulated
    // cluster's informers and client (admin, as env.kubeconfigPath): a kind both watch is
    // listed and watched once
    informers: env.sim.manager.informers, logger: env.logger, metricsBindAddress: '127.0.0.1:0', healthProbeBindAddress: '127.0.0.1:0', handleSignals: false,
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
  return {
    metrics: manager.metricsUrl ? [{ name: 'controllers', url: manager.metricsUrl, health: manager.healthProbeUrl }] : [],
    async stop() {
      await manager.stop();
      for (const h of handles.reverse()) await h.stop();
    },
  };
}

/** Keeps a started extension's stop function and metrics targets. */
function track(started: DevStarted, stops: Array<() => Promise<void>>, metrics: MetricsTarget[]): void {
  if (typeof started === 'function') return void stops.push(started);
  stops.push(() => started.stop());
  metrics.push(...(started.metrics ?? []));
}

/** The parsed options of `kubeloop dev` (./dev.ts); extensions' options are in it too. */
export interface DevOptions { stateDir?: string; kubeconfig?: string; port: string; nodes: string; bind: string; console: boolean; consolePort: string; controllers: boolean; [extensionOption: string]: unknown }

/** What `startDev` runs: the command's options, parsed. */
export interface DevStartOptions {
  /** `--state-dir` (absolute); in memory when undefined */
  stateDir?: string;
  /** where the kubeconfig goes (default `<state-dir or .kubeloop>/kubeconfig`) */
  kubeconfigPath?: string;
  /** API server port (0: any) */
  port?: number;
  bind?: string;
  /** static simulated nodes (default 2) */
  nodes?: number;
  /** every `kubeloop dev` option (extensions read theirs from here) */
  options?: Readonly<Record<string, unknown>>;
  /** false: the extensions set the cluster up but start no controllers (`--no-controllers`; default true) */
  controllers?: boolean;
  /** the components' logger (default: `<state-dir or .kubeloop>/dev.log`) */
  logger?: Logger;
  /** Overrides of the API server's options (tests shorten the aggregator's timings); data only, as the server runs on a thread of its own. */
  apiServer?: Partial<ApiServerThreadOptions>;
  /**
   * The API server already starting on its thread with the options this would give it
   * (`devApiServerOptions` of these options and `apiServer`: `kubeloop dev` starts it before it
   * loads this module); default: started here.
   */
  apiServerStarting?: StartingApiServer;
  /** How an extension whose parts do not load is reported (the CLI warns and goes on without it); default: `startDev` rejects. */
  warn?(message: string): void;
  /**
   * Called when the API server's thread fails after the start (`kubeloop dev` then stops with the
   * error). Default: logged.
   */
  onFailure?(err: Error): void;
  /** Overrides of the simulated cluster's options (tests shorten its timings). */
  sim?: Partial<SimClusterOptions>;
  /**
   * Called once the API server serves and the extensions' `prepare` ran, before the simulated
   * cluster starts, with what they prepared and the kubeconfig (written by then): what needs
   * no more than that (`kubeloop dev`'s console) starts there, beside the rest.
   */
  onPrepared?(prepared: readonly DevPrepared[], kubeconfigPath: string): void;
}

/** A running `kubeloop dev` (without its console). */
export interface DevSession {
  /** the API server, on a thread of its own */
  apiServer: RemoteApiServer;
  sim: SimCluster;
  kubeconfigPath: string;
  /** what each extension's `prepare` started (banner lines, dev.json fields, console panels) */
  prepared: readonly DevPrepared[];
  /** descriptions of what was started after the cluster came up */
  started: readonly string[];
  /** the controllers' metrics endpoints (for the console) */
  metrics: readonly MetricsTarget[];
  logFile: string;
  /** stops everything, last started first */
  stop(): Promise<void>;
}

/**
 * The whole of `kubeloop dev` but its console, in this process: the API server, the
 * extensions' `prepare`, the simulated cluster (whose pod network the API server dials
 * aggregated API servers through), the CRDs, the extensions' `start` and the plain plugins.
 * On a failure what started is stopped and the error thrown.
 */
export async function startDev(o: DevStartOptions, given: readonly CliExtension[]): Promise<DevSession> {
  const stateDir = o.stateDir;
  const base = stateDir ?? resolve('.kubeloop');
  const logFile = join(base, 'dev.log');
  const bind = o.bind ?? '127.0.0.1';
  const serverOptions = devApiServerOptions({ stateDir, kubeconfigPath: o.kubeconfigPath, port: o.port, bind });
  const kubeconfigPath = serverOptions.kubeconfigPath;
  const abort = new AbortController();
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    abort.abort();
    const errors: unknown[] = [];
    for (const s of stops.splice(0).reverse()) {
      try { await s(); } catch (err) { errors.push(err); }
    }
    if (errors.length) throw errors[0];
  };
  // The API server starts on its thread as soon as that thread loaded it, beside what follows
  // here: the extensions' preloads (e.g. a cloud emulator's thread), which begin before their
  // parts load, and the loading of those parts (their controllers and dev hooks, behind `load`).
  const { thread, server: apiServerStart } = o.apiServerStarting ?? startApiServerOn({ ...serverOptions, ...o.apiServer });
  stops.push(() => thread.stop()); // the server's, once it started
  // what an extension's preload began is stopped here only when its hook's `prepare` never came to take it over
  const preloaded = new Map<string, () => Promise<void>>();
  for (const e of given) {
    const cancel = e.preloadDev?.({ options: o.options ?? {}, stateDir, bind });
    if (cancel) preloaded.set(e.name, cancel);
  }
  stops.push(async () => {
    for (const cancel of preloaded.values()) await cancel();
  });
  let failed = false;
  const onFailure = (err: Error) => {
    if (failed) return;
    failed = true;
    if (o.onFailure) o.onFailure(err);
    else process.stderr.write(`kubeloop dev: ${err.message}\n`);
  };
  try {
    // an extension module as imported (its controllers and dev hook behind `load`) is loaded here
    const extensions = (await Promise.all(given.map((e) => (e.load && !e.dev && !e.plugins
      ? loadExtensionParts([e], o.warn ?? ((m) => { throw new Error(m); }))
      : [e])))).flat();
    const hooks = extensions.flatMap((e) => (e.dev ? [{ name: e.name, hook: e.dev }] : []));
    const apiServer = await apiServerStart;
    void apiServer.failure.then(onFailure);
    // the simulated components log to a file: routine reconcile retries (conflicts) would drown the terminal
    const logger = o.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info', base: undefined }, pino.destination({ dest: logFile, mkdir: true, sync: false })) as unknown as Logger;
    const pre = { apiServer, kubeconfigPath, stateDir, bind, options: o.options ?? {}, signal: abort.signal, logger, controllers: o.controllers !== false };
    const prepared: DevPrepared[] = [];
    for (const { name, hook } of hooks) {
      if (!hook.prepare) continue;
      preloaded.delete(name); // its prepare takes over what the extension's preload began
      const p = await hook.prepare(pre);
      stops.push(() => p.stop());
      prepared.push(p);
    }
    o.onPrepared?.(prepared, kubeconfigPath);
    const simCloud = prepared.find((p) => p.simCloud)?.simCloud;
    const region = prepared.find((p) => p.simRegion)?.simRegion;
    // the CRDs of every custom resource the extensions define, applied and Established while
    // the simulated cluster starts (neither needs the other; both are done before any start hook)
    const admin = loadKubeConfig({ kubeconfig: apiServer.kubeconfig }); // parsed once, for both
    const client = new KubeClient(admin);
    const crds = installCrds(client, definedCustomResources()).finally(() => client.close());
    crds.catch(() => undefined); // awaited below, after the simulated cluster: not an unhandled rejection meanwhile
    let sim: SimCluster;
    try {
      sim = await startSimCluster({
        kubeconfig: admin, nodes: o.nodes ?? 2, cloud: simCloud, ...(region ? { region } : {}), logger, ...o.sim,
      });
    } catch (err) {
      await crds.catch(() => undefined);
      throw err;
    }
    stops.push(() => sim.stop());
    // the API server is on the host network: it reaches pods (aggregated API servers such as
    // the simulated metrics-server) through the simulated pod network, as the cloud routes it
    apiServer.setRouter(sim.network.route);
    stops.push(async () => apiServer.setRouter(undefined));
    await crds;
    const env: DevEnvironment = { ...pre, sim };
    const started: string[] = [];
    const metrics: MetricsTarget[] = [];
    for (const { hook } of hooks) {
      if (!hook.start) continue;
      track(await hook.start(env), stops, metrics);
      if (env.controllers) started.push(hook.description);
    }
    const plain = extensions.filter((e) => !e.dev && e.plugins?.length);
    if (plain.length && env.controllers) {
      track(await startPlugins(plain, env), stops, metrics);
      started.push(plain.flatMap((e) => (e.plugins ?? []).map((p) => p.name)).join(', '));
    }
    // the start is done: the server's thread keeps what it compiled for the next (Node 20)
    thread.saveCodeCache();
    return { apiServer, sim, kubeconfigPath, prepared, started, metrics, logFile, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/**
 * `kubeloop dev` itself: `startDev`, then the console, dev.json and the banner; runs until
 * SIGINT/SIGTERM, then stops everything and removes dev.json.
 */
export async function runDevCommand(o: DevOptions, extensions: readonly CliExtension[], apiServerStarting?: StartingApiServer): Promise<void> {
  const port = intOption('--port', o.port, 65535);
  const consolePort = intOption('--console-port', o.consolePort, 65535);
  const nodes = intOption('--nodes', o.nodes, 5000);
  const stateDir = o.stateDir ? resolve(o.stateDir) : undefined;
  const base = stateDir ?? resolve('.kubeloop');
  const devJson = join(base, 'dev.json');

  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('kubeloop dev: stopping...\n');
    for (const s of stops.reverse()) {
      try { await s(); } catch (err) { process.stderr.write(`kubeloop dev: ${String(err)}\n`); }
    }
    rmSync(devJson, { force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  // the console starts as soon as the API server and the extensions' prepare are there, beside
  // the simulated cluster and the controllers; it shows the controllers' metrics once they run
  let metrics: readonly MetricsTarget[] = [];
  let consoleStart: Promise<ConsoleServer> | undefined;
  const onPrepared = (prepared: readonly DevPrepared[], kubeconfig: string) => {
    if (!o.console) return;
    // it listens on loopback whatever --bind says: it acts with the cluster-admin kubeconfig
    consoleStart = startConsole({
      kubeconfig, port: consolePort, metrics: () => metrics,
      extensions: prepared.flatMap((p) => (p.console ? [p.console] : [])),
    });
    consoleStart.then((c) => void stops.push(() => c.stop()), () => undefined); // stopped with the rest; a failure is reported below
  };
  try {
    let session: DevSession;
    try {
      session = await startDev({
        stateDir, kubeconfigPath: o.kubeconfig, port, bind: o.bind, nodes, options: o, controllers: o.controllers !== false, onPrepared, apiServerStarting,
        warn: (m) => process.stderr.write(`kubeloop: warning: ${m}\n`),
        // the API server's thread failing later stops `kubeloop dev` with its error
        onFailure: (err) => {
          if (stopping) return;
          process.stderr.write(`kubeloop dev: ${err.message}\n`);
          void stop(1);
        },
      }, extensions);
    } catch (err) {
      await consoleStart?.catch(() => undefined); // so stop() finds it
      throw err;
    }
    stops.unshift(() => session.stop()); // stopped after the console (stops run last first)
    const { apiServer, kubeconfigPath, prepared, started, logFile } = session;
    metrics = session.metrics;
    const simCloud = prepared.find((p) => p.simCloud)?.simCloud;
    const consoleServer = await consoleStart;
    mkdirSync(dirname(devJson), { recursive: true });
    writeFileSync(devJson, JSON.stringify({
      apiServer: apiServer.url, kubeconfig: kubeconfigPath, console: consoleServer?.url ?? null, clusterCidr: session.sim.config.clusterCidr,
      ...Object.assign({}, ...prepared.map((p) => p.devJson ?? {})),
      // each controller process: its /metrics (and /debug/controllers) and its /healthz, /readyz
      controllers: metrics.map((m) => ({ name: m.name, metrics: `${m.url}/metrics`, health: m.health ?? null })),
      stateDir: stateDir ?? null, pid: process.pid,
    }, null, 2) + '\n', { mode: 0o600 });
    const rel = (p: string) => (p.startsWith(process.cwd() + '/') ? p.slice(process.cwd().length + 1) : p);
    process.stdout.write([
      'kubeloop dev is running:',
      `  API server       ${apiServer.url}`,
      `  kubeconfig       ${kubeconfigPath}`,
      ...(consoleServer ? [`  console          ${consoleServer.url}`] : []),
      ...prepared.flatMap((p) => (p.banner ?? []).map((l) => `  ${l}`)),
      ...metrics.map((m) => `  ${'metrics, probes'.padEnd(16)} ${[`${m.url}/metrics`, ...(m.health ? [`${m.health}/readyz`] : [])].join(', ')} (${m.name})`),
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
}

