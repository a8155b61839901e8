/**
 * IPv4 CIDR parsing for the route controller. VPC route entries are IPv4 here (the
 * controller ignores IPv6 pod ranges of dual-stack nodes), so this stays deliberately small.
 */

export interface Ipv4Cidr {
  /** network address as an unsigned 32-bit number */
  base: number;
  /** prefix length 0..32 */
  bits: number;
  /** canonical text, e.g. `172.16.1.0/24` */
  text: string;
}

/** Parses `a.b.c.d/n`; undefined for anything else (IPv6, host bits set, out of range). */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const parts = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (parts.some((p) => p > 255) || bits > 32) return undefined;
  const ip = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  if (((ip & mask) >>> 0) !== ip) return undefined; // host bits set: not a network address
  return { base: ip, bits, text: `${parts.join('.')}/${bits}` };
}

export function isIpv6Cidr(text: string): boolean {
  return text.includes(':');
}

/** Whether `inner` lies completely inside `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  if (inner.bits < outer.bits) return false;
  const mask = outer.bits === 0 ? 0 : (~0 << (32 - outer.bits)) >>> 0;
  return ((inner.base & mask) >>> 0) === outer.base;
}
