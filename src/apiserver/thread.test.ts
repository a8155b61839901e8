// The API server on a worker thread of its own (`kubeloop dev`'s): it serves, keeps its data dir
// across a stop and a start, asks the starting thread where each dial goes, and says when it
// fails: at the start with the server's own error, later through `failure`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { ApiServerThread, type DialRoute } from './index.js';
import { call } from './test-client.js';

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the API server on a thread of its own', () => {
  it('serves, and keeps its data dir across a stop and a start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-apiserver-thread-'));
    try {
      const options = { port: 0, dataDir: join(dir, 'data'), kubeconfigPath: join(dir, 'kubeconfig') };
      const first = await ApiServerThread.spawn().start(options);
      try {
        assert.match(first.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        assert.equal((await call(first, 'GET', '/readyz')).status, 200);
        const created = await call(first, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' }, data: { a: '1' } });
        assert.equal(created.status, 201);
      } finally {
        await first.stop();
      }
      const second = await ApiServerThread.spawn().start(options);
      try {
        const got = await call(second, 'GET', '/api/v1/namespaces/default/configmaps/kept');
        assert.equal(got.status, 200);
        assert.deepEqual((got.json as { data: unknown }).data, { a: '1' });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dials an aggregated API server where the starting thread routes it', async () => {
    const server = await ApiServerThread.spawn().start({ port: 0, aggregator: { availabilityResyncMs: 200, availabilityCheckTimeoutMs: 500, dialTimeoutMs: 500 } });
    const asked: string[] = [];
    try {
      server.setRouter((host, port): DialRoute => {
        asked.push(`${host}:${port}`);
        return { refused: true };
      });
      const ns = '/api/v1/namespaces/default';
      assert.equal((await call(server, 'POST', `${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'm' }, spec: { ports: [{ port: 443, targetPort: 8443 }] } })).status, 201);
      assert.equal((await call(server, 'POST', `${ns}/endpoints`, {
        apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'm' },
        subsets: [{ addresses: [{ ip: '10.1.2.3' }], ports: [{ port: 8443, protocol: 'TCP' }] }],
      })).status, 201);
      assert.equal((await call(server, 'POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
        apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1.example.io' },
        spec: { group: 'example.io', version: 'v1', service: { name: 'm', namespace: 'default', port: 443 }, insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 100 },
      })).status, 201);
      // the availability check dials the endpoint: asked here, refused as told
      await until('the dial asked of the router', () => (asked.includes('10.1.2.3:8443') ? true : undefined));
      const message = await until('the APIService unavailable', async () => {
        const c = ((await call(server, 'GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1.example.io')).json as { status?: { conditions?: Array<{ type: string; status: string; message: string }> } })
          .status?.conditions?.find((x) => x.type === 'Available' && x.status === 'False' && /connection refused/.test(x.message));
        return c?.message;
      });
      assert.match(message, /dial tcp 10\.1\.2\.3:8443: connect: connection refused/);
    } finally {
      await server.stop();
    }
  });

  it('a stop asked while the server starts stops it once started (its port closed, the thread ended)', { timeout: 12_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-apiserver-thread-'));
    try {
      const thread = ApiServerThread.spawn();
      const starting = thread.start({ port: 0, dataDir: join(dir, 'data'), kubeconfigPath: join(dir, 'kubeconfig') });
      await thread.stop(); // (the thread's stop timeout, 15 s, is past this test's)
      const server = await starting; // it started, then stopped
      await assert.rejects(new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: server.port }, () => resolve(s.destroy()));
        s.once('error', reject);
      }), { code: 'ECONNREFUSED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a start that fails rejects with the server\'s error; a thread that dies later settles failure', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const port = (busy.address() as { port: number }).port;
      await assert.rejects(ApiServerThread.spawn().start({ port }), { code: 'EADDRINUSE' });
    } finally {
      busy.close();
    }
    const thread = ApiServerThread.spawn();
    const server = await thread.start({ port: 0 });
    // the thread ends without being asked (as when it crashes)
    await (thread as unknown as { worker: Worker }).worker.terminate();
    assert.match((await server.failure).message, /the API server's thread exited/);
    await server.stop(); // nothing left to stop: resolves
  });
});
