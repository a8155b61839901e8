/**
 * `kubeloop dev`: a whole cluster in one process — the built-in API server and a simulated
 * cluster (nodes, kubelets, scheduler, workload controllers) — joined by the project's CLI
 * extensions (./extensions.ts): each may start something the cluster needs first (`prepare`,
 * e.g. `@kubeloop/ack`'s cloud emulator, whose instances become nodes) and its controllers once
 * the cluster is up (`start`); an extension without a `dev` hook has its controller plugins run
 * on one Manager with their flags' defaults (a scaffolded operator in its own project). The
 * CRDs of every custom resource they define are applied before their controllers start; their
 * webhooks are served with a generated certificate and registered with the API server. Unless
 * `--no-console`, it serves the console (src/console: the cluster, the controllers' metrics and
 * the extensions' panels, live) on loopback. Writes `<state-dir or .kubeloop>/kubeconfig` and
 * `dev.json`.
 */
import type { Command } from 'commander';
import type { CliExtension } from '../extension.js';
import type { DevOptions } from './dev-start.js';
import { startPreloadedApiServer } from './dev-preload.js';

export function register(program: Command, extensions: readonly CliExtension[]): void {
  const adds = extensions.flatMap((e) => e.devDescription ?? e.dev?.description ?? []);
  program
    .command('dev')
    .description('run a local development cluster: the built-in API server, a simulated cluster' +
      (adds.length ? ` and ${adds.join(', ')}` : ''))
    .option('--state-dir <dir>', 'keep API objects (and extensions\' state) here across restarts (in memory when omitted)')
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default <state-dir>/kubeconfig, or .kubeloop/kubeconfig)')
    .option('--port <n>', 'API server port (0 = any free port)', '0')
    .option('--bind <addr>', 'address the servers listen on', '127.0.0.1')
    .option('--nodes <n>', 'static simulated nodes (besides any an extension\'s cloud adds)', '2')
    .option('--console-port <n>', 'port of the live console on 127.0.0.1 (0 = any free port)', '0')
    .option('--no-console', 'do not serve the console')
    .option('--no-controllers', 'run no controllers (the extensions still set the cluster up): run them yourself with `kubeloop run <name> --kubeconfig <path>`')
    .action(async (o: DevOptions) => {
      // the API server starts on its thread (spawned as the CLI began) before this thread
      // compiles what runs the command
      const apiServer = startPreloadedApiServer(o);
      const { runDevCommand } = await import('./dev-start.js');
      await runDevCommand(o, extensions, apiServer);
    });
}
