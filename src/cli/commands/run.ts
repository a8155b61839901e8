/**
 * `kubeloop run <controller>|all`: runs the controllers that CLI extensions provide (e.g.
 * `@kubeloop/ack`'s four) against a cluster — any kubeconfig, or in-cluster (service account
 * token and CA files, KUBERNETES_SERVICE_HOST) when running as a pod. One Manager hosts every
 * selected controller, so `run all` shares one informer per kind between them.
 */
import { Command } from 'commander';
import { Manager } from '../../controller/index.js';
import { inClusterConfig, type ClientConfig } from '../../client/index.js';
import { createLogger } from '../../observability/index.js';
import type { CliExtension, ControllerPlugin, PluginHandle } from '../extension.js';

interface CommonOptions {
  kubeconfig?: string;
  namespace?: string;
  leaderElect: boolean;
  leaderElectionId?: string;
  leaderElectionNamespace?: string;
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  webhookPort: string;
  webhookCertDir?: string;
  logLevel?: string;
}

function commonOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster config inside a pod, else $KUBECONFIG or ~/.kube/config)')
    .option('--namespace <ns>', 'watch only this namespace (default: all namespaces)')
    .option('--leader-elect', 'run leader election on a Lease so only one replica reconciles', false)
    .option('--leader-election-id <name>', 'Lease name (default: kubeloop-<controller>)')
    .option('--leader-election-namespace <ns>', 'Lease namespace (default: $POD_NAMESPACE, else kube-system)')
    .option('--metrics-bind-address <addr>', 'address of /metrics (":8080", "127.0.0.1:0", or "0" to disable)', ':8080')
    .option('--health-probe-bind-address <addr>', 'address of /healthz and /readyz ("0" to disable)', ':8081')
    .option('--webhook-port <port>', 'port of the webhook server (served when a plugin registers webhooks)', '9443')
    .option('--webhook-cert-dir <dir>', 'folder with the webhook serving tls.crt and tls.key, reloaded on change (default: <tmpdir>/k8s-webhook-server/serving-certs)')
    .option('--log-level <level>', 'trace|debug|info|warn|error (default: $KUBELOOP_LOG_LEVEL or info)');
}

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

export function register(program: Command, extensions: readonly CliExtension[]): void {
  const plugins = extensions.flatMap((e) => e.plugins ?? []);
  const run = program
    .command('run')
    .description('run the controllers of the project\'s kubeloop extensions against a cluster (kubeconfig or in-cluster)')
    .addHelpText('after', plugins.length
      ? `\nControllers: ${plugins.map((p) => p.name).join(', ')}, or "all".`
      : '\nNo controllers: none of the project\'s packages is a kubeloop CLI extension (package.json "kubeloop": {"cliExtension": ...}).\n' +
        'An operator of your own runs from its own entry point (see `kubeloop init`).');

  const add = (name: string, description: string, selected: readonly ControllerPlugin[]) => {
    const cmd = commonOptions(run.command(name).description(description));
    const seen = new Set<string>();
    for (const p of selected) {
      for (const opt of p.flags()) {
        if (seen.has(opt.long ?? opt.flags)) continue; // `all`: a flag shared by two plugins is offered once
        seen.add(opt.long ?? opt.flags);
        cmd.addOption(opt);
      }
    }
    cmd.action(async (opts: CommonOptions & Record<string, unknown>) => {
      await runPlugins(selected, opts, opts);
    });
  };
  for (const p of plugins) add(p.name, p.description, [p]);
  if (plugins.length > 0) add('all', `run every controller (${plugins.map((p) => p.name).join(', ')}) in one manager`, plugins);
}

