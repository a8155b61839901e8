// `npm run bench -- reconcile [--seconds 5] [--keys 500] [--objects 2000] [--rounds 3] [--row-seconds 30]`
//
// 1. End-to-end latency from a write at the API server to the start of reconcile, at 100 and
//    1000 writes/s: a writer process patches ConfigMaps (round-robin over --keys) stamping
//    the wall-clock time; the controller measures now - stamp when it first sees each stamp.
//    The API server runs in its own process too.
//    write_to_informer_* is the same measure at the moment the shared informer delivers the
//    change (the part of the latency that is not the framework's queue and workers).
// 2. Max sustained reconciles/s of a no-op reconciler (1 and 8 workers): every cached object
//    is enqueued repeatedly by hand; this measures the framework's own loop (queue, cache
//    read, deep copy, metrics), not the API server.
// 3. The table row: write -> reconcile p99 at 1000 writes/s for --row-seconds, against the floor
//    in the same rounds: the same writer (its own process, kubeloop's client) sending the same
//    patches to a bare https relay (its own process) that answers each and forwards it as a
//    watch event line to a stream this process reads; floor latency = now - stamp per line.
// Output: JSON lines {"bench":"reconcile","metric":...,"value":...,"unit":...}, and the row with
// min/median/max of both p99s and of their ratio.
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Manager, ConfigMap, createRegistry, type ConfigMapObject, type Logger, type Reconciler, type ReconcileContext } from '../src/index.js';
import { LineSplitter, Transport, loadKubeConfig } from '../src/client/index.js';
import { spread } from './_spread.js';

