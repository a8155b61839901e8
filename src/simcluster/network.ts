/**
 * The simulated cluster's pod network, as seen from the host network (where the API server
 * runs): which pod addresses answer, and how a connection to one reaches the in-process server
 * that plays the pod.
 *
 * - A node's address (`InternalIP`, what hostNetwork pods listen on) is in the VPC's own subnet,
 *   which its system route always reaches.
 * - Any other address outside the cluster CIDR is on the host network: dialed as it is.
 * - An address in the cluster CIDR is a pod address, reached through the node whose podCIDR
 *   holds it. On a cloud such as ACK's VPC (flannel's `alicloud-vpc` backend, the route
 *   controller) a packet from the host network gets to a node's pods only through a VPC route
 *   entry for that node's podCIDR whose next hop is the node's instance; without one the packets
 *   are dropped, and the dial hangs until the caller's timeout. The cloud decides this through
 *   `SimCloudOptions.podReachable` (the emulator's route table is the truth); without a cloud,
 *   every pod with a node is reachable.
 * - A reachable pod or node address answers on the ports a simulated server registered for it
 *   ({@link SimNetwork.serve}); on any other port the connection is refused, as by a pod that
 *   does not listen there.
 *
 * The API server dials aggregated API servers through {@link SimNetwork.dial} once it is given
 * as its dialer (`apiServer.setDialer(sim.network.dial)`; `kubeloop dev` does it).
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { NodeObject } from '../controller/index.js';
import { parseCidr, parseIPv4 } from './cidr.js';

/**
 * Whether the host network reaches pod address `podIP` on `node` (whose `spec.podCIDR` holds
 * it). Called at every dial, so it may follow a changing route table.
 */
export type PodReachability = (target: { podIP: string; node: NodeObject }) => boolean;

/**
 * Where a connection to `host:port` goes ({@link SimNetwork.route}): a TCP address to connect
 * to, refused (nothing listens there), or dropped (no route: the packets go nowhere).
 */
export type NetworkRoute = { host: string; port: number } | { refused: true } | { dropped: true };

/** Where an address leads, as the simulated network sees it. */
export type NetworkPath =
  | { kind: 'host' }
  | { kind: 'node'; node: string }
  | { kind: 'pod'; node?: string; reachable: boolean };

function inCidr(ip: number, cidr: string): boolean {
  try {
    const { base, bits } = parseCidr(cidr);
    const size = 2 ** (32 - bits);
    return ip >= base && ip < base + size;
  } catch {
    return false;
  }
}

function ipv4(host: string): number | undefined {
  try {
    return parseIPv4(host);
  } catch {
    return undefined;
  }
}

export class SimNetwork {
  /** `ip:port` -> the loopback address of the server playing that pod port. */
  private readonly served = new Map<string, { host: string; port: number }>();

  constructor(
    private readonly clusterCidr: string,
    private readonly nodes: () => readonly NodeObject[],
    private readonly reachable?: PodReachability,
  ) {}

  /** Makes `ip:port` answer with the server at `target`; returns how to stop. */
  serve(ip: string, port: number, target: { host: string; port: number }): () => void {
    const key = `${ip}:${port}`;
    this.served.set(key, target);
    return () => {
      if (this.served.get(key) === target) this.served.delete(key);
    };
  }

  /** Where `host` leads: the host network, a node, or a pod address and whether it is reachable now. */
  path(host: string): NetworkPath {
    const ip = ipv4(host);
    if (ip === undefined) return { kind: 'host' };
    if (!inCidr(ip, this.clusterCidr)) {
      const addresses = (n: NodeObject) => ((n.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ?? []);
      const owner = this.nodes().find((n) => addresses(n).some((a) => a.type === 'InternalIP' && a.address === host));
      return owner ? { kind: 'node', node: owner.metadata.name! } : { kind: 'host' };
    }
    const node = this.nodes().find((n) => {
      const spec = n.spec as { podCIDR?: string; podCIDRs?: string[] } | undefined;
      return [spec?.podCIDR, ...(spec?.podCIDRs ?? [])].some((c) => !!c && inCidr(ip, c));
    });
    if (!node) return { kind: 'pod', reachable: false };
    return { kind: 'pod', node: node.metadata.name, reachable: this.reachable ? this.reachable({ podIP: host, node }) : true };
  }

  /**
   * Opens a TCP connection to `host:port` as a process on the host network would: rejects
   * with ECONNREFUSED when nothing answers there, never settles when packets are dropped.
   */
  readonly dial = (host: string, port: number): Promise<Duplex> => dialRoute(this.route(host, port), host, port);

  /**
   * Where a connection to `host:port` from the host network goes now: what {@link dial} connects
   * to, for a dialer on another thread (`kubeloop dev`'s API server) that opens the connection
   * itself ({@link dialRoute}).
   */
  readonly route = (host: string, port: number): NetworkRoute => {
    const p = this.path(host);
    if (p.kind === 'host') return { host, port };
    if (p.kind === 'pod' && !p.reachable) return { dropped: true };
    const target = this.served.get(`${host}:${port}`);
    return target ? { host: target.host, port: target.port } : { refused: true };
  };
}

/**
 * Opens the connection `route` (of `host:port`) says: a TCP connection, or the rejection of a
 * refused one (ECONNREFUSED), or for a dropped one a promise that never settles (the caller's
 * timeout ends it), as a process on the host network would see it.
 */
export function dialRoute(route: NetworkRoute, host: string, port: number): Promise<Duplex> {
  if ('dropped' in route) return new Promise<Duplex>(() => { /* dropped: the caller's timeout ends it */ });
  if ('refused' in route) {
    return Promise.reject(Object.assign(new Error(`connect ECONNREFUSED ${host}:${port}`), { code: 'ECONNREFUSED', syscall: 'connect', address: host, port }));
  }
  return tcp(route.host, route.port);
}

function tcp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}
