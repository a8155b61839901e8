// Scheduler throughput: pods bound per second for N pending pods on M nodes, with the
// simulated cluster's scheduler (a framework controller) running in-process against the
// built-in API server (also in-process). Only the scheduler runs (no kubelets), nodes are
// registered Ready up front and every pod is pending before the scheduler starts.
// `npm run bench -- scheduler [--pods 10000] [--nodes 500] [--quick]` (--quick: 1000 pods, 50 nodes).
import pino from 'pino';
import { startApiServer } from '../src/apiserver/index.js';
import { KubeClient, loadKubeConfig } from '../src/client/index.js';
import type { Logger } from '../src/controller/index.js';
import { startSimCluster } from '../src/simcluster/index.js';

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

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const podCount = flag(args, '--pods', quick ? 1000 : 10_000);
  const nodeCount = flag(args, '--nodes', quick ? 50 : 500);
  const server = await startApiServer({ port: 0, historySize: Math.max(10_000, podCount * 4) });
  const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
  try {
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

    let bound = 0;
    let lastBind = 0;
    let done!: () => void;
    const allBound = new Promise<void>((r) => (done = r));
    server.onChange((c) => {
      const obj = c.object as { kind?: string; spec?: { nodeName?: string } } | undefined;
      const old = c.old as { spec?: { nodeName?: string } } | undefined;
      if (!c.storageKey.endsWith('pods') || c.type !== 'MODIFIED' || !obj?.spec?.nodeName || old?.spec?.nodeName) return;
      bound++;
      lastBind = performance.now();
      if (bound === podCount) done();
    });
    const started = performance.now();
    const sim = await startSimCluster({
      kubeconfig: server.kubeconfig,
      logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }) as unknown as Logger,
      components: { nodes: false, nodeLifecycle: false, ipam: false, kubelet: false, replicaSet: false, deployment: false, daemonSet: false, statefulSet: false, job: false, disruption: false, cloudNodes: false },
    });
    const synced = performance.now();
    await Promise.race([allBound, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${bound}/${podCount} pods bound after 10 minutes`)), 600_000).unref())]);
    await sim.stop();
    const seconds = (lastBind - synced) / 1000;
    const base = { bench: 'scheduler', pods: podCount, nodes: nodeCount };
    console.log(JSON.stringify({ ...base, metric: 'pods_scheduled_per_sec', value: Math.round(podCount / seconds), unit: 'pods/s' }));
    console.log(JSON.stringify({ ...base, metric: 'time_to_schedule_all', value: Number(seconds.toFixed(3)), unit: 's' }));
    console.log(JSON.stringify({ ...base, metric: 'cache_sync_time', value: Number(((synced - started) / 1000).toFixed(3)), unit: 's' }));
  } finally {
    client.close();
    await server.stop();
  }
}
