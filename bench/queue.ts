// Work queue throughput: one op = add + get + done of a key, with N async workers
// sharing the queue (each worker re-adds a fresh key after finishing one, so the
// queue stays full). Runs an unnamed queue (no metrics) and a named one recording
// the workqueue_* Prometheus metrics. `npm run bench -- queue [seconds-per-run=3]`.
import { WorkQueue } from '../src/queue/index.js';
import { createRegistry } from '../src/observability/index.js';

async function run(workers: number, seconds: number, withMetrics: boolean): Promise<number> {
  const q = new WorkQueue<number>(withMetrics ? { name: 'bench', registry: createRegistry() } : {});
  const KEYS = 100_000;
  let next = 0;
  for (let i = 0; i < workers * 64; i++) q.add(next++ % KEYS);
  let ops = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  // A full queue resolves every get() at once, so the workers run on microtasks
  // only and a timer would never fire: check the clock every 1024 ops instead.
  const worker = async () => {
    for (;;) {
      const r = await q.get();
      if (r.shutdown) return;
      q.done(r.item);
      q.add(next++ % KEYS);
      if ((++ops & 1023) === 0 && performance.now() >= deadline) q.shutDown();
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return ops / ((performance.now() - started) / 1000);
}

export async function main(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 3);
  if (!(seconds > 0)) throw new Error(`seconds per run must be positive, got ${args[0]}`);
  for (const withMetrics of [false, true]) {
    for (const workers of [1, 4, 16]) {
      const value = await run(workers, seconds, withMetrics);
      const impl = withMetrics ? 'named-with-metrics' : 'unnamed';
      console.log(JSON.stringify({ bench: 'queue', metric: 'ops_per_sec', impl, workers, value: Math.round(value), unit: 'ops/s' }));
    }
  }
}
