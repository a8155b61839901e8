// Built-in API server benchmark. Each figure is measured against a floor in the same run,
// round after round (kubeloop, floor, kubeloop, floor, ...), and printed with min/median/max
// of both and of their ratio:
//   create   creates/s and server CPU per create (memory store; also with the write-ahead log),
//            floor: a bare Node https server echoing the parsed JSON body (same TLS set-up);
//            client_busy says how busy the one load generator was (near 1: it sets the rate),
//            and create_capacity_one_core is the server's rate on one core derived from its
//            CPU per create (1e6 us / us per create), for when the client is the bottleneck
//   update   merge patches/s and server CPU per patch, same floor
//   list     latency of a full list of 10k and 100k ConfigMaps, floor: the bare server sending
//            the same bytes
// The server, the floor and the load generator are separate processes (bench/_apiserver-child.js);
// the load generator uses kubeloop's Transport (one keep-alive agent, one TLS context).
//   watch    watch fan-out (100 watchers x 10k events) and
//   memory   heap per stored object run in this process, without a floor.
// Usage: npm run bench -- apiserver [--quick] [--rounds=5] [--only=create,update,list,watch,memory]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createSecureContext } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generatePki, kubeconfigYaml, startApiServer, type ApiServer } from '../src/apiserver/index.js';
import { spread } from './_spread.js';

const here = dirname(fileURLToPath(import.meta.url));

function emit(metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ bench: 'apiserver', metric, value: Math.round(value * 100) / 100, unit, ...extra }) + '\n');
}


/** A figure against its floor: min/median/max of each and of the ratio, pair by pair. */
function emitPair(metric: string, unit: string, kubeloop: number[], floor: number[], goal: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({
    bench: 'apiserver', metric, unit, rounds: kubeloop.length,
    kubeloop: spread(kubeloop), floor: spread(floor), ratio: spread(kubeloop.map((k, i) => k / floor[i])), goal, ...extra,
  }) + '\n');
}

class Child {
  private readonly lines: AsyncIterator<string>;
  constructor(readonly proc: ChildProcess) {
    this.lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  }
  static start(...args: string[]): Child {
    return new Child(spawn(process.execPath, [join(here, '_apiserver-child.js'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] }));
  }
  async next<T>(): Promise<T> {
    const r = await this.lines.next();
    if (r.done) throw new Error('child process ended');
    return JSON.parse(r.value) as T;
  }
  ask<T>(line: string): Promise<T> {
    this.proc.stdin!.write(line + '\n');
    return this.next<T>();
  }
  async cpuUs(): Promise<number> {
    return (await this.usage()).cpuUs;
  }
  /** Its CPU time (us) and how often it has slept waiting for work (voluntary context switches). */
  usage(): Promise<{ cpuUs: number; sleeps: number }> {
    return this.ask<{ cpuUs: number; sleeps: number }>('cpu');
  }
  async end(): Promise<void> {
    const exit = new Promise((r) => this.proc.once('exit', r));
    this.proc.stdin!.end();
    await exit;
  }
}

/** Runs a load generator process to completion: its seconds, and how busy it was (its CPU time / seconds). */
async function runLoad(...args: string[]): Promise<{ seconds: number; busy: number }> {
  const c = Child.start('load', ...args);
  const r = await c.next<{ seconds: number; cpuUs: number }>();
  await c.end();
  return { seconds: r.seconds, busy: r.cpuUs / 1e6 / r.seconds };
}

/** The servers of a run: kubeloop's (own process) and the floor (own process), each with a kubeconfig. */
interface Servers {
  kubeloop: Child;
  kubeloopConfig: string;
  floor: Child;
  floorConfig: string;
  work: string;
  stop(): Promise<void>;
}

