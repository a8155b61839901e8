// The API server on a worker thread of its own (`kubeloop dev`'s): it serves, keeps its data dir
// across a stop and a start, asks the starting thread where each dial goes, and says when it
// fails: at the start with the server's own error, later through `failure`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { ApiServerThread, type ApiServerThreadSpawnOptions, type DialRoute, type RemoteApiServer } from './index.js';
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

// The thread's server as one script compiled with V8's code cache (Node 20; Node 22.1+ loads the
// modules with its own compile cache): the bundle's dist/bundle/apiserver/worker-main.cjs, which
// `npm run build` makes (the tests check it is current).
const script = fileURLToPath(new URL('../../bundle/apiserver/worker-main.cjs', import.meta.url));

/** A copy of a JSON body without what differs between two servers (uids, times, versions, certificates' data). */
function comparable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(comparable);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !['uid', 'creationTimestamp', 'resourceVersion', 'time', 'managedFields'].includes(k)).map(([k, x]) => [k, comparable(x)]));
}

/**
 * What a server answers to requests that reach the parts a script could run differently: a CRD
 * with a pattern (re2js, loaded at the first pattern), its validation error, the OpenAPI
 * documents (found from the module's own URL), a JSON patch (a lazily loaded module and
 * fast-json-patch), YAML bodies (the package loaded at the first), errors.
 */
async function answers(server: RemoteApiServer): Promise<unknown[]> {
  const out: unknown[] = [];
  const record = (r: { status: number; json: unknown; text: string; headers: Record<string, unknown> }) => {
    out.push({ status: r.status, type: r.headers['content-type'], body: r.json !== undefined ? comparable(r.json) : r.text.replace(/^\s*(uid|creationTimestamp|resourceVersion|time): .*\n/gm, '') });
    return r;
  };
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.io' },
    spec: {
      group: 'example.io', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'string', pattern: '^[a-z]+$' } } } } } } }],
    },
  };
  record(await call(server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd));
  await until('the CRD established', async () => ((await call(server, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.io')).json as { status?: { conditions?: Array<{ type: string; status: string }> } })
    .status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined);
  const widgets = '/apis/example.io/v1/namespaces/default/widgets';
  record(await call(server, 'POST', widgets, { apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'bad' }, spec: { size: 'BIG' } }));
  record(await call(server, 'POST', widgets, { apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'good' }, spec: { size: 'big' } }));
  record(await call(server, 'GET', '/openapi/v3/api/v1'));
  const cms = '/api/v1/namespaces/default/configmaps';
  record(await call(server, 'POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } }));
  record(await call(server, 'PATCH', `${cms}/c`, JSON.stringify([{ op: 'add', path: '/data/b', value: '2' }]), { 'Content-Type': 'application/json-patch+json' }));
  record(await call(server, 'PATCH', `${cms}/c`, JSON.stringify([{ op: 'test', path: '/data/b', value: '3' }]), { 'Content-Type': 'application/json-patch+json' }));
  record(await call(server, 'POST', cms, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  a: "1"\n', { 'Content-Type': 'application/yaml' }));
  record(await call(server, 'POST', cms, 'kind: [', { 'Content-Type': 'application/yaml' }));
  record(await call(server, 'GET', `${cms}/missing`));
  return out;
}

// (a script given by path runs on any Node: these run on Node 22 too, where the default is the modules)
describe('the API server thread from one script with V8\'s code cache', () => {
  it('keeps the compiled code for the next start, which uses it; both answer as the modules do', async () => {
    assert.ok(existsSync(script), `${script} is built by npm run build`);
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-apiserver-thread-cache-'));
    const run = async (options: ApiServerThreadSpawnOptions) => {
      const thread = ApiServerThread.spawn(options);
      const server = await thread.start({ port: 0 });
      try {
        return { loaded: await thread.loaded, answers: await answers(server), thread };
      } finally {
        if (options.script) {
          thread.saveCodeCache();
          await until('the code cache written', () => (readdirSync(join(dir, 'kubeloop')).some((n) => n.endsWith('.v8cache')) || undefined));
        }
        await server.stop();
      }
    };
    try {
      const modules = await run({ script: null, codeCacheDir: dir });
      assert.deepEqual(modules.loaded, { from: 'modules' });
      // the CRD, the pattern's 422 and a good widget, OpenAPI, a ConfigMap, a JSON patch and a failed test op, YAML good and bad, a 404
      assert.deepEqual((modules.answers as Array<{ status: number }>).map((a) => a.status), [201, 422, 201, 200, 201, 200, 422, 201, 400, 404]);
      assert.match(JSON.stringify(modules.answers[1]), /should match '\^\[a-z\]\+\$'/);
      const first = await run({ script, codeCacheDir: dir });
      assert.deepEqual(first.loaded, { from: 'script', cache: 'missing' });
      assert.deepEqual(first.answers, modules.answers);
      const second = await run({ script, codeCacheDir: dir });
      assert.deepEqual(second.loaded, { from: 'script', cache: 'used' });
      assert.deepEqual(second.answers, modules.answers);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts from a damaged cache, and without a cache folder it can use (the modules then)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-apiserver-thread-cache-'));
    try {
      const start = async (codeCacheDir: string) => {
        const thread = ApiServerThread.spawn({ script, codeCacheDir });
        const server = await thread.start({ port: 0 });
        try {
          assert.equal((await call(server, 'GET', '/readyz')).status, 200);
          return { loaded: await thread.loaded, thread };
        } finally {
          thread.saveCodeCache();
          await server.stop();
        }
      };
      assert.deepEqual((await start(dir)).loaded, { from: 'script', cache: 'missing' });
      const [entry] = readdirSync(join(dir, 'kubeloop'));
      writeFileSync(join(dir, 'kubeloop', entry), 'damaged');
      assert.deepEqual((await start(dir)).loaded, { from: 'script', cache: 'missing' });
      assert.deepEqual((await start(dir)).loaded, { from: 'script', cache: 'used' }, 'the damaged entry was replaced');
      const file = join(dir, 'a-file');
      writeFileSync(file, '');
      assert.deepEqual((await start(join(file, 'cache'))).loaded, { from: 'modules' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
