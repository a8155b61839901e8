/**
 * ValidatePodSpec and ValidatePodTemplateSpec (pkg/apis/core/validation/validation.go v1.32),
 * on the defaulted object: volumes, containers, init and ephemeral containers, the host
 * network's host ports, restartPolicy, dnsPolicy, nodeSelector, dnsConfig (for `None`),
 * readiness and scheduling gates, serviceAccountName, nodeName, activeDeadlineSeconds,
 * hostname, subdomain, tolerations, priorityClassName, preemptionPolicy; securityContext,
 * affinity and topologySpreadConstraints (scheduling.ts).
 * Not emulated: host aliases' IPs, overhead, OS-specific rules, resource claims (their errors
 * pass here and fail upstream).
 */
import { type Errs, arr, duplicate, forbidden, invalid, notSupported, obj, required, str } from './errors.js';
import { type SpecContext, validateContainers, validateEphemeralContainers, validateInitContainers } from './container.js';
import { dns1123Label, dns1123Subdomain, each, labelValue, qualifiedName, validateLabels } from './names.js';
import { validateAffinity, validatePodSecurityContext, validateTopologySpreadConstraints } from './scheduling.js';
import { validateVolumes } from './volumes.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const MAX_INT32 = 2147483647;

export interface PodSpecOptions {
  /** The spec is a Pod's (opts.ResourceIsPod), not a template's. */
  isPod: boolean;
}

/** ValidateTolerations. */
export function validateTolerations(errs: Errs, at: string, list: unknown): void {
  for (const [i, t] of arr(list).entries()) {
    const tol = obj(t);
    if (!tol) continue;
    const ta = `${at}[${i}]`;
    const key = str(tol.key);
    const op = str(tol.operator);
    const effect = str(tol.effect);
    if (key) each(errs, `${ta}.key`, key, qualifiedName(key));
    if (!key && op !== 'Exists') invalid(errs, `${ta}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"');
    if (tol.tolerationSeconds !== undefined && tol.tolerationSeconds !== null && effect !== 'NoExecute') invalid(errs, `${ta}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set");
    if (op === 'Equal' || op === '') {
      const msgs = labelValue(str(tol.value));
      if (msgs.length) invalid(errs, `${ta}.operator`, str(tol.value), msgs.join(';'));
    } else if (op === 'Exists') {
      if (str(tol.value)) invalid(errs, `${ta}.operator`, str(tol.value), "value must be empty when `operator` is 'Exists'");
    } else {
      notSupported(errs, `${ta}.operator`, op, ['Equal', 'Exists']);
    }
    if (effect && !TAINT_EFFECTS.includes(effect)) notSupported(errs, `${ta}.effect`, effect, TAINT_EFFECTS);
  }
}

/** validateSchedulingGates. */
function schedulingGates(errs: Errs, at: string, list: unknown): void {
  let seen: Set<string> | undefined;
  for (const [i, g] of arr(list).entries()) {
    const name = str(obj(g)?.name);
    each(errs, `${at}[${i}]`, name, qualifiedName(name));
    if (seen?.has(name)) duplicate(errs, `${at}[${i}]`, name);
    (seen ??= new Set()).add(name);
  }
}

/** validatePodHostNetworkDeps: host ports equal container ports on the host network. */
function hostNetworkPorts(errs: Errs, at: string, spec: Record<string, any>, isPod: boolean): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (spec.hostNetwork !== true) return;
  for (const [ci, c] of arr(spec.containers).entries()) {
    for (const [pi, p] of arr(obj(c)?.ports).entries()) {
      const port = obj(p);
      const hp = typeof port?.hostPort === 'number' ? port.hostPort : 0;
      if ((isPod || hp !== 0) && hp !== port?.containerPort) invalid(errs, `${at}.containers[${ci}].ports[${pi}].hostPort`, hp, 'must match `containerPort` when `hostNetwork` is true');
    }
  }
}

