/**
 * What quota counts, per kind: upstream's evaluators (pkg/quota/v1/evaluator/core, v1.32, and
 * staging/src/k8s.io/apiserver/pkg/quota/v1/generic for object counts), shared by the
 * ResourceQuota admission plugin and the quota controller.
 * - pods (pods.go): `count/pods` always; while the pod is not terminal (Succeeded/Failed) nor
 *   past its deletion grace (QuotaV1Pod) also `pods` and, from the pod's requests/limits
 *   (resourcehelper PodRequests/PodLimits: containers summed, sidecars added, max with each
 *   init container, overhead added), `cpu`/`requests.cpu`, `memory`/`requests.memory`,
 *   `ephemeral-storage`/`requests.ephemeral-storage`, `limits.*`, `hugepages-*` and
 *   `requests.<extended>`. Scopes: Terminating / NotTerminating (`activeDeadlineSeconds` >= 0),
 *   BestEffort / NotBestEffort (QoS class), PriorityClass (`priorityClassName` against the
 *   selector: In, NotIn, Exists, DoesNotExist), CrossNamespacePodAffinity. Constraints: a quota
 *   on cpu/memory requests or limits requires every container to set them (`must specify
 *   limits.cpu for: c`). Charged on CREATE only.
 * - services (services.go): `services`, `count/services`, `services.nodeports` (ports of a
 *   NodePort or LoadBalancer service; with `allocateLoadBalancerNodePorts: false` only ports
 *   naming a nodePort), `services.loadbalancers`. CREATE and UPDATE.
 * - persistentvolumeclaims (persistent_volume_claims.go): `persistentvolumeclaims`,
 *   `count/persistentvolumeclaims`, `requests.storage` (the request, or the larger allocated
 *   size, rounded up to whole bytes) and their `<class>.storageclass.storage.k8s.io/` forms.
 *   CREATE and UPDATE.
 * - everything else (generic/evaluator.go ObjectCountEvaluator): `count/<resource>[.<group>]`,
 *   with the legacy names `configmaps`, `secrets`, `replicationcontrollers`, `resourcequotas`
 *   (core/registry.go legacyObjectCountAliases); CREATE only; a scoped quota never matches them
 *   (MatchesNoScopeFunc). Events are ignored (install.DefaultIgnoredResources).
 */
import type { KubeObject } from '../../api/index.js';
import { podQOSClass, type ResourceType } from '../resources/index.js';
import { add, addLists, count, podContainerTotals, q, type Q, type Usage, usageOf } from './resourcelist.js';
import type { ResourceQuota, ScopeRequirement } from './shared.js';

export type { ScopeRequirement };


export interface Evaluator {
  /** The group/resource it counts. */
  group: string;
  resource: string;
  /** Quota resource names among `names` this evaluator tracks. */
  matchingResources(names: Iterable<string>): string[];
  /** The object's usage. */
  usage(obj: KubeObject): Usage;
  /** Whether an operation may change usage (Handles). */
  handles(operation: string): boolean;
  /** Whether the object falls in a scope (MatchesScopeFunc). */
  matchesScope(sel: ScopeRequirement, obj: KubeObject): boolean;
  /** Constraints: an error text, or undefined. */
  constraints?(required: string[], obj: KubeObject): string | undefined;
}

