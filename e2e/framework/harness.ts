/** Helpers for the framework suites: the built-in API server, clients, polling. */
import { KubeClient, loadKubeConfig } from '../../src/index.js';

export interface ServerHandle {
  url: string;
  kubeconfigPath: string;
  kubeconfig: string;
  stop(): Promise<void>;
}

type StartFn = (o: { port: number }) => Promise<ServerHandle>;

/** Starts the built-in API server on a free loopback port. */
export async function startServer(): Promise<ServerHandle> {
  // imported by path at run time so this suite compiles while the server is being built
  const spec = '../../src/apiserver/index.js';
  const mod = (await import(spec as string)) as { startApiServer: StartFn };
  return mod.startApiServer({ port: 0 });
}

export function clientFor(server: ServerHandle): KubeClient {
  return new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
}

export async function eventually(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
