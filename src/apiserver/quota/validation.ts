/**
 * ResourceQuota validation, as kube-apiserver v1.32's ValidateResourceQuota /
 * ValidateResourceQuotaUpdate (pkg/apis/core/validation/validation.go) for the spec:
 * - each `hard` resource name qualified; an unprefixed one a standard resource ("must be a
 *   standard resource type or fully qualified") and one quota tracks ("must be a standard
 *   resource for quota"); its value not negative ("must be greater than or equal to 0") and
 *   whole for counted resources (pods, services, ... : "must be an integer");
 * - `scopes`: standard ones (Terminating, NotTerminating, BestEffort, NotBestEffort,
 *   PriorityClass, CrossNamespacePodAffinity: GA since 1.24), valid for every standard hard
 *   resource (BestEffort: pods only; the others: pods, cpu, memory and their
 *   requests./limits.), not both of a pair ("conflicting scopes"); the same rules for
 *   `scopeSelector.matchExpressions`, whose Terminating/BestEffort/CrossNamespacePodAffinity
 *   requirements take `Exists` only, In/NotIn need values and Exists/DoesNotExist none;
 * - on update, `scopes` are immutable.
 * Bad values are printed as Go's field.Error does (`%#v` for slices and Quantities, quoted
 * strings); resource keys in the object's order (Go's map order is random).
 */
import type { FieldError } from '../../api/index.js';
import { goQuantity } from '../limitranger/index.js';
import { q } from './resourcelist.js';
import type { ResourceQuota, ScopeRequirement } from './shared.js';

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory',
  'limits.ephemeral-storage', 'pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims', 'storage', 'requests.storage',
  'services.nodeports', 'services.loadbalancers']);
const STANDARD_QUOTA_RESOURCES = new Set([...STANDARD_RESOURCES].filter((r) => r !== 'storage'));
const INTEGER_RESOURCES = new Set(['pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);
const SCOPES = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity']);
const POD_COMPUTE = new Set(['pods', 'cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);
const EXISTS_ONLY = new Set(['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity']);

const hugePages = (n: string) => n.startsWith('hugepages-') || n.startsWith('requests.hugepages-');
const standardQuota = (n: string) => STANDARD_QUOTA_RESOURCES.has(n) || hugePages(n);

/** IsResourceQuotaScopeValidForResource. */
function scopeValidFor(scope: string, resource: string): boolean {
  if (scope === 'BestEffort') return resource === 'pods';
  if (scope === 'Terminating' || scope === 'NotTerminating' || scope === 'NotBestEffort' || scope === 'PriorityClass' || scope === 'CrossNamespacePodAffinity') return POD_COMPUTE.has(resource);
  return true;
}

/** IsExtendedResourceName (an integer resource too). */
function extended(name: string): boolean {
  if (!name.includes('/') || name.includes('kubernetes.io/') || name.startsWith('requests.')) return false;
  return QUALIFIED_NAME.test(`requests.${name}`);
}

const goStrings = (type: string, xs: unknown[]) => `[]${type}{${xs.map((x) => JSON.stringify(String(x))).join(', ')}}`;

export function validateResourceQuota(rq: ResourceQuota, old?: ResourceQuota): FieldError[] {
  const errs: FieldError[] = [];
  const invalid = (field: string, value: string, detail: string) => errs.push({ type: 'FieldValueInvalid', field, message: `${value}: ${detail}` });
  const hard = rq.spec?.hard && typeof rq.spec.hard === 'object' ? rq.spec.hard : {};
  const hardNames = Object.keys(hard);
  for (const [k, v] of Object.entries(hard)) {
    const at = `spec.hard[${k}]`;
    if (!QUALIFIED_NAME.test(k)) invalid(at, JSON.stringify(k), "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    else if (!k.includes('/')) {
      if (!STANDARD_RESOURCES.has(k) && !hugePages(k)) invalid(at, JSON.stringify(k), 'must be a standard resource type or fully qualified');
      if (!standardQuota(k)) invalid(at, JSON.stringify(k), 'must be a standard resource for quota');
    }
    const value = q(v);
    if (value.nanos < 0n) invalid(at, JSON.stringify(String(v)), 'must be greater than or equal to 0');
    if ((INTEGER_RESOURCES.has(k) || extended(k)) && value.nanos % 1_000_000_000n !== 0n) invalid(at, goQuantity(String(v)), 'must be an integer');
  }
  const scopes = Array.isArray(rq.spec?.scopes) ? rq.spec!.scopes : [];
  const sortedHard = [...hardNames].sort();
  const conflicts = (set: Set<string>) => (set.has('BestEffort') && set.has('NotBestEffort') ? 1 : 0) + (set.has('Terminating') && set.has('NotTerminating') ? 1 : 0);
  if (scopes.length) {
    const shown = goStrings('core.ResourceQuotaScope', scopes);
    for (const scope of scopes) {
      if (!SCOPES.has(scope)) invalid('spec.scopes', shown, 'unsupported scope');
      for (const k of sortedHard) if (standardQuota(k) && !scopeValidFor(scope, k)) invalid('spec.scopes', shown, 'unsupported scope applied to resource');
    }
    for (let i = conflicts(new Set(scopes)); i > 0; i--) invalid('spec.scopes', shown, 'conflicting scopes');
  }
  const exprs: ScopeRequirement[] = Array.isArray(rq.spec?.scopeSelector?.matchExpressions) ? rq.spec!.scopeSelector!.matchExpressions! : [];
  if (rq.spec?.scopeSelector) {
    const at = 'spec.scopeSelector.matchExpressions';
    const names = new Set<string>();
    for (const req of exprs) {
      const scope = String(req?.scopeName ?? '');
      if (!SCOPES.has(scope)) invalid(`${at}.scopeName`, JSON.stringify(scope), 'unsupported scope');
      for (const k of sortedHard) if (standardQuota(k) && !scopeValidFor(scope, k)) invalid(at, 'core.ScopeSelector{...}', 'unsupported scope applied to resource');
      const op = String(req?.operator ?? '');
      if (EXISTS_ONLY.has(scope) && op !== 'Exists') {
        invalid(`${at}.operator`, JSON.stringify(op), "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity");
      }
      const values = Array.isArray(req?.values) ? req.values : [];
      if (op === 'In' || op === 'NotIn') {
        if (!values.length) errs.push({ type: 'FieldValueRequired', field: `${at}.values`, message: "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector" });
      } else if (op === 'Exists' || op === 'DoesNotExist') {
        if (values.length) invalid(`${at}.values`, goStrings('string', values), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector");
      } else invalid(`${at}.operator`, JSON.stringify(op), 'not a valid selector operator');
      names.add(scope);
    }
    for (let i = conflicts(names); i > 0; i--) invalid(at, scopes.length ? goStrings('core.ResourceQuotaScope', scopes) : '[]core.ResourceQuotaScope(nil)', 'conflicting scopes');
  }
  if (old) {
    const before = new Set(Array.isArray(old.spec?.scopes) ? old.spec!.scopes : []);
    const now = new Set(scopes);
    if (before.size !== now.size || [...now].some((s) => !before.has(s))) invalid('spec.scopes', scopes.length ? goStrings('core.ResourceQuotaScope', scopes) : '[]core.ResourceQuotaScope(nil)', 'field is immutable');
  }
  return errs;
}
