// Built-in API server benchmark: create throughput over HTTPS (memory-only and with the
// write-ahead log), list latency at 10k and 100k ConfigMaps, watch fan-out (100 watchers x
// 10k events), memory per stored object. Server and load generator share this process.
// Usage: npm run bench -- apiserver [--quick] [--only=write,list,watch,memory]
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startApiServer, type ApiServer } from '../src/apiserver/index.js';

function emit(metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ bench: 'apiserver', metric, value: Math.round(value * 100) / 100, unit, ...extra }) + '\n');
}

function creds(s: ApiServer) {
  const cert = Buffer.from(/client-certificate-data: (\S+)/.exec(s.kubeconfig)![1], 'base64').toString();
  const key = Buffer.from(/client-key-data: (\S+)/.exec(s.kubeconfig)![1], 'base64').toString();
  return { ca: s.caPem, cert, key };
}

function client(s: ApiServer, maxSockets = 64) {
  const agent = new Agent({ keepAlive: true, maxSockets, ...creds(s) });
  return {
    agent,
    call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; text: string }> {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const req = request(new URL(path, s.url), { method, agent, headers: payload ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) } : {} }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        });
        req.on('error', reject);
        if (payload) req.write(payload);
        req.end();
      });
    },
  };
}

async function createThroughput(s: ApiServer, label: string, n: number, concurrency = 64): Promise<void> {
  const c = client(s, concurrency);
  await c.call('POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      const r = await c.call('POST', '/api/v1/namespaces/bench/configmaps', { metadata: { name: `cm-${i}`, labels: { app: 'bench' } }, data: { key: `value-${i}` } });
      if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  emit('create_throughput', n / secs, 'objects/s', { storage: label, objects: n, concurrency });
  c.agent.destroy();
}

async function fill(s: ApiServer, ns: string, n: number): Promise<void> {
  const t = s.registry.get('', 'v1', 'configmaps')!;
  const nsType = s.registry.get('', 'v1', 'namespaces')!;
  await s.ops.create(nsType, undefined, { metadata: { name: ns } });
  for (let i = 0; i < n; i++) {
    await s.ops.create(t, ns, { metadata: { name: `cm-${String(i).padStart(6, '0')}`, labels: { app: 'bench', shard: String(i % 16) } }, data: { key: `value-${i}`, other: 'x'.repeat(64) } });
  }
}

async function listLatency(s: ApiServer, ns: string, n: number): Promise<void> {
  const c = client(s, 4);
  const runs = 3;
  let best = Infinity;
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await c.call('GET', `/api/v1/namespaces/${ns}/configmaps`);
    best = Math.min(best, performance.now() - t0);
    bytes = r.text.length;
    if (r.status !== 200) throw new Error(`list failed ${r.status}`);
  }
  emit('list_latency', best, 'ms', { objects: n, bytes, best_of: runs });
  const t0 = performance.now();
  let cont = '';
  let pages = 0;
  do {
    const r = await c.call('GET', `/api/v1/namespaces/${ns}/configmaps?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    cont = (JSON.parse(r.text) as { metadata: { continue?: string } }).metadata.continue ?? '';
    pages++;
  } while (cont);
  emit('paged_list_latency', performance.now() - t0, 'ms', { objects: n, pages, limit: 500 });
  c.agent.destroy();
}

async function watchFanout(s: ApiServer, watchers: number, events: number): Promise<void> {
  const t = s.registry.get('', 'v1', 'configmaps')!;
  const nsType = s.registry.get('', 'v1', 'namespaces')!;
  await s.ops.create(nsType, undefined, { metadata: { name: 'fan' } });
  const agent = new Agent({ keepAlive: true, maxSockets: watchers + 4, ...creds(s) });
  const rv = String(s.store.resourceVersion);
  let delivered = 0;
  const target = watchers * events;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const reqs = [];
  let ready = 0;
  let allReady!: () => void;
  const readyP = new Promise<void>((r) => (allReady = r));
  for (let w = 0; w < watchers; w++) {
    const req = request(new URL(`/api/v1/namespaces/fan/configmaps?watch=1&resourceVersion=${rv}`, s.url), { agent }, (res) => {
      if (++ready === watchers) allReady();
      res.on('data', (chunk: Buffer) => {
        for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) delivered++;
        if (delivered >= target) finish();
      });
    });
    req.on('error', () => undefined);
    req.end();
    reqs.push(req);
  }
  await readyP;
  const t0 = performance.now();
  const obj = { metadata: { name: 'hot' }, data: { n: '0' } };
  await s.ops.create(t, 'fan', obj);
  for (let i = 1; i < events; i++) {
    const cur = s.ops.get(t, 'fan', 'hot').obj;
    await s.ops.update(t, 'fan', 'hot', { ...cur, data: { n: String(i) } });
    if (i % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  await done;
  const secs = (performance.now() - t0) / 1000;
  emit('watch_fanout', target / secs, 'events/s', { watchers, events, seconds: Math.round(secs * 100) / 100 });
  for (const r of reqs) r.destroy();
  agent.destroy();
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function memoryPerObject(n: number): Promise<void> {
  gc();
  const s = await startApiServer({ port: 0 });
  gc();
  const before = process.memoryUsage().heapUsed;
  await fill(s, 'mem', n);
  gc();
  const after = process.memoryUsage().heapUsed;
  emit('memory_per_object', (after - before) / n, 'bytes', { objects: n, object: 'ConfigMap with 2 keys and 2 labels (~260 B JSON)' });
  await s.stop();
}

async function updateThroughput(s: ApiServer, label: string, n: number, concurrency = 64): Promise<void> {
  const c = client(s, concurrency);
  await c.call('POST', '/api/v1/namespaces', { metadata: { name: 'upd' } });
  const objects = 500;
  for (let i = 0; i < objects; i++) await c.call('POST', '/api/v1/namespaces/upd/configmaps', { metadata: { name: `cm-${i}` }, data: { n: '0' } });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      // Merge patches: no read-modify-write round trip, no conflicts.
      const r = await c.call('PATCH', `/api/v1/namespaces/upd/configmaps/cm-${i % objects}`, { data: { n: String(i) } }, 'application/merge-patch+json');
      if (r.status !== 200) throw new Error(`patch failed: ${r.status} ${r.text}`);
    }
  }));
  emit('update_throughput', n / ((performance.now() - t0) / 1000), 'updates/s', { storage: label, updates: n, objects, concurrency });
  c.agent.destroy();
}

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const run = (section: string) => !only || only.split(',').includes(section);
  const scale = quick ? 10 : 1;
  if (run('write')) {
    const s = await startApiServer({ port: 0 });
    await createThroughput(s, 'memory', 20_000 / scale);
    await updateThroughput(s, 'memory', 20_000 / scale);
    await s.stop();
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-bench-'));
    const w = await startApiServer({ port: 0, dataDir: dir });
    await createThroughput(w, 'wal', 20_000 / scale);
    await updateThroughput(w, 'wal', 20_000 / scale);
    await w.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (run('list')) {
    const s = await startApiServer({ port: 0 });
    await fill(s, 'l10k', 10_000 / scale);
    await listLatency(s, 'l10k', 10_000 / scale);
    await fill(s, 'l100k', 100_000 / scale);
    await listLatency(s, 'l100k', 100_000 / scale);
    await s.stop();
  }
  if (run('watch')) {
    const s = await startApiServer({ port: 0 });
    await watchFanout(s, 100, 10_000 / scale);
    await s.stop();
  }
  if (run('memory')) await memoryPerObject(50_000 / scale);
}
