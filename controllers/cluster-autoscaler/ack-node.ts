/**
 * What an ACK node of a given size leaves allocatable, for template nodes of groups that have
 * no registered node to copy it from. ACK "Resource reservation policy"
 * (https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/resource-reservation-policy,
 * https://www.alibabacloud.com/help/zh/doc-detail/330995.htm): allocatable = capacity -
 * reserved - eviction threshold, reserved by tiers of node size. CPU: 100m up to 4 cores, then
 * 2.5% / 1.25% / 0.5% of the cores above 4 / 64 / 128; memory: 25% of the first 4 GiB, 20% up
 * to 8 GiB, 10% up to 16 GiB, 6% up to 128 GiB, 2% above (whole MiB), and a 300Mi
 * `memory.available` eviction threshold — which reproduce the page's worked example (4 vCPU,
 * 7925980Ki -> 3900m, 5824732Ki) exactly (ack-node.test.ts). The emulator models the node side
 * of the same policy on its own (controllers/cloudsim/ack-node.ts): the two programs share no code.
 */
const MiB = 2 ** 20;
const GiB = 2 ** 30;

function tiered(amount: number, base: number, tiers: ReadonlyArray<readonly [from: number, share: number]>): number {
  let out = base;
  for (let i = 0; i < tiers.length; i++) {
    const [from, share] = tiers[i];
    const to = tiers[i + 1]?.[0] ?? Infinity;
    if (amount > from) out += (Math.min(amount, to) - from) * share;
  }
  return out;
}

/** Allocatable millicores of an ACK node with `cores` vCPUs. */
export function ackAllocatableCpuMillis(cores: number): number {
  const reserved = Math.round(tiered(cores * 1000, 100, [[4000, 0.025], [64_000, 0.0125], [128_000, 0.005]]));
  return Math.max(0, cores * 1000 - reserved);
}

/** Allocatable bytes of an ACK node with `bytes` of memory. */
export function ackAllocatableMemory(bytes: number): number {
  const reserved = Math.floor(tiered(bytes, 0, [[0, 0.25], [4 * GiB, 0.2], [8 * GiB, 0.1], [16 * GiB, 0.06], [128 * GiB, 0.02]]) / MiB) * MiB;
  return Math.max(0, bytes - reserved - 300 * MiB);
}
