// Complete requests on the Transport's own HTTP/1.1 connections (http1.ts) against Node's http
// client: the same bytes on the wire, the same status, headers and body read from the same
// answers, connections kept and closed as Node's agent does, and Node's errors. A Transport
// with a `maxSockets` cap sends through Node's agent, so the two are compared side by side
// against a raw TCP server that records every request's bytes and its connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { loadKubeConfig } from './index.js';
import { fileURLToPath } from 'node:url';
import { Http1Pool, ResponseReader, requestHead } from './http1.js';
import { connect } from 'node:net';
import { IdleTimeoutError, Transport, type RequestSpec } from './transport.js';

interface Got {
  /** the request's bytes, as received */
  raw: string;
  /** which connection it came on (0, 1, ...) */
  conn: number;
}

/**
 * A server answering each request (head, and a Content-Length body) with `answer(raw, n)` —
 * written as given, in `pieces` — or, when it returns undefined, with nothing.
 */
type Answer = string | string[] | undefined | 'hangup' | { thenClose: string };

async function rawServer(answer: (raw: string, n: number) => Answer) {
  const got: Got[] = [];
  let conns = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    const conn = conns++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = Buffer.alloc(0);
    s.on('data', async (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        // a Content-Length body, or the one empty chunked body Node sends for a body-less POST
        const len = /\r\ntransfer-encoding: chunked/i.test(head) ? 5 : Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const raw = buf.subarray(0, end + 4 + len).toString('latin1');
        buf = buf.subarray(end + 4 + len);
        got.push({ raw, conn });
        const a = answer(raw, got.length - 1);
        if (a === 'hangup') s.destroy();
        else if (typeof a === 'string') s.write(a, 'latin1');
        else if (Array.isArray(a)) for (const piece of a) await new Promise<void>((r) => s.write(piece, 'latin1', () => setImmediate(r)));
        else if (a) s.end(a.thenClose, 'latin1');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const config = loadKubeConfig({
    kubeconfig: `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: secret-token}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
`,
  });
  const lean = new Transport(config);
  const node = new Transport(config, { maxSockets: 1000 });
  return {
    got,
    port,
    /** on its own connections (http1.ts) */
    lean,
    /** through Node's http client and agent (a socket cap takes that path) */
    node,
    config,
    /** Closes both transports and the server (its connections first). */
    async close() {
      lean.close();
      node.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const ok = (body = '{}', extra = '') => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('a complete request puts the same bytes on the wire as Node\'s http client, on one kept-alive connection', async () => {
  const s = await rawServer(() => ok());
  const specs: RequestSpec[] = [
    { method: 'GET', path: '/api/v1/namespaces/default/pods/p', query: { resourceVersion: '0', labelSelector: 'a=b,c in (d)' } },
    { method: 'POST', path: '/api/v1/namespaces/default/pods/p/binding', body: JSON.stringify({ kind: 'Binding', target: { name: 'nödé' } }) },
    { method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: Buffer.from('{"data":{"k":"v"}}') },
    { method: 'POST', path: '/api/v1/namespaces/default/pods/p/eviction' },
    { method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: '' },
    { method: 'PUT', path: '/api/v1/namespaces/default/configmaps/c', body: '{"metadata":{"name":"c"}}' },
    { method: 'PATCH', path: '/api/v1/namespaces/default/configmaps/c', body: '{"data":null}', contentType: 'application/merge-patch+json', accept: 'application/json;as=Table' },
    { method: 'DELETE', path: '/api/v1/namespaces/default/configmaps/c', body: '{"propagationPolicy":"Foreground"}' },
    { method: 'DELETE', path: '/api/v1/namespaces/default/configmaps/c' },
    { method: 'get', path: '/version' },
  ];
  try {
    for (const spec of specs) {
      await s.lean.request(spec);
      await s.node.request(spec);
      const [a, b] = s.got.slice(-2);
      assert.equal(a.raw, b.raw, `${spec.method} ${spec.path}`);
    }
    assert.match(s.got[2].raw, /^POST \/api\/v1\/namespaces\/default\/pods\/p\/binding HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\nAuthorization: Bearer secret-token\r\nUser-Agent: kubeloop\/0\.1\.0\r\nAccept: application\/json\r\nContent-Type: application\/json\r\nContent-Length: 45\r\nConnection: keep-alive\r\n\r\n/);
    assert.match(s.got[6].raw, /\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$/); // a POST without a body: Node's empty chunked body
    // every one of each transport's requests on its one connection
    const conns = (t: number) => new Set(s.got.filter((_, i) => i % 2 === t).map((g) => g.conn));
    assert.equal(conns(0).size, 1);
    assert.equal(conns(1).size, 1);
  } finally {
    await s.close();
  }
});

test('answers are read as Node reads them: lengths, chunks, 1xx, repeated headers, no body, body to the end, errors', async () => {
  const chunked = [
    'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n',
    '5;ext=1\r\n{"a":\r\n', '4\r\n"ü"}\r\n', '0\r\nX-Trailer: t\r\n\r\n',
  ];
  const notFound = '{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \\"x\\" not found","reason":"NotFound","code":404}';
  const answers: (string | string[])[] = [
    ok('{"kind":"Pod"}'),
    chunked,
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Many: 1\r\nx-many: 2\r\nContent-Type: a\r\nContent-Type: b\r\nWarning: 299 - "one"\r\nWarning: 299 - "two"\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 204 No Content\r\nX-A:   spaced  \r\n\r\n',
    ['HTTP/1.1 200 OK\r\nContent-Le', 'ngth: 10\r\n\r\n01234', '56789'],
    `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${notFound.length}\r\n\r\n${notFound}`,
    'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops',
  ];
  const s = await rawServer((_raw, n) => answers[Math.floor(n / 2)]);
  try {
    for (let i = 0; i < answers.length; i++) {
      const spec = { method: 'GET', path: `/r${i}` };
      // (the server answers requests 2i and 2i+1 alike)
      const [a, b] = await Promise.all([s.lean.request(spec).catch((e: unknown) => e), s.node.request(spec).catch((e: unknown) => e)]);
      if (a instanceof Error || b instanceof Error) {
        assert.ok(a instanceof Error && b instanceof Error, `answer ${i}: both fail`);
        assert.equal(a.message, b.message);
        assert.deepEqual((a as { status?: unknown }).status, (b as { status?: unknown }).status);
        continue;
      }
      const x = a as Awaited<ReturnType<Transport['request']>>;
      const y = b as Awaited<ReturnType<Transport['request']>>;
      assert.equal(x.status, y.status, `answer ${i}`);
      const { date: _d1, ...hx } = x.headers;
      const { date: _d2, ...hy } = y.headers;
      assert.deepEqual(hx, hy, `answer ${i}`);
      assert.equal(x.body.toString('utf8'), y.body.toString('utf8'), `answer ${i}`);
    }
  } finally {
    await s.close();
  }
});

test('a response split at any byte reads the same', () => {
  const wire = Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a\r\n\r\n3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n');
  for (let i = 0; i <= wire.length; i++) {
    for (const j of [i, Math.min(wire.length, i + 7)]) {
      const r = new ResponseReader('GET');
      const parts = [wire.subarray(0, i), wire.subarray(i, j), wire.subarray(j)];
      let seen = 0;
      for (const p of parts) {
        seen += p.length;
        // complete with the last byte, not before
        assert.equal(r.push(p), seen === wire.length, `split at ${i}/${j}`);
      }
      assert.equal(r.status, 200);
      assert.deepEqual(r.headers, { 'transfer-encoding': 'chunked', 'set-cookie': ['a'] });
      assert.equal(r.bodyBytes().toString(), 'abc0123456789abcdef');
      assert.equal(r.rest, false);
    }
  }
  // a malformed answer is a parse error
  assert.throws(() => new ResponseReader('GET').push(Buffer.from('HTTP/2 200\r\n\r\n')), /Parse Error/);
  assert.throws(() => new ResponseReader('GET').push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n')), /Parse Error/);
  assert.throws(() => new ResponseReader('GET').push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')), /Parse Error/);
});

test('connections are kept or closed as the answer allows, as Node\'s agent does', async () => {
  const answers: Answer[] = [
    ok(), ok(), // kept
    ok('{}', 'Connection: close\r\n'), ok(), // closed after: a new one
    ok('{}', 'Keep-Alive: timeout=1\r\n'), ok(), // too short to reuse
    ok('{}', 'Keep-Alive: timeout=5\r\n'), ok(),
    'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}', ok(), // 1.0 without keep-alive
    { thenClose: 'HTTP/1.1 200 OK\r\n\r\n{"to":"the end"}' }, // a body to the connection's end
    ok(),
  ];
  let n = 0;
  const s = await rawServer(() => answers[n++ % answers.length]);
  try {
    const runs: number[][] = [];
    for (const t of [s.lean, s.node]) {
      const conns: number[] = [];
      for (let i = 0; i < answers.length; i++) {
        const r = await t.request({ method: 'GET', path: `/k${i}` });
        if (i === 10) assert.equal(r.body.toString(), '{"to":"the end"}');
        conns.push(s.got[s.got.length - 1].conn);
      }
      runs.push(conns.map((c) => c - conns[0]));
    }
    assert.deepEqual(runs[0], [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 4]);
    assert.deepEqual(runs[1], runs[0]);
  } finally {
    await s.close();
  }
});

test('a streaming request takes an idle connection of the complete ones (one set of connections, as with one agent)', async () => {
  const s = await rawServer((raw) => (raw.startsWith('GET /watch') ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' : ok()));
  try {
    await s.lean.request({ method: 'GET', path: '/api/v1' });
    const { req } = await s.lean.open({ method: 'GET', path: '/watch' });
    await s.lean.request({ method: 'GET', path: '/api/v1' }); // the watch holds the first: a new one
    assert.deepEqual(s.got.map((g) => g.conn), [0, 0, 1]);
    req.destroy();
  } finally {
    await s.close();
  }
});

test('Node\'s errors: hang-up, idle timeout, abort, invalid headers and paths', async () => {
  const s = await rawServer((raw) => (raw.startsWith('GET /hangup') ? 'hangup' : raw.startsWith('GET /silent') ? undefined : ok()));
  const lean = new Transport(s.config, { requestTimeoutMs: 100 });
  const node = new Transport(s.config, { requestTimeoutMs: 100, maxSockets: 1000 });
  try {
    for (const t of [lean, node]) {
      await assert.rejects(t.request({ method: 'GET', path: '/hangup' }), { code: 'ECONNRESET', message: 'socket hang up' });
      await assert.rejects(t.request({ method: 'GET', path: '/silent' }), (e) => e instanceof IdleTimeoutError);
      const abort = new AbortController();
      const p = t.request({ method: 'GET', path: '/silent/aborted', signal: abort.signal });
      await new Promise((r) => setImmediate(r));
      abort.abort(new Error('stop'));
      await assert.rejects(p, /stop/);
      await assert.rejects(t.request({ method: 'GET', path: '/a b' }), { code: 'ERR_UNESCAPED_CHARACTERS' });
      await assert.rejects(t.request({ method: 'GET', path: '/x', accept: 'a\r\nInjected: 1' }), { code: 'ERR_INVALID_CHAR' });
      await assert.rejects(t.request({ method: 'G T', path: '/x' }), { code: 'ERR_INVALID_HTTP_TOKEN' });
      // and the transport still works
      assert.equal((await t.request({ method: 'GET', path: '/fine' })).status, 200);
    }
    assert.ok(!s.got.some((g) => g.raw.includes('Injected')));
  } finally {
    lean.close();
    node.close();
    await s.close();
  }
});

test('a request in flight keeps the process alive; idle connections do not', { timeout: 30_000 }, async () => {
  // the answer comes only once the child said it sent the request: it must wait for it, then exit on its own
  let answer!: () => void;
  const asked = new Promise<void>((r) => (answer = r));
  const s = await rawServer(() => undefined);
  const sockets: Socket[] = [];
  const late = createServer((sock) => {
    sockets.push(sock);
    sock.once('data', () => void asked.then(() => sock.write(ok('{"late":true}'))));
  });
  await new Promise<void>((r) => late.listen(0, '127.0.0.1', r));
  const port = (late.address() as AddressInfo).port;
  const transport = fileURLToPath(new URL('./transport.js', import.meta.url));
  const index = fileURLToPath(new URL('./index.js', import.meta.url));
  const script = `
    const { Transport } = await import(${JSON.stringify(transport)});
    const { loadKubeConfig } = await import(${JSON.stringify(index)});
    const t = new Transport(loadKubeConfig({ kubeconfig: 'apiVersion: v1\\nkind: Config\\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\\nusers: [{name: u, user: {}}]\\ncontexts: [{name: x, context: {cluster: c, user: u}}]\\ncurrent-context: x\\n' }));
    const r = await t.request({ method: 'GET', path: '/late' });
    process.stdout.write(r.body.toString() + '\\n');
  `;
  try {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    // the request is answered once it arrived (so only if the child waited for it)
    answer();
    assert.equal(await exited, 0); // exited by itself with its connection idle and open
    assert.equal(out.trim(), '{"late":true}');
  } finally {
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((r) => late.close(() => r()));
    await s.close();
  }
});

test('an idle connection the server ended takes no more requests: the next one goes on a new connection', async () => {
  // the server answers, then closes the connection (a keep-alive answer: the client keeps it idle)
  const s = await rawServer(() => ({ thenClose: ok() }));
  const port = s.port;
  const sockets: Socket[] = [];
  const pool = new Http1Pool(() => {
    const sock = connect({ host: '127.0.0.1', port });
    sockets.push(sock);
    return sock;
  });
  const get = () => pool.request({ method: 'GET', head: requestHead('GET', '/x', 'Host: x\r\n', false, false, false), timeoutMs: 5000 });
  try {
    assert.equal((await get()).status, 200);
    // a request made as soon as the server's end arrives (before the connection's close)
    const next = await new Promise<Promise<unknown>>((r) => sockets[0].once('end', () => r(get())));
    assert.equal(((await next) as { status: number }).status, 200);
    assert.equal(sockets.length, 2);
  } finally {
    pool.destroy();
    await s.close();
  }
});

test('framing Node refuses is refused alike, and what it takes is taken (lengths, chunk sizes, both framings at once)', async () => {
  const answers = [
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}abc', // two lengths
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n2\r\nab\r\n0\r\n\r\n', // both framings
    'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\nok', // past a uint64
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 ;a=b\r\nab\r\n0\r\n\r\n', // space before an extension
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000000002;a=b\r\nab\r\n0\r\n\r\n', // leading zeros: fine
    'HTTP/1.1 200 OK\r\nContent-Length: 0000000000000000000000000002\r\n\r\nok',
  ];
  assert.throws(() => new ResponseReader('GET').push(Buffer.from(answers[0])), { code: 'HPE_UNEXPECTED_CONTENT_LENGTH' });
  let n = 0;
  // each answer on a connection of its own (closed after it), for each transport in turn
  const s = await rawServer(() => ({ thenClose: answers[Math.floor(n++ / 2)] }));
  try {
    for (let i = 0; i < answers.length; i++) {
      const got = [];
      for (const t of [s.lean, s.node]) {
        got.push(await t.request({ method: 'GET', path: `/f${i}` }).then((r) => `${r.status} ${r.body.toString()}`, (e: { code?: string; message: string }) => `${e.code} ${e.message}`));
      }
      assert.equal(got[0], got[1], `answer ${i}`);
    }
  } finally {
    await s.close();
  }
});

test('a negative request timeout is no timeout, as on Node\'s client, and holds nothing once answered', async () => {
  const s = await rawServer(() => ok());
  const lean = new Transport(s.config, { requestTimeoutMs: -1 });
  const node = new Transport(s.config, { requestTimeoutMs: -1, maxSockets: 1000 });
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  try {
    const before = timers();
    for (const t of [lean, node]) assert.equal((await t.request({ method: 'GET', path: '/x' })).status, 200);
    assert.equal(timers(), before); // nothing keeps the process alive
    assert.equal(s.got.length, 2);
  } finally {
    lean.close();
    node.close();
    await s.close();
  }
});

test('a transport closed while it prepares its first request leaves no connection open', async () => {
  let open = 0;
  const server = await new Promise<import('node:net').Server>((r) => {
    const srv = createServer((sock) => {
      open++;
      sock.on('close', () => open--);
      sock.on('data', () => sock.write(ok()));
    });
    srv.listen(0, '127.0.0.1', () => r(srv));
  });
  const port = (server.address() as AddressInfo).port;
  const t = new Transport(loadKubeConfig({
    kubeconfig: `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
  }));
  try {
    const p = t.request({ method: 'GET', path: '/x' }).catch((e: unknown) => e);
    t.close();
    const r = await p;
    assert.ok(r instanceof Error, 'the request fails as one in flight at close() does');
    assert.match(r.message, /transport closed/);
    await new Promise((res) => setImmediate(res));
    assert.equal(open, 0);
  } finally {
    t.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
