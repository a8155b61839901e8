/**
 * The route controller suites' environment, all in-process: the built-in API server, the
 * cloud emulator, a simulated cluster of static nodes whose providerIDs name (fake) ECS
 * instances, and the route controller on its own Manager (startable and stoppable on its own,
 * to test what happens while it is down).
 */
import pino from 'pino';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { startCloudSim, type CloudSim, type CloudSimOptions } from '../../src/cloudsim/index.js';
import { createAlibabaCloud, type AlibabaCloud, type RouteEntry, type VpcRouteApi } from '../../src/cloud/index.js';
import { startSimCluster, type SimCluster, type SimComponents, type StaticNodeSpec } from '../../src/simcluster/index.js';
import { Manager, type Logger } from '../../src/controller/index.js';
import { createRegistry, type Registry } from '../../src/observability/index.js';
import { plugin } from '../../controllers/route/index.js';
import type { KubeObject } from '../../src/api/index.js';

export const CLUSTER_CIDR = '172.16.0.0/16';
export const REGION = 'cn-hangzhou';

export type Obj = KubeObject & { spec?: any; status?: any; [k: string]: any };
export const NodeKind = { apiVersion: 'v1', kind: 'Node' };
export const EventKind = { apiVersion: 'v1', kind: 'Event' };

export const silent = () => pino({ level: process.env.LOG_LEVEL ?? 'silent' }) as unknown as Logger;

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
  const server = await startApiServer({ port: 0 });
  const cloud = await startCloudSim({ port: 0, regionId: REGION, timings: { routeSettleMs: 20, ...opts.cloud?.timings }, ...opts.cloud });
  const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
  const sim = await startSimCluster({
    logger: silent(), kubeconfig: server.kubeconfig, nodes: opts.nodes ?? [], clusterCidr: opts.clusterCidr ?? CLUSTER_CIDR,
    region: REGION,
    components: { scheduler: false, kubelet: false, replicaSet: false, deployment: false, daemonSet: false, disruption: false, cloudNodes: !!opts.cloudNodes, ...opts.components },
    cloud: opts.cloudNodes ? { url: cloud.url } : undefined,
    timings: { leaseRenewIntervalMs: 200, leaseDurationSeconds: 2, nodeStatusReportMs: 2_000, nodeMonitorGracePeriodMs: 1_500 },
  });
  const api = createAlibabaCloud({
    regionId: cloud.regionId, emulator: cloud.url,
    credentials: { accessKeyId: cloud.accessKeyId, accessKeySecret: cloud.accessKeySecret },
    retry: { baseDelayMs: 20, maxDelayMs: 200 },
  });
  const tableId = cloud.state.routeTables[0].routeTableId;
  return {
    server, cloud, sim, client, api, tableId,
    async stop() {
      await sim.stop();
      client.close();
      await cloud.stop();
      await server.stop();
    },
  };
}

export interface RunningController {
  manager: Manager;
  registry: Registry;
  stop(): Promise<void>;
}

/** Starts the route plugin on a fresh Manager with test-friendly durations (overridable by `flags`). */
export async function startRouteController(env: RouteEnv, flags: Record<string, unknown> = {}, vpc: VpcRouteApi = env.api.vpc): Promise<RunningController> {
  const registry = createRegistry();
  const manager = new Manager({
    kubeconfig: env.server.kubeconfig, logger: silent(), registry,
    metricsBindAddress: false, healthProbeBindAddress: false, handleSignals: false, gracefulShutdownTimeoutMs: 5_000,
  });
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

export const entries = (env: RouteEnv, tableId = env.tableId): RouteEntry[] =>
  (env.cloud.state.routeTables.find((t) => t.routeTableId === tableId)?.entries ?? []) as unknown as RouteEntry[];

export const customEntries = (env: RouteEnv, tableId = env.tableId) => entries(env, tableId).filter((e) => e.type === 'Custom');

export async function nodes(env: RouteEnv): Promise<Obj[]> {
  return (await env.client.list<Obj>(NodeKind)).items as Obj[];
}

export const networkCondition = (n: Obj) => n.status?.conditions?.find((c: any) => c.type === 'NetworkUnavailable');

export async function eventsFor(env: RouteEnv, name: string): Promise<Obj[]> {
  return ((await env.client.list<Obj>(EventKind, { namespace: 'default' })).items as Obj[]).filter((e) => e.involvedObject?.name === name);
}

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

/** Emulator fault rules (POST /_sim/faults), as a user would set them. */
export async function setFaults(env: RouteEnv, rules: unknown): Promise<void> {
  const res = await fetch(`${env.cloud.url}/_sim/faults`, { method: rules === null ? 'DELETE' : 'POST', body: rules === null ? undefined : JSON.stringify(rules), headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`/_sim/faults: ${res.status} ${await res.text()}`);
}

/** Calls per action since the last reset (GET /_sim/calls). */
export async function cloudCalls(env: RouteEnv, reset = false): Promise<Record<string, number>> {
  const res = await fetch(`${env.cloud.url}/_sim/calls`, { method: reset ? 'DELETE' : 'GET' });
  return ((await res.json()) as { calls: Record<string, number> }).calls;
}
