import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StatusError } from '../../api/index.js';
import { type BodySink, readBody, readBodyInto } from './request.js';

/** A server handing each request to the test's `onRequest`. */
describe('readBody', () => {
  let server: Server;
  let port = 0;
  let onRequest: (req: IncomingMessage) => void = () => undefined;
  before(async () => {
    server = createServer((req, res) => {
      onRequest(req);
      // answered once the test has looked at the body
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** Sends `parts` as a chunked body (each part its own write); with `abort`, goes away instead of ending it once that resolves. */
  const send = (parts: (string | Buffer)[], abort?: Promise<unknown>) =>
    new Promise<void>((resolve) => {
      const req = request({ port, method: 'POST', path: '/', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => resolve());
      for (const p of parts) req.write(p);
      if (abort) void abort.then(() => req.destroy());
      else req.end();
    });

  /** The next request's body as `readers` readers get it; `arrived` resolves once the server has the request. */
  let arrived: Promise<void> = Promise.resolve();
  const nextBody = (readers = 1): Promise<PromiseSettledResult<Buffer>[]> => {
    let seen!: () => void;
    arrived = new Promise<void>((r) => (seen = r));
    return new Promise((resolve) => {
      onRequest = (req) => {
        void Promise.allSettled(Array.from({ length: readers }, () => readBody(req))).then(resolve);
        req.once('data', () => seen());
      };
    });
  };

  it('joins a body sent in several chunks', async () => {
    const got = nextBody();
    await send(['{"a":', '1,', '"b":"x"}']);
    const [r] = await got;
    assert.equal(r.status, 'fulfilled');
    assert.equal((r as PromiseFulfilledResult<Buffer>).value.toString(), '{"a":1,"b":"x"}');
  });

  it('gives a second reader of the same request the whole body too', async () => {
    const got = nextBody(2);
    await send(['first ', 'second']);
    const results = await got;
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value.toString() : 'rejected')), ['first second', 'first second']);
  });

  it('refuses a body streamed past 3 MiB with 413, without waiting for its end', async () => {
    const got = nextBody();
    const mib = Buffer.alloc(1024 * 1024, 'x');
    const sent = send([mib, mib, mib, mib], arrived);
    const [r] = await got;
    assert.equal(r.status, 'rejected');
    const err = (r as PromiseRejectedResult).reason;
    assert.ok(err instanceof StatusError);
    assert.equal(err.status.code, 413);
    await sent;
  });

  it('rejects when the client goes away before the body is complete', async () => {
    const got = nextBody();
    void send(['{"partial":'], arrived);
    const [r] = await got;
    assert.equal(r.status, 'rejected');
  });

  /** The next request read into a sink that records every call, until the request is closed. */
  const nextCalls = (): Promise<string[]> =>
    new Promise((resolve) => {
      onRequest = (req) => {
        const calls: string[] = [];
        const sink: BodySink = { body: (b) => calls.push(`body ${b.length}`), failed: (e) => calls.push(`failed ${e instanceof StatusError ? e.status.code : 'error'}`) };
        readBodyInto(req, sink);
        req.once('data', () => seenData());
        req.on('close', () => setImmediate(() => resolve(calls)));
      };
    });
  let seenData: () => void = () => undefined;

  it('tells a sink once: the body, or why there is none, whatever events follow', async () => {
    let got = nextCalls();
    await send(['{"a":', '1}']);
    assert.deepEqual(await got, ['body 7']);

    got = nextCalls();
    const mib = Buffer.alloc(1024 * 1024, 'x');
    const arrivedData = new Promise<void>((r) => (seenData = r));
    await send([mib, mib, mib, mib], arrivedData);
    assert.deepEqual(await got, ['failed 413']);

    got = nextCalls();
    const partial = new Promise<void>((r) => (seenData = r));
    void send(['{"partial":'], partial);
    assert.deepEqual(await got, ['failed error']);
  });
});
