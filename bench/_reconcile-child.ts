// Child processes of bench/reconcile.ts, so the API server and the load writer do not share
// a CPU with the manager under test: `server`, `writer <kubeconfigPath>` and `relay` (the
// floor: a bare https server that answers each write and relays it, as a watch event line, to
// the streams open on GET /watch). JSON lines on stdout, commands as lines on stdin: the
// writer takes `populate <n>` and `churn <keys> <writes/s> <seconds>` (open loop, see churn),
// the server and the relay `window` (their CPU time and GC pauses since the last `window`).
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { KubeClient, loadKubeConfig } from '../src/client/index.js';
import { ProcessWindow, settled, type WindowSummary } from './_gc.js';

const here = dirname(fileURLToPath(import.meta.url));
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */

/** Answers `window` lines on stdin with this process's CPU time and GC pauses since the last one. */
async function serveCommands(gc: ProcessWindow): Promise<void> {
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'window') {
      await settled();
      say(gc.summary());
      gc.reset();
    }
  }
}

async function server(): Promise<void> {
  const gc = new ProcessWindow();
  const mod = (await import(pathToFileURL(join(here, '..', 'src', 'apiserver', 'index.js')).href)) as {
    startApiServer(o: { port: number }): Promise<{ url: string; kubeconfigPath: string; stop(): Promise<void> }>;
  };
  const s = await mod.startApiServer({ port: 0 });
  say({ ready: true, url: s.url, kubeconfigPath: s.kubeconfigPath });
  await serveCommands(gc); // until stdin closes
  await s.stop();
}

async function relay(): Promise<void> {
  const gc = new ProcessWindow();
  const { generatePki, kubeconfigYaml } = (await import(pathToFileURL(join(here, '..', 'src', 'apiserver', 'index.js')).href)) as typeof import('../src/apiserver/index.js');
  const pki = generatePki();
  const watchers = new Set<ServerResponse>();
  const json = (res: ServerResponse, code: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const s = createServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    if (req.method === 'GET' && req.url === '/watch') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      watchers.add(res);
      req.on('close', () => watchers.delete(res));
      return;
    }
    if (req.method === 'GET' && req.url === '/api/v1') {
      return json(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'v1', resources: [{ name: 'configmaps', singularName: 'configmap', namespaced: true, kind: 'ConfigMap', verbs: ['get', 'list', 'patch', 'update', 'create', 'delete', 'watch'] }] });
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const name = (req.url ?? '').split('?')[0].split('/').pop();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { data?: Record<string, string> };
      const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'bench' }, data: body.data };
      json(res, 200, object);
      const line = JSON.stringify({ type: 'MODIFIED', object }) + '\n';
      for (const w of watchers) w.write(line);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
  const kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'kubeloop-bench-relay-')), 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml(url, pki));
  say({ ready: true, url, kubeconfigPath });
  await serveCommands(gc); // until stdin closes
  for (const w of watchers) w.end();
  s.close();
}

async function writer(kubeconfigPath: string): Promise<void> {
  const client = new KubeClient(loadKubeConfig({ path: kubeconfigPath }), { maxSockets: SOCKETS });
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, a, b, c] = line.trim().split(/\s+/);
    if (cmd === 'populate') {
      const n = Number(a);
      try {
        await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
      } catch {
        /* exists */
      }
      let next = 0;
      const worker = async () => {
        while (next < n) {
          const i = next++;
          await client.create({ ...CM, metadata: { name: `cm-${i}`, namespace: 'bench' }, data: { t: '0' } });
        }
      };
      await Promise.all(Array.from({ length: 32 }, worker));
      say({ populated: n });
    } else if (cmd === 'churn') {
      say(await churn(client, Number(a), Number(b), Number(c)));
    }
  }
  client.close();
}

/** What one `churn` reports: the writer's own view of whether it kept its schedule. */
export interface ChurnReport {
  /** writes scheduled (rate x seconds), answered 2xx, failed */
  scheduled: number;
  ok: number;
  failed: number;
  /** answered writes per second, over the time from the first scheduled send to the last answer */
  achieved_rate: number;
  /** how late each write left against its schedule (actual send - scheduled send), ms */
  send_lag_p50_ms: number;
  send_lag_p99_ms: number;
  send_lag_max_ms: number;
  /** writes in flight at once, at most (beyond the agent's socket cap they wait for a socket) */
  max_inflight: number;
  /** request round trip as the writer sees it, ms */
  rtt_p50_ms: number;
  rtt_p99_ms: number;
  /** the writer's event-loop delay while it ran, ms */
  loop_delay_p99_ms: number;
  /** writes that found every socket busy and waited in the agent (their data.t is earlier than their wire send) */
  waited_for_socket: boolean;
  /**
   * The writer, not the system under test, fell behind: it sent fewer than 98% of the writes
   * it was asked for at the rate, or its own sends ran late (send lag p99 over 2 ms, i.e. in
   * bursts), or writes waited for a socket — then the latencies include its queueing.
   */
  writer_behind: boolean;
  writer_behind_why?: string;
  process: WindowSummary;
}

