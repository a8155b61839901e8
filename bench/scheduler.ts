// Scheduler throughput: pods bound per second for N pending pods on M nodes, with the
// simulated cluster's scheduler (a framework controller) running in-process against the
// built-in API server (also in-process). Only the scheduler runs (no kubelets), nodes are
// registered Ready up front and every pod is pending before the scheduler starts.
// The floor, measured in the same run, round after round: the same pods bound to nodes
// round-robin by POST pods/binding with the same client and concurrency (16, the scheduler's
// workers) on the same kind of server, without any scheduling (no informer, no decisions).
// The floor opens no watch, while any scheduler must watch pods (kube-scheduler through its
// informer), so the server encodes and the scheduler decodes every pod event the bindings
// cause; `--watch-floor` also measures the floor with kubeloop's pod informer open in the
// same process (an extra line, not the goal's ratio), to show what that watch alone costs.
// `npm run bench -- scheduler [--pods 10000] [--nodes 500] [--rounds 3] [--quick] [--watch-floor]` (--quick: 1000 pods, 50 nodes).
import pino from 'pino';
import { startApiServer, type ApiServer } from '../src/apiserver/index.js';
import { KubeClient, loadKubeConfig } from '../src/client/index.js';
import type { Logger } from '../src/controller/index.js';
import { SharedInformerFactory } from '../src/informer/index.js';
import { startSimCluster } from '../src/simcluster/index.js';
import { spread } from './_spread.js';

function flag(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} needs a positive integer, got ${args[i + 1]}`);
  return v;
}

async function inBatches(n: number, parallel: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => { while (next < n) await fn(next++); }));
}

/** A server with `nodeCount` Ready nodes and `podCount` pending pods, and a client to it. */
async function cluster(podCount: number, nodeCount: number): Promise<{ server: ApiServer; client: KubeClient }> {
  const server = await startApiServer({ port: 0, historySize: Math.max(10_000, podCount * 4) });
  const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
  for (let i = 0; i < 200; i++) {
    try { await client.get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'default', { namespace: 'default' }); break; } catch { await new Promise((r) => setTimeout(r, 50)); }
  }
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await inBatches(nodeCount, 32, async (i) => {
    const name = `bench-node-${i}`;
    await client.create({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % 3}` } } });
    const cap = { cpu: '32', memory: '128Gi', pods: '110' };
    await client.patch({ apiVersion: 'v1', kind: 'Node' }, name, {
      status: { capacity: cap, allocatable: cap, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] },
    }, { subresource: 'status' });
  });
  await inBatches(podCount, 64, (i) => client.create({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `bench-pod-${i}`, namespace: 'default', labels: { app: `app-${i % 20}` } },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  }));
  return { server, client };
}

/** Resolves when `n` pods got a node, with the time of the last binding. */
function watchBindings(server: ApiServer, n: number): { all: Promise<void>; last(): number; count(): number } {
  let bound = 0;
  let lastBind = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  server.onChange((c) => {
    const obj = c.object as { kind?: string; spec?: { nodeName?: string } } | undefined;
    const old = c.old as { spec?: { nodeName?: string } } | undefined;
    if (!c.storageKey.endsWith('pods') || c.type !== 'MODIFIED' || !obj?.spec?.nodeName || old?.spec?.nodeName) return;
    bound++;
    lastBind = performance.now();
    if (bound === n) done();
  });
  return { all, last: () => lastBind, count: () => bound };
}

const within = (p: Promise<void>, what: () => string) =>
  Promise.race([p, new Promise<void>((_, rej) => setTimeout(() => rej(new Error(what())), 600_000).unref())]);

