import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter } from 'prom-client';
import { createRegistry, startProbeServer } from './index.js';

async function fetchText(url: string, init?: RequestInit): Promise<{ status: number; body: string; type: string | null }> {
  const r = await fetch(url, init);
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') };
}

test('probe server: /metrics, /healthz, /readyz with named checks', async () => {
  const registry = createRegistry();
  new Counter({ name: 'kubeloop_test_total', help: 'test', registers: [registry] }).inc(3);
  let cacheSynced = false;
  const srv = await startProbeServer({
    port: 0,
    bind: '127.0.0.1',
    registry,
    healthChecks: { ping: () => true },
    readyChecks: {
      'informer-sync': () => {
        if (!cacheSynced) throw new Error('caches not synced');
      },
      leader: async () => true,
    },
  });
  try {
    const m = await fetchText(`${srv.url}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.body, /kubeloop_test_total 3/);
    assert.equal(m.type, registry.contentType);

    assert.deepEqual(await fetchText(`${srv.url}/healthz`).then((r) => [r.status, r.body]), [200, 'ok']);

    const notReady = await fetchText(`${srv.url}/readyz`);
    assert.equal(notReady.status, 500);
    assert.equal(notReady.body, '[-]informer-sync failed: reason withheld\n[+]leader ok\nhealthz check failed\n');
    assert.doesNotMatch(notReady.body, /caches not synced/, 'reasons are withheld on the aggregate endpoint');

    const one = await fetchText(`${srv.url}/readyz/informer-sync`);
    assert.equal(one.status, 500);
    assert.match(one.body, /caches not synced/);

    const excluded = await fetchText(`${srv.url}/readyz?exclude=informer-sync&exclude=nope&verbose`);
    assert.equal(excluded.status, 200);
    assert.equal(
      excluded.body,
      '[+]informer-sync excluded: ok\n[+]leader ok\nwarn: some health checks cannot be excluded: no matches for "nope"\nhealthz check passed\n',
    );

    cacheSynced = true;
    assert.equal((await fetchText(`${srv.url}/readyz`)).body, 'ok');
    assert.equal((await fetchText(`${srv.url}/readyz?verbose`)).body, '[+]informer-sync ok\n[+]leader ok\nhealthz check passed\n');

    srv.addHealthCheck('deadlock', () => false);
    const sick = await fetchText(`${srv.url}/healthz?verbose`);
    assert.equal(sick.status, 500);
    assert.equal(sick.body, '[+]ping ok\n[-]deadlock failed: reason withheld\nhealthz check failed\n');

    assert.equal((await fetchText(`${srv.url}/nope`)).status, 404);
    assert.equal((await fetchText(`${srv.url}/healthz`, { method: 'POST' })).status, 405);
  } finally {
    await srv.stop();
  }
});

test('probe server without checks answers ping; port 0 picks a free port; slow checks time out', async () => {
  const srv = await startProbeServer({ port: 0, bind: '127.0.0.1', registry: null, readyChecks: {} });
  try {
    assert.ok(srv.port > 0);
    assert.equal((await fetchText(`${srv.url}/readyz?verbose`)).body, '[+]ping ok\nhealthz check passed\n');
    assert.equal((await fetchText(`${srv.url}/healthz/ping`)).body, 'ok');
    assert.equal((await fetchText(`${srv.url}/metrics`)).status, 404, 'metrics disabled with registry: null');
  } finally {
    await srv.stop();
  }
  const slow = await startProbeServer({
    port: 0,
    bind: '127.0.0.1',
    checkTimeoutMs: 20,
    healthChecks: { hang: () => new Promise(() => {}) },
  });
  try {
    const r = await fetchText(`${slow.url}/healthz/hang`);
    assert.equal(r.status, 500);
    assert.match(r.body, /timed out/);
  } finally {
    await slow.stop();
  }
});

test('probe server rejects bad options', async () => {
  await assert.rejects(startProbeServer({ port: -1 }), RangeError);
  await assert.rejects(startProbeServer({ port: 0, bind: '127.0.0.1', healthChecks: { 'bad name': () => true } }), /invalid health check name/);
});
