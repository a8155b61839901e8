/**
 * The fuzz loop: `concurrency` workers, each with its own generator forked from the seed,
 * send the target's requests until the count or the time budget is spent. A run fails on a
 * 5xx the target does not expect, a stalled or dropped request, or an exception that escaped
 * into the process (the target runs in this process). Memory: RSS after a warm-up and after
 * the load (both after forced GCs, `node --expose-gc`), for the caller to judge.
 */
import { FuzzClient, type Outcome } from './client.js';
import { Rng } from './rng.js';
import type { FuzzRequest, FuzzResponse, FuzzTarget } from './target.js';

export interface FuzzOptions {
  seed: number;
  /** Requests to send (after setup and warm-up). */
  requests: number;
  /** Stop early when this much time has passed. */
  maxMs: number;
  concurrency?: number;
  /** Requests sent before the starting RSS is taken (JIT, caches, pools). */
  warmup?: number;
  /** Called every `progressEvery` requests. */
  onProgress?(done: number, elapsedMs: number): void;
  progressEvery?: number;
}

export interface Failure {
  req: FuzzRequest;
  what: string;
}

export interface FuzzResult {
  sent: number;
  elapsedMs: number;
  /** Count per HTTP status, plus `network-error` and `timeout`. */
  histogram: Record<string, number>;
  failures: Failure[];
  /** Exceptions that escaped into the process while the target ran. */
  crashes: string[];
  /**
   * Process warnings the target emitted, once per name and message start (a 500 logs an
   * InternalError, counted in the histogram already): clients must not be able to write to
   * the server's log, and listener-leak warnings are leaks.
   */
  warnings: string[];
  rssStartBytes: number;
  rssEndBytes: number;
}

const MAX_FAILURES_KEPT = 50;

/** Forces full collections (when run with --expose-gc) so RSS reflects live memory. */
async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().rss;
}

export async function runFuzz(target: FuzzTarget, opts: FuzzOptions): Promise<FuzzResult> {
  const crashes: string[] = [];
  const onCrash = (e: unknown) => crashes.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const warnings = new Set<string>();
  const onWarning = (w: Error) => {
    if (w.name !== 'InternalError' && warnings.size < MAX_FAILURES_KEPT) warnings.add(`${w.name}: ${w.message.slice(0, 200)}`);
  };
  process.on('warning', onWarning);
  const endpoint = await target.start();
  const concurrency = opts.concurrency ?? 8;
  const client = new FuzzClient(endpoint, concurrency);
  const histogram: Record<string, number> = {};
  const failures: Failure[] = [];
  const send = async (req: FuzzRequest): Promise<FuzzResponse> => {
    const o = await client.send(req);
    if (o.kind !== 'response') throw new Error(`${req.method} ${req.path}: ${o.kind}`);
    return o.res;
  };
  const judge = (req: FuzzRequest, o: Outcome) => {
    const key = o.kind === 'response' ? String(o.res.status) : o.kind;
    if (o.kind === 'response') target.observe?.(req, o.res);
    histogram[key] = (histogram[key] ?? 0) + 1;
    let what: string | undefined;
    if (o.kind === 'timeout') what = 'no answer within the client timeout';
    else if (o.kind === 'network-error') what = `connection failed: ${o.error}`;
    else if (o.res.status >= 500 && !target.expected5xx(req, o.res)) what = `${o.res.status}: ${o.res.body.slice(0, 500)}`;
    if (what && failures.length < MAX_FAILURES_KEPT) failures.push({ req, what });
  };
  try {
    await target.setup?.(send);
    const root = new Rng(opts.seed);
    const workers = Array.from({ length: concurrency }, () => root.fork());
    // Warm-up: the same generators, so the baseline has seen every code path once.
    const warmup = opts.warmup ?? 0;
    let warm = 0;
    await Promise.all(workers.map(async (rng) => {
      while (warm < warmup) {
        warm++;
        await client.send(target.generate(rng));
      }
    }));
    await target.settle?.(send);
    const rssStartBytes = await settledRss();
    const start = performance.now();
    let sent = 0;
    let answered = 0;
    await Promise.all(workers.map(async (rng) => {
      while (sent < opts.requests && performance.now() - start < opts.maxMs) {
        sent++;
        const req = target.generate(rng);
        judge(req, await client.send(req));
        answered++;
        if (opts.onProgress && answered % (opts.progressEvery ?? 10_000) === 0) opts.onProgress(answered, performance.now() - start);
      }
    }));
    const elapsedMs = performance.now() - start;
    client.close();
    await target.settle?.(async (req) => {
      const c = new FuzzClient(endpoint, 1);
      try {
        const o = await c.send(req);
        if (o.kind !== 'response') throw new Error(`${req.method} ${req.path}: ${o.kind}`);
        return o.res;
      } finally {
        c.close();
      }
    });
    const rssEndBytes = await settledRss();
    return { sent, elapsedMs, histogram, failures, crashes, warnings: [...warnings], rssStartBytes, rssEndBytes };
  } finally {
    client.close();
    await target.stop();
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    process.off('warning', onWarning);
  }
}