/** ObjectCountQuotaResourceNameFor: `count/<resource>` for the core group, `count/<resource>.<group>` otherwise. */
export function objectCountName(group: string, resource: string): string {
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

const LEGACY_ALIASES: Record<string, string> = { configmaps: 'configmaps', secrets: 'secrets', replicationcontrollers: 'replicationcontrollers', resourcequotas: 'resourcequotas' };
/** install.DefaultIgnoredResources. */
const IGNORED = new Set(['/events']);

type Obj = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function objectCountEvaluator(group: string, resource: string): Evaluator {
  const name = objectCountName(group, resource);
  const alias = group === '' ? LEGACY_ALIASES[resource] : undefined;
  const tracked = alias ? [name, alias] : [name];
  return {
    group, resource,
    matchingResources: (names) => [...names].filter((n) => tracked.includes(n)),
    usage: () => new Map(tracked.map((n) => [n, count(1)])),
    handles: (op) => op === 'CREATE',
    matchesScope: () => false,
  };
}

// ---- pods ----

const POD_RESOURCES = new Set(['count/pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods']);
const POD_RESOURCE_PREFIXES = ['hugepages-', 'requests.hugepages-'];
/** validationSet of pods.go: the resources every container must name when quota'd. */
const VALIDATION_SET = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** helper.IsExtendedResourceName: not native (has a `/`, outside kubernetes.io), not requests.-prefixed, qualified once prefixed. */
function isExtended(name: string): boolean {
  if (!name.includes('/') || name.includes('kubernetes.io/') || name.startsWith('requests.')) return false;
  return QUALIFIED_NAME.test(`requests.${name}`);
}

/** isExtendedResourceNameForQuota: `requests.<extended>`. */
function isExtendedForQuota(name: string): boolean {
  return name.startsWith('requests.') && isExtended(name.slice('requests.'.length));
}

/** podComputeUsageHelper. */
function computeUsage(requests: Usage, limits: Usage): Usage {
  const out: Usage = new Map([['pods', count(1)]]);
  const both = (res: string) => {
    const r = requests.get(res);
    if (r) {
      out.set(res, r);
      out.set(`requests.${res}`, r);
    }
    const l = limits.get(res);
    if (l) out.set(`limits.${res}`, l);
  };
  both('cpu');
  both('memory');
  both('ephemeral-storage');
  for (const [k, v] of requests) {
    if (k.startsWith('hugepages-')) {
      out.set(k, v);
      out.set(`requests.${k}`, v);
    }
    if (isExtended(k)) out.set(`requests.${k}`, v);
  }
  return out;
}

type Container = { name?: string; resources?: { requests?: unknown; limits?: unknown }; restartPolicy?: string };

/** resourcehelper.PodRequests / PodLimits (v1.32, pod-level resources off): with the pod's overhead. */
function podResources(pod: Obj, which: 'requests' | 'limits'): Usage {
  let total = podContainerTotals(pod.spec, which);
  const overhead = usageOf(pod.spec?.overhead);
  if (which === 'requests') total = addLists(total, overhead);
  else for (const [k, v] of overhead) if (total.has(k)) total.set(k, add(total.get(k)!, v));
  return total;
}

/** QuotaV1Pod: not terminal, and not past its deletion grace period. */
export function podCounts(pod: Obj, now = Date.now()): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const m = pod.metadata;
  if (m.deletionTimestamp && m.deletionGracePeriodSeconds != null) {
    if (now > Date.parse(m.deletionTimestamp) + Number(m.deletionGracePeriodSeconds) * 1000) return false;
  }
  return true;
}

function isBestEffort(pod: Obj): boolean {
  const qos = pod.status?.qosClass;
  return (typeof qos === 'string' && qos ? qos : podQOSClass(pod)) === 'BestEffort';
}

function isTerminating(pod: Obj): boolean {
  const ads = pod.spec?.activeDeadlineSeconds;
  return typeof ads === 'number' && ads >= 0;
}

/** usesCrossNamespacePodAffinity: an (anti-)affinity term with namespaces or a namespaceSelector. */
function crossNamespaceAffinity(pod: Obj): boolean {
  const aff = pod.spec?.affinity ?? {};
  for (const kind of [aff.podAffinity, aff.podAntiAffinity]) {
    if (!kind) continue;
    const terms = [...(kind.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(kind.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t: Obj) => t?.podAffinityTerm)];
    for (const t of terms) if (t && (t.namespaceSelector != null || (Array.isArray(t.namespaces) && t.namespaces.length))) return true;
  }
  return false;
}

/** A scoped selector requirement against a one-label set `{PriorityClass: name}` (empty without a class), as labels.Selector. */
function priorityClassMatches(sel: ScopeRequirement, pod: Obj): boolean {
  const name: string = pod.spec?.priorityClassName ?? '';
  const values = sel.values ?? [];
  switch (sel.operator) {
    case 'Exists': return name !== '';
    case 'DoesNotExist': return name === '';
    case 'In': return name !== '' && values.includes(name);
    case 'NotIn': return name === '' || !values.includes(name);
    default: return false;
  }
}

const podEvaluator: Evaluator = {
  group: '', resource: 'pods',
  matchingResources(names) {
    const out: string[] = [];
    for (const n of names) if (POD_RESOURCES.has(n) || POD_RESOURCE_PREFIXES.some((p) => n.startsWith(p)) || isExtendedForQuota(n)) out.push(n);
    return out;
  },
  usage(obj) {
    const pod = obj as Obj;
    const result: Usage = new Map([['count/pods', count(1)]]);
    if (!podCounts(pod)) return result;
    return addLists(result, computeUsage(podResources(pod, 'requests'), podResources(pod, 'limits')));
  },
  handles: (op) => op === 'CREATE',
  matchesScope(sel, obj) {
    const pod = obj as Obj;
    switch (sel.scopeName) {
      case 'Terminating': return isTerminating(pod);
      case 'NotTerminating': return !isTerminating(pod);
      case 'BestEffort': return isBestEffort(pod);
      case 'NotBestEffort': return !isBestEffort(pod);
      case 'PriorityClass': return priorityClassMatches(sel, pod);
      case 'CrossNamespacePodAffinity': return crossNamespaceAffinity(pod);
      default: return false;
    }
  },
  constraints(required, obj) {
    const pod = obj as Obj;
    const needed = VALIDATION_SET.filter((r) => required.includes(r));
    if (!needed.length) return undefined;
    const missing = new Map<string, Set<string>>();
    for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])] as Container[]) {
      const have = computeUsage(usageOf(c?.resources?.requests), usageOf(c?.resources?.limits));
      for (const r of needed) if (!have.has(r)) (missing.get(r) ?? missing.set(r, new Set()).get(r)!).add(c?.name ?? '');
    }
    if (!missing.size) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
};

