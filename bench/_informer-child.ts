// Child processes of bench/informer.ts, so the API server, the load writer and each
// informer under test get their own CPU: `server`, `writer`, `consumer <impl>`.
// They talk to the parent with JSON lines (stdout) and commands (stdin lines).
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient, loadKubeConfig } from '../src/client/index.js';
import { SharedInformerFactory, type StoreEvent } from '../src/informer/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

function commands(): AsyncIterator<string> {
  return createInterface({ input: process.stdin })[Symbol.asyncIterator]();
}

async function server(): Promise<void> {
  const mod = (await import(pathToFileURL(join(here, '..', 'src', 'apiserver', 'index.js')).href)) as {
    startApiServer(o: { port: number; historySize?: number }): Promise<{ url: string; kubeconfigPath: string; stop(): Promise<void> }>;
  };
  const s = await mod.startApiServer({ port: 0 });
  say({ ready: true, url: s.url, kubeconfigPath: s.kubeconfigPath });
  const it = commands();
  while (!(await it.next()).done) {
    /* run until stdin closes */
  }
  await s.stop();
}

async function writer(kubeconfigPath: string): Promise<void> {
  const client = new KubeClient(loadKubeConfig({ path: kubeconfigPath }), { maxSockets: 128 });
  const it = commands();
  for (;;) {
    const next = await it.next();
    if (next.done) break;
    const [cmd, a, b] = next.value.trim().split(/\s+/);
    if (cmd === 'populate') {
      const n = Number(a);
      const t0 = performance.now();
      try {
        await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
      } catch {
        /* exists */
      }
      let next = 0;
      const worker = async () => {
        while (next < n) {
          const i = next++;
          await client.create({
            ...CM,
            metadata: { name: `cm-${i}`, namespace: 'bench', labels: { app: 'bench', shard: String(i % 10) } },
            data: { index: String(i), payload: 'x'.repeat(200) },
          });
        }
      };
      await Promise.all(Array.from({ length: 64 }, worker));
      say({ populated: n, ms: performance.now() - t0 });
    } else if (cmd === 'churn') {
      const n = Number(a);
      const rate = Number(b);
      const seconds = Number(next.value.trim().split(/\s+/)[3]);
      let sent = 0;
      let failed = 0;
      let inflight = 0;
      let seq = 0;
      const round = `${process.pid}-${Date.now()}`; // every update changes the object, round after round
      const t0 = performance.now();
      const end = t0 + seconds * 1000;
      await new Promise<void>((resolve) => {
        const tick = setInterval(() => {
          const now = performance.now();
          if (now >= end) {
            clearInterval(tick);
            const wait = setInterval(() => {
              if (inflight === 0) {
                clearInterval(wait);
                resolve();
              }
            }, 10);
            return;
          }
          // Pace to `rate`: issue what the schedule says should have started by now.
          const due = Math.floor(((now - t0) / 1000) * rate);
          while (seq < due && inflight < 512) {
            const i = seq++ % n;
            inflight++;
            client
              .patch(CM, `cm-${i}`, { data: { seq: `${round}-${seq}` } }, { namespace: 'bench' })
              .then(
                () => sent++,
                () => failed++,
              )
              .finally(() => inflight--);
          }
        }, 5);
      });
      say({ sent, failed, ms: performance.now() - t0 });
    }
  }
  client.close();
}

interface DotIOperator {
  start(): Promise<void>;
  stop(): void;
}
type DotIOperatorClass = new (logger: object) => DotIOperator;

/** An operator class of `@dot-i/k8s-operator` that feeds every ConfigMap event in namespace bench to `onEvent`. */
async function loadDotI(): Promise<(onEvent: (e: { type: string }) => Promise<void>) => DotIOperatorClass> {
  const mod = (await import('@dot-i/k8s-operator')) as unknown as { default: { default?: unknown } };
  const Operator = (mod.default.default ?? mod.default) as abstract new (logger: object) => DotIOperator;
  return (onEvent) => {
    return class ConfigMapOperator extends Operator {
      protected async init(): Promise<void> {
        await (this as unknown as { watchResource(g: string, v: string, p: string, f: typeof onEvent, ns: string): Promise<void> }).watchResource('', 'v1', 'configmaps', onEvent, 'bench');
      }
    } as unknown as DotIOperatorClass;
  };
}