/** One scheduler run: pods/s from its caches being synced to the last binding; and the sync time. */
async function schedulerRound(podCount: number, nodeCount: number): Promise<{ rate: number; seconds: number; syncSeconds: number }> {
  const { server, client } = await cluster(podCount, nodeCount);
  try {
    const b = watchBindings(server, podCount);
    const started = performance.now();
    const sim = await startSimCluster({
      kubeconfig: server.kubeconfig,
      logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }) as unknown as Logger,
      components: { nodes: false, nodeLifecycle: false, ipam: false, kubelet: false, replicaSet: false, deployment: false, daemonSet: false, statefulSet: false, job: false, disruption: false, cloudNodes: false },
    });
    const synced = performance.now();
    await within(b.all, () => `only ${b.count()}/${podCount} pods bound after 10 minutes`);
    await sim.stop();
    const seconds = (b.last() - synced) / 1000;
    return { rate: podCount / seconds, seconds, syncSeconds: (synced - started) / 1000 };
  } finally {
    client.close();
    await server.stop();
  }
}

/**
 * The floor: the same pods bound round-robin by the same client at the scheduler's concurrency;
 * with `podWatch`, while a pod informer of that client watches all pods.
 */
async function bindOnlyRound(podCount: number, nodeCount: number, podWatch = false): Promise<number> {
  const { server, client } = await cluster(podCount, nodeCount);
  let informers: SharedInformerFactory | undefined;
  try {
    if (podWatch) {
      // the binding client watches too, as the scheduler's one client does
      informers = new SharedInformerFactory(client);
      const pods = informers.informerFor({ apiVersion: 'v1', kind: 'Pod' });
      pods.events$().subscribe(() => undefined);
      await pods.waitForCacheSync();
    }
    const b = watchBindings(server, podCount);
    const t0 = performance.now();
    await inBatches(podCount, 16, (i) => client.transport.requestJSON({
      method: 'POST',
      path: `/api/v1/namespaces/default/pods/bench-pod-${i}/binding`,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: `bench-pod-${i}`, namespace: 'default' }, target: { apiVersion: 'v1', kind: 'Node', name: `bench-node-${i % nodeCount}` } }),
    }));
    await within(b.all, () => `only ${b.count()}/${podCount} pods bound`);
    return podCount / ((b.last() - t0) / 1000);
  } finally {
    informers?.shutdown();
    client.close();
    await server.stop();
  }
}

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const podCount = flag(args, '--pods', quick ? 1000 : 10_000);
  const nodeCount = flag(args, '--nodes', quick ? 50 : 500);
  const rounds = flag(args, '--rounds', quick ? 2 : 3);
  const k: number[] = [];
  const f: number[] = [];
  const syncs: number[] = [];
  const watchFloor = args.includes('--watch-floor');
  const fw: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const r = await schedulerRound(podCount, nodeCount);
    k.push(r.rate);
    syncs.push(r.syncSeconds);
    f.push(await bindOnlyRound(podCount, nodeCount));
    if (watchFloor) fw.push(await bindOnlyRound(podCount, nodeCount, true));
  }
  const base = { bench: 'scheduler', pods: podCount, nodes: nodeCount, rounds };
  console.log(JSON.stringify({
    ...base, metric: 'pods_scheduled_per_sec', unit: 'pods/s', kubeloop: spread(k), floor: spread(f), ratio: spread(k.map((x, i) => x / f[i])),
    goal: 'ratio >= 0.8 (median)', floor_is: 'bind-only: the same bindings by the same client, 16 at a time, no scheduling',
  }));
  if (watchFloor) {
    console.log(JSON.stringify({
      ...base, metric: 'pods_bound_per_sec_with_pod_watch', unit: 'pods/s', kubeloop: spread(k), floor_with_pod_watch: spread(fw), floor: spread(f),
      ratio: spread(k.map((x, i) => x / fw[i])), floor_with_pod_watch_over_floor: spread(fw.map((x, i) => x / f[i])),
      floor_is: 'bind-only as above, with a kubeloop pod informer watching in the same process (not the goal)',
    }));
  }
  console.log(JSON.stringify({ ...base, metric: 'cache_sync_time', unit: 's', kubeloop: spread(syncs) }));
}
