/**
 * The simulated cluster suites' environment: API server + cloud emulator + simcluster
 * in-process, or (E2E_TARGET=external with E2E_SIMULATED_NODES=1, e2e/support/target.ts) the
 * simulated cluster of a separate `kubeloop dev`, reached by its kubeconfig and the emulator's
 * URL only; the suites' objects then go into a namespace of their own, deleted at the end.
 */
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeClient } from '../../src/client/index.js';
import type { CloudSim } from '@kubeloop/ack/cloudsim';
import { pullManifest } from '@kubeloop/ack/cloud';
import type { SimCluster, SimClusterOptions } from '../../src/simcluster/index.js';
import * as support from '../support/index.js';
import {
  defaultServiceAccount, silent, startStack, EXTERNAL, externalTarget, externalNamespace, emulatorState, emulatorPort, withoutInProcess,
  type EmulatorEndpoint, type Obj,
} from '../support/index.js';

export { eventually, type Obj } from '../support/index.js';

export interface Env {
  /** in-process only (a getter that throws in external mode) */
  server: ApiServer;
  /** in-process only */
  cloud?: CloudSim;
  /** in-process only */
  sim: SimCluster;
  client: KubeClient;
  /** the cluster's kubeconfig (text) */
  kubeconfig: string;
  /** where the suite's objects go: `default` in-process, a namespace of the suite's own in external mode */
  ns: string;
  /** the emulator as a user reaches it, when there is one */
  emulator?: EmulatorEndpoint;
  /** the emulator's state document (GET /_sim/state) */
  emulatorState(): Promise<any>;
  /** the emulator's port (registry domains carry `{port}`) */
  emulatorPort(): number;
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

/** In external mode `opts` are ignored: the cluster is what it is (see `inProcessOnly` for scenarios that need their own). */
export async function startEnv(opts: Partial<SimClusterOptions> & { withCloud?: boolean; cloudBootMs?: number } = {}): Promise<Env> {
  if (EXTERNAL) return startExternalEnv();
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
  const emulator = cloud ? { url: cloud.url, regionId: cloud.regionId, accessKeyId: cloud.accessKeyId, accessKeySecret: cloud.accessKeySecret } : undefined;
  return {
    server, cloud, sim: sim!, client, kubeconfig: server.kubeconfig, ns: 'default', emulator,
    emulatorState: async () => cloud!.state, emulatorPort: () => cloud!.port, stop,
  };
}

async function startExternalEnv(): Promise<Env> {
  const t = externalTarget();
  const client = t.client();
  const ns = await externalNamespace(client, 'e2e-simcluster');
  const env = {
    client, kubeconfig: t.kubeconfig, ns: ns.name, emulator: t.cloud,
    emulatorState: () => emulatorState(t.cloud!), emulatorPort: () => emulatorPort(t.cloud!),
    async stop() { await ns.remove(); client.close(); },
  } as Env;
  return withoutInProcess(env, ['server', 'cloud', 'sim']);
}

export const PodKind = { apiVersion: 'v1', kind: 'Pod' };
export const NodeKind = { apiVersion: 'v1', kind: 'Node' };
export const EventKind = { apiVersion: 'v1', kind: 'Event' };

export async function pods(client: KubeClient, selector?: string, namespace = 'default'): Promise<Obj[]> {
  return (await client.list<Obj>(PodKind, { namespace, labelSelector: selector })).items as Obj[];
}

export const eventsFor = (client: KubeClient, name: string, namespace = 'default'): Promise<Obj[]> => support.eventsFor(client, name, namespace);

export const isReady = (p: Obj) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

export function deployment(name: string, replicas: number, extra: { image?: string; cpu?: string; grace?: number; namespace?: string } = {}): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: extra.namespace ?? 'default' },
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
