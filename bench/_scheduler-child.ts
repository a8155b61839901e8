// Child processes of bench/scheduler.ts, so the API server, the scheduler and the floor's
// binding load generator each have their own event loop, as kube-apiserver and kube-scheduler
// are processes of their own (issue 21, rule 1: load generators run in processes of their own).
// JSON lines on stdout, commands as lines on stdin; times are wall-clock milliseconds
// (`performance.timeOrigin + performance.now()`), comparable between the processes.
//
//   server <pods> <nodes>     kubeloop's API server with <nodes> Ready nodes and <pods> pending
//                             pods (created through a client of its own, before anything is
//                             measured); prints {url, kubeconfigPath}, then, once every pod got a
//                             node, {bound, firstBindAt, lastBindAt, cpuUs}; commands: `cpu`,
//                             `profile` (with BENCH_CPU_PROF, see profiler(); prints {profiling})
//   scheduler <kubeconfig>    the simulated cluster's scheduler alone (startSimCluster with every
//                             other component off); prints {startedAt, syncedAt, cpuUs} once its
//                             caches synced (startedAt: its modules loaded); commands: `cpu`, `stop` (prints {stopped})
//   bind <kubeconfig> <pods> <nodes> <concurrency> [watch] [events]
//                             the floor: POST pods/binding of bench-pod-{i} to bench-node-{i % nodes}
//                             through kubeloop's Transport (src/client/transport.ts: one keep-alive
//                             agent, one TLS context), <concurrency> at a time; with `watch`, while
//                             kubeloop's pod informer of the same client watches all pods (as a
//                             scheduler's does); with `events`, each binding done is followed by
//                             the core/v1 `Scheduled` Event a scheduler writes for it (the
//                             scheduler's fields and sizes), <concurrency> Events at a time beside
//                             the bindings, as the scheduler's recorder writes them; prints
//                             {startedAt, endedAt, cpuUs}
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inBatches, seedWorld } from './_scheduler-world.js';

const here = dirname(fileURLToPath(import.meta.url));
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
const wallMs = () => performance.timeOrigin + performance.now();
const src = (p: string) => pathToFileURL(join(here, '..', 'src', p)).href;

/**
 * With BENCH_CPU_PROF=<dir>: a V8 CPU profile of this process from `start()` to `stop()`,
 * written to <dir>/<mode>-<pid>.cpuprofile (only the measured window, not the set-up).
 */
async function profiler(): Promise<{ start(): Promise<void>; stop(): Promise<void> }> {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return { async start() {}, async stop() {} };
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  let running = false;
  return {
    async start() {
      await session.post('Profiler.enable');
      // every 100 us (the default is 1 ms): enough samples per function on a loaded machine
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
      running = true;
    },
    async stop() {
      if (!running) return;
      running = false;
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join(dir, `${process.argv[2]}-${process.pid}.cpuprofile`), JSON.stringify(profile));
    },
  };
}

async function commands(handle: (cmd: string, args: string[]) => Promise<boolean | void> | boolean | void): Promise<void> {
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, ...args] = line.trim().split(/\s+/);
    if (cmd === 'cpu') say({ cpuUs: cpuUs(), userUs: process.cpuUsage().user });
    else if ((await handle(cmd, args)) === true) return;
  }
}

async function server(podCount: number, nodeCount: number): Promise<void> {
  const { startApiServer } = (await import(src('apiserver/index.js'))) as typeof import('../src/apiserver/index.js');
  const { KubeClient, loadKubeConfig } = (await import(src('client/index.js'))) as typeof import('../src/client/index.js');
  const s = await startApiServer({ port: 0, historySize: Math.max(10_000, podCount * 4) });
  const client = new KubeClient(loadKubeConfig({ kubeconfig: s.kubeconfig }));
  await seedWorld(client, podCount, nodeCount);
  client.close();
  const prof = await profiler();
  // every pod's first binding: MODIFIED with a node name it did not have
  let bound = 0;
  let firstBindAt = 0;
  s.onChange((c) => {
    if (c.type !== 'MODIFIED' || !c.storageKey.endsWith('pods')) return;
    const obj = c.object as { spec?: { nodeName?: string } } | undefined;
    const old = c.old as { spec?: { nodeName?: string } } | undefined;
    if (!obj?.spec?.nodeName || old?.spec?.nodeName) return;
    if (bound++ === 0) firstBindAt = wallMs();
    if (bound === podCount) {
      say({ bound, firstBindAt, lastBindAt: wallMs(), cpuUs: cpuUs() });
      void prof.stop();
    }
  });
  say({ url: s.url, kubeconfigPath: s.kubeconfigPath });
  await commands(async (cmd) => {
    if (cmd === 'profile') {
      await prof.start();
      say({ profiling: true });
    }
  });
  await s.stop();
}

