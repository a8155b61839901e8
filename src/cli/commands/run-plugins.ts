/** What `kubeloop run` (./run.ts) runs: the selected controller plugins on one Manager. */
import { Manager } from '../../controller/index.js';
import { inClusterConfig, type ClientConfig } from '../../client/index.js';
import { createLogger } from '../../observability/index.js';
import type { ControllerPlugin, PluginHandle } from '../extension.js';
import type { CommonOptions } from './run.js';

function bindAddress(v: string): string | false {
  return v === '0' || v === '' || v === 'false' ? false : v;
}

/**
 * `$KUBELOOP_SERVICE_ACCOUNT_DIR` moves the in-cluster files (token, ca.crt, namespace) from
 * /var/run/secrets/kubernetes.io/serviceaccount, so tests can run a controller exactly as a pod
 * would (e2e/rbac). Only used without --kubeconfig and $KUBECONFIG.
 */
function serviceAccountDirConfig(): ClientConfig | undefined {
  const dir = process.env.KUBELOOP_SERVICE_ACCOUNT_DIR;
  if (!dir || process.env.KUBECONFIG) return undefined;
  return inClusterConfig({ tokenPath: `${dir}/token`, caPath: `${dir}/ca.crt`, namespacePath: `${dir}/namespace` });
}

/** Starts the selected plugins on one Manager and resolves when it stops. */
export async function runPlugins(selected: readonly ControllerPlugin[], o: CommonOptions, flags: Record<string, unknown>): Promise<void> {
  // Flags first: a bad value is reported before any kubeconfig or cloud error can hide it.
  for (const p of selected) p.validateFlags(flags);
  const webhookPort = Number(o.webhookPort);
  if (!Number.isInteger(webhookPort) || webhookPort < 0 || webhookPort > 65535) throw new Error(`--webhook-port must be a port number, got ${o.webhookPort}`);
  const logger = createLogger({ name: 'kubeloop', level: o.logLevel });
  const id = selected.length === 1 ? selected[0].name : 'all';
  const manager = new Manager({
    kubeconfig: o.kubeconfig ?? serviceAccountDirConfig(),
    namespace: o.namespace,
    logger,
    metricsBindAddress: bindAddress(o.metricsBindAddress),
    healthProbeBindAddress: bindAddress(o.healthProbeBindAddress),
    webhook: { port: webhookPort, certDir: o.webhookCertDir },
    leaderElection: o.leaderElect
      ? {
          leaseName: o.leaderElectionId ?? `kubeloop-${id}`,
          leaseNamespace: o.leaderElectionNamespace ?? process.env.POD_NAMESPACE ?? 'kube-system',
        }
      : undefined,
  });
  const handles: PluginHandle[] = [];
  for (const p of selected) {
    const h = await p.setup(manager, { flags, logger: logger.child({ controller: p.name }) });
    if (h) handles.push(h);
  }
  await manager.start();
  logger.info({ controllers: selected.map((p) => p.name), metrics: manager.metricsUrl, probes: manager.healthProbeUrl, webhooks: manager.webhookServer?.url }, 'kubeloop controllers started');
  try {
    await manager.wait();
  } finally {
    for (const h of handles.reverse()) await h.stop().catch((err) => logger.error({ err }, 'stopping plugin failed'));
  }
}

