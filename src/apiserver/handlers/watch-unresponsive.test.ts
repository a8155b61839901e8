// Unresponsive watchers: a watch whose client stops reading is closed once it holds more than
// its buffer bound (`watchBufferBytes`), its buffered events dropped and its connection
// destroyed, as kube-apiserver closes a watcher whose buffer stays full; other watches and
// requests go on, and a slow client that keeps within the bound is never closed.
import assert from 'node:assert/strict';
import { connect, type TLSSocket } from 'node:tls';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.js';
import { startApiServer, type ApiServer } from '../index.js';
import { call, openWatch, parseKubeconfigCreds } from '../test-client.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const CONFIGMAPS = '/configmaps'; // the store's key of core configmaps
const BOUND = 1024 * 1024;
const EVENT = '{"type":"';

async function until(what: string, fn: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const turn = () => new Promise((r) => setImmediate(r));
const cm = (name: string, pad: string): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { pad } }) as KubeObject;

/**
 * A watch over a raw TLS connection that stops reading once the response headers arrived
 * (`socket.pause()`: the kernel's buffers fill, then the server's). `resume()` reads on and
 * counts the event lines that come.
 */
function stalledWatch(s: ApiServer, path: string): { headers: Promise<void>; isClosed(): boolean; events(): number; pause(): void; resume(): void; socket: TLSSocket } {
  const creds = parseKubeconfigCreds(s.kubeconfig);
  let closed = false;
  let events = 0;
  let tail = '';
  let seenHeaders = false;
  let resolveHeaders!: () => void;
  const headers = new Promise<void>((r) => (resolveHeaders = r));
  const socket = connect({ host: '127.0.0.1', port: s.port, ca: s.caPem, cert: creds.cert, key: creds.key }, () => {
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
  });
  socket.setEncoding('latin1'); // the bodies here are ASCII: no character spans two reads
  socket.on('data', (d: string) => {
    const text = tail + d;
    let i = text.indexOf(EVENT);
    while (i >= 0) {
      events++;
      i = text.indexOf(EVENT, i + EVENT.length);
    }
    tail = text.slice(-(EVENT.length - 1));
    if (!seenHeaders && text.includes('\r\n\r\n')) {
      seenHeaders = true;
      socket.pause();
      resolveHeaders();
    }
  });
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  return { headers, isClosed: () => closed, events: () => events, pause: () => socket.pause(), resume: () => socket.resume(), socket };
}

