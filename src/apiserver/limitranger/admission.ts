/**
 * The LimitRanger admission plugin (enabled by default in kube-apiserver), as upstream's
 * plugin/pkg/admission/limitranger/admission.go (v1.32) does it, reading the namespace's
 * LimitRanges (in name order) from the store:
 * - mutating (PodMutateLimitFunc), pod CREATE only (containers are immutable, so pod updates
 *   are skipped): each container and init container without a request / limit for a resource
 *   gets the `defaultRequest` / `default` of every `type: Container` item; the pod is annotated
 *   `kubernetes.io/limit-ranger: LimitRanger plugin set: cpu, memory request for container c;
 *   cpu limit for container c; ...` (names sorted, `init container` for init containers). The
 *   API server's defaulting already copied limits into missing requests before admission.
 * - validating (PodValidateLimitFunc), pod CREATE: per container and init container, and for a
 *   `type: Pod` item on the pod's requests/limits (containers summed, the larger of that and
 *   each init container, sidecars added, as podRequests/podLimits): `min` (a request is
 *   required, request and limit >= min), `max` (a limit is required, limit and request <=
 *   max), `maxLimitRequestRatio` (limit / request <= ratio, both non-zero), compared in milli
 *   units; PVC CREATE/UPDATE (PersistentVolumeClaimValidateLimitFunc): `min`/`max` of a
 *   `type: PersistentVolumeClaim` item on `spec.resources.requests`.
 * Errors are 403 `pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2`
 * with upstream's texts, several joined as utilerrors' aggregate (`[a, b]`, duplicates once).
 * An object whose stored version is being deleted is not checked. Resource keys are walked
 * in the objects' order (Go's map order is random).
 */
import type { KubeObject } from '../../api/index.js';
import { type AdmissionPlugin, type AdmissionRequest, admissionForbidden, aggregateErrors } from '../admission/index.js';
import { MAX_MILLI_VALUE, milliValue, podContainerTotals, q, type Q, str, type Usage, usageOf, value } from '../quota/index.js';
import type { SemanticsHost } from '../semantics-kit.js';
import { goFloat } from './validation.js';

const PODS = '/pods';
const PVCS = '/persistentvolumeclaims';
const LIMIT_RANGES = '/limitranges';
const ANNOTATION = 'kubernetes.io/limit-ranger';

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
type Container = { name?: string; resources?: Resources; restartPolicy?: string };
type Pod = KubeObject & { spec?: { containers?: Container[]; initContainers?: Container[] } };
type Item = { type?: string; max?: Record<string, string>; min?: Record<string, string>; default?: Record<string, string>; defaultRequest?: Record<string, string>; maxLimitRequestRatio?: Record<string, string> };
type LimitRange = KubeObject & { spec?: { limits?: Item[] } };

