/**
 * Test harness for the informer/client suites: starts the built-in API server (optionally
 * behind the fault proxy), builds clients for it, and small polling helpers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, loadKubeConfig, type ClientOptions } from '../../src/client/index.js';
import { startFaultProxy, type FaultProxy } from './proxy.js';

export interface ServerHandle {
  url: string;
  kubeconfigPath: string;
  kubeconfig: string;
  stop(): Promise<void>;
  compact?(): void | Promise<void>;
}

export interface StartOptions {
  port?: number;
  dataDir?: string;
  [k: string]: unknown;
}

type StartFn = (o: StartOptions) => Promise<ServerHandle>;

let startFn: StartFn | undefined;
async function loadStart(): Promise<StartFn> {
  if (!startFn) {
    const spec = '../../src/apiserver/index.js';
    const mod = (await import(spec as string)) as { startApiServer: StartFn };
    startFn = mod.startApiServer;
  }
  return startFn;
}

export async function startServer(opts: StartOptions = {}): Promise<ServerHandle> {
  const start = await loadStart();
  return start({ port: 0, ...opts });
}

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** A client for `server`, optionally through `proxy`. */
export function clientFor(server: ServerHandle, proxy?: FaultProxy, opts: ClientOptions = {}): KubeClient {
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { startFaultProxy, type FaultProxy };