async function consumer(impl: string, kubeconfigPath: string, expected: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  // Load the libraries before the clock starts: import time is not sync time.
  const k8s = await import('@kubernetes/client-node');
  const dotI = impl === 'dot-i' ? await loadDotI() : undefined;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let adds = 0;
  let updates = 0;
  let errors = 0;
  let connects = 0;
  let stop: () => void;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let synced!: Promise<void>;
  if (dotI) {
    // @dot-i/k8s-operator: an Operator subclass that watches ConfigMaps (its watchResource: a
    // watch without resourceVersion, so the current objects arrive as ADDED; no cache; events
    // go through its async queue one at a time). It reads $KUBECONFIG.
    process.env.KUBECONFIG = kubeconfigPath;
    let resolveSynced!: () => void;
    synced = new Promise<void>((r) => (resolveSynced = r));
    const onEvent = async (e: { type: string }) => {
      if (e.type === 'ADDED' && ++adds === expected) resolveSynced();
      else if (e.type === 'MODIFIED') updates++;
    };
    const quiet = { debug() {}, info() {}, warn() {}, error: (m: string) => process.stderr.write(`dot-i: ${m}\n`) };
    const op = new (dotI(onEvent))(quiet);
    await op.start();
    stop = () => op.stop();
  } else if (impl === 'floor-stream') {
    // The floor of a streaming list on Node: the same request as kubeloop's informer (watch
    // with sendInitialEvents), its bytes received through node:https, cut into lines and each
    // line JSON.parse'd, the objects kept in an array; no informer, no cache, no events.
    const client = new KubeClient(loadKubeConfig({ path: kubeconfigPath }));
    const ac = new AbortController();
    const items: unknown[] = [];
    synced = client.transport
      .open({
        method: 'GET',
        path: '/api/v1/namespaces/bench/configmaps',
        query: { watch: 'true', sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: 'true', timeoutSeconds: 600 },
        signal: ac.signal,
      })
      .then(({ res }) => new Promise<void>((resolve, reject) => {
        const decoder = new StringDecoder('utf8');
        let pending = '';
        res.on('data', (chunk: Buffer) => {
          const text = pending + decoder.write(chunk);
          let start = 0;
          let nl: number;
          while ((nl = text.indexOf('\n', start)) >= 0) {
            const ev = JSON.parse(text.slice(start, nl)) as { type: string; object: { metadata?: { annotations?: Record<string, string> } } };
            start = nl + 1;
            if (ev.type === 'ADDED') adds = items.push(ev.object);
            else if (ev.type === 'BOOKMARK' && ev.object.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true') resolve();
          }
          pending = text.slice(start);
        });
        res.on('error', reject);
        res.on('end', () => reject(new Error('stream ended before the initial-events-end bookmark')));
      }));
    stop = () => {
      ac.abort();
      client.close();
      items.length = 0;
    };
  } else if (impl.startsWith('kubeloop')) {
    // kubeloop = defaults (streaming list when the server has it); kubeloop-paged = paged lists of 500.
    const client = new KubeClient(loadKubeConfig({ path: kubeconfigPath }));
    const factory = new SharedInformerFactory(client, impl === 'kubeloop-paged' ? { streamingList: 'never' } : {});
    const inf = factory.informerFor(CM, { namespace: 'bench' });
    const sub = inf.events$().subscribe((e: StoreEvent) => {
      if (e.type === 'add') adds++;
      else if (e.type === 'update') updates++;
    });
    synced = inf.waitForCacheSync();
    stop = () => {
      sub.unsubscribe();
      factory.shutdown();
      client.close();
    };
  } else {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const api = kc.makeApiClient(k8s.CoreV1Api);
    const inf = k8s.makeInformer(kc, '/api/v1/namespaces/bench/configmaps', () => api.listNamespacedConfigMap({ namespace: 'bench' }));
    let resolveSynced!: () => void;
    synced = new Promise<void>((r) => (resolveSynced = r));
    inf.on('add', () => {
      if (++adds === expected) resolveSynced();
    });
    inf.on('update', () => updates++);
    inf.on('connect', () => connects++);
    let stopping = false;
    inf.on('error', (err: unknown) => {
      if (stopping) return; // stop() aborts the watch, which client-node reports as an error
      // client-node's informer stops on errors until restarted; count them and restart as its docs advise.
      errors++;
      process.stderr.write(`client-node informer error: ${(err as Error)?.message ?? err}\n`);
      setTimeout(() => void inf.start(), 1000);
    });
    await inf.start();
    if (adds >= expected) resolveSynced();
    stop = () => {
      stopping = true;
      void inf.stop();
    };
  }
  await synced;
  const syncMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  gc?.();
  gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  say({ synced: true, syncMs, cpuMs, adds, bytesPerObject: (heap1 - heap0) / Math.max(1, adds) });
  const it = commands();
  const cpuSynced = process.cpuUsage(); // CPU spent after the sync: handling churn
  for (;;) {
    const next = await it.next();
    if (next.done) break;
    const cmd = next.value.trim();
    if (cmd === 'count') {
      const c = process.cpuUsage(cpuSynced);
      say({ updates, errors, connects, cpuMs: (c.user + c.system) / 1000 });
    }
    if (cmd === 'quit') break;
  }
  stop();
  say({ stopped: true });
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'server') await server();
else if (mode === 'writer') await writer(rest[0]);
else if (mode === 'consumer') await consumer(rest[0], rest[1], Number(rest[2]));
else {
  console.error('usage: _informer-child.js server | writer <kubeconfig> | consumer <impl> <kubeconfig> <n>');
  process.exit(2);
}
process.exit(0);
