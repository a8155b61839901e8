/**
 * The autoscaler's flags, named and defaulted as the upstream cluster-autoscaler's, and their
 * validation: `parseAutoscalerConfig` turns commander's values into an {@link AutoscalerConfig}
 * or throws an Error whose message says how to fix the value.
 */
import { Option } from '../shared/index.js';
import { EXPANDERS, type ExpanderName, type Range } from './planner.js';
import { parseDuration as parseGoDuration } from '../shared/index.js';

export interface StaticGroupSpec { min: number; max: number; id: string }

export interface AutoscalerConfig {
  /** `--nodes=min:max:id` (repeatable) */
  nodes: StaticGroupSpec[];
  /** `--node-group-auto-discovery=tag:k=v[,k2=v2]` (repeatable): groups carrying all these tags */
  autoDiscovery: Array<Record<string, string>>;
  scanIntervalMs: number;
  expander: ExpanderName;
  maxNodesTotal: number;
  coresTotal: Range;
  /** bytes */
  memoryTotal: Range;
  maxNodeProvisionTimeMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  backoffResetMs: number;
  scaleDownEnabled: boolean;
  utilizationThreshold: number;
  unneededTimeMs: number;
  delayAfterAddMs: number;
  delayAfterFailureMs: number;
  maxEmptyBulkDelete: number;
  maxGracefulTerminationSec: number;
  maxPodEvictionTimeMs: number;
  /** kube-system pods without a PDB block the node's removal */
  skipNodesWithSystemPods: boolean;
  /** pods with hostPath or non-memory emptyDir volumes block the node's removal */
  skipNodesWithLocalStorage: boolean;
  /** spread a scale-up over groups whose nodes are alike (upstream --balance-similar-node-groups) */
  balanceSimilarNodeGroups: boolean;
  writeStatusConfigMap: boolean;
  statusConfigMapName: string;
  /** where the status and priority-expander ConfigMaps live */
  namespace: string;
}

export const DEFAULTS = {
  scanInterval: '10s',
  expander: 'least-waste' as ExpanderName,
  maxNodesTotal: 0,
  coresTotal: '0:320000',
  memoryTotal: '0:6400000',
  maxNodeProvisionTime: '15m',
  initialBackoff: '5m',
  maxBackoff: '30m',
  backoffReset: '3h',
  utilizationThreshold: 0.5,
  unneededTime: '10m',
  delayAfterAdd: '10m',
  delayAfterFailure: '3m',
  maxEmptyBulkDelete: 10,
  maxGracefulTerminationSec: 600,
  maxPodEvictionTime: '2m',
  statusConfigMapName: 'cluster-autoscaler-status',
  namespace: 'kube-system',
};

export const PRIORITY_CONFIGMAP = 'cluster-autoscaler-priority-expander';


/** Go duration syntax (`10m`, `1m30s`, `500ms`) to milliseconds. */
export function parseDuration(text: unknown, flag: string): number {
  try {
    return parseGoDuration(String(text), { allowNegative: false });
  } catch (err) {
    throw new Error(`${flag}: ${(err as Error).message}`);
  }
}

function num(v: unknown, flag: string, { min = -Infinity, integer = false } = {}): number {
  const n = Number(v);
  if (v === '' || v === undefined || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new Error(`${flag}: "${v}" is not ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}`);
  }
  return n;
}

function bool(v: unknown, flag: string): boolean {
  if (v === true || v === false) return v;
  if (/^(true|1|yes)$/i.test(String(v))) return true;
  if (/^(false|0|no)$/i.test(String(v))) return false;
  throw new Error(`${flag}: "${v}" is not a boolean (true or false)`);
}

/** `min:max` (integers) as upstream's --cores-total / --memory-total. */
export function parseRange(v: unknown, flag: string, scale = 1): Range {
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(String(v));
  if (!m) throw new Error(`${flag}: "${v}" is not <min>:<max> (e.g. 0:320000)`);
  const r = { min: Number(m[1]) * scale, max: Number(m[2]) * scale };
  if (r.min > r.max) throw new Error(`${flag}: min ${m[1]} is greater than max ${m[2]}`);
  return r;
}

/** `--nodes=min:max:id`. */
export function parseNodeGroupSpec(v: string): StaticGroupSpec {
  const m = /^(\d+):(\d+):([A-Za-z0-9][\w.-]*)$/.exec(v.trim());
  if (!m) throw new Error(`--nodes: "${v}" is not <min>:<max>:<scaling group id> (e.g. 1:10:asg-bp1...)`);
  const spec = { min: Number(m[1]), max: Number(m[2]), id: m[3] };
  if (spec.min > spec.max) throw new Error(`--nodes: min ${spec.min} is greater than max ${spec.max} for ${spec.id}`);
  return spec;
}

