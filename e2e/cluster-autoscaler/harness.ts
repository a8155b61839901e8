/**
 * The cluster autoscaler suites' environment, in-process: the built-in API server, the cloud
 * emulator with the test's scaling groups, a simulated cluster whose cloud instances become
 * nodes (scheduler, kubelets, Deployments, disruption controller), and the autoscaler plugin
 * on its own Manager with durations in milliseconds.
 */
import pino from 'pino';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { encodeUserData, NODEPOOL_ID_LABEL, startCloudSim, type CloudSim, type CloudState } from '@kubeloop/ack/cloudsim';
import { createAlibabaCloud, pullManifest, type AlibabaCloud } from '@kubeloop/ack/cloud';
import { startSimCluster, type SimCluster, type StaticNodeSpec } from '../../src/simcluster/index.js';
import { Manager, type Logger } from '../../src/controller/index.js';
import { createRegistry, type Registry } from '../../src/observability/index.js';
import { plugin, CONTROLLER_NAME, LOOP_KEY } from '@kubeloop/ack/cluster-autoscaler';
import { reconciled } from '../../src/testing/index.js';
import { installAckSystemDaemonSets } from '@kubeloop/ack/ack-system';
import type { KubeObject } from '../../src/api/index.js';
import { eventually } from '../support/index.js';

export { eventually };

export const REGION = 'cn-hangzhou';
export type Obj = KubeObject & { spec?: any; status?: any; [k: string]: any };
export const PodKind = { apiVersion: 'v1', kind: 'Pod' };
export const NodeKind = { apiVersion: 'v1', kind: 'Node' };
export const EventKind = { apiVersion: 'v1', kind: 'Event' };
export const PDB = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' };

export const silent = () => pino({ level: process.env.LOG_LEVEL ?? 'silent' }) as unknown as Logger;

export interface GroupSpec {
  /** scaling group name; its id is looked up after start (`env.groupId(name)`) */
  name: string;
  instanceType?: string;
  min?: number;
  max?: number;
  desired?: number;
  zone?: string;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
  /** emulator boot delay of this group's instances (negative: never boot) */
  bootDelayMs?: number;
  /** the instances boot (InService) but their node bootstrap fails: no Node ever registers */
  bootstrapFails?: boolean;
  /**
   * false: a group created without the "Expected number of instances" feature (no desired
   * capacity; ESS refuses DesiredCapacity and runs one scaling activity at a time); it starts
   * with `desired` instances (default min)
   */
  desiredCapacity?: false;
}

export interface CaEnv {
  server: ApiServer;
  cloud: CloudSim;
  sim: SimCluster;
  client: KubeClient;
  api: AlibabaCloud;
  groupId(name: string): string;
  stop(): Promise<void>;
}

/** Replaces the emulator's default group with `groups`. */
export function customize(state: CloudState, groups: GroupSpec[]): void {
  const base = state.scalingGroups[0];
  const baseConf = state.scalingConfigurations[0];
  state.scalingGroups = [];
  state.scalingConfigurations = [];
  groups.forEach((g, i) => {
    const id = `asg-test${i}${g.name.replace(/[^a-z0-9]/g, '')}`;
    const conf = `asc-test${i}`;
    const nodeLabels = { [NODEPOOL_ID_LABEL]: `np-test${i}`, pool: g.name, ...g.labels };
    state.scalingGroups.push({
      ...base, scalingGroupId: id, scalingGroupName: g.name, minSize: g.min ?? 0, maxSize: g.max ?? 10, desiredCapacity: g.desired ?? g.min ?? 0,
      activeScalingConfigurationId: conf, zoneIds: [g.zone ?? `${REGION}-k`], vSwitchIds: [`vsw-test${i}${(g.zone ?? `${REGION}-k`).replace(/[^a-z0-9]/g, '')}`], bootDelayMs: g.bootDelayMs, bootstrapFails: g.bootstrapFails,
      tags: [{ key: 'k8s.io/cluster-autoscaler/enabled', value: 'true' }, { key: 'pool', value: g.name }],
    });
    if (g.desiredCapacity === false) {
      // ESS keeps such a group within MinSize..MaxSize only: it starts at `desired` as its
      // MinSize, which startCaEnv sets back once the emulator launched them
      const group = state.scalingGroups[state.scalingGroups.length - 1];
      delete group.desiredCapacity;
      group.minSize = Math.max(g.min ?? 0, g.desired ?? 0);
    }
    state.scalingConfigurations.push({
      ...baseConf, scalingConfigurationId: conf, scalingConfigurationName: g.name, scalingGroupId: id,
      instanceType: g.instanceType ?? 'ecs.g7.large', userData: encodeUserData(nodeLabels, g.taints ?? []),
      // as an ACK node pool: its node labels are also the scaling configuration's tags
      tags: Object.entries(nodeLabels).map(([key, value]) => ({ key, value })),
    });
  });
}

