/**
 * The route controller's decisions as pure functions (no I/O, exhaustively unit-tested):
 *   - which nodes want a route, and which are only kept (`nodeRoutes`);
 *   - what to do to one route table (`plan`): create missing entries, replace owned entries
 *     pointing at the wrong instance, delete stale owned entries, and report foreign
 *     entries that hold a node's CIDR (conflicts) instead of overwriting them;
 *   - the NetworkUnavailable condition a node should carry (`nodeCondition`).
 * Ownership is marked on the entry's Description (`kubeloop:cluster=<name>`); an entry
 * without that mark is never deleted or replaced.
 */
import type { RouteEntry } from '../cloud/index.js';
import { cidrContains, isIpv6Cidr, parseIpv4Cidr, type Ipv4Cidr } from './cidr.js';

/** Nodes with this label are left alone (as in the Alibaba cloud-controller-manager). */
export const EXCLUDE_NODE_LABEL = 'service.alibabacloud.com/exclude-node';
/** The deprecated spelling upstream still honours (pkg/controller/helper `LabelNodeExcludeNodeDeprecated`). */
export const EXCLUDE_NODE_LABEL_DEPRECATED = 'service.beta.kubernetes.io/exclude-node';
/** Hybrid-cloud nodes (not ECS instances of the VPC) carry this providerID prefix; upstream's `IsExcludedNode` skips them. */
export const HYBRID_PROVIDER_ID_PREFIX = 'ack-hybrid://';
/**
 * ACK Edge marks edge nodes `alibabacloud.com/is-edge-worker: "true"` (cloud nodes of an edge
 * cluster carry "false"; ACK Edge help, "FAQ about edge nodes"): they are outside the VPC, so a
 * VPC route to them is meaningless.
 */
export const EDGE_WORKER_LABEL = 'alibabacloud.com/is-edge-worker';

/** Which of the exclusions applies to a node, if any (labels and providerID only). */
export function exclusion(node: Pick<NodeLike, 'metadata' | 'spec'>): string | undefined {
  const labels = node.metadata.labels ?? {};
  if (EXCLUDE_NODE_LABEL in labels) return `the node is labelled ${EXCLUDE_NODE_LABEL}`;
  if (EXCLUDE_NODE_LABEL_DEPRECATED in labels) return `the node is labelled ${EXCLUDE_NODE_LABEL_DEPRECATED}`;
  if (labels[EDGE_WORKER_LABEL] === 'true') return `the node is an edge node (${EDGE_WORKER_LABEL}=true)`;
  if (node.spec?.providerID?.startsWith(HYBRID_PROVIDER_ID_PREFIX)) return `the node is a hybrid-cloud node (providerID ${HYBRID_PROVIDER_ID_PREFIX}...)`;
  return undefined;
}

/** A route the cluster wants: `cidr` -> the ECS instance of `node`. */
export interface DesiredRoute {
  cidr: string;
  instanceId: string;
  node: string;
}

/** How entries of one cluster are recognised and named. */
export interface OwnerMark {
  clusterName: string;
}

const NAME_LIMIT = 128;

/** The Description that marks an entry as owned by the cluster. */
export function ownerDescription(o: OwnerMark): string {
  return `kubeloop:cluster=${o.clusterName}`;
}

/** RouteEntryName of a node's entry, for people reading the console (ownership is the Description). */
export function routeEntryName(o: OwnerMark, node: string): string {
  return `kubeloop-${o.clusterName}-${node}`.slice(0, NAME_LIMIT);
}

export function isOwned(entry: Pick<RouteEntry, 'description'>, o: OwnerMark): boolean {
  return entry.description === ownerDescription(o);
}

/** Whether any kubeloop route controller (this cluster's or another's) marked the entry: never taken over. */
export function isKubeloopMarked(entry: Pick<RouteEntry, 'description'>): boolean {
  return entry.description.startsWith(ownerDescription({ clusterName: '' }));
}

