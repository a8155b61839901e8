import type { Command } from 'commander';
import { startApiServer } from '../../apiserver/index.js';

/** `kubeloop apiserver`: runs the built-in API server until SIGINT/SIGTERM. */
export function register(program: Command): void {
  program
    .command('apiserver')
    .description('run the built-in Kubernetes API server (HTTPS; writes a kubeconfig)')
    .option('--port <n>', 'port to listen on (0 = any free port)', '6443')
    .option('--bind <addr>', 'address to listen on', '127.0.0.1')
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default <data-dir>/kubeconfig or a temp file)')
    .option('--data-dir <dir>', 'keep certificates and objects here (write-ahead log); in memory when omitted')
    .action(async (o: { port: string; bind: string; kubeconfig?: string; dataDir?: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port: ${o.port}`);
      const server = await startApiServer({ port, bind: o.bind, kubeconfigPath: o.kubeconfig, dataDir: o.dataDir });
      process.stdout.write(`kubeloop apiserver listening on ${server.url} kubeconfig=${server.kubeconfigPath}\n`);
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        server.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`kubeloop apiserver: ${String(err)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
