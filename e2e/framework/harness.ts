/**
 * Helpers for the framework suites: the built-in API server (or, in external mode, the
 * cluster of $KUBECONFIG), clients, a fault proxy, polling.
 */
import { KubeClient, loadKubeConfig, isAlreadyExists, type KubeObject } from '../../src/index.js';
import { startFaultProxy, type FaultProxy } from '../informer/proxy.js';
import { EXTERNAL, externalTarget } from '../support/target.js';

export { startFaultProxy, type FaultProxy };

export interface ServerHandle {
  url: string;
  kubeconfigPath: string;
  kubeconfig: string;
  stop(): Promise<void>;
}

type StartFn = (o: { port: number }) => Promise<ServerHandle>;

/**
 * Starts the built-in API server on a free loopback port; in external mode (E2E_TARGET=external
 * or kind, e2e/support/target.ts) the cluster of $KUBECONFIG instead, left running at `stop`.
 */
export async function startServer(): Promise<ServerHandle> {
  if (EXTERNAL) {
    const t = externalTarget();
    return { url: t.url, kubeconfigPath: t.kubeconfigPath, kubeconfig: t.kubeconfig, stop: async () => {} };
  }
  // imported by path at run time so this suite compiles while the server is being built
  const spec = '../../src/apiserver/index.js';
  const mod = (await import(spec as string)) as { startApiServer: StartFn };
  return mod.startApiServer({ port: 0 });
}

export function clientFor(server: ServerHandle): KubeClient {
  return new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
}

export { eventually } from '../../src/testing/index.js';

/** Value of one sample in Prometheus text format (undefined when absent). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (.+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[kv[1]] = kv[2];
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

/** The server's kubeconfig with its address replaced by a fault proxy's (TLS passes through). */
export async function proxied(server: ServerHandle): Promise<{ proxy: FaultProxy; kubeconfig: string }> {
  const u = new URL(server.url);
  const proxy = await startFaultProxy({ host: u.hostname, port: Number(u.port || 443) });
  return { proxy, kubeconfig: server.kubeconfig.split(u.host).join(`127.0.0.1:${proxy.port}`) };
}

/** Creates an object, ignoring AlreadyExists (suites may run against a reused cluster). */
export async function ensure(client: KubeClient, obj: KubeObject): Promise<void> {
  try {
    await client.create(obj);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/**
 * Runs `kubeloop generate <args>` in-process on the real command module, in `cwd` (module
 * paths are relative to it), with its stdout swallowed; rejects with the command's error.
 */
export async function runGenerate(cwd: string, ...args: string[]): Promise<void> {
  const { Command } = await import('commander');
  const { register } = await import('../../src/cli/commands/generate.js');
  const program = new Command().exitOverride();
  register(program, []);
  const previous = process.cwd();
  process.chdir(cwd);
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await program.parseAsync(['generate', ...args], { from: 'user' });
  } finally {
    process.stdout.write = write;
    process.chdir(previous);
  }
}
