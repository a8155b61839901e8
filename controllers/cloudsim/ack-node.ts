/**
 * What ACK's node bootstrap makes of an ECS instance, as the emulator's instance events
 * carry it to the simulated cluster: the node name, the providerID and the kubelet's
 * resource reservation.
 *
 * Sources:
 * - Node name `<region>.<private-ip>` and providerID `<region>.<instance-id>` ("REGION.NODEID",
 *   e.g. `cn-hangzhou.i-v98dklsmnxkkgiiil7`): kubernetes/cloud-provider-alibaba-cloud,
 *   `NodeFromProviderID` accepts it and the `alicloud://` form; ACK nodes carry the bare one.
 * - Reservation: ACK "Resource reservation policy"
 *   (https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/resource-reservation-policy,
 *   https://www.alibabacloud.com/help/zh/doc-detail/330995.htm): allocatable = capacity -
 *   reserved - eviction threshold; reserved grows by tiers of node size and is split 50/50
 *   between kubeReserved and systemReserved. Its worked example is a 4 vCPU node with
 *   7925980Ki memory and 3900m / 5824732Ki allocatable. The CPU tiers (100m up to 4 cores,
 *   then 2.5% / 1.25% / 0.5% of the cores above 4 / 64 / 128) and the memory tiers (25% of
 *   the first 4 GiB, 20% up to 8 GiB, 10% up to 16 GiB, 6% up to 128 GiB, 2% above, in whole
 *   MiB) with a `memory.available` eviction threshold of 300Mi reproduce that example to the
 *   KiB (see ack-node.test.ts).
 */

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Reserved CPU in millicores for a node of `cores` vCPUs. */
export function ackReservedCpuMillis(cores: number): number {
  const tiers: Array<[upTo: number, share: number]> = [[64, 0.025], [128, 0.0125], [Infinity, 0.005]];
  let reserved = 100;
  let from = 4;
  for (const [upTo, share] of tiers) {
    if (cores <= from) break;
    reserved += (Math.min(cores, upTo) - from) * 1000 * share;
    from = upTo;
  }
  return Math.round(reserved);
}

/** Reserved memory in bytes (whole MiB) for a node with `bytes` of memory capacity. */
export function ackReservedMemoryBytes(bytes: number): number {
  const tiers: Array<[upTo: number, share: number]> = [[4 * GiB, 0.25], [8 * GiB, 0.2], [16 * GiB, 0.1], [128 * GiB, 0.06], [Infinity, 0.02]];
  let reserved = 0;
  let from = 0;
  for (const [upTo, share] of tiers) {
    if (bytes <= from) break;
    reserved += (Math.min(bytes, upTo) - from) * share;
    from = upTo;
  }
  return Math.floor(reserved / MiB) * MiB;
}

/** The kubelet's hard eviction threshold for memory on ACK nodes. */
export const ACK_EVICTION_MEMORY_BYTES = 300 * MiB;

/** Allocatable cpu (millicores) and memory (bytes) of an ACK node of this capacity. */
export function ackAllocatable(cores: number, memoryBytes: number): { cpuMillis: number; memoryBytes: number } {
  return {
    cpuMillis: Math.max(0, cores * 1000 - ackReservedCpuMillis(cores)),
    memoryBytes: Math.max(0, memoryBytes - ackReservedMemoryBytes(memoryBytes) - ACK_EVICTION_MEMORY_BYTES),
  };
}

/** `<region>.<instance-id>` (ACK's form) or `alicloud://<region>.<instance-id>`. */
export type ProviderIdForm = 'ack' | 'alicloud';

export function ackProviderId(regionId: string, instanceId: string, form: ProviderIdForm = 'ack'): string {
  return form === 'alicloud' ? `alicloud://${regionId}.${instanceId}` : `${regionId}.${instanceId}`;
}

/** ACK's default node name: `<region>.<private-ip>`. */
export function ackNodeName(regionId: string, privateIp: string): string {
  return `${regionId}.${privateIp}`;
}
