/**
 * A test environment for operators, as envtest is for controller-runtime but with no binaries:
 * the built-in API server in-process on a free loopback port, the CRDs of the custom resources
 * the test names (or every one defined with `defineCustomResource`) installed and established,
 * an optional simulated cluster (nodes, kubelets, scheduler, workload controllers), a client,
 * and Managers wired to it with test settings.
 *
 *   const env = await startTestEnv({ crds: [Guestbook] });
 *   const mgr = env.manager();           // no metrics/probe listeners, no signal handlers
 *   mgr.register(GuestbookController);
 *   await mgr.start();
 *   ...
 *   await env.stop();                   // stops the managers it made, then the server
 */
import { startApiServer, type ApiServer, type ApiServerOptions } from '../apiserver/index.js';
import { KubeClient, loadKubeConfig } from '../client/index.js';
import {
  Manager, definedCustomResources,
  type CustomResourceRef, type Logger, type ManagerOptions,
} from '../controller/index.js';
import { createRegistry, silentLogger } from '../observability/index.js';
import { startSimCluster, type SimCluster, type SimClusterOptions } from '../simcluster/index.js';
import { installCrds } from './crds.js';
import { installWebhooks, type InstallWebhooksOptions } from './webhooks.js';

export interface TestEnvOptions {
  /**
   * Custom resources whose CRDs are installed before `startTestEnv` returns. Default: every one
   * defined with `defineCustomResource` in this process so far; `[]` installs none.
   */
  crds?: readonly CustomResourceRef[];
  /** Simulated nodes: a count of identical nodes, or the simulated cluster's options. Default: none. */
  nodes?: number | Omit<SimClusterOptions, 'kubeconfig'>;
  /** Options of the built-in API server (`port` is always a free one unless given). */
  server?: ApiServerOptions;
  /** Logger of the managers and the simulated cluster. Default: silent. */
  logger?: Logger;
}

export interface TestEnv {
  readonly server: ApiServer;
  /** kubeconfig YAML (admin) of the server */
  readonly kubeconfig: string;
  /** a client with the admin kubeconfig */
  readonly client: KubeClient;
  /** the simulated cluster, when `nodes` was given */
  readonly sim?: SimCluster;
  /**
   * A Manager wired to the server with test settings (no metrics or probe listeners, no signal
   * handlers, its own metrics registry, 5 s graceful shutdown, cached objects deep-frozen so a
   * reconciler that mutates the cache fails loudly, webhooks served on a free loopback port with
   * a generated certificate); `stop()` stops it.
   */
  manager(opts?: ManagerOptions): Manager;
  /** Installs the CRDs of `crds` and waits until each is Established. */
  installCrds(crds: readonly CustomResourceRef[]): Promise<void>;
  /**
   * Points the server at a started manager's webhooks: its webhook configurations, and the
   * conversion webhook of the CRDs its @Conversion classes cover, with its CA bundle.
   */
  installWebhooks(manager: Manager, opts?: InstallWebhooksOptions): Promise<void>;
  /** Stops the managers it made, the simulated cluster and the server. */
  stop(): Promise<void>;
}

export async function startTestEnv(opts: TestEnvOptions = {}): Promise<TestEnv> {
  const logger = opts.logger ?? silentLogger();
  const server = await startApiServer({ port: 0, ...opts.server });
  const managers: Manager[] = [];
  let sim: SimCluster | undefined;
  const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
  const stop = async () => {
    for (const m of managers.reverse()) await m.stop().catch(() => undefined);
    await sim?.stop();
    client.close();
    await server.stop();
  };
  try {
    await installCrds(client, opts.crds ?? definedCustomResources());
    if (opts.nodes !== undefined) {
      const simOpts = typeof opts.nodes === 'number' ? { nodes: opts.nodes } : opts.nodes;
      sim = await startSimCluster({ logger, ...simOpts, kubeconfig: server.kubeconfig });
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return {
    server,
    kubeconfig: server.kubeconfig,
    client,
    sim,
    manager(o: ManagerOptions = {}) {
      const m = new Manager({
        kubeconfig: server.kubeconfig, logger, registry: createRegistry(),
        metricsBindAddress: false, healthProbeBindAddress: false, handleSignals: false, gracefulShutdownTimeoutMs: 5_000,
        freezeCachedObjects: true,
        webhook: { port: 0, host: '127.0.0.1', selfSigned: true },
        ...o,
      });
      managers.push(m);
      return m;
    },
    installCrds: (crds) => installCrds(client, crds),
    installWebhooks: (manager, o) => installWebhooks(client, manager, o),
    stop,
  };
}