const here = dirname(fileURLToPath(import.meta.url));
const stamp = () => performance.timeOrigin + performance.now();
const emit = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ bench: 'reconcile', metric, value: Math.round(value * 1000) / 1000, unit, ...extra }) + '\n');
const silent: Logger = { child: () => silent, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

class Child {
  private readonly lines: AsyncIterator<string>;
  constructor(readonly proc: ChildProcess) {
    this.lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    proc.stderr!.on('data', (d) => process.stderr.write(d));
  }
  static start(...args: string[]): Child {
    return new Child(spawn(process.execPath, [join(here, '_reconcile-child.js'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }
  send(line: string): void {
    this.proc.stdin!.write(line + '\n');
  }
  async next<T>(): Promise<T> {
    const r = await this.lines.next();
    if (r.done) throw new Error('child process ended');
    return JSON.parse(r.value) as T;
  }
  async end(): Promise<void> {
    this.proc.stdin!.end();
    await new Promise((r) => this.proc.once('exit', r));
  }
}

const state = { arrivals: [] as number[], latencies: [] as number[], lastStamp: new Map<string, string>(), reconciles: 0, measure: false };

@Controller({ for: ConfigMap, namespace: 'bench', name: 'bench-latency', maxConcurrentReconciles: 8 })
class LatencyController implements Reconciler<ConfigMapObject> {
  reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    const now = stamp();
    state.reconciles++;
    const t = cm.data?.t;
    if (state.measure && t && t !== '0' && state.lastStamp.get(ctx.key) !== t) state.latencies.push(now - Number(t));
    if (t) state.lastStamp.set(ctx.key, t);
  }
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}

export async function main(args: string[]): Promise<void> {
  const seconds = arg(args, 'seconds', 5);
  const keys = arg(args, 'keys', 500);
  const objects = Math.max(keys, arg(args, 'objects', 2000));
  const rounds = arg(args, 'rounds', 3);
  const rowSeconds = arg(args, 'row-seconds', 30);
  const server = Child.start('server');
  const { kubeconfigPath } = await server.next<{ kubeconfigPath: string }>();
  const writer = Child.start('writer', kubeconfigPath);
  let mgr: Manager | undefined;
  try {
    writer.send(`populate ${objects}`);
    await writer.next();
    mgr = new Manager({ kubeconfig: kubeconfigPath, namespace: 'bench', metricsBindAddress: false, registry: createRegistry(), logger: silent, handleSignals: false });
    mgr.register(LatencyController);
    await mgr.start();
    const runner = mgr.runner('bench-latency')!;
    const idle = async () => {
      while (runner.queue.len() > 0 || runner.queue.processingCount() > 0) await new Promise((r) => setTimeout(r, 5));
    };
    await idle();
    // the same informer the controller uses: when did each write reach the cache?
    const sub = mgr.informers.informerFor(ConfigMap, { namespace: 'bench' }).events$().subscribe((ev) => {
      const t = (ev.obj as ConfigMapObject).data?.t;
      if (state.measure && ev.type === 'update' && t && t !== (ev.oldObj as ConfigMapObject).data?.t) state.arrivals.push(stamp() - Number(t));
    });

    for (const rate of [100, 1000]) {
      state.latencies = [];
      state.arrivals = [];
      state.measure = true;
      writer.send(`churn ${keys} ${rate} ${seconds}`);
      const done = await writer.next<{ churned: number; failed: number; seconds: number }>();
      await new Promise((r) => setTimeout(r, 500));
      await idle();
      state.measure = false;
      const sorted = [...state.latencies].sort((a, b) => a - b);
      const extra = { target_rate: rate, keys };
      emit('write_rate_achieved', done.churned / done.seconds, 'writes/s', { ...extra, failed: done.failed });
      emit('write_to_reconcile_p50', pct(sorted, 50), 'ms', extra);
      emit('write_to_reconcile_p99', pct(sorted, 99), 'ms', extra);
      emit('write_to_reconcile_samples', sorted.length, 'count', extra);
      const arrivals = [...state.arrivals].sort((a, b) => a - b);
      emit('write_to_informer_p50', pct(arrivals, 50), 'ms', extra);
      emit('write_to_informer_p99', pct(arrivals, 99), 'ms', extra);
    }

    // the table row, against the relay floor
    const relay = Child.start('relay');
    const { kubeconfigPath: relayConfig } = await relay.next<{ kubeconfigPath: string }>();
    const relayWriter = Child.start('writer', relayConfig);
    const floorLatencies: number[] = [];
    let floorMeasure = false;
    const transport = new Transport(loadKubeConfig({ path: relayConfig }));
    const { res } = await transport.open({ method: 'GET', path: '/watch' });
    const lines = new LineSplitter((line) => {
      const t = (JSON.parse(line) as { object: ConfigMapObject }).object.data?.t;
      if (floorMeasure && t) floorLatencies.push(stamp() - Number(t));
    });
    res.on('data', (c: Buffer) => lines.push(c));
    const k99: number[] = [];
    const f99: number[] = [];
    try {
      for (let round = 0; round < rounds; round++) {
        state.latencies = [];
        state.measure = true;
        writer.send(`churn ${keys} 1000 ${rowSeconds}`);
        await writer.next();
        await new Promise((r) => setTimeout(r, 500));
        await idle();
        state.measure = false;
        k99.push(pct([...state.latencies].sort((a, b) => a - b), 99));
        floorLatencies.length = 0;
        floorMeasure = true;
        relayWriter.send(`churn ${keys} 1000 ${rowSeconds}`);
        await relayWriter.next();
        await new Promise((r) => setTimeout(r, 500));
        floorMeasure = false;
        f99.push(pct([...floorLatencies].sort((a, b) => a - b), 99));
      }
    } finally {
      res.destroy();
      transport.close();
      await relayWriter.end();
      await relay.end();
    }
    process.stdout.write(JSON.stringify({
      bench: 'reconcile', metric: 'write_to_reconcile_p99_at_1000_writes_per_s', unit: 'ms', rounds, seconds: rowSeconds, keys,
      kubeloop: spread(k99), floor: spread(f99), ratio: spread(k99.map((k, i) => k / f99[i])),
      goal: 'kubeloop < 5 ms', floor_is: 'the same writes through a bare https relay to a watch stream',
    }) + '\n');

    sub.unsubscribe();
    await mgr.stop();
    mgr = undefined;

    // framework loop throughput with a no-op reconciler
    for (const workers of [1, 8]) {
      @Controller({ for: ConfigMap, namespace: 'bench', name: `bench-noop-${workers}`, maxConcurrentReconciles: workers })
      class Noop implements Reconciler<ConfigMapObject> {
        reconcile() {
          state.reconciles++;
        }
      }
      const m = new Manager({ kubeconfig: kubeconfigPath, namespace: 'bench', metricsBindAddress: false, registry: createRegistry(), logger: silent, handleSignals: false });
      m.register(Noop);
      await m.start();
      const r = m.runner(`bench-noop-${workers}`)!;
      const cached = m.cache(ConfigMap).keys();
      while (r.queue.len() > 0 || r.queue.processingCount() > 0) await new Promise((res) => setTimeout(res, 5));
      state.reconciles = 0;
      const t0 = performance.now();
      const until = t0 + seconds * 1000;
      while (performance.now() < until) {
        for (const k of cached) {
          const slash = k.indexOf('/');
          r.enqueue({ namespace: k.slice(0, slash), name: k.slice(slash + 1) });
        }
        while (r.queue.len() > 0 || r.queue.processingCount() > 0) await new Promise((res) => setImmediate(res));
      }
      const elapsed = (performance.now() - t0) / 1000;
      emit('noop_reconciles_per_second', state.reconciles / elapsed, 'reconciles/s', { workers, objects: cached.length });
      await m.stop();
    }
  } finally {
    await mgr?.stop();
    await writer.end();
    await server.end();
  }
}
