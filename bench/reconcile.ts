// `npm run bench -- reconcile [--seconds 5] [--rates 100,1000] [--keys 500] [--objects 2000] [--rounds 3] [--row-seconds 30] [--parts latency,row,noop]`
//
// The writer (its own process, kubeloop's client) writes OPEN-LOOP: write i is due at
// start + i/rate whatever became of the earlier ones; it patches ConfigMaps round-robin over
// --keys, stamping data.s = the scheduled send time and data.t = the actual send time
// (wall clock, comparable across processes). Latencies are measured FROM THE ACTUAL SEND
// (data.t): what kubeloop adds. `*_from_scheduled` measures from data.s and so also counts the
// writer's own lateness. Each churn reports the achieved rate, the writer's send lag and
// `writer_behind` (true when it could not keep the schedule: then the figures say little).
// CPU time, GC pauses (perf_hooks 'gc' entries: count, over 2 ms, longest) and the heap bytes
// allocated and promoted (per write: what the load of a shared machine does not change) are
// reported for the API server process, the controller process (this one) and the relay, per
// measured window.
//
// 1. (latency) End-to-end latency from a write to the start of reconcile, at each of --rates
//    writes/s: the controller measures now - data.t when it first sees each stamp. The API
//    server runs in its own process too.
//    write_to_informer_* is the same measure at the moment the shared informer delivers the
//    change (the part of the latency that is not the framework's queue and workers).
// 2. (noop) Max sustained reconciles/s of a no-op reconciler (1 and 8 workers): every cached object
//    is enqueued repeatedly by hand; this measures the framework's own loop (queue, cache
//    read, deep copy, metrics), not the API server.
// 3. (row) The table row: write -> reconcile p99 at 1000 writes/s for --row-seconds, against the floor
//    in the same rounds: the same writer (its own process, kubeloop's client) sending the same
//    patches to a bare https relay (its own process) that answers each and forwards it as a
//    watch event line to a stream this process reads; floor latency = now - data.t per line.
// Output: JSON lines {"bench":"reconcile","metric":...,"value":...,"unit":...}, one line per
// round of the row with both sides' p50/p99/max, writer and GC figures, and the row with
// min/median/max of both p99s and of their ratio.
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Manager, ConfigMap, createRegistry, type ConfigMapObject, type Logger, type Reconciler, type ReconcileContext } from '../src/index.js';
import { LineSplitter, Transport, loadKubeConfig } from '../src/client/index.js';
import { spread } from './_spread.js';
import { ProcessWindow, settled, type WindowSummary } from './_gc.js';
import type { ChurnReport } from './_reconcile-child.js';

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
    // node's flags carry over, so `node --cpu-prof dist/bench/run.js reconcile` profiles every process
    return new Child(spawn(process.execPath, [...process.execArgv, join(here, '_reconcile-child.js'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }
  send(line: string): void {
    this.proc.stdin!.write(line + '\n');
  }
  async next<T>(): Promise<T> {
    for (;;) {
      const r = await this.lines.next();
      if (r.done) throw new Error('child process ended');
      if (r.value.startsWith('{')) return JSON.parse(r.value) as T;
      process.stderr.write(r.value + '\n'); // node's own output (--trace-gc and the like)
    }
  }
  async end(): Promise<void> {
    this.proc.stdin!.end();
    await new Promise((r) => this.proc.once('exit', r));
  }
}

const state = {
  arrivals: [] as number[],
  latencies: [] as number[],
  fromScheduled: [] as number[],
  lastStamp: new Map<string, string>(),
  reconciles: 0,
  measure: false,
};

@Controller({ for: ConfigMap, namespace: 'bench', name: 'bench-latency', maxConcurrentReconciles: 8 })
class LatencyController implements Reconciler<ConfigMapObject> {
  reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    const now = stamp();
    state.reconciles++;
    const t = cm.data?.t;
    if (state.measure && t && t !== '0' && state.lastStamp.get(ctx.key) !== t) {
      state.latencies.push(now - Number(t));
      state.fromScheduled.push(now - Number(cm.data?.s));
    }
    if (t) state.lastStamp.set(ctx.key, t);
  }
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** p50/p99/max of a latency sample, ms (rounded to 0.001). */
function summary(xs: number[]): { p50: number; p99: number; max: number; samples: number } {
  const s = [...xs].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return { p50: r(pct(s, 50)), p99: r(pct(s, 99)), max: r(s[s.length - 1] ?? NaN), samples: s.length };
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
  const partsAt = args.indexOf('--parts');
  const parts = new Set((partsAt >= 0 ? args[partsAt + 1] : 'latency,row,noop').split(','));
  const ratesAt = args.indexOf('--rates');
  const rates = (ratesAt >= 0 ? args[ratesAt + 1] : '100,1000').split(',').map(Number);
  const server = Child.start('server');
  const { kubeconfigPath } = await server.next<{ kubeconfigPath: string }>();
  const writer = Child.start('writer', kubeconfigPath);
  const self = new ProcessWindow();
  /** CPU time and GC pauses of the API server and of this (the controller's) process since the last call. */
  const window = async (): Promise<{ server: WindowSummary; controller: WindowSummary }> => {
    server.send('window');
    const s = await server.next<WindowSummary>();
    await settled();
    const c = self.summary();
    self.reset();
    return { server: s, controller: c };
  };
  const settle = async (idle: () => Promise<void>) => {
    await new Promise((r) => setTimeout(r, 500));
    await idle();
  };
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
    /** One measured churn against the API server: latencies from the actual send, writer and GC figures. */
    const measureKubeloop = async (rate: number, secs: number) => {
      state.latencies = [];
      state.fromScheduled = [];
      state.arrivals = [];
      await window();
      state.measure = true;
      writer.send(`churn ${keys} ${rate} ${secs}`);
      const w = await writer.next<ChurnReport>();
      await settle(idle);
      state.measure = false;
      return { reconcile: summary(state.latencies), fromScheduled: summary(state.fromScheduled), informer: summary(state.arrivals), writer: w, processes: await window() };
    };

    if (parts.has('latency')) {
      for (const rate of rates) {
        const m = await measureKubeloop(rate, seconds);
        const extra = { target_rate: rate, keys };
        emit('write_rate_achieved', m.writer.achieved_rate, 'writes/s', { ...extra, failed: m.writer.failed, writer_behind: m.writer.writer_behind, why: m.writer.writer_behind_why });
        emit('write_to_reconcile_p50', m.reconcile.p50, 'ms', extra);
        emit('write_to_reconcile_p99', m.reconcile.p99, 'ms', extra);
        emit('write_to_reconcile_max', m.reconcile.max, 'ms', extra);
        emit('write_to_reconcile_samples', m.reconcile.samples, 'count', extra);
        emit('write_to_reconcile_p99_from_scheduled', m.fromScheduled.p99, 'ms', extra);
        emit('write_to_informer_p50', m.informer.p50, 'ms', extra);
        emit('write_to_informer_p99', m.informer.p99, 'ms', extra);
        emit('gc_pauses_over_2ms_server', m.processes.server.gc.over_2ms, 'count', { ...extra, ...m.processes.server });
        emit('gc_pauses_over_2ms_controller', m.processes.controller.gc.over_2ms, 'count', { ...extra, ...m.processes.controller });
        emit('cpu_us_per_write_server', (m.processes.server.cpu_ms * 1000) / m.writer.ok, 'us', extra);
        emit('cpu_us_per_write_controller', (m.processes.controller.cpu_ms * 1000) / m.writer.ok, 'us', extra);
        for (const [who, w] of [['server', m.processes.server], ['controller', m.processes.controller], ['writer', m.writer.process]] as const) {
          emit(`heap_kb_allocated_per_write_${who}`, (w.gc.allocated_mb * 1000) / m.writer.ok, 'KB', extra);
          emit(`heap_kb_promoted_per_write_${who}`, (w.gc.promoted_mb * 1000) / m.writer.ok, 'KB', extra);
        }
      }
    }

    if (parts.has('row')) {
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
          const k = await measureKubeloop(1000, rowSeconds);
          floorLatencies.length = 0;
          relay.send('window');
          await relay.next();
          floorMeasure = true;
          relayWriter.send(`churn ${keys} 1000 ${rowSeconds}`);
          const fw = await relayWriter.next<ChurnReport>();
          await new Promise((r) => setTimeout(r, 500));
          floorMeasure = false;
          relay.send('window');
          const relayGc = await relay.next<WindowSummary>();
          const f = summary(floorLatencies);
          const reader = (await settled(), self.summary());
          const perWrite = (w: WindowSummary, ok: number) => Math.round((w.cpu_ms * 1000) / ok);
          /** KB allocated and promoted per write (the machine's load does not change these) */
          const heapPerWrite = (w: WindowSummary, ok: number) => ({ allocated: Math.round((w.gc.allocated_mb * 1e4) / ok) / 10, promoted: Math.round((w.gc.promoted_mb * 1e4) / ok) / 10 });
          k99.push(k.reconcile.p99);
          f99.push(f.p99);
          process.stdout.write(JSON.stringify({
            bench: 'reconcile', metric: 'write_to_reconcile_round', round, seconds: rowSeconds, target_rate: 1000, unit: 'ms',
            kubeloop: {
              ...k.reconcile, p99_from_scheduled: k.fromScheduled.p99, informer_p99: k.informer.p99, achieved_rate: k.writer.achieved_rate, writer_behind: k.writer.writer_behind,
              cpu_us_per_write: { server: perWrite(k.processes.server, k.writer.ok), controller: perWrite(k.processes.controller, k.writer.ok), writer: perWrite(k.writer.process, k.writer.ok) },
              gc_pauses_over_2ms: { server: k.processes.server.gc.over_2ms, controller: k.processes.controller.gc.over_2ms, writer: k.writer.process.gc.over_2ms },
              heap_kb_per_write: { server: heapPerWrite(k.processes.server, k.writer.ok), controller: heapPerWrite(k.processes.controller, k.writer.ok), writer: heapPerWrite(k.writer.process, k.writer.ok) },
              writer: k.writer, processes: k.processes,
            },
            floor: {
              ...f, achieved_rate: fw.achieved_rate, writer_behind: fw.writer_behind,
              cpu_us_per_write: { relay: perWrite(relayGc, fw.ok), reader: perWrite(reader, fw.ok), writer: perWrite(fw.process, fw.ok) },
              gc_pauses_over_2ms: { relay: relayGc.gc.over_2ms, reader: reader.gc.over_2ms, writer: fw.process.gc.over_2ms },
              heap_kb_per_write: { relay: heapPerWrite(relayGc, fw.ok), reader: heapPerWrite(reader, fw.ok), writer: heapPerWrite(fw.process, fw.ok) },
              writer: fw, processes: { relay: relayGc, reader },
            },
          }) + '\n');
          self.reset();
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
        goal: 'kubeloop < 5 ms', floor_is: 'the same writes through a bare https relay to a watch stream', measured_from: 'the actual send of each write (data.t)',
      }) + '\n');
    }

    sub.unsubscribe();
    await mgr.stop();
    mgr = undefined;

    // framework loop throughput with a no-op reconciler
    for (const workers of parts.has('noop') ? [1, 8] : []) {
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
    self.stop();
    await mgr?.stop();
    await writer.end();
    await server.end();
  }
}