async function startServers(dataDir?: string): Promise<Servers> {
  const work = mkdtempSync(join(tmpdir(), 'kubeloop-bench-apiserver-'));
  const pki = generatePki();
  writeFileSync(join(work, 'tls.crt'), pki.server.certPem);
  writeFileSync(join(work, 'tls.key'), pki.server.keyPem);
  writeFileSync(join(work, 'ca.crt'), pki.ca.certPem);
  const kubeloop = Child.start('server', ...(dataDir ? [dataDir] : []));
  const floor = Child.start('floor', work);
  const k = await kubeloop.next<{ url: string; kubeconfigPath: string }>();
  const f = await floor.next<{ url: string }>();
  const floorConfig = join(work, 'floor.kubeconfig');
  writeFileSync(floorConfig, kubeconfigYaml(f.url, pki));
  return {
    kubeloop, kubeloopConfig: k.kubeconfigPath, floor, floorConfig, work,
    async stop() {
      await Promise.all([kubeloop.end(), floor.end()]);
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * `rounds` of `n` requests (`method` `path`) at `concurrency` against kubeloop and the floor
 * in turn: requests/s and server CPU per request (us).
 */
async function writeRounds(s: Servers, label: string, what: string, method: string, path: (round: number) => string, n: number, rounds: number, concurrency: number, contentType?: string, goal = ''): Promise<void> {
  const rate = { k: [] as number[], f: [] as number[] };
  const cpu = { k: [] as number[], f: [] as number[] };
  const sleeps = { k: [] as number[], f: [] as number[] };
  const clientBusy: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const measure = async (server: Child, config: string) => {
      const u0 = await server.usage();
      const load = await runLoad(config, method, path(round), String(n), String(concurrency), ...(contentType ? [contentType] : []));
      const u1 = await server.usage();
      return { rate: n / load.seconds, cpu: (u1.cpuUs - u0.cpuUs) / n, sleeps: (u1.sleeps - u0.sleeps) / n, busy: load.busy };
    };
    const k = await measure(s.kubeloop, s.kubeloopConfig);
    const f = await measure(s.floor, s.floorConfig);
    if (round === 0) continue; // warm-up
    rate.k.push(k.rate); rate.f.push(f.rate);
    cpu.k.push(k.cpu); cpu.f.push(f.cpu);
    sleeps.k.push(k.sleeps); sleeps.f.push(f.sleeps);
    clientBusy.push(k.busy);
  }
  const extra = { storage: label, requests: n, concurrency };
  const createGoal = what === 'create' && label === 'memory';
  emitPair(`${what}_throughput`, 'requests/s', rate.k, rate.f, createGoal ? '>= 10000/s on one core once the client is not the bottleneck' : '', {
    ...extra, client_busy: spread(clientBusy),
    note: 'measured end to end with one load-generator process; client_busy is its CPU time / wall time against kubeloop (near 1: the client, not the server, sets the rate)',
  });
  // How often each server slept waiting for work, per request: a server woken for every
  // request or two pays the wake-up (epoll, scheduler, cold caches: ~10-15 us for the echo)
  // each time, one that finds many requests per wake-up does not; when the two differ, so do
  // their CPU figures, for that reason alone (docs/performance.md, Session 8: server CPU per create).
  emitPair(`${what}_server_cpu_per_request`, 'us', cpu.k, cpu.f, goal, { ...extra, sleeps_per_request: { kubeloop: spread(sleeps.k), floor: spread(sleeps.f) } });
  if (createGoal) {
    // The load generator is one Node process on a 2-core machine shared with the server: when it
    // is busy all the time, the rate it reaches says nothing about the server. The server's own
    // capacity on one core follows from its CPU per create (1 s of CPU / CPU per create).
    emitPair(`${what}_capacity_one_core`, 'requests/s', cpu.k.map((us) => 1e6 / us), cpu.f.map((us) => 1e6 / us), '>= 10000/s', {
      ...extra, derived_from: 'server CPU per request (1e6 us / CPU us per request), not a measured rate', client_busy: spread(clientBusy),
    });
  }
}

async function listRounds(s: Servers, ns: string, n: number, rounds: number, goal: string): Promise<void> {
  const filled = await s.kubeloop.ask<{ filled: number }>(`fill ${ns} ${n}`);
  if (filled.filled !== n) throw new Error('fill failed');
  const path = `/api/v1/namespaces/${ns}/configmaps`;
  const bytesFile = join(s.work, `${ns}.json`);
  const get = async (config: string, out?: string) => {
    const c = Child.start('get', config, path, '3', ...(out ? [out] : []));
    const r = await c.next<{ ms: number[]; bytes: number }>();
    await c.end();
    return r;
  };
  // the floor serves the very bytes kubeloop answered
  const first = await get(s.kubeloopConfig, bytesFile);
  await s.floor.ask(`serve ${bytesFile}`);
  const k: number[] = [];
  const f: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[1];
    k.push(median((await get(s.kubeloopConfig)).ms));
    f.push(median((await get(s.floorConfig)).ms));
  }
  emitPair('list_latency', 'ms', k, f, goal, { objects: n, bytes: first.bytes, note: 'median of 3 lists, one after another, by a client process whose connection is open' });
}

/** An https Agent with ONE TLS context (not PEMs on the agent, which Node turns into a pool name per request). */
function agentFor(s: ApiServer, maxSockets: number): Agent {
  const field = (name: string) => Buffer.from(new RegExp(`${name}: (\\S+)`).exec(s.kubeconfig)![1], 'base64').toString();
  const secureContext = createSecureContext({ ca: s.caPem, cert: field('client-certificate-data'), key: field('client-key-data') });
  return new Agent({ keepAlive: true, maxSockets, secureContext });
}

async function fill(s: ApiServer, ns: string, n: number): Promise<void> {
  const t = s.registry.get('', 'v1', 'configmaps')!;
  const nsType = s.registry.get('', 'v1', 'namespaces')!;
  await s.ops.create(nsType, undefined, { metadata: { name: ns } });
  for (let i = 0; i < n; i++) {
    await s.ops.create(t, ns, { metadata: { name: `cm-${String(i).padStart(6, '0')}`, labels: { app: 'bench', shard: String(i % 16) } }, data: { key: `value-${i}`, other: 'x'.repeat(64) } });
  }
}

async function watchFanout(s: ApiServer, watchers: number, events: number): Promise<void> {
  const t = s.registry.get('', 'v1', 'configmaps')!;
  const nsType = s.registry.get('', 'v1', 'namespaces')!;
  await s.ops.create(nsType, undefined, { metadata: { name: 'fan' } });
  const agent = agentFor(s, watchers + 4);
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

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? (quick ? 3 : 5));
  const run = (section: string) => !only || only.split(',').includes(section);
  const scale = quick ? 10 : 1;
  const n = 20_000 / scale;
  if (run('create') || run('update')) {
    for (const label of ['memory', 'wal'] as const) {
      const dir = label === 'wal' ? mkdtempSync(join(tmpdir(), 'kubeloop-bench-')) : undefined;
      const s = await startServers(dir);
      // a namespace per round (bench-0 ...), as each round creates cm-0 ... again
      await runLoad(s.kubeloopConfig, 'POST', '/api/v1/namespaces', String(rounds + 1), '1');
      if (run('create')) {
        await writeRounds(s, label, 'create', 'POST', (round) => `/api/v1/namespaces/bench-${round}/configmaps`, n, rounds, 64, undefined, label === 'memory' ? 'kubeloop <= 1.3x the floor' : '');
      }
      if (run('update')) {
        await writeRounds(s, label, 'update', 'PATCH', () => '/api/v1/namespaces/bench-0/configmaps/cm-{i}', n, rounds, 64, 'application/merge-patch+json');
      }
      await s.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
  if (run('list')) {
    const s = await startServers();
    await listRounds(s, 'l10k', 10_000 / scale, rounds, 'kubeloop <= 2x the floor');
    await listRounds(s, 'l100k', 100_000 / scale, rounds, 'kubeloop <= 1.5x the floor');
    await s.stop();
  }
  if (run('watch')) {
    const s = await startApiServer({ port: 0 });
    await watchFanout(s, 100, 10_000 / scale);
    await s.stop();
  }
  if (run('memory')) await memoryPerObject(50_000 / scale);
}