export function validatePodSpec(errs: Errs, at: string, spec: unknown, opts: PodSpecOptions): void {
  const s = obj(spec);
  if (!s) {
    required(errs, `${at}.containers`);
    return;
  }
  if (typeof s.terminationGracePeriodSeconds !== 'number') required(errs, `${at}.terminationGracePeriodSeconds`);
  const ctx: SpecContext = {
    volumes: validateVolumes(errs, `${at}.volumes`, s.volumes),
    gracePeriod: typeof s.terminationGracePeriodSeconds === 'number' ? s.terminationGracePeriodSeconds : undefined,
  };
  validateContainers(errs, `${at}.containers`, s.containers, ctx);
  validateInitContainers(errs, `${at}.initContainers`, s.initContainers, s.containers, ctx);
  validateEphemeralContainers(errs, `${at}.ephemeralContainers`, s.ephemeralContainers, s.containers, s.initContainers, ctx);
  hostNetworkPorts(errs, at, s, opts.isPod);
  const rp = str(s.restartPolicy);
  if (!rp) required(errs, `${at}.restartPolicy`);
  else if (!RESTART_POLICIES.includes(rp)) notSupported(errs, `${at}.restartPolicy`, rp, RESTART_POLICIES);
  const dp = str(s.dnsPolicy);
  if (!dp) required(errs, `${at}.dnsPolicy`);
  else if (!DNS_POLICIES.includes(dp)) notSupported(errs, `${at}.dnsPolicy`, dp, DNS_POLICIES);
  if (s.nodeSelector) validateLabels(errs, `${at}.nodeSelector`, s.nodeSelector);
  if (s.securityContext || s.shareProcessNamespace) validatePodSecurityContext(errs, `${at}.securityContext`, s);
  if (s.affinity) validateAffinity(errs, `${at}.affinity`, s.affinity);
  // validatePodDNSConfig: `None` needs a config with a nameserver
  if (dp === 'None') {
    const dc = obj(s.dnsConfig);
    if (!dc) required(errs, `${at}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None');
    else if (!arr(dc.nameservers).length) required(errs, `${at}.dnsConfig.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None');
  }
  const dc = obj(s.dnsConfig);
  if (dc && arr(dc.nameservers).length > 3) invalid(errs, `${at}.dnsConfig.nameservers`, dc.nameservers, 'must not have more than 3 nameservers');
  for (const [i, g] of arr(s.readinessGates).entries()) {
    const ct = str(obj(g)?.conditionType);
    each(errs, `${at}.readinessGates[${i}].conditionType`, ct, qualifiedName(ct));
  }
  schedulingGates(errs, `${at}.schedulingGates`, s.schedulingGates);
  if (s.topologySpreadConstraints) validateTopologySpreadConstraints(errs, `${at}.topologySpreadConstraints`, s.topologySpreadConstraints);
  const sa = str(s.serviceAccountName);
  if (sa) each(errs, `${at}.serviceAccountName`, sa, dns1123Subdomain(sa));
  const node = str(s.nodeName);
  if (node) each(errs, `${at}.nodeName`, node, dns1123Subdomain(node));
  const ads = s.activeDeadlineSeconds;
  if (typeof ads === 'number' && (ads < 1 || ads > MAX_INT32)) invalid(errs, `${at}.activeDeadlineSeconds`, ads, `must be between 1 and ${MAX_INT32}, inclusive`);
  const hostname = str(s.hostname);
  if (hostname) each(errs, `${at}.hostname`, hostname, dns1123Label(hostname));
  const subdomain = str(s.subdomain);
  if (subdomain) each(errs, `${at}.subdomain`, subdomain, dns1123Label(subdomain));
  if (arr(s.tolerations).length) validateTolerations(errs, `${at}.tolerations`, s.tolerations);
  const pc = str(s.priorityClassName);
  if (pc) each(errs, `${at}.priorityClassName`, pc, dns1123Subdomain(pc));
  if (s.preemptionPolicy !== undefined && s.preemptionPolicy !== null) {
    const pp = str(s.preemptionPolicy);
    if (!pp) required(errs, `${at}.preemptionPolicy`);
    else if (!PREEMPTION_POLICIES.includes(pp)) notSupported(errs, `${at}.preemptionPolicy`, pp, PREEMPTION_POLICIES);
  }
}

/**
 * ValidatePodTemplateSpec: the template's labels (at `<at>.labels`, as upstream's path),
 * its spec, and no ephemeral containers.
 */
export function validatePodTemplateSpec(errs: Errs, at: string, template: unknown): void {
  const t = obj(template);
  if (!t) {
    required(errs, at);
    return;
  }
  const labels = obj(t.metadata)?.labels;
  if (labels) validateLabels(errs, `${at}.labels`, labels);
  validatePodSpec(errs, `${at}.spec`, t.spec, { isPod: false });
  if (arr(obj(t.spec)?.ephemeralContainers).length) forbidden(errs, `${at}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template');
}
