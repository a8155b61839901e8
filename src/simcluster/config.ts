/**
 * Options of the simulated cluster, their defaults, and the context object every simulated
 * component receives through inversify (token {@link SIM}).
 */
import type { Logger } from '../controller/index.js';
import type { PodReachability, SimNetwork } from './network.js';
import type { NodePool } from './nodes.js';
import type { ManifestPuller } from './pull.js';

export interface Taint { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | string; timeAdded?: string }

/**
 * A node declared at start-up. Without a cloud it has no instance behind it; with the cloud
 * emulator it is an ECS worker outside any scaling group (on ACK every node is an instance):
 * the emulator creates the instance, and the node registers from it.
 */
export interface StaticNodeSpec {
  /** with a cloud and no name the node is named as ACK names it, `<region>.<private-ip>` */
  name: string;
  /** cores (default 4) */
  cpu?: number | string;
  /** default "16Gi" */
  memory?: string;
  /** max pods (default 110) */
  pods?: number;
  /** nvidia.com/gpu (default 0 = not advertised) */
  gpus?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** default "<region>-a" */
  zone?: string;
  /** node.kubernetes.io/instance-type label (default "kubeloop.static") */
  instanceType?: string;
  /** InternalIP (default 10.0.0.<n>) */
  internalIP?: string;
  providerID?: string;
}

export interface SimTimings {
  /** Lease renew interval of each simulated kubelet, also its node status tick (default 10 000 ms, upstream 10 s for both). */
  leaseRenewIntervalMs: number;
  /** Lease `leaseDurationSeconds` (default 40). */
  leaseDurationSeconds: number;
  /** Node status (Ready condition heartbeat) refresh even when unchanged (default 60 000 ms; upstream 5 min). */
  nodeStatusReportMs: number;
  /** Node lifecycle: how long without heartbeats before Ready becomes Unknown (default 40 000 ms). */
  nodeMonitorGracePeriodMs: number;
  /** Scheduler: re-try unschedulable pods this often even when nothing changed (default 10 000 ms). */
  schedulerRetryMs: number;
  /** Kubelet image pull back-off: first delay and cap (default 10 000 / 300 000 ms, like the kubelet). */
  imagePullBackoffMs: number;
  imagePullBackoffMaxMs: number;
  /** Kubelet: simulated time between "Created" and "Started"/Ready (default 0). */
  containerStartMs: number;
  /** Taint manager: tolerationSeconds for pods without their own toleration of the unreachable/not-ready NoExecute taints (default 300, like the DefaultTolerationSeconds admission plugin). */
  defaultTolerationSeconds: number;
  /** Kubelet: how long containers of pods with restartPolicy Never/OnFailure run before exiting (default 1000 ms; annotation sim.kubeloop.io/run-seconds overrides). */
  podRunMs: number;
  /** Disruption controller: how long an eviction's `disruptedPods` entry is honoured (default 120 000 ms). */
  disruptedPodTimeoutMs: number;
  /**
   * Simulated metrics-server: its scrape interval, which is also the metrics' window (default
   * 15 000 ms, metrics-server's `--metric-resolution`); a pod has metrics once it ran a whole
   * interval before the last scrape.
   */
  metricResolutionMs: number;
}

export const defaultTimings: SimTimings = {
  leaseRenewIntervalMs: 10_000,
  leaseDurationSeconds: 40,
  nodeStatusReportMs: 60_000,
  nodeMonitorGracePeriodMs: 40_000,
  schedulerRetryMs: 10_000,
  imagePullBackoffMs: 10_000,
  imagePullBackoffMaxMs: 300_000,
  containerStartMs: 0,
  disruptedPodTimeoutMs: 120_000,
  defaultTolerationSeconds: 300,
  podRunMs: 1_000,
  metricResolutionMs: 15_000,
};

/** Components that can be switched off (all on by default). */
export interface SimComponents {
  nodes: boolean;
  /** node lifecycle and pod GC of deleted nodes */
  nodeLifecycle: boolean;
  ipam: boolean;
  scheduler: boolean;
  kubelet: boolean;
  replicaSet: boolean;
  deployment: boolean;
  daemonSet: boolean;
  statefulSet: boolean;
  job: boolean;
  disruption: boolean;
  /** Endpoints of Services with selectors (kube-controller-manager's endpoints controller) */
  endpoints: boolean;
  /** pods annotated `sim.kubeloop.io/simulate: metrics-server` serve the metrics API */
  metricsServer: boolean;
  cloudNodes: boolean;
}

/** The cloud emulator the cluster runs on (instances become nodes; its registry serves images). */
export interface SimCloudOptions {
  /** emulator base URL, e.g. http://127.0.0.1:PORT (its `/_sim/` inspection API is used) */
  url: string;
  /**
   * The registry client kubelets pull the emulator's images with (the Docker Registry v2 token
   * flow); without one, every image pulls at once.
   */
  pullManifest?: ManifestPuller;
  /**
   * `spec.providerID` of instance nodes: `ack` (default) is `<region>.<instanceId>` as ACK sets
   * it; `alicloud` is `alicloud://<region>.<instanceId>` (both accepted by
   * kubernetes/cloud-provider-alibaba-cloud's NodeFromProviderID).
   */
  providerIdForm?: 'ack' | 'alicloud';
  /**
   * Whether the host network (the API server) reaches a pod address on a node: the cloud's
   * routing, e.g. a VPC route entry for the node's podCIDR pointing at its instance. Asked at
   * every connection. Without it every pod on a node is reachable. See ./network.ts.
   */
  podReachable?: PodReachability;
}

export interface ResolvedSimConfig {
  clusterCidr: string;
  nodeCidrMaskSize: number;
  region: string;
  timings: SimTimings;
  components: SimComponents;
  cloud?: SimCloudOptions;
  schedulerName: string;
  log: Logger;
}

/** Everything the simulated components share, bound under {@link SIM}. */
export interface SimContext {
  config: ResolvedSimConfig;
  pool: NodePool;
  network: SimNetwork;
}

export const SIM = Symbol.for('kubeloop:simcluster');

/** Namespace of node heartbeat Leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Taints the node lifecycle controller manages. */
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
