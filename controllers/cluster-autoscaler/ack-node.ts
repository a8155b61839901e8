/**
 * What an ACK node of a given size leaves allocatable, for template nodes of groups that have
 * no registered node to copy it from. ACK "Resource reservation policy" / 节点资源预留策略
 * (https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/resource-reservation-policy,
 * https://www.alibabacloud.com/help/zh/doc-detail/330995.htm): allocatable = capacity -
 * reserved - eviction threshold. For Kubernetes 1.28 and later the page gives CPU = 6% of the
 * first core + 1% of the second + 0.5% of cores 3-4 + 0.25% of the rest (32 cores -> 150m) and
 * memory = min(11 x max pods + 255 MiB, 25% of the node's memory); its table of defaults is
 * checked in ack-node.test.ts. Max pods: a template assumes the 110 pods a node advertises here
 * (Terway would derive it from the instance type's ENIs, which the autoscaler does not read).
 * The eviction threshold (300Mi of `memory.available`) is not stated by the page; it is what the
 * page's sample node leaves under the older (1.20-1.27) tiers — inferred, not sourced. The
 * emulator models the node side of the same policy on its own (controllers/cloudsim/ack-node.ts):
 * the two programs share no code.
 */
const MiB = 2 ** 20;

/** Pods a template node takes (and the reservation counts with). */
export const TEMPLATE_MAX_PODS = 110;

function tiered(amount: number, tiers: ReadonlyArray<readonly [from: number, share: number]>): number {
  let out = 0;
  for (let i = 0; i < tiers.length; i++) {
    const [from, share] = tiers[i];
    const to = tiers[i + 1]?.[0] ?? Infinity;
    if (amount > from) out += (Math.min(amount, to) - from) * share;
  }
  return out;
}

/** Allocatable millicores of an ACK node with `cores` vCPUs. */
export function ackAllocatableCpuMillis(cores: number): number {
  const reserved = Math.round(tiered(cores * 1000, [[0, 0.06], [1000, 0.01], [2000, 0.005], [4000, 0.0025]]));
  return Math.max(0, cores * 1000 - reserved);
}

/** Allocatable bytes of an ACK node with `bytes` of memory and `maxPods` pods. */
export function ackAllocatableMemory(bytes: number, maxPods = TEMPLATE_MAX_PODS): number {
  const reserved = Math.floor(Math.min((11 * maxPods + 255) * MiB, 0.25 * bytes) / MiB) * MiB;
  return Math.max(0, bytes - reserved - 300 * MiB);
}
