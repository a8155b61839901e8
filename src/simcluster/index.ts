// The simulated cluster: nodes that register and heartbeat, node lifecycle (+ taint manager,
// PodGC) and IPAM, a scheduler, kubelets (with registry pulls), ReplicaSet/Deployment/
// DaemonSet/StatefulSet/Job and disruption controllers — all controllers on the kubeloop
// framework — and cloud instances as nodes.
export { startSimCluster, staticNodeSpecs, type SimCluster, type SimClusterOptions } from './simcluster.js';
export {
  defaultTimings, NODE_LEASE_NAMESPACE, TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE,
  type SimTimings, type SimComponents, type SimCloudOptions, type StaticNodeSpec, type Taint,
} from './config.js';
export { NodePool, type HostedNode } from './nodes.js';
export { CidrAllocator } from './cidr.js';
export { parseQuantity, podRequests } from './quantity.js';
export { unschedulableMessage, REASON } from './predicates.js';
export { parseImageRef, parseDockerConfig, type DockerConfigAuths, type ManifestPuller } from './pull.js';
export {
  SchedulerController, POD_NODE_INDEX,
} from './scheduler.js';
export { KubeletController, RUN_SECONDS, EXIT_CODE } from './kubelet.js';
export { JobController } from './job.js';
export { NodeHeartbeatController } from './nodes.js';
export { NodeLifecycleController } from './lifecycle.js';
export { NodeIpamController } from './ipam.js';
export { PodGcController } from './podgc.js';
export { ReplicaSetController } from './replicaset.js';
export { DeploymentController, templateHash } from './deployment.js';
export { DaemonSetController } from './daemonset.js';
export { StatefulSetController } from './statefulset.js';
export { DisruptionController } from './disruption.js';
export { EndpointsController, endpointSubsets } from './endpoints.js';
export { SimNetwork, dialRoute, type PodReachability, type NetworkPath, type NetworkRoute } from './network.js';
export { MetricsServerController, SIMULATE_ANNOTATION, METRICS_SERVER, securePort } from './metrics-server.js';
export { serveMetricsApi, requestAttributes, METRICS_GROUP, METRICS_VERSION, type MetricsSource, type MetricsRequest, type MetricsResponse } from './metrics-api.js';
export { USAGE_ANNOTATION, containerUsage, nodeUsage, parseUsageAnnotation, formatNanocores, formatBinaryBytes, goDuration, type Usage } from './metrics-usage.js';
