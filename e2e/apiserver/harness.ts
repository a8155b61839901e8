/** Test harness: an in-process API server plus a kubectl runner with its own kubeconfig and cache. */
import { execFile, spawn } from 'node:child_process';
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../src/apiserver/index.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Harness {
  server: ApiServer;
  dir: string;
  /** Runs kubectl with the server's kubeconfig and a private discovery cache. */
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** Starts a long-running kubectl (get -w, wait) and returns it with its collected output. */
  /** kubectl in the background: `output()` is its stdout so far, `errors()` its stderr (where `-v=6` logs each request) */
  kubectlBg(args: string[]): { done: Promise<KubectlResult>; output: () => string; errors: () => string; kill: () => void };
  /** Writes a file in the harness dir and returns its path. */
  file(name: string, content: string): string;
  /** A request as the admin: status, content type and body as sent (kubectl rewrites errors). */
  request(method: string, path: string, headers?: Record<string, string>, body?: string): Promise<{ status: number; type: string; body: string }>;
  close(): Promise<void>;
}

export async function startHarness(opts: ApiServerOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-e2e-apiserver-'));
  const server = await startApiServer({ port: 0, kubeconfigPath: join(dir, 'kubeconfig'), ...opts });
  const baseArgs = ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(dir, 'cache')];
  const env = { ...process.env, KUBECONFIG: server.kubeconfigPath, HOME: dir };
  const children = new Set<ReturnType<typeof spawn>>();
  return {
    server,
    dir,
    kubectl(args, input) {
      return new Promise((resolve) => {
        const child = execFile('kubectl', [...baseArgs, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
        if (input !== undefined) child.stdin!.end(input);
      });
    },
    kubectlBg(args) {
      const child = spawn('kubectl', [...baseArgs, ...args], { env });
      children.add(child);
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const done = new Promise<KubectlResult>((resolve) => child.on('close', (code) => {
        children.delete(child);
        resolve({ code: code ?? 1, stdout: out, stderr: err });
      }));
      return { done, output: () => out, errors: () => err, kill: () => child.kill('SIGTERM') };
    },
    file(name, content) {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    request(method, path, headers = {}, sent?: string) {
      const field = (k: string) => Buffer.from(new RegExp(`${k}: (\\S+)`).exec(server.kubeconfig)![1], 'base64').toString();
      return new Promise((resolve, reject) => {
        const req = request(`${server.url}${path}`, { method, ca: server.caPem, cert: field('client-certificate-data'), key: field('client-key-data'), headers }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
        });
        req.on('error', reject);
        req.end(sent);
      });
    },
    async close() {
      for (const c of children) c.kill('SIGKILL');
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
