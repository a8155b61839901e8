/**
 * How the emulated VPC forwards a packet: the route entry with the longest destination prefix
 * holding the address, among the entries of the VPC's route tables that are in force
 * (`Available`; a `Pending` entry is not yet, VPC's own documentation of route entry states).
 * The pod network of an ACK cluster on flannel's `alicloud-vpc` backend lives on exactly
 * this: a node's pods are reachable from elsewhere in the VPC (the API server on the host
 * network included) only through a custom entry `podCIDR -> Instance <node's ECS>`, which the
 * route controller keeps (kubernetes/cloud-provider-alibaba-cloud, pkg/controller/route).
 */
import type { CloudState, RouteEntry } from './state.js';

function ipv4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

function contains(cidr: string, ip: number): number | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const base = m ? ipv4(m[1]) : undefined;
  if (!m || base === undefined || Number(m[2]) > 32) return undefined;
  const bits = Number(m[2]);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((ip & mask) >>> 0) === ((base & mask) >>> 0) ? bits : undefined;
}

/** The entry a packet to `ip` inside VPC `vpcId` follows, or undefined (no route: dropped). */
export function vpcRouteFor(state: CloudState, vpcId: string, ip: string): RouteEntry | undefined {
  const addr = ipv4(ip);
  if (addr === undefined) return undefined;
  let best: { e: RouteEntry; bits: number } | undefined;
  for (const t of state.routeTables) {
    if (t.vpcId !== vpcId) continue;
    for (const e of t.entries) {
      if (e.status !== 'Available') continue;
      const bits = contains(e.destinationCidrBlock, addr);
      if (bits !== undefined && (!best || bits > best.bits)) best = { e, bits };
    }
  }
  return best?.e;
}

/**
 * Whether a pod address on the ECS instance `instanceId` is reachable from the host network of
 * its VPC: the instance exists and the route the address follows leads to it.
 */
export function podAddressReachable(state: CloudState, instanceId: string, podIP: string): boolean {
  const inst = state.instances.find((i) => i.instanceId === instanceId);
  if (!inst) return false;
  const route = vpcRouteFor(state, inst.vpcId, podIP);
  return !!route && route.nextHopType === 'Instance' && route.nextHopId === instanceId;
}
