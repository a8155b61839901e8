// HTTP-level behaviour of the client against a tiny scripted HTTP server: URLs, query
// parameters, headers, discovery refresh, Status errors, watch streaming and idle
// timeouts. Semantics against the real built-in API server are in e2e/informer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isConflict, isInternalError, isNotFound, type WatchEvent } from '../api/index.js';
import { KubeClient, loadKubeConfig, IdleTimeoutError, isNoKindMatch } from './index.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function withServer(handler: (req: Seen, res: http.ServerResponse) => void, fn: (client: KubeClient, seen: Seen[]) => Promise<void>) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: secret-token}}]
contexts: [{name: ctx, context: {cluster: c, user: u, namespace: team}}]
current-context: ctx
`;
  const client = new KubeClient(loadKubeConfig({ kubeconfig }));
  try {
    await fn(client, seen);
  } finally {
    client.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

const json = (res: http.ServerResponse, code: number, body: unknown) => {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

let widgetsServed = false;
const discovery = (s: Seen, res: http.ServerResponse): boolean => {
  if (s.url === '/api/v1') {
    json(res, 200, {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        { name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['get', 'list'] },
        { name: 'namespaces', namespaced: false, kind: 'Namespace', verbs: ['get'] },
        { name: 'namespaces/status', namespaced: false, kind: 'Namespace', verbs: ['get'] },
      ],
    });
    return true;
  }
  if (s.url === '/apis/example.com/v1') {
    if (!widgetsServed) json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', metadata: {} });
    else json(res, 200, { kind: 'APIResourceList', groupVersion: 'example.com/v1', resources: [{ name: 'widgets', namespaced: true, kind: 'Widget' }] });
    return true;
  }
  return false;
};

test('CRUD requests: paths, default namespace, query parameters, headers, bodies', async () => {
  await withServer(
    (s, res) => {
      if (discovery(s, res)) return;
      if (s.url.startsWith('/api/v1/namespaces/team/configmaps/missing')) {
        return json(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound', message: 'configmaps "missing" not found' });
      }
      if (s.method === 'PUT') return json(res, 409, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict', message: 'modified' });
      json(res, 200, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x', namespace: 'team' }, items: [] });
    },
    async (client, seen) => {
      const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
      assert.equal(client.namespace, 'team');
      await client.get(CM, 'a');
      await client.get({ apiVersion: 'v1', kind: 'Namespace' }, 'kube-system');
      await client.list(CM, { labelSelector: { matchLabels: { app: 'web' } }, fieldSelector: 'metadata.name=a', limit: 10, continue: 'c1' });
      await client.list(CM, { namespace: 'other' });
      await client.create({ ...CM, metadata: { name: 'n' } }, { dryRun: true });
      await client.patch(CM, 'a', { data: { k: 'v' } }, { namespace: 'p' });
      await client.patch(CM, 'a', [{ op: 'add', path: '/data/k', value: 'v' }], { type: 'json' });
      await client.apply({ ...CM, metadata: { name: 'a', namespace: 'p' } }, { force: true, fieldManager: 'me' });
      await client.delete(CM, 'a', { propagationPolicy: 'Foreground', preconditions: { uid: 'u1' } });
      await client.deleteCollection(CM, { labelSelector: 'app=web' });
      await assert.rejects(client.get(CM, 'missing'), (e) => isNotFound(e) && (e as Error).message === 'configmaps "missing" not found');
      await assert.rejects(client.update({ ...CM, metadata: { name: 'a', resourceVersion: '1' } }), isConflict);
      await assert.rejects(client.get({ apiVersion: 'example.com/v1', kind: 'Widget' }, 'w'), isNoKindMatch);
      widgetsServed = true; // a CRD appears: the next miss re-discovers it
      await client.get({ apiVersion: 'example.com/v1', kind: 'Widget' }, 'w');
      await assert.rejects(client.get({ apiVersion: 'v1', kind: 'Nope' }, 'w'), isNoKindMatch);

      const calls = seen.filter((s) => !s.url.startsWith('/api/v1?') && s.url !== '/api/v1' && !s.url.startsWith('/apis/example.com/v1?') && s.url !== '/apis/example.com/v1');
      const lines = calls.map((s) => `${s.method} ${decodeURIComponent(s.url)}`);
      assert.deepEqual(lines, [
        'GET /api/v1/namespaces/team/configmaps/a',
        'GET /api/v1/namespaces/kube-system',
        'GET /api/v1/configmaps?labelSelector=app=web&fieldSelector=metadata.name=a&limit=10&continue=c1',
        'GET /api/v1/namespaces/other/configmaps',
        'POST /api/v1/namespaces/team/configmaps?dryRun=All&fieldManager=kubeloop',
        'PATCH /api/v1/namespaces/p/configmaps/a?fieldManager=kubeloop',
        'PATCH /api/v1/namespaces/team/configmaps/a?fieldManager=kubeloop',
        'PATCH /api/v1/namespaces/p/configmaps/a?fieldManager=me&force=true',
        'DELETE /api/v1/namespaces/team/configmaps/a',
        'DELETE /api/v1/namespaces/team/configmaps?labelSelector=app=web',
        'GET /api/v1/namespaces/team/configmaps/missing',
        'PUT /api/v1/namespaces/team/configmaps/a?fieldManager=kubeloop',
        'GET /apis/example.com/v1/namespaces/team/widgets/w',
      ]);
      assert.equal(calls[0].headers.authorization, 'Bearer secret-token');
      assert.equal(calls[0].headers['user-agent'], 'kubeloop/0.1.0');
      assert.equal(calls[5].headers['content-type'], 'application/merge-patch+json');
      assert.equal(calls[6].headers['content-type'], 'application/json-patch+json');
      assert.equal(calls[7].headers['content-type'], 'application/apply-patch+yaml');
      assert.deepEqual(JSON.parse(calls[8].body), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', preconditions: { uid: 'u1' } });
      assert.equal(seen.filter((s) => s.url === '/api/v1').length, 2, 'v1 discovery cached; re-fetched once for the unknown kind');
      // keep-alive: one socket served everything
    },
  );
});

test('watch: events streamed line by line, ERROR events delivered, idle timeout, abort', async () => {
  let mode = 'events';
  await withServer(
    (s, res) => {
      if (discovery(s, res)) return;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      if (mode === 'events') {
        const ev = (type: string, rv: string) => JSON.stringify({ type, object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a', resourceVersion: rv } } }) + '\n';
        const all = ev('ADDED', '1') + ev('MODIFIED', '2') + JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }) + '\n';
        // Dribble bytes in small pieces to exercise line reassembly.
        let i = 0;
        const t = setInterval(() => {
          res.write(all.slice(i, i + 7));
          i += 7;
          if (i >= all.length) {
            clearInterval(t);
            res.end();
          }
        }, 1);
      }
      // mode 'silent': headers only, then nothing.
    },
    async (client, seen) => {
      const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
      const got: WatchEvent[] = [];
      await client.watch(CM, { namespace: 'ns', resourceVersion: '0', timeoutSeconds: 30 }, (e) => got.push(e));
      assert.deepEqual(got.map((e) => e.type), ['ADDED', 'MODIFIED', 'ERROR']);
      assert.equal((got[2].object as unknown as { code: number }).code, 410);
      assert.match(seen.at(-1)!.url, /^\/api\/v1\/namespaces\/ns\/configmaps\?watch=true&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=30$/);

      mode = 'silent';
      await assert.rejects(client.watch(CM, { idleTimeoutMs: 100 }, () => {}), (e) => e instanceof IdleTimeoutError);
      const ac = new AbortController();
      const p = client.watch(CM, { signal: ac.signal, onOpen: () => ac.abort(new Error('stop now')) }, () => {});
      await assert.rejects(p, /stop now/);
    },
  );
});

test('many open watches never starve other requests (no socket cap)', { timeout: 20_000 }, async () => {
  await withServer(
    (s, res) => {
      if (discovery(s, res)) return;
      if (s.url.includes('watch=true')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        return; // stays open
      }
      json(res, 200, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x' } });
    },
    async (client) => {
      const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
      const ac = new AbortController();
      let opened = 0;
      let allOpen!: () => void;
      const open = new Promise<void>((r) => (allOpen = r));
      const watches = Array.from({ length: 80 }, () => client.watch(CM, { signal: ac.signal, onOpen: () => ++opened === 80 && allOpen() }, () => {}).catch(() => undefined));
      await open; // every watch is answered and held open
      assert.equal(opened, 80);
      const got = await client.get<{ metadata: { name: string } }>(CM, 'x');
      assert.equal(got.metadata.name, 'x');
      ac.abort();
      await Promise.all(watches);
    },
  );
});

test('429 (and 503 with Retry-After) are retried after the delay the server asks for; other errors are not', async () => {
  let posts = 0;
  let gets = 0;
  await withServer(
    (s, res) => {
      if (discovery(s, res)) return;
      if (s.method === 'POST') {
        posts++;
        if (posts <= 2) {
          res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '0' });
          return res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 429, reason: 'TooManyRequests', message: 'slow down' }));
        }
        return json(res, 201, JSON.parse(s.body));
      }
      gets++;
      json(res, 500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500, reason: 'InternalError', message: 'boom' });
    },
    async (client) => {
      const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
      const created = await client.create<{ metadata: { name: string } }>({ ...CM, metadata: { name: 'r' } });
      assert.equal(created.metadata.name, 'r');
      assert.equal(posts, 3, 'two 429s, then accepted');
      await assert.rejects(client.get(CM, 'x'), isInternalError);
      assert.equal(gets, 1, 'a 500 is not retried by the client');
    },
  );
});

test('transport: auth headers are reused for authCacheMs, then asked for again (a rotated token); requests work again after close()', async () => {
  const { Transport } = await import('./transport.js');
  const auths: string[] = [];
  const server = http.createServer((req, res) => {
    auths.push(req.headers.authorization ?? '');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  let token = 'first';
  const loaded = loadKubeConfig({
    kubeconfig: `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
