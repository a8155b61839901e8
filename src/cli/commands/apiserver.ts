import type { Command } from 'commander';

/**
 * `kubeloop apiserver`: runs the built-in API server until SIGINT/SIGTERM. The server is
 * imported by the action, so defining the command (`kubeloop --help`) does not load it.
 */
export function register(program: Command): void {
  program
    .command('apiserver')
    .description('run the built-in Kubernetes API server (HTTPS; writes a kubeconfig)')
    .option('--port <n>', 'port to listen on (0 = any free port)', '6443')
    .option('--bind <addr>', 'address to listen on', '127.0.0.1')
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default <data-dir>/kubeconfig or a temp file)')
    .option('--data-dir <dir>', 'keep certificates and objects here (write-ahead log); in memory when omitted')
    .option('--wal-truncate-corrupt', 'start even if the data dir\'s log or snapshot is damaged mid-file, dropping everything from the damage on (data loss); default: refuse to start', false)
    .option('--authorization-mode <mode>', 'RBAC or AlwaysAllow (see docs/security.md)', 'RBAC')
    .option('--token-auth-file <file>', 'static bearer tokens, CSV lines token,user,uid,"group1,group2"')
    .option('--anonymous-auth', 'serve requests without credentials as system:anonymous', false)
    .action(async (o: { port: string; bind: string; kubeconfig?: string; dataDir?: string; walTruncateCorrupt: boolean; authorizationMode: string; tokenAuthFile?: string; anonymousAuth: boolean }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port: ${o.port}`);
      if (o.authorizationMode !== 'RBAC' && o.authorizationMode !== 'AlwaysAllow') throw new Error(`invalid --authorization-mode: ${o.authorizationMode} (RBAC or AlwaysAllow)`);
      const [{ startApiServer }, { readTokenFile }] = await Promise.all([import('../../apiserver/index.js'), import('../../apiserver/auth/index.js')]);
      const tokens = o.tokenAuthFile ? readTokenFile(o.tokenAuthFile) : undefined;
      const server = await startApiServer({
        port, bind: o.bind, kubeconfigPath: o.kubeconfig, dataDir: o.dataDir, walTruncateCorrupt: o.walTruncateCorrupt, authorization: o.authorizationMode, tokens, anonymous: o.anonymousAuth,
      });
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
      // Ready only once the handlers are in: a SIGTERM sent on reading this line used to find none
      // yet, now and then, and take the default action (killed, the temp kubeconfig left behind).
      process.stdout.write(`kubeloop apiserver listening on ${server.url} kubeconfig=${server.kubeconfigPath}\n`);
    });
}
