/**
 * The route controller suites' environment, all in-process: the built-in API server, the
 * cloud emulator, a simulated cluster of static nodes whose providerIDs name (fake) ECS
 * instances, and the route controller on its own Manager (startable and stoppable on its own,
 * to test what happens while it is down).
 */
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeClient } from '../../src/client/index.js';
import type { CloudSim, CloudSimOptions } from '@kubeloop/ack/cloudsim';
import type { AlibabaCloud, RouteEntry, VpcRouteApi } from '@kubeloop/ack/cloud';
import type { SimCluster, SimComponents, StaticNodeSpec } from '../../src/simcluster/index.js';
import { Manager } from '../../src/controller/index.js';
import { createRegistry, type Registry } from '../../src/observability/index.js';
import { plugin, CONTROLLER_NAME, TABLES_CONTROLLER_NAME } from '@kubeloop/ack/route';
import { drained, eventually, reconciled } from '../../src/testing/index.js';
import * as support from '../support/index.js';
import {
  emulatorCloud, silent, startStack, testManager, EXTERNAL, externalTarget, emulatorState, type EmulatorEndpoint, type Obj,
} from '../support/index.js';
import { createAlibabaCloud } from '@kubeloop/ack/cloud';

export { eventually, silent, type Obj } from '../support/index.js';

export const CLUSTER_CIDR = '172.16.0.0/16';
export const REGION = 'cn-hangzhou';

export const NodeKind = { apiVersion: 'v1', kind: 'Node' };
export const EventKind = { apiVersion: 'v1', kind: 'Event' };

/** Static node `name` backed by instance `i-<name>`. */
export function nodeSpec(name: string, extra: Partial<StaticNodeSpec> = {}): StaticNodeSpec {
  return { name, providerID: `alicloud://${REGION}.i-${name}`, ...extra };
}

export interface RouteEnv {
  server: ApiServer;
  cloud: CloudSim;
  sim: SimCluster;
  client: KubeClient;
  api: AlibabaCloud;
  /** the (first) custom route table */
  tableId: string;
  stop(): Promise<void>;
}

export interface RouteEnvOptions {
  nodes?: StaticNodeSpec[];
  cloud?: CloudSimOptions;
  clusterCidr?: string;
  /** simulated components to switch off, e.g. `{ nodeLifecycle: false }` for Node objects created by the test */
  components?: Partial<SimComponents>;
  /** the emulator's scaling-group instances become nodes (providerID alicloud://<region>.<instanceId>) */
  cloudNodes?: boolean;
}

export async function startRouteEnv(opts: RouteEnvOptions = {}): Promise<RouteEnv> {
  const { server, cloud, sim, client, stop } = await startStack({
    cloud: { regionId: REGION, timings: { routeSettleMs: 20, ...opts.cloud?.timings }, ...opts.cloud },
    sim: (cloud) => ({
      logger: silent(), nodes: opts.nodes ?? [], clusterCidr: opts.clusterCidr ?? CLUSTER_CIDR,
      region: REGION,
      components: { scheduler: false, kubelet: false, replicaSet: false, deployment: false, daemonSet: false, disruption: false, cloudNodes: !!opts.cloudNodes, ...opts.components },
      cloud: opts.cloudNodes ? { url: cloud!.url } : undefined,
      timings: { leaseRenewIntervalMs: 200, leaseDurationSeconds: 2, nodeStatusReportMs: 2_000, nodeMonitorGracePeriodMs: 1_500 },
    }),
  });
  const api = emulatorCloud(cloud!, { baseDelayMs: 20, maxDelayMs: 200 });
  const tableId = cloud!.state.routeTables[0].routeTableId;
  return { server, cloud: cloud!, sim: sim!, client, api, tableId, stop };
}

export interface RunningController {
  manager: Manager;
  registry: Registry;
  stop(): Promise<void>;
}

/**
 * Starts the route plugin on a fresh Manager with test-friendly durations (overridable by `flags`);
 * `probes` serves /healthz and /readyz on a free port (`manager.healthProbeUrl`).
 */
