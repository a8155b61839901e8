/**
 * The node IPAM allocator: hands out /maskSize subnets of an IPv4 cluster CIDR, one per
 * node, never the same one twice while it is in use (kube-controller-manager's
 * range allocator, IPv4 only). Pure and synchronous so the controller can rebuild it from
 * existing nodes before the first allocation.
 */
export function parseIPv4(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`invalid IPv4 address "${ip}"`);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function parseCidr(cidr: string): { base: number; bits: number } {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m || Number(m[2]) > 32) throw new Error(`invalid CIDR "${cidr}"`);
  const bits = Number(m[2]);
  const ip = parseIPv4(m[1]);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), bits };
}

export class CidrAllocator {
  private readonly base: number;
  private readonly clusterBits: number;
  private readonly used = new Set<number>();
  private next = 0;
  readonly capacity: number;

  /**
   * @param clusterCidr e.g. 172.16.0.0/16
   * @param maskSize    size of each node's range, e.g. 24 (must be >= the cluster prefix)
   */
  constructor(clusterCidr: string, readonly maskSize: number) {
    const { base, bits } = parseCidr(clusterCidr);
    if (!Number.isInteger(maskSize) || maskSize < bits || maskSize > 32) {
      throw new Error(`node CIDR mask size ${maskSize} must be between the cluster prefix /${bits} and /32`);
    }
    this.base = base;
    this.clusterBits = bits;
    this.capacity = 2 ** (maskSize - bits);
  }

  private indexOf(cidr: string): number | undefined {
    let p: { base: number; bits: number };
    try { p = parseCidr(cidr); } catch { return undefined; }
    if (p.bits !== this.maskSize) return undefined;
    const off = p.base - this.base;
    if (off < 0 || off >= 2 ** (32 - this.clusterBits)) return undefined;
    return off / 2 ** (32 - this.maskSize);
  }

  private cidrAt(i: number): string {
    return `${formatIPv4(this.base + i * 2 ** (32 - this.maskSize))}/${this.maskSize}`;
  }

  /** Marks a CIDR (found on an existing node) as taken; false when it is outside the cluster CIDR. */
  occupy(cidr: string): boolean {
    const i = this.indexOf(cidr);
    if (i === undefined) return false;
    this.used.add(i);
    return true;
  }

  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.used.delete(i);
  }

  isUsed(cidr: string): boolean {
    const i = this.indexOf(cidr);
    return i !== undefined && this.used.has(i);
  }

  /** The next free range (round-robin from the last allocation, like upstream); throws when full. */
  allocate(): string {
    for (let k = 0; k < this.capacity; k++) {
      const i = (this.next + k) % this.capacity;
      if (!this.used.has(i)) {
        this.used.add(i);
        this.next = (i + 1) % this.capacity;
        return this.cidrAt(i);
      }
    }
    throw new Error(`CIDR allocation failed: no free /${this.maskSize} range left in the cluster CIDR`);
  }

  get inUse(): number {
    return this.used.size;
  }
}

/** The n-th host address of a CIDR (1-based; .0 is the network address). */
export function hostInCidr(cidr: string, n: number): string {
  const { base, bits } = parseCidr(cidr);
  const size = 2 ** (32 - bits);
  if (n < 1 || n >= size - 1) throw new Error(`address #${n} does not fit in ${cidr}`);
  return formatIPv4(base + n);
}