function entries(list: unknown): [string, string][] {
  if (!list || typeof list !== 'object' || Array.isArray(list)) return [];
  return Object.entries(list as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
}

/** The namespace's LimitRanges, or none without a scan when no LimitRange exists anywhere. */
function limitRanges(host: SemanticsHost, namespace: string): LimitRange[] {
  if (host.store.count(LIMIT_RANGES) === 0) return [];
  const out: LimitRange[] = [];
  for (const [, s] of host.store.scan(LIMIT_RANGES, `${namespace}/`)) out.push(s.obj as LimitRange);
  return out;
}

export function limitRangerAdmission(host: SemanticsHost): AdmissionPlugin {
  /** SupportsAttributes: pods on CREATE, PVCs on CREATE/UPDATE, no subresources, not while the stored object is being deleted. */
  const applies = (req: AdmissionRequest): LimitRange[] | undefined => {
    if (req.subresource || !req.namespace || req.operation === 'DELETE') return undefined;
    const key = req.type.storageKey;
    if (key === PODS ? req.operation !== 'CREATE' : key !== PVCS) return undefined;
    if (req.oldObject?.metadata.deletionTimestamp) return undefined;
    const lrs = limitRanges(host, req.namespace);
    return lrs.length ? lrs : undefined;
  };
  return {
    name: 'LimitRanger',
    appliesTo: (t) => t.storageKey === PODS || t.storageKey === PVCS,
    admit(req) {
      const lrs = applies(req);
      if (!lrs || req.type.storageKey !== PODS) return;
      for (const lr of lrs) mutatePod(lr, req.object as Pod);
    },
    validate(req) {
      const lrs = applies(req);
      if (!lrs) return;
      for (const lr of lrs) {
        const errs = req.type.storageKey === PODS ? validatePod(lr, req.object as Pod) : validateClaim(lr, req.object as KubeObject & { spec?: { resources?: Resources } });
        if (errs.length) throw admissionForbidden(req, aggregateErrors(errs));
      }
    },
  };
}

/** PodMutateLimitFunc: defaults from the Container items, and the annotation saying what was set. */
function mutatePod(lr: LimitRange, pod: Pod): void {
  const defaultRequests: [string, string][] = [];
  const defaultLimits: [string, string][] = [];
  for (const item of lr.spec?.limits ?? []) {
    if (item?.type !== 'Container') continue;
    for (const [k, v] of entries(item.defaultRequest)) defaultRequests.push([k, v]);
    for (const [k, v] of entries(item.default)) defaultLimits.push([k, v]);
  }
  const notes: string[] = [];
  const merge = (c: Container, prefix: string) => {
    const res = (c.resources ??= {});
    const setRequests: string[] = [];
    const setLimits: string[] = [];
    for (const [k, v] of defaultLimits) {
      if (res.limits && k in res.limits) continue;
      (res.limits ??= {})[k] = v;
      setLimits.push(k);
    }
    for (const [k, v] of defaultRequests) {
      if (res.requests && k in res.requests) continue;
      (res.requests ??= {})[k] = v;
      setRequests.push(k);
    }
    if (setRequests.length) notes.push(`${[...new Set(setRequests)].sort().join(', ')} request for ${prefix} ${c.name ?? ''}`);
    if (setLimits.length) notes.push(`${[...new Set(setLimits)].sort().join(', ')} limit for ${prefix} ${c.name ?? ''}`);
  };
  for (const c of pod.spec?.containers ?? []) if (c && typeof c === 'object') merge(c, 'container');
  for (const c of pod.spec?.initContainers ?? []) if (c && typeof c === 'object') merge(c, 'init container');
  // (status.qosClass follows from the defaulted resources: the pod strategy's PrepareForCreate runs after mutating admission)
  if (notes.length) pod.metadata.annotations = { ...pod.metadata.annotations, [ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
}

/** requestLimitEnforcedValues: the three values in milli units when none overflows, else in units. */
function enforcedValues(req: Q | undefined, lim: Q | undefined, enforced: Q): [bigint, bigint, bigint] {
  const zero: Q = { nanos: 0n, format: 'DecimalSI' };
  const r = req ?? zero;
  const l = lim ?? zero;
  if (value(r) <= MAX_MILLI_VALUE && value(l) <= MAX_MILLI_VALUE && value(enforced) <= MAX_MILLI_VALUE) return [milliValue(r), milliValue(l), milliValue(enforced)];
  return [value(r), value(l), value(enforced)];
}

function minConstraint(type: string, name: string, enforcedText: string, requests: Usage, limits: Usage): string | undefined {
  const enforced = q(enforcedText);
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, e] = enforcedValues(req, lim, enforced);
  if (!req) return `minimum ${name} usage per ${type} is ${str(enforced)}.  No request is specified`;
  if (r < e) return `minimum ${name} usage per ${type} is ${str(enforced)}, but request is ${str(req)}`;
  if (lim && l < e) return `minimum ${name} usage per ${type} is ${str(enforced)}, but limit is ${str(lim)}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforcedText: string, requests: Usage, limits: Usage): string | undefined {
  const enforced = q(enforcedText);
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l, e] = enforcedValues(req, lim, enforced);
  if (!lim) return `maximum ${name} usage per ${type} is ${str(enforced)}.  No limit is specified`;
  if (l > e) return `maximum ${name} usage per ${type} is ${str(enforced)}, but limit is ${str(lim)}`;
  if (req && r > e) return `maximum ${name} usage per ${type} is ${str(enforced)}, but request is ${str(req)}`;
  return undefined;
}

/** maxRequestConstraint: max against the request only (PVCs). */
function maxRequestConstraint(type: string, name: string, enforcedText: string, requests: Usage): string | undefined {
  const enforced = q(enforcedText);
  const req = requests.get(name);
  const [r, , e] = enforcedValues(req, undefined, enforced);
  if (!req) return `maximum ${name} usage per ${type} is ${str(enforced)}.  No request is specified`;
  if (r > e) return `maximum ${name} usage per ${type} is ${str(enforced)}, but request is ${str(req)}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, enforcedText: string, requests: Usage, limits: Usage): string | undefined {
  const enforced = q(enforcedText);
  const req = requests.get(name);
  const lim = limits.get(name);
  const [r, l] = enforcedValues(req, lim, enforced);
  if (!req || r === 0n) return `${name} max limit to request ratio per ${type} is ${str(enforced)}, but no request is specified or request is 0`;
  if (!lim || l === 0n) return `${name} max limit to request ratio per ${type} is ${str(enforced)}, but no limit is specified or limit is 0`;
  let observed = Number(l) / Number(r);
  const display = observed;
  let max = Number(value(enforced));
  if (value(enforced) <= MAX_MILLI_VALUE) {
    observed *= 1000;
    max = Number(milliValue(enforced));
  }
  if (observed > max) return `${name} max limit to request ratio per ${type} is ${str(enforced)}, but provided ratio is ${goFloat(display)}`;
  return undefined;
}

function checkItem(item: Item, type: string, requests: Usage, limits: Usage, errs: string[]): void {
  for (const [k, v] of entries(item.min)) {
    const e = minConstraint(type, k, v, requests, limits);
    if (e) errs.push(e);
  }
  for (const [k, v] of entries(item.max)) {
    const e = maxConstraint(type, k, v, requests, limits);
    if (e) errs.push(e);
  }
  for (const [k, v] of entries(item.maxLimitRequestRatio)) {
    const e = ratioConstraint(type, k, v, requests, limits);
    if (e) errs.push(e);
  }
}

function validatePod(lr: LimitRange, pod: Pod): string[] {
  const errs: string[] = [];
  for (const item of lr.spec?.limits ?? []) {
    if (item?.type === 'Container') {
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
        checkItem(item, 'Container', usageOf(c?.resources?.requests), usageOf(c?.resources?.limits), errs);
      }
    }
    if (item?.type === 'Pod') checkItem(item, 'Pod', podContainerTotals(pod.spec, 'requests'), podContainerTotals(pod.spec, 'limits'), errs);
  }
  return errs;
}

function validateClaim(lr: LimitRange, pvc: KubeObject & { spec?: { resources?: Resources } }): string[] {
  const errs: string[] = [];
  const requests = usageOf(pvc.spec?.resources?.requests);
  for (const item of lr.spec?.limits ?? []) {
    if (item?.type !== 'PersistentVolumeClaim') continue;
    for (const [k, v] of entries(item.min)) {
      const e = minConstraint('PersistentVolumeClaim', k, v, requests, new Map());
      if (e) errs.push(e);
    }
    for (const [k, v] of entries(item.max)) {
      const e = maxRequestConstraint('PersistentVolumeClaim', k, v, requests);
      if (e) errs.push(e);
    }
  }
  return errs;
}