/** `tag:key=value[,key2=value2]` (upstream's `asg:tag=...` form, on ESS tags). */
export function parseAutoDiscovery(v: string): Record<string, string> {
  const m = /^(?:asg:)?tag[:=](.+)$/.exec(v.trim());
  if (!m) throw new Error(`--node-group-auto-discovery: "${v}" is not tag:<key>=<value>[,<key>=<value>] (e.g. tag:k8s.io/cluster-autoscaler/enabled=true)`);
  const tags: Record<string, string> = {};
  for (const kv of m[1].split(',')) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--node-group-auto-discovery: "${kv}" in "${v}" is not <key>=<value>`);
    tags[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  return tags;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function autoscalerFlags(): Option[] {
  return [
    new Option('--nodes <min:max:id>', 'a node group (ESS scaling group) with its size limits; repeatable').argParser(collect).default([]),
    new Option('--node-group-auto-discovery <tag:key=value>', 'scale every scaling group carrying these tags (min/max from the group); repeatable').argParser(collect).default([]),
    new Option('--scan-interval <duration>', 'how often the cluster is re-evaluated').default(DEFAULTS.scanInterval),
    new Option('--expander <name>', `node group choice on scale-up: ${EXPANDERS.join(', ')} (priority reads ConfigMap ${PRIORITY_CONFIGMAP})`).default(DEFAULTS.expander),
    new Option('--max-nodes-total <n>', 'maximum nodes in the cluster (0 = no limit)').default(String(DEFAULTS.maxNodesTotal)),
    new Option('--cores-total <min:max>', 'minimum and maximum cores in the cluster').default(DEFAULTS.coresTotal),
    new Option('--memory-total <min:max>', 'minimum and maximum memory in the cluster, in GiB').default(DEFAULTS.memoryTotal),
    new Option('--max-node-provision-time <duration>', 'a node not registered this long after a scale-up fails it and backs the group off').default(DEFAULTS.maxNodeProvisionTime),
    new Option('--initial-node-group-backoff-duration <duration>', 'first back-off of a group after a failed scale-up (doubles each time)').default(DEFAULTS.initialBackoff),
    new Option('--max-node-group-backoff-duration <duration>', 'longest back-off of a group').default(DEFAULTS.maxBackoff),
    new Option('--node-group-backoff-reset-timeout <duration>', 'a group with no failure for this long starts again at the initial back-off').default(DEFAULTS.backoffReset),
    new Option('--scale-down-enabled [bool]', 'remove unneeded nodes').default(true),
    new Option('--scale-down-utilization-threshold <ratio>', 'a node whose requested cpu and memory are both at most this share of allocatable may be removed').default(String(DEFAULTS.utilizationThreshold)),
    new Option('--scale-down-unneeded-time <duration>', 'how long a node must be unneeded before it is removed').default(DEFAULTS.unneededTime),
    new Option('--scale-down-delay-after-add <duration>', 'no scale-down this long after a scale-up').default(DEFAULTS.delayAfterAdd),
    new Option('--scale-down-delay-after-failure <duration>', 'no scale-down this long after a failed one').default(DEFAULTS.delayAfterFailure),
    new Option('--max-empty-bulk-delete <n>', 'empty nodes removed at once').default(String(DEFAULTS.maxEmptyBulkDelete)),
    new Option('--max-graceful-termination-sec <seconds>', 'how long evicted pods of a drained node may take to terminate').default(String(DEFAULTS.maxGracefulTerminationSec)),
    new Option('--max-pod-eviction-time <duration>', 'how long an eviction refused by a PodDisruptionBudget (429) is retried').default(DEFAULTS.maxPodEvictionTime),
    new Option('--skip-nodes-with-system-pods [bool]', 'never remove a node running a kube-system pod that has no PodDisruptionBudget').default(true),
    new Option('--skip-nodes-with-local-storage [bool]', 'never remove a node running a pod with hostPath or non-memory emptyDir volumes').default(true),
    new Option('--balance-similar-node-groups [bool]', 'spread new nodes over groups whose nodes are alike (same resources, labels and taints but zone), smallest first').default(false),
    new Option('--write-status-configmap [bool]', 'write the status ConfigMap').default(true),
    new Option('--status-config-map-name <name>', 'name of the status ConfigMap').default(DEFAULTS.statusConfigMapName),
    new Option('--autoscaler-namespace <ns>', 'namespace of the status and priority-expander ConfigMaps').default(DEFAULTS.namespace),
  ];
}

export function parseAutoscalerConfig(f: Readonly<Record<string, unknown>>): AutoscalerConfig {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === '' ? [] : [String(v)]);
  const get = <T>(k: string, d: T): unknown => (f[k] === undefined ? d : f[k]);
  const nodes = list(f.nodes).map(parseNodeGroupSpec);
  const ids = new Set<string>();
  for (const n of nodes) {
    if (ids.has(n.id)) throw new Error(`--nodes: scaling group ${n.id} is given twice`);
    ids.add(n.id);
  }
  const autoDiscovery = list(f.nodeGroupAutoDiscovery).map(parseAutoDiscovery);
  if (nodes.length === 0 && autoDiscovery.length === 0) {
    throw new Error('no node groups: give --nodes=<min>:<max>:<scaling group id> (repeatable) or --node-group-auto-discovery=tag:<key>=<value>');
  }
  const expander = String(get('expander', DEFAULTS.expander)) as ExpanderName;
  if (!EXPANDERS.includes(expander)) throw new Error(`--expander: "${expander}" is not one of ${EXPANDERS.join(', ')}`);
  const utilizationThreshold = num(get('scaleDownUtilizationThreshold', DEFAULTS.utilizationThreshold), '--scale-down-utilization-threshold', { min: 0 });
  if (utilizationThreshold > 1) throw new Error('--scale-down-utilization-threshold: must be between 0 and 1');
  const scanIntervalMs = parseDuration(get('scanInterval', DEFAULTS.scanInterval), '--scan-interval');
  if (scanIntervalMs <= 0) throw new Error('--scan-interval: must be positive');
  const initialBackoffMs = parseDuration(get('initialNodeGroupBackoffDuration', DEFAULTS.initialBackoff), '--initial-node-group-backoff-duration');
  const maxBackoffMs = parseDuration(get('maxNodeGroupBackoffDuration', DEFAULTS.maxBackoff), '--max-node-group-backoff-duration');
  if (maxBackoffMs < initialBackoffMs) throw new Error('--max-node-group-backoff-duration: must not be shorter than --initial-node-group-backoff-duration');
  return {
    nodes, autoDiscovery, scanIntervalMs, expander,
    maxNodesTotal: num(get('maxNodesTotal', DEFAULTS.maxNodesTotal), '--max-nodes-total', { min: 0, integer: true }),
    coresTotal: parseRange(get('coresTotal', DEFAULTS.coresTotal), '--cores-total'),
    memoryTotal: parseRange(get('memoryTotal', DEFAULTS.memoryTotal), '--memory-total', 2 ** 30),
    maxNodeProvisionTimeMs: parseDuration(get('maxNodeProvisionTime', DEFAULTS.maxNodeProvisionTime), '--max-node-provision-time'),
    initialBackoffMs, maxBackoffMs,
    backoffResetMs: parseDuration(get('nodeGroupBackoffResetTimeout', DEFAULTS.backoffReset), '--node-group-backoff-reset-timeout'),
    scaleDownEnabled: bool(get('scaleDownEnabled', true), '--scale-down-enabled'),
    utilizationThreshold,
    unneededTimeMs: parseDuration(get('scaleDownUnneededTime', DEFAULTS.unneededTime), '--scale-down-unneeded-time'),
    delayAfterAddMs: parseDuration(get('scaleDownDelayAfterAdd', DEFAULTS.delayAfterAdd), '--scale-down-delay-after-add'),
    delayAfterFailureMs: parseDuration(get('scaleDownDelayAfterFailure', DEFAULTS.delayAfterFailure), '--scale-down-delay-after-failure'),
    maxEmptyBulkDelete: num(get('maxEmptyBulkDelete', DEFAULTS.maxEmptyBulkDelete), '--max-empty-bulk-delete', { min: 1, integer: true }),
    maxGracefulTerminationSec: num(get('maxGracefulTerminationSec', DEFAULTS.maxGracefulTerminationSec), '--max-graceful-termination-sec', { min: 0 }),
    maxPodEvictionTimeMs: parseDuration(get('maxPodEvictionTime', DEFAULTS.maxPodEvictionTime), '--max-pod-eviction-time'),
    skipNodesWithSystemPods: bool(get('skipNodesWithSystemPods', true), '--skip-nodes-with-system-pods'),
    skipNodesWithLocalStorage: bool(get('skipNodesWithLocalStorage', true), '--skip-nodes-with-local-storage'),
    balanceSimilarNodeGroups: bool(get('balanceSimilarNodeGroups', false), '--balance-similar-node-groups'),
    writeStatusConfigMap: bool(get('writeStatusConfigmap', true), '--write-status-configmap'),
    statusConfigMapName: String(get('statusConfigMapName', DEFAULTS.statusConfigMapName)),
    namespace: String(get('autoscalerNamespace', DEFAULTS.namespace)),
  };
}
