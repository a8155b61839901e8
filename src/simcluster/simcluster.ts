/**
 * `startSimCluster(opts)`: the simulated cluster as one Manager running every simulated
 * component as a controller on shared informers — node heartbeats, node lifecycle, node
 * IPAM, the scheduler, the kubelet, ReplicaSet/Deployment/DaemonSet controllers and the
 * disruption controller — plus the bridge that turns cloud emulator instances into nodes.
 */
import { createRequire } from 'node:module';
import { isAlreadyExists } from '../api/index.js';
import { KubeClient, loadKubeConfig, type ClientConfig } from '../client/index.js';
import { ContainerModule, Manager, Node, type Logger, type NodeObject } from '../controller/index.js';
import { createRegistry, type Registry } from '../observability/index.js';
import { CidrAllocator } from './cidr.js';
import { CloudNodeSource } from './cloudnodes.js';
import {
  NODE_LEASE_NAMESPACE, SIM, defaultTimings,
  type ResolvedSimConfig, type SimCloudOptions, type SimComponents, type SimContext, type SimTimings, type StaticNodeSpec,
} from './config.js';
import { DaemonSetController } from './daemonset.js';
import { DeploymentController } from './deployment.js';
import { DisruptionController } from './disruption.js';
import { EndpointsController } from './endpoints.js';
import { MetricsServerController } from './metrics-server.js';
import { SimNetwork } from './network.js';
import { NodeIpamController } from './ipam.js';
import { JobController } from './job.js';
import { KubeletController } from './kubelet.js';
import { NodeLifecycleController } from './lifecycle.js';
import { NodeHeartbeatController, NodePool, staticNode, type HostedNode } from './nodes.js';
import { PodGcController } from './podgc.js';
import { ReplicaSetController } from './replicaset.js';
import { SchedulerController } from './scheduler.js';
import { StatefulSetController } from './statefulset.js';

// required, not imported: Node 20 scans an imported CommonJS package for its export names (~6 ms a start)
const pino = createRequire(import.meta.url)('pino') as typeof import('pino').default;

export interface SimClusterOptions {
  /** kubeconfig path, YAML content or loaded config of the API server. Ignored when `client` is given. */
  kubeconfig?: string | ClientConfig;
  client?: KubeClient;
  /** Static nodes: a count (named sim-node-1..N, 4 cpu / 16Gi each) or full specs. Default none. */
  nodes?: number | StaticNodeSpec[];
  /** Cluster CIDR for node podCIDRs (default 172.16.0.0/16). */
  clusterCidr?: string;
  /** Size of each node's pod range (default 24). */
  nodeCidrMaskSize?: number;
  /** Region for topology labels of static nodes (default cn-hangzhou). */
  region?: string;
  timings?: Partial<SimTimings>;
  /** Components to run (default all). */
  components?: Partial<SimComponents>;
  /** The cloud emulator: its instances become nodes and its registry serves images. */
  cloud?: SimCloudOptions;
  /** Pods with this `spec.schedulerName` are scheduled (default default-scheduler). */
  schedulerName?: string;
  /** Default: pino at LOG_LEVEL or "warn", on stderr. */
  logger?: Logger;
  /** Metrics registry (default a fresh one, so several clusters can share a process). */
  registry?: Registry;
}

export interface SimCluster {
  readonly manager: Manager;
  readonly client: KubeClient;
  readonly pool: NodePool;
  readonly config: ResolvedSimConfig;
  /**
   * The pod network as the host sees it: give `network.dial` to the API server
   * (`apiServer.setDialer`) so it reaches pods (aggregated API servers) through it.
   */
  readonly network: SimNetwork;
  /** Registers another static node (and hosts its kubelet). */
  addNode(spec: StaticNodeSpec): Promise<void>;
  /** Stops hosting a node and deletes its Node object. */
  removeNode(name: string): Promise<void>;
  /** Stops a node's kubelet (no heartbeats): it turns NotReady/Unknown after the grace period. */
  pauseNode(name: string): void;
  resumeNode(name: string): void;
  stop(): Promise<void>;
}

const allComponents: SimComponents = {
  nodes: true, nodeLifecycle: true, ipam: true, scheduler: true, kubelet: true,
  replicaSet: true, deployment: true, daemonSet: true, statefulSet: true, job: true, disruption: true,
  endpoints: true, metricsServer: true, cloudNodes: true,
};

export function staticNodeSpecs(nodes: number | StaticNodeSpec[] | undefined): StaticNodeSpec[] {
  if (nodes === undefined) return [];
  if (typeof nodes === 'number') {
    if (!Number.isInteger(nodes) || nodes < 0) throw new Error(`nodes must be a non-negative integer, got ${nodes}`);
    return Array.from({ length: nodes }, (_, i) => ({ name: `sim-node-${i + 1}` }));
  }
  return nodes;
}

