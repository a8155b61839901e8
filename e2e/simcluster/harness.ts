/** The simulated cluster suites' environment: API server + cloud emulator + simcluster in-process. */
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeClient } from '../../src/client/index.js';
import type { CloudSim } from '@kubeloop/ack/cloudsim';
import { pullManifest } from '@kubeloop/ack/cloud';
import type { SimCluster, SimClusterOptions } from '../../src/simcluster/index.js';
import * as support from '../support/index.js';
import { defaultServiceAccount, silent, startStack, type Obj } from '../support/index.js';

export { eventually, type Obj } from '../support/index.js';

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
  const { server, cloud, sim, client, stop } = await startStack({
    cloud: opts.withCloud ? { timings: { bootDelayMs: opts.cloudBootMs ?? 100 } } : undefined,
    sim: (cloud) => ({
      // reconcile errors (optimistic-lock conflicts) are routine; LOG_LEVEL=debug shows them
      logger: silent(),
      nodes: 3, ...opts, timings: { ...fastTimings, ...opts.timings },
      cloud: cloud ? { url: cloud.url, pullManifest } : undefined, region: cloud?.regionId,
    }),
  });
  // pods need the namespace's default ServiceAccount (admission), which a controller creates
  await defaultServiceAccount(client, 'default');
  return { server, cloud, sim: sim!, client, stop };
}

export const PodKind = { apiVersion: 'v1', kind: 'Pod' };
export const NodeKind = { apiVersion: 'v1', kind: 'Node' };
export const EventKind = { apiVersion: 'v1', kind: 'Event' };

export async function pods(client: KubeClient, selector?: string, namespace = 'default'): Promise<Obj[]> {
  return (await client.list<Obj>(PodKind, { namespace, labelSelector: selector })).items as Obj[];
}

export const eventsFor = (client: KubeClient, name: string, namespace = 'default'): Promise<Obj[]> => support.eventsFor(client, name, namespace);

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
