// The console's server against the built-in API server and a real Manager: what the page reads
// (lists, watches, metrics, /debug/controllers, an upstream) and what it refuses (writes to the
// cluster, writes from other origins, upstream paths not declared writable, other Host names).
import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigMap, Controller, type ConfigMapObject, type Reconciler } from '../controller/index.js';
import { eventually, startTestEnv, type TestEnv } from '../testing/index.js';
import { startConsole, type ConsoleServer } from './index.js';

@Controller({ for: ConfigMap, namespace: 'console-test', name: 'console-failing' })
class Failing implements Reconciler<ConfigMapObject> {
  reconcile(cm: ConfigMapObject): void {
    if (cm.metadata.name === 'bad') throw new Error('cannot reach the cloud: password=hunter2 refused');
  }
}

/** A raw request (fetch sets Host and Origin itself). */
function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('console server', { timeout: 120_000 }, () => {
  let env: TestEnv;
  let console_: ConsoleServer;
  let upstream: Server;
  const upstreamSeen: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-console-'));
  let metricsUrl = '';

  before(async () => {
    env = await startTestEnv({ crds: [] });
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, env.kubeconfig);
    await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'console-test' } });
    const manager = env.manager({ metricsBindAddress: '127.0.0.1:0' });
    manager.register(Failing);
    await manager.start();
    metricsUrl = manager.metricsUrl!;
    upstream = createServer((req, res) => {
      upstreamSeen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    console_ = await startConsole({
      kubeconfig, title: 'test <console>',
      metrics: () => [{ name: 'ops', url: metricsUrl }],
      extensions: [{ name: 'demo', module: join(dir, 'demo.js'), upstreams: { api: { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, writable: ['/_sim/faults'] } } }],
    });
    writeFileSync(join(dir, 'demo.js'), 'export default (c) => c.registerPanel({ id: "demo", title: "Demo", render: () => null });\n');
  });
  after(async () => {
    await console_?.stop();
    upstream?.close();
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page (title escaped, an import map for extension modules) and its config', async () => {
    const page = await fetch(console_.url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<title>test &#60;console&#62;<\/title>/);
    assert.match(html, /"kubeloop-console": "\/assets\/sdk\.js"/);
    for (const asset of ['main.js', 'sdk.js', 'preact.js', 'preact-hooks.js', 'style.css']) {
      assert.equal((await fetch(`${console_.url}assets/${asset}`)).status, 200, asset);
    }
    assert.equal((await fetch(`${console_.url}assets/..%2f..%2fpackage.json`)).status, 404, 'no path out of the assets folder');
    const config = await (await fetch(`${console_.url}api/config`)).json();
    assert.deepEqual(config, { title: 'test <console>', extensions: [{ name: 'demo', module: '/ext/demo.js' }], metrics: [{ name: 'ops' }] });
    assert.match(await (await fetch(`${console_.url}ext/demo.js`)).text(), /registerPanel/);
  });

  it('lists and watches through the API server with its own credentials', async () => {
    const list = await (await fetch(`${console_.url}api/kube/api/v1/namespaces`)).json() as { kind: string; items: Array<{ metadata: { name: string } }> };
    assert.equal(list.kind, 'NamespaceList');
    assert.ok(list.items.some((n) => n.metadata.name === 'console-test'));
    const missing = await fetch(`${console_.url}api/kube/api/v1/namespaces/nope`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json() as { reason: string }).reason, 'NotFound', 'the API server\'s Status comes through');
    // a watch streams: an object created after it started arrives as ADDED
    const abort = new AbortController();
    const watch = await fetch(`${console_.url}api/kube/api/v1/namespaces/console-test/configmaps?watch=1`, { signal: abort.signal });
    const reader = watch.body!.getReader();
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: 'console-test' } });
    let text = '';
    while (!text.includes('"watched"')) text += new TextDecoder().decode((await reader.read()).value);
    assert.match(text, /"type":"ADDED"/);
    abort.abort();
  });

  it('shows a controller\'s metrics and its last error (credentials redacted) from /debug/controllers', async () => {
    await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad', namespace: 'console-test' } });
    const status = await eventually('the failing reconcile reported', async () => {
      const body = await (await fetch(`${console_.url}api/metrics/ops/controllers`)).json() as { controllers: Array<{ name: string; lastError?: { message: string; key: string } }> };
      return body.controllers.find((c) => c.name === 'console-failing' && c.lastError);
    }, 30_000, 100);
    assert.equal(status.lastError!.key, 'console-test/bad');
    assert.match(status.lastError!.message, /cannot reach the cloud/);
    assert.doesNotMatch(status.lastError!.message, /hunter2/, 'the message is redacted as logs are');
    const metrics = await (await fetch(`${console_.url}api/metrics/ops`)).text();
    assert.match(metrics, /controller_runtime_reconcile_errors_total\{controller="console-failing"\} [1-9]/);
    assert.equal((await fetch(`${console_.url}api/metrics/other`)).status, 404);
  });

  it('refuses writes to the cluster, writes from another origin, undeclared upstream writes and other Host names', async () => {
    const origin = console_.url.replace(/\/$/, '');
    const json = { 'content-type': 'application/json', origin };
    assert.equal((await raw(`${console_.url}api/kube/api/v1/namespaces`, { method: 'POST', headers: json, body: '{}' })).status, 405);
    assert.equal((await raw(`${console_.url}api/up/demo/api/_sim/faults`, { method: 'POST', headers: { ...json, origin: 'http://evil.example' }, body: '{}' })).status, 403);
    assert.equal((await raw(`${console_.url}api/up/demo/api/_sim/faults`, { method: 'POST', headers: { origin }, body: 'x=1' })).status, 415);
    assert.equal((await raw(`${console_.url}api/up/demo/api/_sim/state`, { method: 'PUT', headers: json, body: '{}' })).status, 403);
    assert.equal((await raw(`${console_.url}api/up/demo/api/_sim/faults/../state`, { method: 'PUT', headers: json, body: '{}' })).status, 403, 'dot segments do not escape the writable prefix');
    assert.equal((await raw(console_.url, { headers: { host: 'attacker.example:80' } })).status, 421, 'a rebound DNS name is refused');
    assert.ok(!upstreamSeen.some((s) => !s.startsWith('GET')), 'no refused write reached the upstream');
    const ok = await raw(`${console_.url}api/up/demo/api/_sim/faults?x=1`, { method: 'POST', headers: json, body: '{"deny":true}' });
    assert.equal(ok.status, 200);
    assert.deepEqual(upstreamSeen, ['POST /_sim/faults?x=1']);
    assert.equal((await fetch(`${console_.url}api/up/demo/nope/x`)).status, 404);
    // HEAD is a read, as GET: allowed on any upstream path
    assert.equal((await raw(`${console_.url}api/up/demo/api/_sim/state`, { method: 'HEAD' })).status, 200);
  });

  it('answers a malformed percent-encoding with 400, not as a failing upstream', async () => {
    for (const path of ['assets/%E0.js', 'api/metrics/%E0', 'api/metrics/%E0/controllers']) {
      const r = await fetch(`${console_.url}${path}`);
      assert.equal(r.status, 400, path);
      assert.match((await r.json() as { error: string }).error, /malformed percent-encoding/, path);
    }
  });
});