/** `alicloud://<region>.<instanceId>` or `<region>.<instanceId>` -> the instance id. */
export function instanceIdFromProviderId(providerID: string | undefined): string | undefined {
  if (!providerID) return undefined;
  const m = /^(?:alicloud:\/\/)?([a-z0-9-]+)\.([A-Za-z0-9-]+)$/.exec(providerID.trim());
  return m ? m[2] : undefined;
}

/** The node fields the planner reads (a cached Node fits). */
export interface NodeLike {
  metadata: { name?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: { podCIDR?: string; podCIDRs?: string[]; providerID?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

export type SkipReason = 'no-pod-cidr' | 'no-provider-id' | 'bad-provider-id' | 'excluded' | 'deleting' | 'ready-unknown' | 'outside-cluster-cidr';

export type NodeRoutes =
  | { node: string; eligible: true; instanceId: string; cidrs: string[] }
  /** `keep`: CIDRs whose owned entries stay in place (the node still exists, we just do not act on it) */
  | { node: string; eligible: false; reason: SkipReason; keep: string[]; message: string };

/** The node's IPv4 pod CIDRs (spec.podCIDRs, else spec.podCIDR), canonical, de-duplicated. */
export function podCidrs(node: NodeLike): { ipv4: Ipv4Cidr[]; invalid: string[] } {
  const list = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  const ipv4: Ipv4Cidr[] = [];
  const invalid: string[] = [];
  for (const c of list) {
    if (isIpv6Cidr(c)) continue;
    const p = parseIpv4Cidr(c);
    if (!p) invalid.push(c);
    else if (!ipv4.some((x) => x.text === p.text)) ipv4.push(p);
  }
  return { ipv4, invalid };
}

/** Whether a node wants routes, following the original's rules. */
export function nodeRoutes(node: NodeLike, clusterCidrs: readonly Ipv4Cidr[]): NodeRoutes {
  const name = node.metadata.name ?? '';
  const { ipv4, invalid } = podCidrs(node);
  const cidrs = ipv4.map((c) => c.text);
  const skip = (reason: SkipReason, message: string, keep = cidrs): NodeRoutes => ({ node: name, eligible: false, reason, keep, message });
  if (node.metadata.deletionTimestamp) return skip('deleting', 'the node is being deleted');
  const excluded = exclusion(node);
  if (excluded) return skip('excluded', excluded);
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'Unknown') return skip('ready-unknown', 'the node\'s Ready condition is Unknown');
  if (cidrs.length === 0) {
    return skip('no-pod-cidr', invalid.length ? `the node's pod CIDR ${invalid.join(',')} is not a valid IPv4 CIDR` : 'the node has no spec.podCIDR yet', []);
  }
  const providerID = node.spec?.providerID;
  if (!providerID) return skip('no-provider-id', 'the node has no spec.providerID yet', []);
  const instanceId = instanceIdFromProviderId(providerID);
  if (!instanceId) return skip('bad-provider-id', `spec.providerID "${providerID}" is not alicloud://<region>.<instanceId> or <region>.<instanceId>`, []);
  const outside = ipv4.filter((c) => !clusterCidrs.some((cc) => cidrContains(cc, c)));
  if (outside.length) {
    return skip('outside-cluster-cidr', `pod CIDR ${outside.map((c) => c.text).join(',')} is outside --cluster-cidr ${clusterCidrs.map((c) => c.text).join(',')}`, []);
  }
  return { node: name, eligible: true, instanceId, cidrs };
}

/** Desired routes of all nodes; of two nodes claiming one CIDR the first by name wins (the other is reported). */
export interface DesiredSet {
  routes: DesiredRoute[];
  /** CIDRs of skipped-but-present nodes: owned entries for them are kept */
  keep: Set<string>;
  /** routes that lost a duplicate-CIDR contest */
  duplicates: Array<{ route: DesiredRoute; winner: DesiredRoute }>;
}

export function desiredRoutes(all: readonly NodeRoutes[]): DesiredSet {
  const byCidr = new Map<string, DesiredRoute[]>();
  const keep = new Set<string>();
  for (const n of [...all].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))) {
    if (!n.eligible) {
      for (const c of n.keep) keep.add(c);
      continue;
    }
    for (const cidr of n.cidrs) {
      const list = byCidr.get(cidr) ?? [];
      list.push({ cidr, instanceId: n.instanceId, node: n.node });
      byCidr.set(cidr, list);
    }
  }
  const routes: DesiredRoute[] = [];
  const duplicates: DesiredSet['duplicates'] = [];
  for (const list of byCidr.values()) {
    routes.push(list[0]);
    for (const r of list.slice(1)) duplicates.push({ route: r, winner: list[0] });
  }
  return { routes, keep, duplicates };
}

