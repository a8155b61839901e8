/**
 * Simulated nodes: the pool of nodes this process "hosts" (a kubelet per node), their
 * registration, and the kubelet's heartbeat (node Lease + Ready condition).
 *
 * A hosted node is registered like a kubelet does it: create the Node (labels, taints,
 * providerID), then post its status. The heartbeat controller renews the Lease in
 * `kube-node-lease` every `leaseRenewIntervalMs` and refreshes the Ready condition. Pausing a
 * node stops both (the node lifecycle controller then marks it Unknown), like a kubelet
 * that hangs or loses its network.
 */
import { isAlreadyExists, isConflict, isNotFound, rfc3339, microTime } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import {
  Controller, Node, inject, setCondition,
  type LeaseObject, type NodeObject, type ReconcileContext, type Reconciler,
} from '../controller/index.js';
import { NODE_LEASE_NAMESPACE, SIM, type SimContext, type Taint } from './config.js';
import { formatBytes, parseQuantity } from './quantity.js';

/** What a hosted node looks like, whatever created it (static declaration or cloud instance). */
/** The node conditions the kubelet owns (the rest belong to other controllers). */
const KUBELET_CONDITIONS = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']);

export interface HostedNode {
  name: string;
  cpuCores: number;
  memoryBytes: number;
  pods: number;
  gpus: number;
  labels: Record<string, string>;
  taints: Taint[];
  internalIP: string;
  providerID?: string;
  /** instance id when the node is a cloud instance */
  instanceId?: string;
  /** allocatable after the node's reservation (ACK nodes: the emulator's events carry it); absent: the capacity */
  allocatable?: { cpuMillis: number; memoryBytes: number };
}

interface HostedState {
  node: HostedNode;
  paused: boolean;
  leaseRV?: string;
  /** when the kubelet last posted node status (0: post at its next heartbeat) */
  lastStatusPost: number;
  /** when the kubelet last wrote its Lease (0: write at its next heartbeat) */
  lastLeaseRenew: number;
  /** the capacity and allocatable of its last status post */
  postedCapacity?: string;
}

/** The nodes whose kubelet runs in this process. */
export class NodePool {
  private readonly nodes = new Map<string, HostedState>();
  /** Who waits for a name to be hosted (whenHosted). */
  private readonly waiters = new Map<string, Array<() => void>>();
  /** Called when a node is paused/resumed so controllers can react at once. */
  onChange: (name: string) => void = () => {};

  constructor(private readonly client: KubeClient) {}

  hosts(name: string): boolean {
    return this.nodes.has(name);
  }

  get(name: string): HostedNode | undefined {
    return this.nodes.get(name)?.node;
  }

  /** @internal state for the heartbeat controller */
  state(name: string): HostedState | undefined {
    return this.nodes.get(name);
  }

  /** True when the node's kubelet runs (hosted and not paused). */
  isAlive(name: string): boolean {
    const s = this.nodes.get(name);
    return s !== undefined && !s.paused;
  }