const SOCKETS = 128;

/**
 * `churn <keys> <writes/s> <seconds>`: OPEN-LOOP writes — write i is due at start + i/rate,
 * whatever became of the writes before it (no cap on writes in flight; the agent holds at most
 * SOCKETS connections). Each write patches cm-(i mod keys) with data.s = its scheduled send
 * time and data.t = its actual send time (wall-clock ms, comparable across processes), so the
 * reader can measure from either.
 */
async function churn(client: KubeClient, keys: number, rate: number, seconds: number): Promise<ChurnReport> {
  const gc = new ProcessWindow();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const lags = new Float64Array(total);
  const rtts: number[] = [];
  let next = 0;
  let ok = 0;
  let failed = 0;
  let inflight = 0;
  let maxInflight = 0;
  let lastAnswer = 0;
  const t0 = performance.now();
  const origin = performance.timeOrigin + t0;
  await new Promise<void>((resolve) => {
    const answered = (sentAt: number, good: boolean) => {
      inflight--;
      lastAnswer = performance.now();
      rtts.push(lastAnswer - sentAt);
      if (good) ok++;
      else failed++;
      if (next === total && inflight === 0) resolve();
    };
    const pump = () => {
      const now = performance.now();
      while (next < total && next * interval <= now - t0) {
        const i = next++;
        const scheduled = origin + i * interval;
        const sentAt = performance.now();
        const sent = performance.timeOrigin + sentAt;
        lags[i] = sent - scheduled;
        inflight++;
        if (inflight > maxInflight) maxInflight = inflight;
        client.patch(CM, `cm-${i % keys}`, { data: { t: String(sent), s: String(scheduled) } }, { namespace: 'bench' }).then(
          () => answered(sentAt, true),
          () => answered(sentAt, false),
        );
      }
      if (next < total) setTimeout(pump, Math.max(0, next * interval - (performance.now() - t0)));
    };
    pump();
  });
  loop.disable();
  await settled();
  const sortedLags = Array.from(lags).sort((x, y) => x - y);
  rtts.sort((x, y) => x - y);
  const at = (xs: ArrayLike<number>, p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  const r = (v: number) => Math.round(v * 1000) / 1000;
  const elapsed = Math.max(lastAnswer - t0, seconds * 1000) / 1000;
  const achieved = ok / elapsed;
  const lag99 = at(sortedLags, 0.99);
  const why: string[] = [];
  if (ok + failed < total * 0.98 || achieved < rate * 0.98) why.push(`achieved ${achieved.toFixed(0)}/s of ${rate}/s`);
  if (lag99 > 2) why.push(`send lag p99 ${lag99.toFixed(1)} ms`);
  if (maxInflight > SOCKETS) why.push(`${maxInflight} writes in flight: some waited for one of ${SOCKETS} sockets`);
  const report: ChurnReport = {
    scheduled: total, ok, failed, achieved_rate: r(achieved),
    send_lag_p50_ms: r(at(sortedLags, 0.5)), send_lag_p99_ms: r(lag99), send_lag_max_ms: r(sortedLags[sortedLags.length - 1]),
    max_inflight: maxInflight, rtt_p50_ms: r(at(rtts, 0.5)), rtt_p99_ms: r(at(rtts, 0.99)),
    loop_delay_p99_ms: r(loop.percentile(99) / 1e6),
    waited_for_socket: maxInflight > SOCKETS,
    writer_behind: why.length > 0, ...(why.length ? { writer_behind_why: why.join('; ') } : {}),
    process: gc.summary(),
  };
  gc.stop();
  return report;
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'server') await server();
else if (mode === 'relay') await relay();
else if (mode === 'writer') await writer(arg);
else {
  console.error('usage: _reconcile-child.js server | relay | writer <kubeconfigPath>');
  process.exit(2);
}