/**
 * The environment is ACK as it is: nodes named `<region>.<private-ip>` with providerID
 * `<region>.<instance-id>` (or `alicloud://…` with `providerIdForm`), allocatable below
 * capacity by ACK's reservation, and ACK's system DaemonSets on every node (unless
 * `systemDaemonSets: false`).
 */
export async function startCaEnv(groups: GroupSpec[], opts: { staticNodes?: StaticNodeSpec[]; providerIdForm?: 'ack' | 'alicloud'; systemDaemonSets?: boolean; removeDelayMs?: number; activityRetry?: { budgetMs?: number } } = {}): Promise<CaEnv> {
  const server = await startApiServer({ port: 0 });
  const cloud = await startCloudSim({ port: 0, regionId: REGION, timings: { bootDelayMs: 150, removeDelayMs: opts.removeDelayMs }, customize: (s) => customize(s, groups) });
  groups.forEach((g, i) => { if (g.desiredCapacity === false) cloud.state.scalingGroups[i].minSize = g.min ?? 0; });
  const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
  const sim = await startSimCluster({
    logger: silent(), kubeconfig: server.kubeconfig, nodes: opts.staticNodes ?? [], region: REGION, cloud: { url: cloud.url, pullManifest, providerIdForm: opts.providerIdForm },
    timings: {
      leaseRenewIntervalMs: 200, leaseDurationSeconds: 2, nodeStatusReportMs: 2_000, nodeMonitorGracePeriodMs: 3_000, schedulerRetryMs: 300,
      imagePullBackoffMs: 300, imagePullBackoffMaxMs: 1_000,
    },
  });
  const api = createAlibabaCloud({
    regionId: cloud.regionId, emulator: cloud.url,
    credentials: { accessKeyId: cloud.accessKeyId, accessKeySecret: cloud.accessKeySecret },
    retry: { baseDelayMs: 20, maxDelayMs: 200 },
    activityRetry: opts.activityRetry,
  });
  if (opts.systemDaemonSets !== false) await installAckSystemDaemonSets(client);
  await eventually('default ServiceAccount', async () => {
    try { await client.get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'default', { namespace: 'default' }); return true; } catch { return false; }
  });
  return {
    server, cloud, sim, client, api,
    groupId(name) {
      const g = cloud.state.scalingGroups.find((x) => x.scalingGroupName === name);
      if (!g) throw new Error(`no group ${name}`);
      return g.scalingGroupId;
    },
    async stop() {
      await sim.stop();
      client.close();
      await cloud.stop();
      await server.stop();
    },
  };
}

export interface RunningAutoscaler {
  manager: Manager;
  registry: Registry;
  stop(): Promise<void>;
}

