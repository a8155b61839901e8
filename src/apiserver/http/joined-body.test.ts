// A list body sent in chunks is byte for byte the joined string it replaced: UTF-8 characters
// across chunk boundaries, items bigger than a chunk, no items. A small body keeps its
// Content-Length; a big one goes chunked (as kube-apiserver's, whose Go server adds
// Content-Length only to bodies of a few KB). A client that stops reading holds the server's
// writes back instead of the whole body piling up in the server; one that goes away ends it.
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sendJoined } from './joined-body.js';

interface Body {
  head: string;
  items: string[];
  tail: string;
}

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('sendJoined', () => {
  let server: Server;
  let port = 0;
  const bodies = new Map<string, Body>();
  /** The server side of each request, with the bytes it handed to the response so far. */
  const sent = new Map<string, { res: ServerResponse; handed: number }>();
  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const b = bodies.get(req.url!)!;
      const seen = { res, handed: 0 };
      sent.set(req.url!, seen);
      const write = res.write.bind(res) as (c: Buffer) => boolean;
      const end = res.end.bind(res) as (c?: Buffer) => ServerResponse;
      res.write = ((c: Buffer) => {
        seen.handed += c.length;
        return write(c);
      }) as typeof res.write;
      res.end = ((c?: Buffer) => {
        seen.handed += c?.length ?? 0;
        return end(c);
      }) as typeof res.end;
      sendJoined(res, 200, 'application/json', b.head, b.items, b.tail);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /** GETs `path`; `paused`: reads nothing until `resume()` is called (once `started` resolved). */
  const get = (path: string, paused = false) => {
    let started!: (resume: () => void) => void;
    const response = new Promise<() => void>((r) => (started = r));
    const done = new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
        if (paused) res.pause();
        started(() => void res.resume());
      });
      req.on('error', reject);
      req.end();
    });
    return { done, response };
  };

  const check = async (path: string, b: Body) => {
    bodies.set(path, b);
    const r = await get(path).done;
    assert.equal(r.body.toString('utf8'), b.head + b.items.join(',') + b.tail);
    return r;
  };

  it('a body of one chunk goes whole, with its Content-Length', async () => {
    const r = await check('/small', { head: '{"items":[', items: ['{"a":1}', '{"b":"é"}', '{}'], tail: ']}' });
    assert.equal(r.headers['content-length'], String(Buffer.byteLength('{"items":[{"a":1},{"b":"é"},{}]}')));
    assert.equal(r.headers['transfer-encoding'], undefined);
    const none = await check('/none', { head: '{"items":[', items: [], tail: ']}' });
    assert.equal(none.body.toString(), '{"items":[]}');
    assert.equal(none.headers['content-length'], '12');
  });

  it('a bigger body goes chunked, byte for byte the joined string, multi-byte characters at every offset', async () => {
    const items: string[] = [];
    // Two- to four-byte characters at shifting offsets, so some fall on chunk boundaries.
    for (let i = 0; i < 3000; i++) items.push(JSON.stringify({ i, pad: 'x'.repeat(i % 97), s: ['é', '中文', '😀', 'a'][i % 4].repeat(1 + (i % 13)) }));
    const r = await check('/big', { head: '{"kind":"List","items":[', items, tail: ']}' });
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(JSON.parse(r.body.toString()).items.length, 3000);
  });

  it('items bigger than a chunk, first, between others and last', async () => {
    const huge = (c: string) => JSON.stringify({ big: c.repeat(200_000) });
    await check('/huge', { head: '[', items: [huge('é'), '1', huge('a'), huge('😀'), '2', huge('b')], tail: ']' });
    await check('/one-huge', { head: '[', items: [huge('z')], tail: ']' });
  });

  it('answers sent at the same time, one to a client that stops reading, keep their own bytes (chunk buffers are reused only once written)', async () => {
    const body = (tag: string, count: number): Body => ({ head: `{"${tag}":[`, items: Array.from({ length: count }, (_, i) => JSON.stringify({ tag, i, pad: tag.repeat(10_000 + (i % 50)) })), tail: ']}' });
    const want = new Map<string, string>();
    for (const [tag, count] of [['a', 200], ['b', 900], ['c', 500]] as const) {
      const b = body(tag, count);
      bodies.set(`/same-time-${tag}`, b);
      want.set(tag, b.head + b.items.join(',') + b.tail);
    }
    const slow = get('/same-time-b', true);
    const resume = await slow.response;
    const [a, c] = await Promise.all([get('/same-time-a').done, get('/same-time-c').done, (async () => {
      await until('the paused answer to wait for its client', () => sent.get('/same-time-b')?.res.writableNeedDrain === true);
    })()]);
    // A second round reuses the buffers the first one gave back.
    const [a2, c2] = await Promise.all([get('/same-time-a').done, get('/same-time-c').done]);
    resume();
    assert.equal((await slow.done).body.toString(), want.get('b'));
    for (const [r, tag] of [[a, 'a'], [c, 'c'], [a2, 'a'], [c2, 'c']] as const) assert.equal(r.body.toString(), want.get(tag));
  });

  it('a client that stops reading holds the writes back; the rest follows when it reads again', async () => {
    const items = Array.from({ length: 200 }, (_, i) => JSON.stringify({ i, data: 'y'.repeat(256 * 1024) }));
    const b = { head: '[', items, tail: ']' };
    const total = Buffer.byteLength(b.head + items.join(',') + b.tail);
    bodies.set('/slow', b);
    const r = get('/slow', true);
    const resume = await r.response;
    await until('the server to wait for the client', () => sent.get('/slow')?.res.writableNeedDrain === true);
    // 50 MB; the socket buffers on both sides hold a few MB.
    assert.ok(sent.get('/slow')!.handed < total / 2, `handed ${sent.get('/slow')!.handed} of ${total} bytes to a client reading nothing`);
    resume();
    const got = await r.done;
    assert.equal(got.body.length, total);
    assert.ok(got.body.equals(Buffer.from(b.head + items.join(',') + b.tail)));
  });

  it('a client that goes away mid-answer ends it; the server keeps answering', async () => {
    const items = Array.from({ length: 400 }, (_, i) => JSON.stringify({ i, data: 'z'.repeat(64 * 1024) }));
    bodies.set('/gone', { head: '[', items, tail: ']' });
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/gone' }, (res) => {
        res.once('data', () => req.destroy());
        res.on('error', () => undefined);
      });
      req.on('error', () => undefined);
      req.on('close', resolve);
      req.on('error', reject);
      req.end();
    });
    await until('the server to see the answer closed', () => sent.get('/gone')?.res.destroyed === true);
    assert.ok(sent.get('/gone')!.handed < 400 * 64 * 1024);
    await check('/after-gone', { head: '[', items: ['1', '2'], tail: ']' });
  });
});
