/**
 * The cluster snapshot the planner works on: plain, pre-digested views of Pods, Nodes, PDBs
 * and node groups (requests summed, selectors parsed, drainability facts extracted), built
 * from Kubernetes objects by the pure functions here. Nothing in this file talks to a server.
 */
import { labelSelectorFromSpec, type LabelSelector } from 'kubeloop';
import { ackAllocatableCpuMillis, ackAllocatableMemory, TEMPLATE_MAX_PODS } from './ack-node.js';

/** Schedulable resources: cpu in millicores, memory in bytes, pods as a count, GPUs. */
export interface Res { cpu: number; memory: number; pods: number; gpu: number }

export const GPU_RESOURCE = 'nvidia.com/gpu';
/** The taint that marks a node the autoscaler is removing (value: unix seconds). */
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';
export const SCALE_DOWN_DISABLED_ANNOTATION = 'cluster-autoscaler.kubernetes.io/scale-down-disabled';
export const SAFE_TO_EVICT_ANNOTATION = 'cluster-autoscaler.kubernetes.io/safe-to-evict';
export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** Pods with a priority below this are expendable: they never trigger a scale-up nor block a scale-down. */
export const EXPENDABLE_PRIORITY_CUTOFF = -10;

export interface Taint { key: string; value?: string; effect: string }
export interface Toleration { key?: string; operator?: string; value?: string; effect?: string }
export interface NodeSelectorRequirement { key: string; operator: string; values?: string[] }
export interface NodeSelectorTerm { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }

/** A required pod (anti-)affinity term: pods matching `selector` in `namespaces`, per `topologyKey` domain. */
export interface PodAffinityTerm { selector: LabelSelector; topologyKey: string; namespaces: string[] }
/** A topologySpreadConstraint with whenUnsatisfiable DoNotSchedule (ScheduleAnyway ones never block). */
export interface SpreadConstraint { maxSkew: number; topologyKey: string; selector: LabelSelector }

export interface PodInfo {
  /** `namespace/name` */
  key: string;
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName?: string;
  requests: Res;
  nodeSelector: Record<string, string>;
  /** requiredDuringSchedulingIgnoredDuringExecution terms (OR'ed); undefined = none */
  requiredTerms?: NodeSelectorTerm[];
  tolerations: Toleration[];
  priority: number;
  /** PodScheduled=False with reason Unschedulable and no node */
  unschedulable: boolean;
  /** kind/name of the controlling owner reference */
  controller?: { kind: string; name: string };
  mirror: boolean;
  daemonSet: boolean;
  /** hostPath or a non-memory emptyDir volume */
  localStorage: boolean;
  /** Succeeded/Failed or being deleted: neither counted nor moved */
  gone: boolean;
  /** scheduling constraints as a string: pods with equal shapes have equal static fit on every node */
  shape: string;
  /** required inter-pod affinity / anti-affinity terms and hard topology spread constraints */
  podAffinity?: PodAffinityTerm[];
  podAntiAffinity?: PodAffinityTerm[];
  spread?: SpreadConstraint[];
}

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  taints: Taint[];
  allocatable: Res;
  ready: boolean;
  unschedulable: boolean;
  /** node group (scaling group id) the node's instance belongs to */
  groupId?: string;
  /** ECS instance id from the providerID */
  instanceId?: string;
  toBeDeleted: boolean;
  /** creationTimestamp (ms; 0 when unknown) */
  createdMs: number;
}

/** Taints the node lifecycle puts on a node that is not (yet) Ready. */
export const NOT_READY_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

export interface PdbInfo {
  namespace: string;
  name: string;
  selector: LabelSelector;
  disruptionsAllowed: number;
}

export interface GroupInfo {
  id: string;
  min: number;
  max: number;
  /** desired capacity (the cloud provider's target size) */
  target: number;
  /** what a new node of this group looks like */
  template: NodeInfo;
  /** requests of the DaemonSet pods that would run on a new node of this group (upstream adds them to the template) */
  daemonSetUsage?: Res;
  /** the group is backed off until this time (ms) after a failed scale-up */
  backoffUntil?: number;
  /** the group could not be read this loop: no scale-up into it, no scale-down out of it */
  unhealthy?: string;
}

export interface ClusterSnapshot {
  nodes: NodeInfo[];
  pods: PodInfo[];
  pdbs: PdbInfo[];
  groups: GroupInfo[];
}

// ---------------------------------------------------------------- quantities

const BIN: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DEC: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity ("100m", "1.5Gi", "2e3") as a number; NaN when malformed. */
export function parseQuantity(q: unknown): number {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return NaN;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  if (m[2]) return n * 10 ** Number(m[2].slice(1));
  const s = m[3] ?? '';
  return n * (BIN[s] ?? DEC[s]);
}

