/**
 * Test helpers for the semantics layer's tests: a server on a free loopback port with a
 * kubectl runner (private kubeconfig and discovery cache), object helpers over the
 * in-process ops, and polling.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../api/index.js';
import type { ResourceType } from './resources/index.js';
import { type ApiServer, type ApiServerOptions, startApiServer } from './server.js';

export interface TestServer {
  server: ApiServer;
  dir: string;
  /** The registered type (throws when it is not served). */
  type(group: string, version: string, resource: string): ResourceType;
  /** Creates an object in-process (kind/apiVersion from the type). */
  create(t: ResourceType, obj: KubeObject): Promise<KubeObject>;
  /** The stored object or undefined. */
  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined;
  kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  file(name: string, content: string): string;
  close(): Promise<void>;
}

export async function startTestServer(opts: ApiServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-semantics-'));
  const server = await startApiServer({ port: 0, kubeconfigPath: join(dir, 'kubeconfig'), ...opts });
  const env = { ...process.env, KUBECONFIG: server.kubeconfigPath, HOME: dir };
  const base = ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(dir, 'cache')];
  return {
    server,
    dir,
    type(group, version, resource) {
      const t = server.registry.get(group, version, resource);
      if (!t) throw new Error(`${group}/${version}/${resource} is not served`);
      return t;
    },
    async create(t, obj) {
      return (await server.ops.create(t, t.namespaced ? (obj.metadata.namespace ?? 'default') : undefined, obj)).object;
    },
    get(t, namespace, name) {
      try {
        return server.ops.get(t, namespace, name).obj;
      } catch {
        return undefined;
      }
    },
    kubectl(args, input) {
      return new Promise((resolve) => {
        const child = execFile('kubectl', [...base, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
        if (input !== undefined) child.stdin!.end(input);
      });
    },
    file(name, content) {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    async close() {
      await server.stop();
      if (!opts.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value; throws after `timeoutMs` (default 10 s). */
export async function eventually<T>(fn: () => T | Promise<T>, what = 'condition', timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An ownerReference to `o`. */
export function ownerRef(o: KubeObject, extra: { blockOwnerDeletion?: boolean; controller?: boolean } = {}) {
  return { apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name!, uid: o.metadata.uid!, ...extra };
}
