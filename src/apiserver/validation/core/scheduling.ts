/**
 * A pod spec's scheduling terms and security contexts as pkg/apis/core/validation/validation.go
 * (v1.32) validates them:
 * - validateAffinity: node affinity (ValidateNodeSelector: at least one term;
 *   ValidateNodeSelectorRequirement: operator values rules, key a label name;
 *   ValidateNodeFieldSelectorRequirement: only `metadata.name` with one value for In/NotIn;
 *   ValidatePreferredSchedulingTerms: weight 1-100, values label values), pod (anti-)affinity
 *   terms (validatePodAffinityTerm: namespaces valid names, `topologyKey` required and a label
 *   name; weighted terms' weight 1-100);
 * - validateTopologySpreadConstraints: maxSkew > 0, topologyKey required, whenUnsatisfiable,
 *   unique (topologyKey, whenUnsatisfiable) pairs, minDomains > 0 only with DoNotSchedule,
 *   node inclusion policies;
 * - validatePodSpecSecurityContext / ValidateSecurityContext basics: user and group ids in
 *   0..2^31-1 (IsValidUserID/IsValidGroupID), shareProcessNamespace without hostPID,
 *   allowPrivilegeEscalation=false with privileged or CAP_SYS_ADMIN.
 * Not emulated: the label selectors inside affinity and spread terms, matchLabelKeys,
 * sysctls, seccomp/AppArmor/SELinux options, Windows options.
 */
import { type Errs, arr, duplicate, forbidden, invalid, invalidRendered, notSupported, obj, required, str } from './errors.js';
import { dns1123Label, dns1123Subdomain, each, labelValue, qualifiedName } from './names.js';

const MAX_INT32 = 2147483647;
const ID_RANGE = `must be between 0 and ${MAX_INT32}, inclusive`;

/** ValidateLabelName: a qualified name. */
const labelName = (errs: Errs, field: string, key: string) => each(errs, field, key, qualifiedName(key));