  /** Resolves true once `name` is hosted (at once when it is), false after `timeoutMs`. */
  whenHosted(name: string, timeoutMs: number): Promise<boolean> {
    if (this.nodes.has(name)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); resolve(true); };
      const timer = setTimeout(() => {
        const left = (this.waiters.get(name) ?? []).filter((w) => w !== done);
        if (left.length) this.waiters.set(name, left);
        else this.waiters.delete(name);
        resolve(false);
      }, timeoutMs);
      this.waiters.set(name, [...(this.waiters.get(name) ?? []), done]);
    });
  }

  names(): string[] {
    return [...this.nodes.keys()];
  }

  byInstanceId(id: string): HostedNode | undefined {
    for (const s of this.nodes.values()) if (s.node.instanceId === id) return s.node;
    return undefined;
  }

  /** Starts hosting a node and registers it with the API server (idempotent). */
  async register(node: HostedNode): Promise<void> {
    if (!this.nodes.has(node.name)) this.nodes.set(node.name, { node, paused: false, lastStatusPost: 0, lastLeaseRenew: 0 });
    const waiting = this.waiters.get(node.name);
    this.waiters.delete(node.name);
    for (const w of waiting ?? []) w();
    const obj: NodeObject = {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: node.name, labels: { ...node.labels } },
      spec: {
        ...(node.providerID ? { providerID: node.providerID } : {}),
        ...(node.taints.length ? { taints: node.taints.map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect })) } : {}),
      },
    };
    try {
      await this.client.create(obj);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // a kubelet re-registering keeps what others wrote; it only re-asserts its labels
      await this.client.patch(Node, node.name, { metadata: { labels: node.labels } });
    }
    this.onChange(node.name);
  }

  /** Stops hosting a node; with `deleteNode` the Node object goes too (instance removed). */
  async unregister(name: string, deleteNode = true): Promise<void> {
    this.nodes.delete(name);
    if (deleteNode) {
      try {
        await this.client.delete(Node, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      try {
        await this.client.delete({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, name, { namespace: NODE_LEASE_NAMESPACE });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Stops the node's kubelet: no heartbeats, no pod work (the Node object stays). */
  pause(name: string): void {
    const s = this.nodes.get(name);
    if (!s) throw new Error(`node ${name} is not hosted by this simulated cluster`);
    s.paused = true;
    this.onChange(name);
  }

  resume(name: string): void {
    const s = this.nodes.get(name);
    if (!s) throw new Error(`node ${name} is not hosted by this simulated cluster`);
    s.paused = false;
    s.lastStatusPost = 0;
    s.lastLeaseRenew = 0;
    this.onChange(name);
  }
}

/**
 * True when two resource lists hold the same quantities: the API server stores them canonical
 * (`14970880Ki` comes back `14620Mi`, `1000000000` as `1G`) and in its own key order, so their text is no test.
 */
export function sameResources(stored: unknown, posted: Record<string, string>): boolean {
  const keys = Object.keys(posted);
  if (!stored || typeof stored !== 'object') return false;
  const have = stored as Record<string, unknown>;
  if (Object.keys(have).length !== keys.length) return false;
  try {
    return keys.every((k) => typeof have[k] === 'string' && parseQuantity(have[k]) === parseQuantity(posted[k]));
  } catch {
    return false; // not a quantity: not what the kubelet posts
  }
}

/** Capacity as the kubelet reports it. */
export function nodeCapacity(n: HostedNode): Record<string, string> {
  const cap: Record<string, string> = {
    cpu: String(n.cpuCores),
    memory: formatBytes(n.memoryBytes),
    pods: String(n.pods),
    'ephemeral-storage': '100Gi',
  };
  if (n.gpus > 0) cap['nvidia.com/gpu'] = String(n.gpus);
  return cap;
}

/** Allocatable as the kubelet reports it: the capacity minus the node's reservation, if any. */
export function nodeAllocatable(n: HostedNode): Record<string, string> {
  const cap = nodeCapacity(n);
  if (!n.allocatable) return cap;
  return { ...cap, cpu: `${n.allocatable.cpuMillis}m`, memory: `${Math.floor(n.allocatable.memoryBytes / 1024)}Ki` };
}

export function staticNode(spec: import('./config.js').StaticNodeSpec, index: number, region: string): HostedNode {
  if (!spec.name) throw new Error('a static node needs a name');
  const cpu = typeof spec.cpu === 'string' ? parseQuantity(spec.cpu) : spec.cpu ?? 4;
  const zone = spec.zone ?? `${region}-a`;
  return {
    name: spec.name,
    cpuCores: cpu,
    memoryBytes: parseQuantity(spec.memory ?? '16Gi'),
    pods: spec.pods ?? 110,
    gpus: spec.gpus ?? 0,
    labels: {
      ...baseLabels(spec.name, spec.instanceType ?? 'kubeloop.static', zone, region),
      ...(spec.labels ?? {}),
    },
    taints: spec.taints ?? [],
    internalIP: spec.internalIP ?? `10.0.${Math.floor((index + 1) / 250)}.${((index + 1) % 250) + 1}`,
    providerID: spec.providerID,
  };
}

export function baseLabels(name: string, instanceType: string, zone: string, region: string): Record<string, string> {
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': 'amd64',
    'node.kubernetes.io/instance-type': instanceType,
    'beta.kubernetes.io/instance-type': instanceType,
    'topology.kubernetes.io/zone': zone,
    'topology.kubernetes.io/region': region,
    'failure-domain.beta.kubernetes.io/zone': zone,
    'failure-domain.beta.kubernetes.io/region': region,
  };
}

/**
 * The kubelet's node heartbeat, one reconcile per hosted node every renew interval: renews
 * the node's Lease and posts node status (Ready, capacity, addresses) when it changed or
 * went stale.
 *
 * Both run on the kubelet's own timers, as upstream's: the lease controller renews every
 * renew interval (k8s.io/component-helpers/apimachinery/lease, `wait.JitterUntil(sync,
 * renewInterval)`), and the kubelet checks its status every nodeStatusUpdateFrequency
 * (`wait.Until(kl.syncNodeStatus, ...)` in pkg/kubelet/kubelet.go; 10 s, this renew interval
 * here), patching when it differs and at least every nodeStatusReportFrequency. A Node event
 * (another writer's labels, podCIDR, condition) does not renew the Lease nor post the status
 * again before the tick: a reconcile of a cached Node that does not yet show the status just
 * posted would otherwise post it twice. A node never posted (registered, or a kubelet resumed)
 * and a changed capacity post at once.
 */
@Controller({ for: Node, name: 'node-heartbeat', fieldManager: 'kubelet', needLeaderElection: false, maxConcurrentReconciles: 4 })
export class NodeHeartbeatController implements Reconciler<NodeObject> {
  constructor(@inject(SIM) private readonly sim: SimContext) {}

  async reconcile(node: NodeObject, ctx: ReconcileContext<NodeObject>) {
    const name = node.metadata.name!;
    const st = this.sim.pool.state(name);
    const t = this.sim.config.timings;
    if (!st) return;
    // a paused kubelet posts nothing, but keeps its timer so it resumes on its own
    if (st.paused) return { requeueAfter: t.leaseRenewIntervalMs };
    if (Date.now() - st.lastLeaseRenew >= t.leaseRenewIntervalMs) {
      await this.renewLease(st, node, ctx.client);
      st.lastLeaseRenew = Date.now();
    }
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const cap = nodeCapacity(st.node);
    const alloc = nodeAllocatable(st.node);
    const stale = Date.now() - st.lastStatusPost >= t.nodeStatusReportMs;
    // the kubelet's own capacity changed since it last posted (or it never posted): at once
    const capacity = JSON.stringify([cap, alloc]);
    const resized = capacity !== st.postedCapacity;
    // the Node differs from what the kubelet posts (not Ready, another capacity): at its next status tick
    const notReady = ready?.status !== 'True';
    const differs = notReady || !sameResources(node.status?.capacity, cap) || !sameResources(node.status?.allocatable, alloc);
    const tick = Date.now() - st.lastStatusPost >= t.leaseRenewIntervalMs;
    if (resized || stale || (differs && tick)) {
      const now = rfc3339();
      let list = structuredClone(node.status?.conditions ?? []); // the cache's copy stays as it is
      for (const [type, reason, message] of [
        ['MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
        ['DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
        ['PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
      ] as const) list = setCondition(list, { type, status: 'False', reason, message }).list;
      list = setCondition(list, { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }).list;
      const own = list.filter((c) => KUBELET_CONDITIONS.has(c.type));
      for (const c of own) c.lastHeartbeatTime = now;
      // As the kubelet's PatchNodeStatus (k8s.io/component-helpers/node/util): a strategic merge
      // patch, so conditions merge by type and another writer's condition (the route
      // controller's NetworkUnavailable) survives a heartbeat made from a cache that has not
      // seen it yet; a merge patch would replace the whole list.
      await ctx.client.patch(Node, name, {
        status: {
          conditions: own,
          capacity: cap,
          allocatable: alloc,
          addresses: [{ type: 'InternalIP', address: st.node.internalIP }, { type: 'Hostname', address: name }],
          daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
          nodeInfo: {
            machineID: name, systemUUID: name, bootID: name, kernelVersion: '5.10.134-kubeloop', osImage: 'Alibaba Cloud Linux 3 (kubeloop simulated)',
            containerRuntimeVersion: 'containerd://1.6.28', kubeletVersion: 'v1.32.0', kubeProxyVersion: 'v1.32.0',
            operatingSystem: 'linux', architecture: 'amd64',
          },
        },
      }, { type: 'strategic', subresource: 'status', signal: ctx.signal });
      st.lastStatusPost = Date.now();
      st.postedCapacity = capacity;
      if (notReady) ctx.recorder.event(node, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`);
    }
    // the next tick: the Lease's, the status report's, or the status tick while the Node differs
    const next = Math.min(st.lastLeaseRenew + t.leaseRenewIntervalMs, st.lastStatusPost + t.nodeStatusReportMs,
      differs ? st.lastStatusPost + t.leaseRenewIntervalMs : Infinity);
    return { requeueAfter: Math.max(1, next - Date.now()) };
  }

  private async renewLease(st: HostedState, node: NodeObject, client: KubeClient): Promise<void> {
    const name = st.node.name;
    const lease: LeaseObject = {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: {
        name, namespace: NODE_LEASE_NAMESPACE,
        ownerReferences: node.metadata.uid ? [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }] : undefined,
      },
      spec: { holderIdentity: name, leaseDurationSeconds: this.sim.config.timings.leaseDurationSeconds, renewTime: microTime() },
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        if (st.leaseRV === undefined) {
          const created = await client.create(lease);
          st.leaseRV = created.metadata.resourceVersion;
        } else {
          const updated = await client.update({ ...lease, metadata: { ...lease.metadata, resourceVersion: st.leaseRV } });
          st.leaseRV = updated.metadata.resourceVersion;
        }
        return;
      } catch (err) {
        if (isAlreadyExists(err) || isConflict(err)) {
          const cur = await client.get<LeaseObject>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, name, { namespace: NODE_LEASE_NAMESPACE });
          st.leaseRV = cur.metadata.resourceVersion;
          continue;
        }
        if (isNotFound(err)) { st.leaseRV = undefined; continue; }
        throw err;
      }
    }
  }
}