export async function startRouteController(env: RouteEnv, flags: Record<string, unknown> = {}, vpc: VpcRouteApi = env.api.vpc, opts: { probes?: boolean } = {}): Promise<RunningController> {
  const registry = createRegistry();
  const manager = opts.probes
    ? new Manager({ kubeconfig: env.server.kubeconfig, logger: silent(), registry, metricsBindAddress: false, healthProbeBindAddress: 0, handleSignals: false, gracefulShutdownTimeoutMs: 5_000 })
    : testManager(env.server.kubeconfig, silent(), registry);
  await plugin.setup(manager, {
    flags: {
      clusterCidr: CLUSTER_CIDR, configureCloudRoutes: true, routeReconciliationPeriod: '2s', routeReconcileBatchSize: '50',
      nodeEventAggregationWaitSeconds: '0.2', dryRun: false, clusterName: 'test', routeTableIds: env.tableId, ...flags,
    },
    cloud: { ...env.api, vpc },
    logger: silent(),
  });
  await manager.start();
  return { manager, registry, stop: () => manager.stop() };
}

export const entries = (env: RouteEnv, tableId = env.tableId): RouteEntry[] =>
  (env.cloud.state.routeTables.find((t) => t.routeTableId === tableId)?.entries ?? []) as unknown as RouteEntry[];

export const customEntries = (env: RouteEnv, tableId = env.tableId) => entries(env, tableId).filter((e) => e.type === 'Custom');

export async function nodes(env: RouteEnv): Promise<Obj[]> {
  return (await env.client.list<Obj>(NodeKind)).items as Obj[];
}

export const networkCondition = (n: Obj) => n.status?.conditions?.find((c: any) => c.type === 'NetworkUnavailable');

export const eventsFor = (env: RouteEnv, name: string): Promise<Obj[]> => support.eventsFor(env.client, name);

/** Every node has a route to its instance and NetworkUnavailable=False/RouteCreated. */
export async function converged(env: RouteEnv, names: string[], tableId = env.tableId): Promise<boolean> {
  const ns = (await nodes(env)).filter((n) => names.includes(n.metadata.name!));
  if (ns.length !== names.length) return false;
  const es = customEntries(env, tableId);
  return ns.every((n) => n.spec?.podCIDR
    && es.some((e) => e.destinationCidrBlock === n.spec.podCIDR && e.nextHopId === `i-${n.metadata.name}` && e.status === 'Available')
    && networkCondition(n)?.status === 'False' && networkCondition(n)?.reason === 'RouteCreated');
}

/** A Node object created directly (no simulated kubelet): podCIDR and providerID as given. */
export async function createNode(env: RouteEnv, name: string, podCIDR: string, extra: { labels?: Record<string, string>; providerID?: string } = {}): Promise<void> {
  await env.client.create({
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: extra.labels },
    spec: { podCIDR, podCIDRs: [podCIDR], providerID: extra.providerID ?? `${REGION}.i-${name}` },
  } as Obj);
}

/** Emulator fault rules (POST /_sim/faults; null clears), as a user would set them. */
export const setFaults = (env: RouteEnv, rules: unknown): Promise<void> => support.setFaults(env.cloud, rules);

/** Creates or replaces a RAM policy and attaches it to `user` (PUT /_sim/ram/users/{user}/policies/{name}). */
export const setRamPolicy = (env: RouteEnv, user: string, name: string, statements: unknown[]): Promise<void> =>
  support.setRamPolicy(env.cloud, { user }, name, { Version: '1', Statement: statements });

/** Calls per action since the last reset (GET /_sim/calls). */
export const cloudCalls = (env: RouteEnv, reset = false): Promise<Record<string, number>> => support.cloudCalls(env.cloud, reset);

/** The route controller's cached view of node `name` (what its passes plan from). */
export const cachedNode = (ctl: RunningController, name: string): Obj | undefined => ctl.manager.cache<Obj>(NodeKind).get(name);