`,
  });
  // a credential source that rotates its token, as exec plugins and projected tokens do
  const base = loaded.connection ?? loaded.kubeConfig;
  const config = {
    kubeConfig: loaded.kubeConfig,
    namespace: loaded.namespace,
    connection: {
      getCurrentCluster: () => base.getCurrentCluster(),
      applyToHTTPSOptions: async (opts: import('node:https').RequestOptions) => {
        await base.applyToHTTPSOptions(opts);
        opts.headers = { ...(opts.headers as Record<string, string>), Authorization: `Bearer ${token}` };
      },
    },
  };
  const cached = new Transport(config);
  const fresh = new Transport(config, { authCacheMs: 0 });
  try {
    await cached.requestJSON({ method: 'GET', path: '/a' });
    await fresh.requestJSON({ method: 'GET', path: '/a' });
    token = 'second';
    await cached.requestJSON({ method: 'GET', path: '/b' });
    await fresh.requestJSON({ method: 'GET', path: '/b' });
    cached.close();
    await cached.requestJSON({ method: 'GET', path: '/c' });
    assert.deepEqual(auths, ['Bearer first', 'Bearer first', 'Bearer first', 'Bearer second', 'Bearer first']);
  } finally {
    cached.close();
    fresh.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('withFieldManager: a view of the client whose writes default to another field manager, over the same connections', async () => {
  await withServer(
    (s, res) => {
      if (discovery(s, res)) return;
      json(res, 200, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a', namespace: 'team' } });
    },
    async (client, seen) => {
      const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
      const kcm = client.withFieldManager('kube-controller-manager');
      assert.ok(kcm instanceof KubeClient);
      assert.equal(kcm.transport, client.transport);
      assert.equal(kcm.namespace, 'team');
      assert.equal(client.fieldManager, 'kubeloop', 'the client itself is unchanged');
      assert.equal(client.withFieldManager('kubeloop'), client);
      await kcm.patch(CM, 'a', { data: { k: 'v' } });
      await kcm.create({ ...CM, metadata: { name: 'b' } }, { fieldManager: 'explicit' });
      await client.patch(CM, 'a', { data: { k: 'w' } });
      assert.deepEqual(seen.filter((s) => s.method !== 'GET').map((s) => `${s.method} ${s.url}`), [
        'PATCH /api/v1/namespaces/team/configmaps/a?fieldManager=kube-controller-manager',
        'POST /api/v1/namespaces/team/configmaps?fieldManager=explicit',
        'PATCH /api/v1/namespaces/team/configmaps/a?fieldManager=kubeloop',
      ]);
      for (const bad of ['', 'x'.repeat(129), 'a\nb']) assert.throws(() => client.withFieldManager(bad), /1-128 printable characters/);
    },
  );
});