/**
 * What the emulator needs to create a static node's instance: its size, zone, labels and
 * taints; its name unless the name was generated (then ACK's `<region>.<private-ip>`).
 */
function staticInstanceRequest(spec: StaticNodeSpec, node: HostedNode, generatedName: boolean) {
  return {
    key: spec.name, nodeName: generatedName ? undefined : spec.name, instanceType: spec.instanceType,
    cpuCoreCount: node.cpuCores, memoryGiB: node.memoryBytes / 2 ** 30, gpuAmount: node.gpus, zoneId: spec.zone,
    nodeLabels: spec.labels ?? {}, nodeTaints: spec.taints ?? [],
  };
}

export async function startSimCluster(opts: SimClusterOptions = {}): Promise<SimCluster> {
  const log = opts.logger ?? (pino({ level: process.env.LOG_LEVEL ?? 'warn', base: undefined }, pino.destination(2)) as unknown as Logger);
  const client = opts.client ?? new KubeClient(
    typeof opts.kubeconfig === 'object' ? opts.kubeconfig
      : opts.kubeconfig?.includes('\n') ? loadKubeConfig({ kubeconfig: opts.kubeconfig })
        : loadKubeConfig({ path: opts.kubeconfig }),
  );
  const components = { ...allComponents, ...opts.components };
  const config: ResolvedSimConfig = {
    clusterCidr: opts.clusterCidr ?? '172.16.0.0/16',
    nodeCidrMaskSize: opts.nodeCidrMaskSize ?? 24,
    region: opts.region ?? 'cn-hangzhou',
    timings: { ...defaultTimings, ...opts.timings },
    components,
    cloud: opts.cloud,
    schedulerName: opts.schedulerName ?? 'default-scheduler',
    log,
  };
  // validate the IPAM settings before anything starts
  new CidrAllocator(config.clusterCidr, config.nodeCidrMaskSize);
  const specs = staticNodeSpecs(opts.nodes);
  const statics = specs.map((s, i) => staticNode(s, i, config.region));

  const ctx = {} as SimContext;
  const pool = new NodePool(client.withFieldManager('kubelet')); // node registration, Leases: the kubelet's writes
  let manager: Manager | undefined;
  const nodes = (): readonly NodeObject[] => {
    try {
      return manager?.cache(Node).list() ?? [];
    } catch {
      return []; // not started (or stopped): no node, no route
    }
  };
  const network = new SimNetwork(config.clusterCidr, nodes, config.cloud?.podReachable);
  Object.assign(ctx, { config, pool, network });

  try {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }

  manager = new Manager({
    client, logger: log, registry: opts.registry ?? createRegistry(), metricsBindAddress: false, healthProbeBindAddress: false,
    handleSignals: false, gracefulShutdownTimeoutMs: 5_000,
    modules: [new ContainerModule(({ bind }) => { bind(SIM).toConstantValue(ctx); })],
  });
  if (components.nodes) manager.register(NodeHeartbeatController);
  if (components.nodeLifecycle) { manager.register(NodeLifecycleController); manager.register(PodGcController); }
  if (components.ipam) manager.register(NodeIpamController);
  if (components.scheduler) manager.register(SchedulerController);
  if (components.kubelet) manager.register(KubeletController);
  if (components.replicaSet) manager.register(ReplicaSetController);
  if (components.deployment) manager.register(DeploymentController);
  if (components.daemonSet) manager.register(DaemonSetController);
  if (components.statefulSet) manager.register(StatefulSetController);
  if (components.job) manager.register(JobController);
  if (components.disruption) manager.register(DisruptionController);
  if (components.endpoints) manager.register(EndpointsController);
  if (components.metricsServer) manager.register(MetricsServerController);
  await manager.start();

  let cloudNodes: CloudNodeSource | undefined;
  if (components.cloudNodes && config.cloud) {
    cloudNodes = new CloudNodeSource(config.cloud.url, pool, log, config.cloud.providerIdForm);
    await cloudNodes.start();
    // on ACK every node is an ECS instance: static nodes become workers outside any scaling group
    const generated = typeof opts.nodes === 'number';
    for (const [i, spec] of specs.entries()) await cloudNodes.addStaticInstance(staticInstanceRequest(spec, statics[i], generated));
  } else {
    for (const n of statics) await pool.register(n);
  }

  let stopped: Promise<void> | undefined;
  return {
    manager, client, pool, config, network,
    async addNode(spec) {
      const node = staticNode(spec, pool.names().length, config.region);
      if (cloudNodes) await cloudNodes.addStaticInstance(staticInstanceRequest(spec, node, false));
      else await pool.register(node);
    },
    removeNode: (name) => pool.unregister(name),
    pauseNode: (name) => pool.pause(name),
    resumeNode: (name) => pool.resume(name),
    stop() {
      stopped ??= (async () => {
        await cloudNodes?.stop();
        await manager.stop();
        if (!opts.client) client.close();
      })();
      return stopped;
    },
  };
}
