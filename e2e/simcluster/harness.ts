/** The simulated cluster suites' environment: API server + cloud emulator + simcluster in-process. */
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { startCloudSim, type CloudSim } from '../../src/cloudsim/index.js';
import { startSimCluster, type SimCluster, type SimClusterOptions } from '../../src/simcluster/index.js';
import type { KubeObject } from '../../src/api/index.js';
import type { Logger } from '../../src/controller/index.js';
import pino from 'pino';

export interface Env {
  server: ApiServer;
  cloud?: CloudSim;
  sim: SimCluster;
  client: KubeClient;
  stop(): Promise<void>;
}

/** Short timings so lifecycle behaviour shows within a test. */
export const fastTimings = {
  leaseRenewIntervalMs: 200,
  leaseDurationSeconds: 2,
  nodeStatusReportMs: 2_000,
  nodeMonitorGracePeriodMs: 1_500,
  schedulerRetryMs: 500,
  imagePullBackoffMs: 300,
  imagePullBackoffMaxMs: 1_000,
};

export async function startEnv(opts: Partial<SimClusterOptions> & { withCloud?: boolean; cloudBootMs?: number } = {}): Promise<Env> {
  const server = await startApiServer({ port: 0 });
  const cloud = opts.withCloud ? await startCloudSim({ port: 0, timings: { bootDelayMs: opts.cloudBootMs ?? 100 } }) : undefined;
  const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
  const sim = await startSimCluster({
    // reconcile errors (optimistic-lock conflicts) are routine; LOG_LEVEL=debug shows them
    logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }) as unknown as Logger,
    kubeconfig: server.kubeconfig, nodes: 3, ...opts, timings: { ...fastTimings, ...opts.timings },
    cloud: cloud ? { url: cloud.url } : undefined, region: cloud?.regionId,
  });
  // pods need the namespace's default ServiceAccount (admission), which a controller creates
  await eventually('default ServiceAccount', async () => {
    try { await client.get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'default', { namespace: 'default' }); return true; } catch { return false; }
  });
  return {
    server, cloud, sim, client,
    async stop() {
      await sim.stop();
      client.close();
      await cloud?.stop();
      await server.stop();
    },
  };
}

export async function eventually<T>(what: string, cond: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type Obj = KubeObject & { spec?: any; status?: any; [k: string]: any };

export const PodKind = { apiVersion: 'v1', kind: 'Pod' };
export const NodeKind = { apiVersion: 'v1', kind: 'Node' };
export const EventKind = { apiVersion: 'v1', kind: 'Event' };

export async function pods(client: KubeClient, selector?: string, namespace = 'default'): Promise<Obj[]> {
  return (await client.list<Obj>(PodKind, { namespace, labelSelector: selector })).items as Obj[];
}

export async function eventsFor(client: KubeClient, name: string, namespace = 'default'): Promise<Obj[]> {
  return ((await client.list<Obj>(EventKind, { namespace })).items as Obj[]).filter((e) => e.involvedObject?.name === name);
}

export const isReady = (p: Obj) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

export function deployment(name: string, replicas: number, extra: { image?: string; cpu?: string; grace?: number } = {}): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: extra.grace ?? 1,
          containers: [{ name: 'app', image: extra.image ?? 'nginx:1.27', resources: { requests: { cpu: extra.cpu ?? '100m', memory: '64Mi' } } }],
        },
      },
    },
  };
}
