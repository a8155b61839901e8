/**
 * Test harness for the informer/client suites: starts the built-in API server (or takes the
 * external cluster, e2e/support/target.ts; optionally behind the fault proxy), builds clients
 * for it, and a polling helper.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, loadKubeConfig, type ClientOptions } from '../../src/client/index.js';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../src/apiserver/index.js';
import { startFaultProxy, type FaultProxy } from './proxy.js';
import { EXTERNAL, assertInProcess, externalTarget } from '../support/target.js';

export type ServerHandle = ApiServer;

/** What the suites use of a server: its URL and kubeconfig, and stopping it. */
export type ServerView = Pick<ApiServer, 'url' | 'kubeconfig' | 'stop'>;

/**
 * The built-in API server on a free loopback port; in external mode (e2e/support/target.ts)
 * the cluster of $KUBECONFIG, which `stop` leaves running (scenarios that stop or restart
 * the server, or give it options, are in-process only).
 */
export function startServer(opts: ApiServerOptions = {}): Promise<ServerView> {
  if (EXTERNAL) {
    if (Object.keys(opts).length) throw new Error('startServer options configure a server of its own: skip the scenario in external mode');
    const t = externalTarget();
    return Promise.resolve({ url: t.url, kubeconfig: t.kubeconfig, stop: async () => undefined });
  }
  return startApiServer({ port: 0, ...opts });
}

/** The built-in API server itself (compaction, restarts on its data directory): in-process only. */
export function startInProcessServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  assertInProcess('startInProcessServer');
  return startApiServer({ port: 0, ...opts });
}

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** A client for `server`, optionally through `proxy`. */
export function clientFor(server: ServerView, proxy?: FaultProxy, opts: ClientOptions = {}): KubeClient {
  let text = server.kubeconfig;
  if (proxy) {
    const u = new URL(server.url);
    text = text.split(`${u.host}`).join(`127.0.0.1:${proxy.port}`);
  }
  return new KubeClient(loadKubeConfig({ kubeconfig: text }), opts);
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function eventually(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


export { startFaultProxy, type FaultProxy };
