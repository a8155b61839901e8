// Idle and slow connections are closed as kube-apiserver closes them (IdleTimeout,
// ReadHeaderTimeout), so a client cannot hold descriptors open; long watches are unaffected.
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';

const TIMEOUT_MS = 300;

function tls(s: ApiServer, send?: string): Socket {
  const cert = Buffer.from(/client-certificate-data: (\S+)/.exec(s.kubeconfig)![1], 'base64').toString();
  const key = Buffer.from(/client-key-data: (\S+)/.exec(s.kubeconfig)![1], 'base64').toString();
  const sock = tlsConnect({ host: '127.0.0.1', port: s.port, ca: s.caPem, cert, key, servername: 'localhost' }, () => {
    if (send) sock.write(send);
  });
  sock.on('error', () => undefined);
  return sock;
}

/** Milliseconds until the server closes `sock` (rejects after `ms`). */
function closedWithin(sock: Socket, ms: number): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`connection still open after ${ms} ms`));
    }, ms);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - start);
    });
    sock.resume();
  });
}

describe('apiserver connection deadlines', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0, idleTimeoutMs: TIMEOUT_MS, headerTimeoutMs: TIMEOUT_MS, bookmarkIntervalMs: 100 });
  });
  after(async () => {
    await s.stop();
  });

  it('closes a connection that never completes the TLS handshake', async () => {
    const sock = tcpConnect(s.port, '127.0.0.1');
    sock.on('error', () => undefined);
    await closedWithin(sock, 5000);
  });

  it('closes a TLS connection that sends nothing, or only part of its headers', async () => {
    await closedWithin(tls(s), 5000);
    await closedWithin(tls(s, 'GET /api HTTP/1.1\r\nHost: x\r\n'), 5000);
  });

  it('closes an idle keep-alive connection after a request', async () => {
    await closedWithin(tls(s, 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n'), 5000);
  });

  it('keeps a watch open well past both deadlines and delivers its events', { timeout: 20_000 }, async () => {
    const sock = tls(s, 'GET /api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=false HTTP/1.1\r\nHost: x\r\n\r\n');
    let received = '';
    let onData = () => {};
    sock.on('data', (c: Buffer) => {
      received += c.toString();
      onData();
    });
    // Connections opened alongside it are closed by both deadlines: the watch outlives them.
    await Promise.all([closedWithin(tls(s, 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n'), 5000), closedWithin(tls(s), 5000)]);
    assert.equal(sock.destroyed, false);
    await call(s, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'late' } });
    // the event arrives on the watch (each chunk is checked as it comes; the test's timeout bounds it)
    await new Promise<void>((resolve) => {
      onData = () => received.includes('"late"') && resolve();
      onData();
    });
    assert.match(received, /"type":"ADDED".*"name":"late"/);
    sock.destroy();
  });
});