const zero = (): Res => ({ cpu: 0, memory: 0, pods: 0, gpu: 0 });

function resFromList(list: Record<string, unknown> | undefined): Res {
  const r = zero();
  if (!list) return r;
  const q = (k: string) => { const v = parseQuantity(list[k]); return Number.isFinite(v) ? v : 0; };
  r.cpu = Math.round(q('cpu') * 1000);
  r.memory = q('memory');
  r.pods = q('pods');
  r.gpu = q(GPU_RESOURCE);
  return r;
}

type Any = Record<string, any>;

/** Effective requests: the sum over containers, at least the largest init container, plus overhead; one pod slot. */
export function podRequests(spec: Any | undefined): Res {
  const sum = zero();
  for (const c of spec?.containers ?? []) {
    const r = resFromList(c?.resources?.requests);
    sum.cpu += r.cpu; sum.memory += r.memory; sum.gpu += r.gpu;
  }
  for (const c of spec?.initContainers ?? []) {
    const r = resFromList(c?.resources?.requests);
    sum.cpu = Math.max(sum.cpu, r.cpu); sum.memory = Math.max(sum.memory, r.memory); sum.gpu = Math.max(sum.gpu, r.gpu);
  }
  const o = resFromList(spec?.overhead);
  sum.cpu += o.cpu; sum.memory += o.memory;
  sum.pods = 1;
  return sum;
}

// ---------------------------------------------------------------- objects -> infos

function selectorOf(spec: unknown): LabelSelector | undefined {
  try { return labelSelectorFromSpec(spec as never); } catch { return undefined; }
}

/** Required pod (anti-)affinity terms; namespaces default to the pod's own (namespaceSelector is not read). */
function affinityTerms(list: unknown, namespace: string): PodAffinityTerm[] | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const out: PodAffinityTerm[] = [];
  for (const t of list as Any[]) {
    const selector = selectorOf(t?.labelSelector);
    if (!selector || !t?.topologyKey) continue;
    out.push({ selector, topologyKey: String(t.topologyKey), namespaces: Array.isArray(t.namespaces) && t.namespaces.length ? t.namespaces.map(String) : [namespace] });
  }
  return out.length ? out : undefined;
}

function spreadConstraints(list: unknown): SpreadConstraint[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: SpreadConstraint[] = [];
  for (const c of list as Any[]) {
    if (c?.whenUnsatisfiable === 'ScheduleAnyway' || !c?.topologyKey) continue;
    const selector = selectorOf(c.labelSelector);
    if (selector) out.push({ maxSkew: Math.max(1, Number(c.maxSkew ?? 1) || 1), topologyKey: String(c.topologyKey), selector });
  }
  return out.length ? out : undefined;
}

export function podInfo(pod: Any): PodInfo {
  const md = pod.metadata ?? {};
  const spec = pod.spec ?? {};
  const owner = (md.ownerReferences ?? []).find((o: Any) => o?.controller);
  const annotations: Record<string, string> = md.annotations ?? {};
  const cond = (pod.status?.conditions ?? []).find((c: Any) => c?.type === 'PodScheduled');
  const phase = pod.status?.phase;
  const requiredTerms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const nodeSelector = spec.nodeSelector ?? {};
  const tolerations = spec.tolerations ?? [];
  const localStorage = (spec.volumes ?? []).some((v: Any) => v?.hostPath || (v?.emptyDir && v.emptyDir.medium !== 'Memory'));
  return {
    key: `${md.namespace ?? ''}/${md.name ?? ''}`,
    namespace: md.namespace ?? '',
    name: md.name ?? '',
    uid: md.uid ?? '',
    labels: md.labels ?? {},
    annotations,
    nodeName: spec.nodeName || undefined,
    requests: podRequests(spec),
    nodeSelector,
    requiredTerms: Array.isArray(requiredTerms) ? requiredTerms : undefined,
    tolerations,
    priority: typeof spec.priority === 'number' ? spec.priority : 0,
    unschedulable: !spec.nodeName && cond?.status === 'False' && cond?.reason === 'Unschedulable',
    controller: owner ? { kind: String(owner.kind), name: String(owner.name) } : undefined,
    mirror: MIRROR_ANNOTATION in annotations,
    daemonSet: owner?.kind === 'DaemonSet',
    localStorage,
    gone: phase === 'Succeeded' || phase === 'Failed' || !!md.deletionTimestamp,
    shape: JSON.stringify([nodeSelector, requiredTerms ?? null, tolerations]),
    podAffinity: affinityTerms(spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution, md.namespace ?? ''),
    podAntiAffinity: affinityTerms(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution, md.namespace ?? ''),
    spread: spreadConstraints(spec.topologySpreadConstraints),
  };
}