// ---- services ----

const SERVICE_RESOURCES = ['services', 'count/services', 'services.nodeports', 'services.loadbalancers'];

const serviceEvaluator: Evaluator = {
  group: '', resource: 'services',
  matchingResources: (names) => [...names].filter((n) => SERVICE_RESOURCES.includes(n)),
  usage(obj) {
    const spec = (obj as Obj).spec ?? {};
    const ports: Obj[] = Array.isArray(spec.ports) ? spec.ports : [];
    const out: Usage = new Map([['count/services', count(1)], ['services', count(1)]]);
    if (spec.type === 'NodePort') out.set('services.nodeports', count(ports.length));
    else if (spec.type === 'LoadBalancer') {
      out.set('services.nodeports', count(spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => p?.nodePort).length : ports.length));
      out.set('services.loadbalancers', count(1));
    }
    return out;
  },
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchesScope: () => false,
};

// ---- persistentvolumeclaims ----

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
const PVC_RESOURCES = ['persistentvolumeclaims', 'count/persistentvolumeclaims', 'requests.storage'];

/** Quantity.RoundUp(0): whole units (bytes), format kept. */
function roundUpToUnit(x: Q): Q {
  const rem = x.nanos % 1_000_000_000n;
  return rem === 0n ? x : { nanos: x.nanos - rem + (x.nanos > 0n ? 1_000_000_000n : 0n), format: x.format };
}

const pvcEvaluator: Evaluator = {
  group: '', resource: 'persistentvolumeclaims',
  matchingResources: (names) => [...names].filter((n) => PVC_RESOURCES.includes(n) || (n.includes(STORAGE_CLASS_SUFFIX) && (n.endsWith('/requests.storage') || n.endsWith('/persistentvolumeclaims')))),
  usage(obj) {
    const pvc = obj as Obj;
    // storagehelpers.GetPersistentVolumeClaimClass: the beta annotation first, then the field
    const cls: string = pvc.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? pvc.spec?.storageClassName ?? '';
    const out: Usage = new Map([['persistentvolumeclaims', count(1)], ['count/persistentvolumeclaims', count(1)]]);
    if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, count(1));
    const requested = pvc.spec?.resources?.requests?.storage;
    if (requested !== undefined) {
      let storage = roundUpToUnit(q(requested));
      const allocated = pvc.status?.allocatedResources?.storage;
      if (allocated !== undefined && q(allocated).nanos > storage.nanos) storage = roundUpToUnit(q(allocated));
      out.set('requests.storage', storage);
      if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
    }
    return out;
  },
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchesScope: () => false,
};

const SPECIAL: Record<string, Evaluator> = { '/pods': podEvaluator, '/services': serviceEvaluator, '/persistentvolumeclaims': pvcEvaluator };
const counters = new Map<string, Evaluator>();

/** The evaluator of a served type (undefined for ignored ones). */
export function evaluatorFor(t: Pick<ResourceType, 'group' | 'resource' | 'storageKey'>): Evaluator | undefined {
  if (IGNORED.has(t.storageKey)) return undefined;
  const special = SPECIAL[t.storageKey];
  if (special) return special;
  let e = counters.get(t.storageKey);
  if (!e) counters.set(t.storageKey, (e = objectCountEvaluator(t.group, t.resource)));
  return e;
}

/** generic.Matches: the quota tracks one of the evaluator's resources (in status.hard) and every scope selector matches. */
export function quotaMatches(e: Evaluator, hardNames: string[], selectors: ScopeRequirement[], obj: KubeObject): boolean {
  if (!e.matchingResources(hardNames).length) return false;
  return selectors.every((s) => e.matchesScope(s, obj));
}


/** getScopeSelectorsFromQuota: each `spec.scopes` entry as an Exists requirement, then the scopeSelector's expressions. */
export function scopeSelectors(quota: ResourceQuota): ScopeRequirement[] {
  const out: ScopeRequirement[] = [];
  for (const s of quota.spec?.scopes ?? []) out.push({ scopeName: s, operator: 'Exists' });
  for (const r of quota.spec?.scopeSelector?.matchExpressions ?? []) if (r && typeof r === 'object') out.push(r);
  return out;
}
