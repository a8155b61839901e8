/**
 * `kubeloop run <controller>|all`: runs the controllers that CLI extensions provide (e.g.
 * `@kubeloop/ack`'s four) against a cluster — any kubeconfig, or in-cluster (service account
 * token and CA files, KUBERNETES_SERVICE_HOST) when running as a pod. One Manager hosts every
 * selected controller, so `run all` shares one informer per kind between them. What runs is
 * in ./run-plugins.ts, imported by the action.
 */
import type { Command } from 'commander';
import type { CliExtension, ControllerPlugin } from '../extension.js';

export interface CommonOptions {
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
      const { runPlugins } = await import('./run-plugins.js');
      await runPlugins(selected, opts, opts);
    });
  };
  for (const p of plugins) add(p.name, p.description, [p]);
  if (plugins.length > 0) add('all', `run every controller (${plugins.map((p) => p.name).join(', ')}) in one manager`, plugins);
}