/** ValidateNodeSelectorRequirement. */
function nodeSelectorRequirement(errs: Errs, at: string, rq: Record<string, any>, allowInvalidValues: boolean): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const values = arr(rq.values);
  const op = str(rq.operator);
  if (op === 'In' || op === 'NotIn') {
    if (!values.length) required(errs, `${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'");
  } else if (op === 'Exists' || op === 'DoesNotExist') {
    if (values.length) forbidden(errs, `${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
  } else if (op === 'Gt' || op === 'Lt') {
    if (values.length !== 1) required(errs, `${at}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'");
  } else invalid(errs, `${at}.operator`, op, 'not a valid selector operator');
  labelName(errs, `${at}.key`, str(rq.key));
  if (!allowInvalidValues) values.forEach((v, i) => each(errs, `${at}.values[${i}]`, str(v), labelValue(str(v))));
}

/** ValidateNodeFieldSelectorRequirement: `metadata.name` is the only field. */
function nodeFieldRequirement(errs: Errs, at: string, rq: Record<string, any>): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const values = arr(rq.values);
  const op = str(rq.operator);
  if (op === 'In' || op === 'NotIn') {
    if (values.length !== 1) required(errs, `${at}.values`, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector");
  } else invalid(errs, `${at}.operator`, op, 'not a valid selector operator');
  if (str(rq.key) !== 'metadata.name') invalid(errs, `${at}.key`, str(rq.key), 'not a valid field selector key');
  else values.forEach((v, i) => each(errs, `${at}.values[${i}]`, str(v), dns1123Subdomain(str(v))));
}

/** ValidateNodeSelectorTerm. */
function nodeSelectorTerm(errs: Errs, at: string, term: unknown, allowInvalidValues: boolean): void {
  const t = obj(term) ?? {};
  arr(t.matchExpressions).forEach((rq, j) => nodeSelectorRequirement(errs, `${at}.matchExpressions[${j}]`, obj(rq) ?? {}, allowInvalidValues));
  arr(t.matchFields).forEach((rq, j) => nodeFieldRequirement(errs, `${at}.matchFields[${j}]`, obj(rq) ?? {}));
}

function weight(errs: Errs, field: string, w: unknown): void {
  const n = typeof w === 'number' ? w : 0;
  if (n <= 0 || n > 100) invalid(errs, field, n, 'must be in the range 1-100');
}

/** validatePodAffinityTerm (the label selectors are not checked here). */
function podAffinityTerm(errs: Errs, at: string, term: unknown): void {
  const t = obj(term) ?? {};
  for (const ns of arr(t.namespaces)) each(errs, `${at}.namespace`, str(ns), dns1123Label(str(ns)));
  const key = str(t.topologyKey);
  if (!key) required(errs, `${at}.topologyKey`, 'can not be empty');
  labelName(errs, `${at}.topologyKey`, key);
}

/** validatePodAffinity / validatePodAntiAffinity. */
function podAffinity(errs: Errs, at: string, a: Record<string, any>): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  arr(a.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => podAffinityTerm(errs, `${at}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`, t));
  arr(a.preferredDuringSchedulingIgnoredDuringExecution).forEach((wt, j) => {
    const w = obj(wt) ?? {};
    const wa = `${at}.preferredDuringSchedulingIgnoredDuringExecution[${j}]`;
    weight(errs, `${wa}.weight`, w.weight);
    podAffinityTerm(errs, `${wa}.podAffinityTerm`, w.podAffinityTerm);
  });
}

/** validateAffinity. */
export function validateAffinity(errs: Errs, at: string, affinity: unknown): void {
  const a = obj(affinity);
  if (!a) return;
  const na = obj(a.nodeAffinity);
  if (na) {
    const req = obj(na.requiredDuringSchedulingIgnoredDuringExecution);
    if (req) {
      const ta = `${at}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
      const terms = arr(req.nodeSelectorTerms);
      if (!terms.length) required(errs, ta, 'must have at least one node selector term');
      // required terms allow any label value (AllowInvalidLabelValueInRequiredNodeAffinity)
      else terms.forEach((t, i) => nodeSelectorTerm(errs, `${ta}[${i}]`, t, true));
    }
    arr(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((pt, i) => {
      const p = obj(pt) ?? {};
      const pa = `${at}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      weight(errs, `${pa}.weight`, p.weight);
      nodeSelectorTerm(errs, `${pa}.preference`, p.preference, false);
    });
  }
  const pa = obj(a.podAffinity);
  if (pa) podAffinity(errs, `${at}.podAffinity`, pa);
  const paa = obj(a.podAntiAffinity);
  if (paa) podAffinity(errs, `${at}.podAntiAffinity`, paa);
}

const WHEN_UNSATISFIABLE = ['DoNotSchedule', 'ScheduleAnyway'];
const NODE_INCLUSION = ['Honor', 'Ignore'];

/** validateTopologySpreadConstraints (the label selector is not checked here). */
export function validateTopologySpreadConstraints(errs: Errs, at: string, list: unknown): void {
  const cs = arr(list);
  cs.forEach((x, i) => {
    const c = obj(x) ?? {};
    const ca = `${at}[${i}]`;
    const skew = typeof c.maxSkew === 'number' ? c.maxSkew : 0;
    if (skew <= 0) invalid(errs, `${ca}.maxSkew`, skew, 'must be greater than zero');
    const key = str(c.topologyKey);
    if (!key) required(errs, `${ca}.topologyKey`, 'can not be empty');
    const when = str(c.whenUnsatisfiable);
    if (!WHEN_UNSATISFIABLE.includes(when)) notSupported(errs, `${ca}.whenUnsatisfiable`, when, WHEN_UNSATISFIABLE);
    // ValidateSpreadConstraintNotRepeat: against the later constraints
    for (let j = i + 1; j < cs.length; j++) {
      const o = obj(cs[j]) ?? {};
      if (str(o.topologyKey) === key && str(o.whenUnsatisfiable) === when) {
        duplicate(errs, `${ca}.{topologyKey, whenUnsatisfiable}`, `{${key}, ${when}}`);
        break;
      }
    }
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (typeof c.minDomains === 'number' && c.minDomains <= 0) invalid(errs, `${ca}.minDomains`, c.minDomains, 'must be greater than zero');
      if (when !== 'DoNotSchedule') invalid(errs, `${ca}.minDomains`, c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${when}`);
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      if (c[f] !== undefined && c[f] !== null && !NODE_INCLUSION.includes(str(c[f]))) notSupported(errs, `${ca}.${f}`, c[f], NODE_INCLUSION);
    }
  });
}

function id(errs: Errs, field: string, v: unknown): void {
  if (typeof v === 'number' && (v < 0 || v > MAX_INT32)) invalid(errs, field, v, ID_RANGE);
}

/** validatePodSpecSecurityContext's id and process-namespace rules. */
export function validatePodSecurityContext(errs: Errs, at: string, spec: Record<string, any>): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const sc = obj(spec.securityContext) ?? {};
  id(errs, `${at}.fsGroup`, sc.fsGroup);
  id(errs, `${at}.runAsUser`, sc.runAsUser);
  id(errs, `${at}.runAsGroup`, sc.runAsGroup);
  arr(sc.supplementalGroups).forEach((g, i) => id(errs, `${at}.supplementalGroups[${i}]`, g));
  // v1 keeps these two in the spec; the internal type (and so the error path) has them in the security context
  if (spec.shareProcessNamespace === true && spec.hostPID === true) invalid(errs, `${at}.shareProcessNamespace`, true, 'ShareProcessNamespace and HostPID cannot both be enabled');
}

/** ValidateSecurityContext's id and privilege-escalation rules (a container's). */
export function validateSecurityContext(errs: Errs, at: string, securityContext: unknown): void {
  const sc = obj(securityContext);
  if (!sc) return;
  id(errs, `${at}.runAsUser`, sc.runAsUser);
  id(errs, `${at}.runAsGroup`, sc.runAsGroup);
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) invalidRendered(errs, at, 'core.SecurityContext{...}', 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true');
    for (const cap of arr(obj(sc.capabilities)?.add)) if (cap === 'CAP_SYS_ADMIN') invalidRendered(errs, at, 'core.SecurityContext{...}', 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN');
  }
}