/** Fast durations for tests; override any flag (commander attribute names). */
export const FAST_FLAGS = {
  scanInterval: '300ms', expander: 'least-waste', maxNodesTotal: '0', coresTotal: '0:320000', memoryTotal: '0:6400000',
  maxNodeProvisionTime: '15m', initialNodeGroupBackoffDuration: '5m', maxNodeGroupBackoffDuration: '30m', nodeGroupBackoffResetTimeout: '3h',
  scaleDownEnabled: true, scaleDownUtilizationThreshold: '0.5', scaleDownUnneededTime: '1s', scaleDownDelayAfterAdd: '0s',
  scaleDownDelayAfterFailure: '1s', maxEmptyBulkDelete: '10', maxGracefulTerminationSec: '10', maxPodEvictionTime: '30s',
  skipNodesWithSystemPods: true, skipNodesWithLocalStorage: true, writeStatusConfigmap: true, statusConfigMapName: 'cluster-autoscaler-status', autoscalerNamespace: 'kube-system',
  nodes: [] as string[], nodeGroupAutoDiscovery: [] as string[],
};

export async function startAutoscaler(env: CaEnv, flags: Partial<typeof FAST_FLAGS> & Record<string, unknown>): Promise<RunningAutoscaler> {
  const registry = createRegistry();
  const manager = new Manager({
    kubeconfig: env.server.kubeconfig, logger: silent(), registry,
    metricsBindAddress: false, healthProbeBindAddress: false, handleSignals: false, gracefulShutdownTimeoutMs: 5_000,
  });
  const handle = await plugin.setup(manager, { flags: { ...FAST_FLAGS, ...flags }, cloud: env.api, logger: silent() });
  await manager.start();
  return {
    manager, registry,
    async stop() {
      await manager.stop();
      await handle?.stop();
    },
  };
}

export async function pods(client: KubeClient, selector?: string, namespace = 'default'): Promise<Obj[]> {
  return (await client.list<Obj>(PodKind, { namespace, labelSelector: selector })).items as Obj[];
}

export async function nodes(client: KubeClient): Promise<Obj[]> {
  return (await client.list<Obj>(NodeKind)).items as Obj[];
}

export async function events(client: KubeClient, reason: string, namespace = 'default'): Promise<Obj[]> {
  return ((await client.list<Obj>(EventKind, { namespace })).items as Obj[]).filter((e) => e.reason === reason);
}

export const isRunning = (p: Obj) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp;
export const isReady = (n: Obj) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

export function deployment(name: string, replicas: number, extra: { cpu?: string; memory?: string; nodeSelector?: Record<string, string>; tolerations?: any[]; affinity?: any; annotations?: Record<string, string>; namespace?: string } = {}): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: extra.namespace ?? 'default' },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: extra.annotations },
        spec: {
          terminationGracePeriodSeconds: 0, nodeSelector: extra.nodeSelector, tolerations: extra.tolerations, affinity: extra.affinity,
          containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: extra.cpu ?? '600m', memory: extra.memory ?? '256Mi' } } }],
        },
      },
    },
  };
}

/**
 * Resolves once `times` autoscaler loops that began after the call have finished, once the
 * autoscaler's caches show what `seen` checks (default: nothing to check). What "nothing more
 * happens" assertions wait on instead of a sleep: a loop that saw the state has planned from it.
 */
export async function loops(ca: RunningAutoscaler, times = 2, seen?: (cache: { nodes: Obj[]; pods: Obj[] }) => unknown): Promise<void> {
  if (seen) await eventually('the autoscaler\'s caches show the change', () => seen({ nodes: ca.manager.cache<Obj>(NodeKind).list(), pods: ca.manager.cache<Obj>(PodKind).list() }));
  await reconciled(ca.manager, CONTROLLER_NAME, { key: LOOP_KEY, times, timeoutMs: 30_000 });
}

/** A gauge or counter of the autoscaler's registry (labels must match exactly when given). */
export async function metric(ca: RunningAutoscaler, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const m = ca.registry.getSingleMetric(name);
  if (!m) return undefined;
  const v = (await m.get()).values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value;
}