/**
 * What taking over unmarked entries needs to know (upstream's `conflictWithNodes`, run on the
 * entries inside the cluster CIDR): every node's IPv4 pod CIDRs and instance, eligible or not.
 */
export interface Takeover {
  clusterCidrs: readonly Ipv4Cidr[];
  nodes: ReadonlyArray<{ node: string; instanceId?: string; cidrs: readonly Ipv4Cidr[] }>;
}

/** The facts of one node the takeover rules read (any node, whether it wants a route or not). */
export function takeoverNode(node: NodeLike): Takeover['nodes'][number] {
  return { node: node.metadata.name ?? '', instanceId: instanceIdFromProviderId(node.spec?.providerID), cidrs: podCidrs(node).ipv4 };
}

/**
 * Why an unmarked Custom entry pointing at an instance may be deleted, or undefined to leave
 * it: only inside `--cluster-cidr`, when it lies strictly inside a node's pod CIDR, holds a
 * node's pod CIDR with another next hop (both upstream's `conflictWithNodes`), or — written as
 * ACK's CCM writes entries, with no name and no description — points at an instance that is no
 * node of the cluster (the route of a node removed while no controller ran).
 */
export function takeoverReason(e: RouteEntry, t: Takeover): { node?: string; why: string } | undefined {
  if (isKubeloopMarked(e) || e.type !== 'Custom' || e.nextHopType !== 'Instance') return undefined;
  const cidr = parseIpv4Cidr(e.destinationCidrBlock);
  if (!cidr || !t.clusterCidrs.some((c) => cidrContains(c, cidr))) return undefined;
  for (const n of t.nodes) {
    for (const c of n.cidrs) {
      if (cidrContains(c, cidr) && cidr.bits > c.bits) return { node: n.node, why: `it lies inside the pod CIDR ${c.text} of node ${n.node}` };
      if (c.text === cidr.text && n.instanceId !== e.nextHopId) return { node: n.node, why: `it holds the pod CIDR of node ${n.node} with another next hop` };
    }
  }
  // only entries as ACK's CCM writes them (no name, no description): one a person named is theirs
  if (!e.routeEntryName && !e.description && !t.nodes.some((n) => n.instanceId === e.nextHopId)) {
    return { why: `its next hop ${e.nextHopId} is no node of this cluster` };
  }
  return undefined;
}

export interface RoutePlan {
  /** entries to create (after the deletes) */
  create: DesiredRoute[];
  /**
   * entries to delete: owned ones `stale` (no node wants the CIDR) or `replaced` (wrong next
   * hop; re-created); unmarked ones taken over, `conflict` (see takeoverReason; `node` is the
   * node whose CIDR it conflicts with, `why` says it; re-created when `route` is set)
   */
  delete: Array<{ entry: RouteEntry; reason: 'stale' | 'replaced' | 'conflict'; route?: DesiredRoute; node?: string; why?: string }>;
  /** foreign entries holding a desired CIDR with another next hop: reported, never overwritten */
  conflicts: Array<{ route: DesiredRoute; entry: RouteEntry }>;
  /** desired routes already in place (owned, or foreign pointing at the right instance); may be Pending */
  satisfied: Array<{ route: DesiredRoute; entry: RouteEntry }>;
  /** desired routes whose entry is being deleted right now: wait, then create */
  waiting: DesiredRoute[];
}

const settling = (e: RouteEntry) => e.status === 'Deleting';