/**
 * The positive signal "nothing happens" checks wait on instead of a sleep: once the
 * controller's cache shows what the test changed (`seen`), `times` passes over `tableId` that
 * began afterwards have finished, and the node controller has no node left to update and its
 * Events are written. Then whatever the controller would have done about the change is done.
 */
export async function settled(ctl: RunningController, env: RouteEnv, opts: { seen?: () => unknown; times?: number; tableId?: string } = {}): Promise<void> {
  if (opts.seen) await eventually('the controller\'s cache shows the change', opts.seen);
  await reconciled(ctl.manager, TABLES_CONTROLLER_NAME, { key: opts.tableId ?? env.tableId, times: opts.times ?? 1, timeoutMs: 30_000 });
  await drained(ctl.manager, CONTROLLER_NAME);
}

/**
 * The route controller as a user meets it, in either mode (e2e/support/target.ts): a client
 * of the cluster, the emulator over HTTP (its VPC API through the SDK, its state through
 * /_sim/state) and a controller that is running. In-process: the built-in server, the
 * emulator and the route controller started here, with Node objects created by the test (no
 * simulated kubelets). External: the cluster's own route controller (the chart's flags) and
 * the emulator at $E2E_CLOUD_URL; the test's Node objects get pod CIDRs at the top of the
 * cluster CIDR, away from the cluster's own nodes.
 */
export interface RouteTarget {
  client: KubeClient;
  emulator: EmulatorEndpoint;
  /** the VPC API of the emulator, through the SDK */
  api: AlibabaCloud;
  /** the route table the controller writes (the region's only one) */
  tableId: string;
  /** the route controller's --cluster-cidr */
  clusterCidr: string;
  /** route entries of the table, read from GET /_sim/state */
  entries(): Promise<RouteEntry[]>;
  /** the text of the controller's /metrics (external mode: $E2E_METRICS_URL_ROUTE, else undefined) */
  metrics(): Promise<string | undefined>;
  stop(): Promise<void>;
}

export async function startRouteTarget(): Promise<RouteTarget> {
  if (EXTERNAL) {
    const t = externalTarget();
    if (!t.cloud) throw new Error('the route suites need the cloud emulator: set E2E_CLOUD_URL');
    const emulator = t.cloud;
    const client = t.client();
    const tableId = ((await emulatorState(emulator)).routeTables[0]?.routeTableId) as string;
    const api = createAlibabaCloud({ regionId: emulator.regionId, emulator: emulator.url, credentials: { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret } });
    const url = process.env.E2E_METRICS_URL_ROUTE;
    return {
      client, emulator, api, tableId, clusterCidr: t.clusterCidr,
      entries: async () => (((await emulatorState(emulator)).routeTables.find((x: any) => x.routeTableId === tableId)?.entries ?? []) as RouteEntry[]),
      metrics: async () => (url ? (await fetch(`${url}/metrics`)).text() : undefined),
      stop: async () => client.close(),
    };
  }
  const env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false } });
  const ctl = await startRouteController(env);
  const emulator = { url: env.cloud.url, regionId: env.cloud.regionId, accessKeyId: env.cloud.accessKeyId, accessKeySecret: env.cloud.accessKeySecret };
  return {
    client: env.client, emulator, api: env.api, tableId: env.tableId, clusterCidr: CLUSTER_CIDR,
    entries: async () => (((await emulatorState(emulator)).routeTables.find((x: any) => x.routeTableId === env.tableId)?.entries ?? []) as RouteEntry[]),
    metrics: () => ctl.registry.metrics(),
    async stop() { await ctl.stop(); await env.stop(); },
  };
}

/** The `i`-th /24 from the top of `clusterCidr` (a /16 or wider): pod CIDRs no real node of a small cluster has. */
export function topSubnet(clusterCidr: string, i: number): string {
  const [base] = clusterCidr.split('/');
  const [a, b] = base.split('.');
  return `${a}.${b}.${250 - i}.0/24`;
}