/**
 * The ECS instance id of a node's `spec.providerID`: ACK sets `<region>.<instanceId>`
 * ("REGION.NODEID"), kubernetes/cloud-provider-alibaba-cloud's NodeFromProviderID also
 * accepts `alicloud://<region>.<instanceId>`, and kubernetes/autoscaler's alicloud provider
 * (cluster-autoscaler/cloudprovider/alicloud) takes the part after the region's dot. Anything
 * else (another provider's form) is undefined.
 */
export function instanceIdFromProviderId(providerID: unknown): string | undefined {
  if (typeof providerID !== 'string') return undefined;
  const m = /^alicloud:\/\/(?:[^./:]+\.)?([^./:]+)$/.exec(providerID) ?? /^[^./:]+\.([^./:]+)$/.exec(providerID);
  return m?.[1];
}

export function nodeInfo(node: Any, groupOf?: (instanceId: string) => string | undefined): NodeInfo {
  const md = node.metadata ?? {};
  const status = node.status ?? {};
  const taints: Taint[] = node.spec?.taints ?? [];
  const instanceId = instanceIdFromProviderId(node.spec?.providerID);
  return {
    name: md.name ?? '',
    labels: md.labels ?? {},
    annotations: md.annotations ?? {},
    taints,
    allocatable: resFromList(status.allocatable ?? status.capacity),
    ready: (status.conditions ?? []).some((c: Any) => c?.type === 'Ready' && c.status === 'True'),
    unschedulable: !!node.spec?.unschedulable,
    instanceId,
    groupId: instanceId && groupOf ? groupOf(instanceId) : undefined,
    toBeDeleted: taints.some((t) => t.key === TO_BE_DELETED_TAINT),
    createdMs: md.creationTimestamp ? Date.parse(md.creationTimestamp) || 0 : 0,
  };
}

export function pdbInfo(pdb: Any): PdbInfo {
  return {
    namespace: pdb.metadata?.namespace ?? '',
    name: pdb.metadata?.name ?? '',
    selector: labelSelectorFromSpec(pdb.spec?.selector),
    disruptionsAllowed: Number(pdb.status?.disruptionsAllowed ?? 0),
  };
}

/**
 * The template with the allocatable of a Ready node of the group, when it has one: upstream
 * builds node infos from a real node of the group before falling back to the cloud
 * provider's template (MixedTemplateNodeInfoProvider), which catches what no formula knows —
 * e.g. a node pool's custom kubelet reservation. Labels and taints stay the template's.
 */
export function withRegisteredAllocatable(template: NodeInfo, groupNodes: readonly NodeInfo[]): NodeInfo {
  const real = groupNodes.find((n) => n.ready && !n.toBeDeleted && n.allocatable.cpu > 0);
  return real ? { ...template, allocatable: { ...real.allocatable } } : template;
}

/** What the planner needs to know about a scaling group to imagine one more node of it. */
export interface TemplateInput {
  groupId: string;
  instanceType: string;
  cpuCores: number;
  memoryGiB: number;
  gpus: number;
  region: string;
  /** distinct zones of the group's vSwitches */
  zones: string[];
  labels: Record<string, string>;
  taints: Taint[];
}

/**
 * The template node of a group: the instance type's capacity less ACK's reservation (110
 * pods; see ack-node.ts), the labels a node
 * of the group registers with (well-known ones, the group id, the scaling configuration's
 * `--node-labels`) and its `--register-with-taints`. The zone label is set when the group
 * spans exactly one zone; a multi-zone group cannot promise a zone (ESS balances new
 * instances across its vSwitches), so zone-pinned pods do not count on it.
 */
export function templateNode(t: TemplateInput): NodeInfo {
  const name = `template-node-for-${t.groupId}`;
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': 'amd64',
    'node.kubernetes.io/instance-type': t.instanceType,
    'beta.kubernetes.io/instance-type': t.instanceType,
    'topology.kubernetes.io/region': t.region,
    'failure-domain.beta.kubernetes.io/region': t.region,
    'alibabacloud.com/scaling-group-id': t.groupId,
  };
  const zones = [...new Set(t.zones)];
  if (zones.length === 1) {
    labels[ZONE_LABEL] = zones[0];
    labels['failure-domain.beta.kubernetes.io/zone'] = zones[0];
  }
  Object.assign(labels, t.labels);
  return {
    name, labels, annotations: {}, taints: t.taints.map((x) => ({ ...x })),
    allocatable: { cpu: ackAllocatableCpuMillis(t.cpuCores), memory: ackAllocatableMemory(t.memoryGiB * 2 ** 30), pods: TEMPLATE_MAX_PODS, gpu: t.gpus },
    ready: true, unschedulable: false, groupId: t.groupId, toBeDeleted: false, createdMs: 0,
  };
}