/**
 * Decides what to do to one route table. `desired` must hold one route per CIDR (see
 * desiredRoutes); `keep` lists CIDRs whose owned entries must stay although no route wants
 * them (nodes that exist but are skipped). System entries are never touched.
 */
export function plan(desired: readonly DesiredRoute[], actual: readonly RouteEntry[], owner: OwnerMark, keep: ReadonlySet<string> = new Set(), takeover?: Takeover): RoutePlan {
  const out: RoutePlan = { create: [], delete: [], conflicts: [], satisfied: [], waiting: [] };
  const byCidr = new Map<string, RouteEntry[]>();
  for (const e of actual) {
    const c = parseIpv4Cidr(e.destinationCidrBlock)?.text ?? e.destinationCidrBlock;
    const list = byCidr.get(c) ?? [];
    list.push(e);
    byCidr.set(c, list);
  }
  const wanted = new Set(desired.map((r) => r.cidr));
  const mutable = (e: RouteEntry) => isOwned(e, owner) && e.type !== 'System';
  const taken = (e: RouteEntry) => (takeover && !isOwned(e, owner) ? takeoverReason(e, takeover) : undefined);
  const removal = (e: RouteEntry, route?: DesiredRoute): RoutePlan['delete'][number] => {
    const t = taken(e);
    return t ? { entry: e, reason: 'conflict', route, ...t } : { entry: e, reason: route ? 'replaced' : 'stale', route };
  };

  for (const route of desired) {
    const entries = byCidr.get(route.cidr) ?? [];
    const live = entries.filter((e) => !settling(e));
    const right = live.find((e) => e.nextHopId === route.instanceId && (e.nextHopType === 'Instance' || e.nextHopType === ''));
    const removable = (e: RouteEntry) => mutable(e) || !!taken(e);
    const foreignWrong = live.filter((e) => !removable(e) && e !== right);
    const ownedWrong = live.filter((e) => removable(e) && e !== right);
    if (right) {
      out.satisfied.push({ route, entry: right });
      // a second entry for the CIDR cannot exist in one table; stay defensive
      for (const e of ownedWrong) out.delete.push(removal(e));
      continue;
    }
    if (foreignWrong.length) {
      out.conflicts.push({ route, entry: foreignWrong[0] });
      continue;
    }
    if (ownedWrong.length) {
      for (const e of ownedWrong) out.delete.push(removal(e, route));
      out.create.push(route);
      continue;
    }
    if (entries.some(settling)) {
      out.waiting.push(route);
      continue;
    }
    out.create.push(route);
  }

  for (const [cidr, entries] of byCidr) {
    if (wanted.has(cidr)) continue;
    for (const e of entries) {
      if (settling(e)) continue;
      if (mutable(e) && !keep.has(cidr)) out.delete.push({ entry: e, reason: 'stale' });
      else if (taken(e)) out.delete.push(removal(e));
    }
  }
  return out;
}

/** The NetworkUnavailable condition values the controller writes. */
export const CONDITION_TYPE = 'NetworkUnavailable';
export const REASON_CREATED = 'RouteCreated';
export const REASON_NOT_CREATED = 'NoRouteCreated';
export const MESSAGE_CREATED = 'RouteController created a route';

export interface ConditionValue {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** What one table says about one route of a node. */
export type TableVerdict =
  | { state: 'ready' }
  | { state: 'pending' }
  | { state: 'missing' }
  | { state: 'failed'; message: string };

/**
 * A node's condition from the verdicts of its routes in every table: False/RouteCreated
 * once all are ready, True/NoRouteCreated as soon as one failed (conflict, refused write),
 * undefined while work is still under way (the condition is left as it is).
 */
export function nodeCondition(verdicts: readonly TableVerdict[]): ConditionValue | undefined {
  const failed = verdicts.find((v): v is Extract<TableVerdict, { state: 'failed' }> => v.state === 'failed');
  if (failed) return { status: 'True', reason: REASON_NOT_CREATED, message: failed.message };
  if (verdicts.length > 0 && verdicts.every((v) => v.state === 'ready')) return { status: 'False', reason: REASON_CREATED, message: MESSAGE_CREATED };
  return undefined;
}