async function scheduler(kubeconfigPath: string): Promise<void> {
  const { default: pino } = await import('pino');
  const { startSimCluster } = (await import(src('simcluster/index.js'))) as typeof import('../src/simcluster/index.js');
  type Logger = Parameters<typeof startSimCluster>[0] extends infer O ? (O extends { logger?: infer L } ? L : never) : never;
  const prof = await profiler();
  const startedAt = wallMs();
  const sim = await startSimCluster({
    kubeconfig: kubeconfigPath,
    logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }, pino.destination(2)) as unknown as Logger,
    components: {
      nodes: false, nodeLifecycle: false, ipam: false, kubelet: false, replicaSet: false, deployment: false, daemonSet: false,
      statefulSet: false, job: false, disruption: false, endpoints: false, metricsServer: false, cloudNodes: false,
    },
  });
  await prof.start(); // the scheduling, not the start and sync
  say({ startedAt, syncedAt: wallMs(), cpuUs: cpuUs(), userUs: process.cpuUsage().user });
  await commands(async (cmd) => {
    if (cmd !== 'stop') return;
    await prof.stop();
    await sim.stop();
    say({ stopped: true });
    return true;
  });
}

async function bind(kubeconfigPath: string, podCount: number, nodeCount: number, concurrency: number, watch: boolean, events: boolean): Promise<void> {
  const { KubeClient, loadKubeConfig } = (await import(src('client/index.js'))) as typeof import('../src/client/index.js');
  const { SharedInformerFactory } = (await import(src('informer/index.js'))) as typeof import('../src/informer/index.js');
  const client = new KubeClient(loadKubeConfig({ path: kubeconfigPath }));
  const t = client.transport;
  // one request first, so the connection set-up is not part of the figure
  await t.request({ method: 'GET', path: '/readyz' }).catch(() => undefined);
  let informers: InstanceType<typeof SharedInformerFactory> | undefined;
  if (watch) {
    // the binding client watches too, as the scheduler's one client does
    informers = new SharedInformerFactory(client);
    const pods = informers.informerFor({ apiVersion: 'v1', kind: 'Pod' });
    pods.events$().subscribe(() => undefined);
    await pods.waitForCacheSync();
  }
  const prof = await profiler();
  await prof.start();
  const c0 = cpuUs();
  const startedAt = wallMs();
  // the bound pods' Events, written by `concurrency` writers of their own as the bindings finish
  const bound: number[] = [];
  let boundHead = 0;
  let bindingsDone = false;
  const waiting: (() => void)[] = [];
  const writeEvents = async () => {
    for (;;) {
      if (boundHead < bound.length) {
        const i = bound[boundHead++];
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        // read, not parsed (a scheduler's recorder reads the name and count back; the floor does not)
        await t.request({
          method: 'POST',
          path: '/api/v1/namespaces/default/events',
          body: JSON.stringify({
            apiVersion: 'v1', kind: 'Event', metadata: { name: `bench-pod-${i}.${(BigInt(Date.now()) * 1_000_000n + BigInt(i)).toString(16)}`, namespace: 'default' },
            involvedObject: { kind: 'Pod', namespace: 'default', name: `bench-pod-${i}`, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, apiVersion: 'v1', resourceVersion: String(1000 + i) },
            reason: 'Scheduled', message: `Successfully assigned default/bench-pod-${i} to bench-node-${i % nodeCount}`, type: 'Normal',
            source: { component: 'default-scheduler', host: 'bench' }, firstTimestamp: now, lastTimestamp: now, count: 1,
            reportingComponent: 'default-scheduler', reportingInstance: 'bench',
          }),
        });
      } else if (bindingsDone) return;
      else await new Promise<void>((r) => waiting.push(r));
    }
  };
  const writers = events ? Array.from({ length: concurrency }, writeEvents) : [];
  // read, not parsed: the answer is a Status, as the scheduler reads it (failures throw)
  await inBatches(podCount, concurrency, async (i) => {
    await t.request({
      method: 'POST',
      path: `/api/v1/namespaces/default/pods/bench-pod-${i}/binding`,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: `bench-pod-${i}`, namespace: 'default' }, target: { apiVersion: 'v1', kind: 'Node', name: `bench-node-${i % nodeCount}` } }),
    });
    if (!events) return;
    bound.push(i);
    waiting.shift()?.();
  });
  bindingsDone = true;
  for (const w of waiting.splice(0)) w();
  await Promise.all(writers);
  const endedAt = wallMs();
  const used = cpuUs() - c0;
  await prof.stop();
  say({ startedAt, endedAt, cpuUs: used });
  informers?.shutdown();
  client.close();
}

const [mode, ...args] = process.argv.slice(2);
switch (mode) {
  case 'server': await server(Number(args[0]), Number(args[1])); break;
  case 'scheduler': await scheduler(args[0]); break;
  case 'bind': await bind(args[0], Number(args[1]), Number(args[2]), Number(args[3]), args.slice(4).includes('watch'), args.slice(4).includes('events')); break;
  default:
    process.stderr.write('usage: _scheduler-child.js server <pods> <nodes> | scheduler <kubeconfig> | bind <kubeconfig> <pods> <nodes> <concurrency> [watch] [events]\n');
    process.exit(2);
}
process.exit(0);
