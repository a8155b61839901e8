/**
 * What ACK's node bootstrap makes of an ECS instance, as the emulator's instance events
 * carry it to the simulated cluster: the node name, the providerID and the kubelet's
 * resource reservation.
 *
 * Sources:
 * - Node name `<region>.<private-ip>` and providerID `<region>.<instance-id>` ("REGION.NODEID",
 *   e.g. `cn-hangzhou.i-v98dklsmnxkkgiiil7`): kubernetes/cloud-provider-alibaba-cloud,
 *   `NodeFromProviderID` accepts it and the `alicloud://` form; ACK nodes carry the bare one.
 * - Reservation: ACK "Resource reservation policy" / 节点资源预留策略
 *   (https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/resource-reservation-policy,
 *   https://www.alibabacloud.com/help/zh/doc-detail/330995.htm): allocatable = capacity -
 *   reserved - eviction threshold, the reservation split 50/50 between kubeReserved and
 *   systemReserved. From Kubernetes 1.28 on (the simulated cluster is 1.32):
 *   CPU = 6% of the first core + 1% of the second + 0.5% of cores 3-4 + 0.25% of the rest
 *   (the page: 32 cores -> 150m; its table: 2/4/8/16/32/64/128/256 cores -> 70/80/90/110/150/230/390/710m);
 *   memory = min(11 x max pods + 255 MiB, 25% of the node's memory) (its table: 15 pods -> 420 MiB,
 *   48 -> 783, 213 -> 2598, 423 -> 4908). Kubernetes 1.20-1.27 used tiers instead — CPU 100m up to
 *   4 cores, then 2.5% / 1.25% / 0.5% of the cores above 4 / 64 / 128; memory 25% of the first
 *   4 GiB, 20% up to 8 GiB, 10% up to 16 GiB, 6% up to 128 GiB, 2% above — kept as
 *   `policy: '1.20-1.27'` (the page's sample node, 4 vCPU / 7925980Ki -> 3900m / 5824732Ki, is one).
 * - Max pods: Terway derives it from the instance type's ENIs ((ENIs - 1) x IPs per ENI +
 *   host-network pods: 15 on a 2-core c7, 48 on 4 and 8 cores, 213 from 16 cores in the page's
 *   table), Flannel takes the value chosen at cluster creation. The emulator does not model ENI
 *   quotas: its nodes take 110 pods (Kubernetes' default), and the reservation uses that.
 * - Eviction threshold: the page does not state ACK's default `evictionHard`; 300Mi of
 *   `memory.available` is what its sample node leaves under the 1.20-1.27 tiers, to the KiB
 *   (see ack-node.test.ts) — inferred, not sourced.
 */

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** ACK's default reservation formulas by cluster version (see above). */
export type AckReservationPolicy = '1.28+' | '1.20-1.27';
/** The max pods of an emulated node (no ENI model; see above). */
export const ACK_NODE_MAX_PODS = 110;

function tiered(amount: number, base: number, tiers: ReadonlyArray<readonly [from: number, share: number]>): number {
  let out = base;
  for (let i = 0; i < tiers.length; i++) {
    const [from, share] = tiers[i];
    const to = tiers[i + 1]?.[0] ?? Infinity;
    if (amount > from) out += (Math.min(amount, to) - from) * share;
  }
  return out;
}

/** Reserved CPU in millicores for a node of `cores` vCPUs. */
export function ackReservedCpuMillis(cores: number, policy: AckReservationPolicy = '1.28+'): number {
  const m = cores * 1000;
  return Math.round(policy === '1.28+'
    ? tiered(m, 0, [[0, 0.06], [1000, 0.01], [2000, 0.005], [4000, 0.0025]])
    : tiered(m, 100, [[4000, 0.025], [64_000, 0.0125], [128_000, 0.005]]));
}

/** Reserved memory in bytes (whole MiB) for a node with `bytes` of memory and `maxPods` pods. */
export function ackReservedMemoryBytes(bytes: number, maxPods = ACK_NODE_MAX_PODS, policy: AckReservationPolicy = '1.28+'): number {
  const reserved = policy === '1.28+'
    ? Math.min((11 * maxPods + 255) * MiB, 0.25 * bytes)
    : tiered(bytes, 0, [[0, 0.25], [4 * GiB, 0.2], [8 * GiB, 0.1], [16 * GiB, 0.06], [128 * GiB, 0.02]]);
  return Math.floor(reserved / MiB) * MiB;
}

/** The kubelet's hard eviction threshold for memory on ACK nodes (inferred; see above). */
export const ACK_EVICTION_MEMORY_BYTES = 300 * MiB;

/** Allocatable cpu (millicores) and memory (bytes) of an ACK node of this capacity. */
export function ackAllocatable(cores: number, memoryBytes: number, maxPods = ACK_NODE_MAX_PODS, policy: AckReservationPolicy = '1.28+'): { cpuMillis: number; memoryBytes: number } {
  return {
    cpuMillis: Math.max(0, cores * 1000 - ackReservedCpuMillis(cores, policy)),
    memoryBytes: Math.max(0, memoryBytes - ackReservedMemoryBytes(memoryBytes, maxPods, policy) - ACK_EVICTION_MEMORY_BYTES),
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
