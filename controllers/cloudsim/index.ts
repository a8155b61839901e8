// The Alibaba Cloud emulator: VPC, ESS/ECS, Container Registry (+ a Docker Registry v2
// endpoint), SLS and STS behind one HTTP port, speaking the real wire protocols, with RAM
// policies checked on every call (ram.ts).
export { startCloudSim, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET } from './server.js';
export type { CloudSim, CloudSimOptions } from './server.js';
export type { InstanceEvent, InstanceEventType, CloudTimings, StaticInstanceRequest } from './cloud.js';
export { ackAllocatable, ackReservedCpuMillis, ackReservedMemoryBytes, ackProviderId, ackNodeName, ACK_EVICTION_MEMORY_BYTES, ACK_NODE_MAX_PODS, type AckReservationPolicy, type ProviderIdForm } from './ack-node.js';
export type { FaultRule, Service } from './faults.js';
export { vpcRouteFor, podAddressReachable } from './routing.js';
export { defaultCloud, encodeUserData, decodeUserData, defaultInstanceTypes, NODEPOOL_ID_LABEL } from './state.js';
export type * from './state.js';
export { parsePolicy, evaluate, type PolicyDocument, type PolicyStatement, type Decision } from './ram-policy.js';
