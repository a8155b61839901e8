// `npm run bench -- informer [--quick] [--objects N] [--rate R] [--seconds S] [--rounds K] [--impls a,b]`
// kubeloop's informer vs client-node's makeInformer (and @dot-i/k8s-operator's watchResource)
// against the same built-in API server.
// The server, the load writer and each informer run in separate child processes, so the
// informer being measured does not share its CPU with the server's event loop.
// Metrics: initial sync time of N ConfigMaps, heap per cached object, events received
// during sustained churn (R updates/s for S s) vs updates acknowledged, plus the floors:
// one JSON.parse of the same list bytes, and (`floor-stream`, one process per round like the
// informers) a bare client reading the same streaming list: receive, split, JSON.parse per line.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient, loadKubeConfig } from '../src/client/index.js';
import { spread } from './_spread.js';

const here = dirname(fileURLToPath(import.meta.url));
const childScript = join(here, '_informer-child.js');

interface Child {
  proc: ChildProcess;
  lines: Interface;
  next(pred?: (o: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  send(cmd: string): void;
}

function child(args: string[], nodeFlags: string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeFlags, childScript, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const queue: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  lines.on('line', (l) => {
    try {
      queue.push(JSON.parse(l));
    } catch {
      return;
    }
    waiters.splice(0).forEach((w) => w());
  });
  let exited = false;
  proc.on('exit', () => {
    exited = true;
    waiters.splice(0).forEach((w) => w());
  });
  return {
    proc,
    lines,
    async next(pred = () => true) {
      for (;;) {
        const i = queue.findIndex(pred);
        if (i >= 0) return queue.splice(i, 1)[0];
        if (exited) throw new Error(`child ${args[0]} exited`);
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    send(cmd) {
      proc.stdin!.write(cmd + '\n');
    },
  };
}

function emit(impl: string | undefined, metric: string, value: number, unit: string) {
  const o: Record<string, unknown> = { bench: 'informer' };
  if (impl) o.impl = impl;
  Object.assign(o, { metric, value: Math.round(value * 100) / 100, unit });
  console.log(JSON.stringify(o));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const n = arg(args, '--objects', quick ? 5000 : 50_000);
  const rate = arg(args, '--rate', quick ? 1000 : 5000);
  const seconds = arg(args, '--seconds', quick ? 5 : 30);
  const rounds = arg(args, '--rounds', quick ? 2 : 5);
  const implsArg = args.indexOf('--impls');
  // kubeloop = defaults (streaming list when the server supports it), kubeloop-paged =
  // paged lists of 500 with prefetch; churn runs for kubeloop and client-node only.
  // dot-i = @dot-i/k8s-operator's watchResource (a watch without resourceVersion, no cache).
  // floor-stream = the same streaming list read by a bare client (receive, split, JSON.parse
  // per line, objects kept in an array): what any informer on Node pays at least.
  const impls = implsArg >= 0 ? args[implsArg + 1].split(',') : ['kubeloop', 'kubeloop-paged', 'client-node', 'dot-i', 'floor-stream'];
  const churnImpls = impls.filter((i) => i !== 'kubeloop-paged' && i !== 'floor-stream');

  const server = child(['server']);
  const children: Child[] = [server];
  try {
    const ready = await server.next((o) => o.ready === true);
    const kubeconfigPath = String(ready.kubeconfigPath);
    const writer = child(['writer', kubeconfigPath]);
    children.push(writer);
    writer.send(`populate ${n}`);
    const pop = await writer.next((o) => 'populated' in o);
    emit(undefined, 'populate_rate', n / (Number(pop.ms) / 1000), 'objects/s');

    // Floors (best of 3): receiving the bytes of the whole list without parsing (the server's
    // share), and one JSON.parse of those bytes (what any client must at least spend).
    const client = new KubeClient(loadKubeConfig({ path: kubeconfigPath }));
    let fetchMs = Infinity;
    let raw!: Awaited<ReturnType<typeof client.transport.request>>;
    for (let i = 0; i < 3; i++) {
      const f0 = performance.now();
      raw = await client.transport.request({ method: 'GET', path: '/api/v1/namespaces/bench/configmaps' });
      fetchMs = Math.min(fetchMs, performance.now() - f0);
    }
    emit('floor', 'list_fetch_bytes_only', fetchMs, 'ms');
    let parseMs = Infinity;
    let parsed!: { items: unknown[] };
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      parsed = JSON.parse(raw.body.toString('utf8')) as { items: unknown[] };
      parseMs = Math.min(parseMs, performance.now() - t0);
    }
    client.close();
    // the namespace also holds kube-root-ca.crt (the root CA publisher's, in every namespace as
    // on a real cluster): every consumer syncs the whole list
    const others = (parsed.items as Array<{ metadata?: { name?: string } }>).filter((o) => o.metadata?.name !== 'kube-root-ca.crt').length;
    if (others !== n) throw new Error(`expected ${n} objects besides kube-root-ca.crt, the list has ${others}`);
    const total = parsed.items.length;
    emit('floor', 'json_parse_list', parseMs, 'ms');
    emit('floor', 'list_bytes', raw.body.length, 'bytes');

    // Initial sync: `rounds` fresh consumer processes per implementation, interleaved, so
    // background load on the machine hits both alike; the median is reported.
    const syncs: Record<string, number[]> = {};
    const cpus: Record<string, number[]> = {};
    const mems: Record<string, number[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const impl of impls) {
        const c = child(['consumer', impl, kubeconfigPath, String(total)], ['--expose-gc', '--max-old-space-size=4096']);
        children.push(c);
        const s = await c.next((o) => o.synced === true);
        (syncs[impl] ??= []).push(Number(s.syncMs));
        (cpus[impl] ??= []).push(Number(s.cpuMs));
        (mems[impl] ??= []).push(Number(s.bytesPerObject));
        c.send('quit');
        await c.next((o) => o.stopped === true);
        c.proc.stdin!.end();
      }
    }
    const sync: Record<string, number> = {};
    const mem: Record<string, number> = {};
    const cpu: Record<string, number> = {};
    for (const impl of impls) {
      sync[impl] = median(syncs[impl]);
      cpu[impl] = median(cpus[impl]);
      mem[impl] = median(mems[impl]);
      emit(impl, 'initial_sync', sync[impl], 'ms');
      emit(impl, 'initial_sync_min', Math.min(...syncs[impl]), 'ms');
      emit(impl, 'initial_sync_cpu', cpu[impl], 'ms');
      emit(impl, 'memory_per_object', mem[impl], 'bytes');
    }

    // Sustained churn: the writer process patches objects at `rate`/s for `seconds`; the
    // consumer counts update notifications. Sent = updates the server acknowledged.
    // Warm-up: a short churn with no informer attached, so the first measured phase does not
    // also pay for the JIT warming up the server's and the writer's PATCH paths.
    if (seconds > 0) {
      writer.send(`churn ${n} ${rate} ${Math.min(3, seconds)}`);
      await writer.next((o) => 'sent' in o);
    }
    for (const impl of seconds > 0 ? churnImpls : []) {
      const c = child(['consumer', impl, kubeconfigPath, String(total)], ['--expose-gc', '--max-old-space-size=4096']);
      children.push(c);
      await c.next((o) => o.synced === true);
      writer.send(`churn ${n} ${rate} ${seconds}`);
      const churn = await writer.next((o) => 'sent' in o);
      const sent = Number(churn.sent);
      // Drain: wait until the consumer's count stops moving (max 15 s).
      let last = -1;
      let got = 0;
      let errors = 0;
      let churnCpuMs = 0;
      for (let i = 0; i < 15; i++) {
        c.send('count');
        const r = await c.next((o) => 'updates' in o);
        got = Number(r.updates);
        errors = Number(r.errors);
        churnCpuMs = Number(r.cpuMs);
        if (got >= sent || got === last) break;
        last = got;
        await new Promise((r) => setTimeout(r, 1000));
      }
      emit(impl, 'churn_updates_sent', sent, 'updates');
      emit(impl, 'churn_sent_rate', sent / (Number(churn.ms) / 1000), 'updates/s');
      emit(impl, 'churn_events_received', got, 'events');
      emit(impl, 'churn_events_missing', Math.max(0, sent - got), 'events');
      emit(impl, 'watch_errors', errors, 'errors');
      // The informer's own CPU per received update (parse, cache, handler): on a small machine
      // it competes with the server and the writer for the cores that make the churn.
      if (got > 0) emit(impl, 'churn_cpu_per_event', (churnCpuMs * 1000) / got, 'us');
      c.send('quit');
      await c.next((o) => o.stopped === true);
      c.proc.stdin!.end();
    }
    // The table row: kubeloop against each peer measured in the same rounds, the speed-up
    // (peer / kubeloop) round by round, min/median/max.
    if (syncs.kubeloop && syncs['floor-stream']) {
      // kubeloop over the bare streaming client, round by round (1 = no cost of its own)
      process.stdout.write(JSON.stringify({
        bench: 'informer', metric: 'initial_sync_over_stream_floor', unit: 'ms', objects: n, rounds,
        kubeloop: spread(syncs.kubeloop), floor: spread(syncs['floor-stream']), ratio: spread(syncs.kubeloop.map((k, i) => k / syncs['floor-stream'][i])),
        cpu_kubeloop: spread(cpus.kubeloop), cpu_floor: spread(cpus['floor-stream']),
      }) + '\n');
    }
    for (const peer of ['client-node', 'dot-i']) {
      if (!syncs.kubeloop || !syncs[peer]) continue;
      process.stdout.write(JSON.stringify({
        bench: 'informer', metric: `initial_sync_speedup_vs_${peer}`, unit: 'ms', objects: n, rounds,
        kubeloop: spread(syncs.kubeloop), peer: spread(syncs[peer]), ratio: spread(syncs[peer].map((p, i) => p / syncs.kubeloop[i])),
        goal: peer === 'client-node' ? 'ratio >= 3 (median)' : 'ratio > 1',
      }) + '\n');
    }
    if (sync.kubeloop && sync['dot-i']) {
      emit('ratio', 'initial_sync_speedup_vs_dot-i', sync['dot-i'] / sync.kubeloop, 'x');
      // (no memory ratio: @dot-i/k8s-operator keeps no cache, it only forwards events)
    }
    if (!sync.kubeloop || !sync['client-node']) return;
    emit('ratio', 'initial_sync_speedup_vs_client-node', sync['client-node'] / sync.kubeloop, 'x');
    if (sync['kubeloop-paged']) emit('ratio', 'initial_sync_speedup_paged_vs_client-node', sync['client-node'] / sync['kubeloop-paged'], 'x');
    emit('ratio', 'initial_sync_cpu_ratio_client-node_over_kubeloop', cpu['client-node'] / cpu.kubeloop, 'x');
    emit('ratio', 'memory_per_object_kubeloop_over_client-node', mem.kubeloop / mem['client-node'], 'x');
    emit('ratio', 'initial_sync_over_json_parse_floor', sync.kubeloop / parseMs, 'x');
  } finally {
    for (const c of children) {
      c.proc.stdin?.end();
      if (c.proc.exitCode === null) c.proc.kill('SIGTERM');
    }
  }
}