describe('unresponsive watchers', () => {
  // each test its own server: a stalled watch left by a failed test must not sway the next
  let s: ApiServer;
  const warnings: string[] = [];
  beforeEach(async () => {
    warnings.length = 0;
    s = await startApiServer({ port: 0, watchBufferBytes: BOUND, historyBytes: 4 * 1024 * 1024, warn: (m) => warnings.push(m) });
  });
  afterEach(async () => {
    await s.stop();
  });

  it('a watch whose client stops reading is closed, its buffer dropped and its connection destroyed; the rest goes on', async () => {
    const rv = s.store.resourceVersion;
    const healthy = openWatch(s, `${CMS}?watch=1&resourceVersion=${rv}`);
    assert.equal(await healthy.status, 200);
    const stuck = stalledWatch(s, `${CMS}?watch=1&resourceVersion=${rv}`);
    await stuck.headers;
    // one 64 KB change per turn until the stalled watch is closed: the kernel's buffers take a
    // few MB, then the server's buffer passes the 1 MiB bound. Without a bound that holds, 40 MB
    // go by (the old bound was 64 MiB and ended the response instead of dropping it).
    const pad = 'x'.repeat(64 * 1024);
    let produced = 0;
    while (warnings.length === 0 && produced < 640) {
      s.store.put(CONFIGMAPS, `default/stuck-${produced % 8}`, cm(`stuck-${produced % 8}`, pad));
      produced++;
      await turn();
    }
    assert.equal(warnings.length, 1, `the stalled watch is closed (${produced} changes of 64 KB written)`);
    assert.match(warnings[0], /^Forcing configmaps watcher close due to unresponsiveness: namespace: "default"/);
    assert.ok(produced * pad.length < 16 * BOUND, `closed after ${produced} changes: the server held no more than the bound beyond the kernel's buffers`);
    // the connection is gone: once the client reads again it gets what the kernel held, then
    // the end, and not the events the server had buffered (dropped, not written before an end)
    stuck.resume();
    await until('the connection closes', () => stuck.isClosed(), 10_000);
    assert.ok(stuck.events() < produced, `${stuck.events()} of ${produced} events reached the stalled client`);
    // the other watch got every change, in order, and is still open
    await until('the healthy watch gets every change', () => healthy.events.length === produced);
    assert.deepEqual(healthy.events.map((e) => e.object.metadata.name), Array.from({ length: produced }, (_, i) => `stuck-${i % 8}`));
    s.store.put(CONFIGMAPS, 'default/after', cm('after', 'y'));
    await until('the healthy watch gets a later change', () => healthy.events.length === produced + 1);
    // requests and new watches are served
    assert.equal((await call(s, 'GET', `${CMS}/after`)).status, 200);
    const fresh = openWatch(s, `${CMS}?watch=1&resourceVersion=${s.store.resourceVersion}`);
    assert.equal(await fresh.status, 200);
    s.store.put(CONFIGMAPS, 'default/later', cm('later', 'z'));
    await until('a new watch gets a change', () => fresh.events.length === 1);
    assert.equal(warnings.length, 1, 'only the stalled watch was closed');
    healthy.stop();
    fresh.stop();
  });

  it('a stalled client of the initial events holds no more than the bound: the watch is closed once changes pile up', async () => {
    // ~6 MB of current state, more than the kernel's buffers and the bound take
    const pad = 'i'.repeat(16 * 1024);
    for (let i = 0; i < 400; i++) s.store.put(CONFIGMAPS, `default/init-${i}`, cm(`init-${i}`, pad));
    const stuck = stalledWatch(s, `${CMS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    await stuck.headers;
    // the server wrote meanwhile, as far as the stalled client lets it: the initial events wait
    // for it (they are pulled at the client's pace), so they alone never trip the bound
    for (let i = 0; i < 5; i++) assert.equal((await call(s, 'GET', `${CMS}/init-0`)).status, 200);
    assert.equal(warnings.length, 0, 'initial events wait for a slow client instead of piling up: ' + warnings.join('; '));
    // changes committed meanwhile wait behind the initial events, up to the bound
    let produced = 0;
    while (warnings.length === 0 && produced < 400) {
      s.store.put(CONFIGMAPS, `default/init-${produced % 8}`, cm(`init-${produced % 8}`, pad + produced));
      produced++;
      await turn();
    }
    assert.equal(warnings.length, 1, `the stalled watch is closed (${produced} changes of 16 KB written)`);
    // over the bound, the watch is closed after upstream's 100 ms dispatch budget, or at once at 4 times the bound
    assert.ok(produced * pad.length <= 5 * BOUND, `closed after ${produced} changes held behind the initial events`);
    stuck.resume();
    await until('the connection closes', () => stuck.isClosed(), 10_000);
    // (the namespace's kube-root-ca.crt and the end bookmark come too)
    assert.ok(stuck.events() < 402 + produced, `${stuck.events()} of ${402 + produced} events reached the stalled client`);
    assert.equal((await call(s, 'GET', `${CMS}/init-1`)).status, 200);
  });

  it('a slow client that keeps within the bound is not closed', async () => {
    const w = stalledWatch(s, `${CMS}?watch=1&resourceVersion=${s.store.resourceVersion}`);
    await w.headers;
    // bursts of ~half the bound, each written while the client is not reading, which then
    // catches up before the next one
    const pad = 's'.repeat(16 * 1024);
    let produced = 0;
    for (let round = 0; round < 6; round++) {
      w.pause();
      for (let i = 0; i < 30; i++) {
        s.store.put(CONFIGMAPS, `default/slow-${i}`, cm(`slow-${i}`, pad));
        produced++;
      }
      assert.equal((await call(s, 'GET', `${CMS}/slow-0`)).status, 200); // the burst went out meanwhile
      w.resume();
      await until('the slow client catches up', () => w.events() === produced);
    }
    assert.equal(warnings.length, 0, 'the slow client was not closed: ' + warnings.join('; '));
    assert.equal(w.isClosed(), false);
    w.socket.destroy();
  });
});

describe('watchBufferBytes', () => {
  it('a bound that is not a positive number is refused with a clear error', async () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(startApiServer({ port: 0, watchBufferBytes: bad }), /watchBufferBytes must be a positive number of bytes/);
    }
  });
});
