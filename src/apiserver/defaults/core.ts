/**
 * core/v1 defaults, as kube-apiserver v1.32 applies them on decode: the `SetDefaults_*`
 * functions of kubernetes/kubernetes pkg/apis/core/v1/defaults.go, walked the way the
 * generated pkg/apis/core/v1/zz_generated.defaults.go walks them (declarative `+default`
 * values of the volume sources included). Feature gates as v1.32 ships them: PodLevelResources
 * and ImageVolume are alpha (off), LoadBalancerIPMode is GA (on).
 *
 * SetDefaults_ResourceList rounds every quantity of the resource lists the generated code
 * walks up to milli scale ({@link resourceList}).
 */
import { roundUpToMilli } from '../schema/quantity.js';
import { child, each, isObj, num, type Obj, ptr, str } from './types.js';

/**
 * SetDefaults_ResourceList (pkg/apis/core/v1/defaults.go): each quantity `RoundUp(-3)`, its
 * format kept (schema/quantity.ts roundUpToMilli). zz_generated.defaults.go calls it on
 * container requests/limits (containers, init and ephemeral containers, of pods and every pod
 * template), pod `overhead` and `resources`, container statuses' `allocatedResources` and
 * `resources`, LimitRange items, ResourceQuota hard/used, node capacity/allocatable, PV
 * capacity, PVC requests/limits/capacity/allocatedResources.
 */
export function resourceList(l: unknown): void {
  if (!isObj(l)) return;
  for (const [k, v] of Object.entries(l)) if (typeof v === 'string' || typeof v === 'number') l[k] = roundUpToMilli(String(v));
}

/** A ResourceRequirements' limits and requests. */
function requirements(r: unknown): void {
  if (!isObj(r)) return;
  resourceList(r.limits);
  resourceList(r.requests);
}

/**
 * A pod template's `metadata`: upstream encodes ObjectMeta.CreationTimestamp (a non-pointer
 * metav1.Time) as `null` even when unset, so every stored template carries
 * `metadata: {creationTimestamp: null}`.
 */
export function templateMetadata(template: Obj): void {
  const m = child(template, 'metadata');
  if (m && !('creationTimestamp' in m)) m.creationTimestamp = null;
}

/**
 * The tag ParseImageName (pkg/util/parsers) finds: "latest" when the reference names neither a
 * tag nor a digest, "" when it has only a digest or does not parse.
 */
export function imageTag(image: unknown): string {
  if (typeof image !== 'string' || !image || /[\sA-Z]/.test(image.split(/[:@]/)[0])) return '';
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : '';
  return tag || (at >= 0 ? '' : 'latest');
}

/** SetDefaults_Container (also EphemeralContainer) and the fields generated code walks under it. */
function container(c: Obj): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent';
  str(c, 'terminationMessagePath', '/dev/termination-log');
  str(c, 'terminationMessagePolicy', 'File');
  // ResourceRequirements is a non-pointer struct: Go always encodes it (`resources: {}`).
  if (c.resources === undefined || c.resources === null) c.resources = {};
  requirements(c.resources);
  for (const p of each(c, 'ports')) str(p, 'protocol', 'TCP');
  for (const e of each(c, 'env')) if (isObj(e.valueFrom) && isObj(e.valueFrom.fieldRef)) str(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe']) if (isObj(c[k])) probe(c[k]);
  if (isObj(c.lifecycle)) for (const k of ['postStart', 'preStop']) if (isObj(c.lifecycle[k]) && isObj(c.lifecycle[k].httpGet)) httpGet(c.lifecycle[k].httpGet);
}

/** SetDefaults_Probe + SetDefaults_HTTPGetAction. */
function probe(p: Obj): void {
  num(p, 'timeoutSeconds', 1);
  num(p, 'periodSeconds', 10);
  num(p, 'successThreshold', 1);
  num(p, 'failureThreshold', 3);
  if (isObj(p.httpGet)) httpGet(p.httpGet);
}

function httpGet(h: Obj): void {
  str(h, 'path', '/');
  str(h, 'scheme', 'HTTP');
}

const ABSENT = (v: unknown) => v === undefined || v === null;

/** SetDefaults_Volume and the volume sources' defaults (420 = 0644). */
function volume(v: Obj): void {
  if (Object.keys(v).every((k) => k === 'name' || ABSENT(v[k]))) v.emptyDir = {};
  if (isObj(v.hostPath)) ptr(v.hostPath, 'type', '');
  if (isObj(v.secret)) ptr(v.secret, 'defaultMode', 420);
  if (isObj(v.configMap)) ptr(v.configMap, 'defaultMode', 420);
  if (isObj(v.downwardAPI)) {
    ptr(v.downwardAPI, 'defaultMode', 420);
    fieldRefs(v.downwardAPI);
  }
  if (isObj(v.projected)) {
    ptr(v.projected, 'defaultMode', 420);
    for (const s of each(v.projected, 'sources')) {
      if (isObj(s.downwardAPI)) fieldRefs(s.downwardAPI);
      if (isObj(s.serviceAccountToken)) ptr(s.serviceAccountToken, 'expirationSeconds', 3600);
    }
  }
  if (isObj(v.iscsi)) str(v.iscsi, 'iscsiInterface', 'default');
  if (isObj(v.rbd)) rbd(v.rbd);
  if (isObj(v.azureDisk)) azureDisk(v.azureDisk);
  if (isObj(v.scaleIO)) scaleIO(v.scaleIO);
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate)) claimSpec(child(v.ephemeral.volumeClaimTemplate, 'spec'));
}

function fieldRefs(d: Obj): void {
  for (const i of each(d, 'items')) if (isObj(i.fieldRef)) str(i.fieldRef, 'apiVersion', 'v1');
}

function rbd(r: Obj): void {
  str(r, 'pool', 'rbd');
  str(r, 'user', 'admin');
  str(r, 'keyring', '/etc/ceph/keyring');
}

function azureDisk(a: Obj): void {
  ptr(a, 'cachingMode', 'ReadWrite');
  ptr(a, 'fsType', 'ext4');
  ptr(a, 'readOnly', false);
  ptr(a, 'kind', 'Shared');
}

function scaleIO(s: Obj): void {
  str(s, 'storageMode', 'ThinProvisioned');
  str(s, 'fsType', 'xfs');
}

/** SetDefaults_PersistentVolumeClaimSpec. */
function claimSpec(spec: Obj | undefined): void {
  if (!spec) return;
  ptr(spec, 'volumeMode', 'Filesystem');
  requirements(spec.resources);
}

/** SetDefaults_PodSpec and what generated code walks below it: a pod's spec or a template's. */
export function podSpec(spec: Obj): void {
  str(spec, 'dnsPolicy', 'ClusterFirst');
  str(spec, 'restartPolicy', 'Always');
  ptr(spec, 'securityContext', {});
  ptr(spec, 'terminationGracePeriodSeconds', 30);
  str(spec, 'schedulerName', 'default-scheduler');
  for (const v of each(spec, 'volumes')) volume(v);
  for (const k of ['initContainers', 'containers', 'ephemeralContainers']) for (const c of each(spec, k)) container(c);
  resourceList(spec.overhead);
  requirements(spec.resources);
}

/** A PodTemplateSpec (`spec.template` of workloads): the spec's defaults, not SetDefaults_Pod's. */
export function podTemplate(template: unknown): void {
  if (!isObj(template)) return;
  templateMetadata(template);
  const spec = child(template, 'spec');
  if (spec) podSpec(spec);
}

/** SetDefaults_Pod: requests from limits, service links, host ports on the host network. */
function pod(o: Obj): void {
  if (isObj(o.status)) {
    for (const k of ['initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses']) {
      for (const cs of each(o.status, k)) {
        resourceList(cs.allocatedResources);
        requirements(cs.resources);
      }
    }
  }
  const spec = child(o, 'spec');
  if (!spec) return;
  for (const k of ['containers', 'initContainers']) {
    for (const c of each(spec, k)) {
      const r = c.resources;
      if (!isObj(r) || !isObj(r.limits)) continue;
      const requests = isObj(r.requests) ? r.requests : (r.requests = {});
      for (const [name, q] of Object.entries(r.limits)) if (!(name in requests)) requests[name] = q;
    }
  }
  ptr(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const k of ['containers', 'initContainers']) {
      for (const c of each(spec, k)) for (const p of each(c, 'ports')) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
  podSpec(spec);
}

/** SetDefaults_Service (traffic policies, session affinity, ports, load-balancer ingress ipMode). */
function service(o: Obj): void {
  const spec = child(o, 'spec');
  if (!spec) return;
  str(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (t === undefined || t === null) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  str(spec, 'type', 'ClusterIP');
  for (const p of each(spec, 'ports')) {
    str(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const externallyAccessible = spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (externallyAccessible) str(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') ptr(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') {
    ptr(spec, 'allocateLoadBalancerNodePorts', true);
    for (const ing of each(isObj(o.status) && isObj(o.status.loadBalancer) ? o.status.loadBalancer : undefined, 'ingress')) {
      if (ing.ip && ABSENT(ing.ipMode)) ing.ipMode = 'VIP';
    }
  }
}

/** SetDefaults_ReplicationController (selector and labels from the template) and the declarative `replicas: 1`. */
function replicationController(o: Obj): void {
  const spec = child(o, 'spec');
  if (!spec) return;
  const labels = isObj(spec.template) && isObj(spec.template.metadata) && isObj(spec.template.metadata.labels) ? spec.template.metadata.labels : undefined;
  if (labels && Object.keys(labels).length) { // (an empty map would encode as nothing)
    if (!isObj(spec.selector) || !Object.keys(spec.selector).length) spec.selector = { ...labels };
    const m = child(o, 'metadata');
    if (m && (!isObj(m.labels) || !Object.keys(m.labels).length)) m.labels = { ...labels };
  }
  ptr(spec, 'replicas', 1);
  if (spec.template !== undefined && spec.template !== null) podTemplate(spec.template);
}

function persistentVolume(o: Obj): void {
  const status = child(o, 'status');
  if (status) str(status, 'phase', 'Pending');
  const spec = child(o, 'spec');
  if (!spec) return;
  str(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  ptr(spec, 'volumeMode', 'Filesystem');
  if (isObj(spec.hostPath)) ptr(spec.hostPath, 'type', '');
  if (isObj(spec.rbd)) rbd(spec.rbd);
  if (isObj(spec.iscsi)) str(spec.iscsi, 'iscsiInterface', 'default');
  if (isObj(spec.azureDisk)) azureDisk(spec.azureDisk);
  if (isObj(spec.scaleIO)) scaleIO(spec.scaleIO);
  resourceList(spec.capacity);
}

/** SetDefaults_PersistentVolumeClaim + its spec (also StatefulSet volumeClaimTemplates). */
export function persistentVolumeClaim(o: Obj): void {
  const status = child(o, 'status');
  if (status) {
    str(status, 'phase', 'Pending');
    resourceList(status.capacity);
    resourceList(status.allocatedResources);
  }
  claimSpec(child(o, 'spec'));
}

/** SetDefaults_LimitRangeItem: a container item's default from max, defaultRequest from default then min. */
function limitRange(o: Obj): void {
  for (const item of each(isObj(o.spec) ? o.spec : undefined, 'limits')) {
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) resourceList(item[k]);
    if (item.type !== 'Container') continue;
    const d = isObj(item.default) ? item.default : (item.default = {});
    const dr = isObj(item.defaultRequest) ? item.defaultRequest : (item.defaultRequest = {});
    for (const [k, v] of Object.entries(isObj(item.max) ? item.max : {})) if (!(k in d)) d[k] = v;
    for (const [k, v] of Object.entries(d)) if (!(k in dr)) dr[k] = v;
    for (const [k, v] of Object.entries(isObj(item.min) ? item.min : {})) if (!(k in dr)) dr[k] = v;
  }
}

/** core/v1 defaulters by `group/resource` (ConfigMap's `data = {}` encodes as nothing, so it has none here). */
export const CORE_DEFAULTS: Record<string, (o: Obj) => void> = {
  '/pods': pod,
  '/podtemplates': (o) => podTemplate(o.template ?? (o.template = {})),
  '/replicationcontrollers': replicationController,
  '/services': service,
  '/secrets': (o) => str(o, 'type', 'Opaque'),
  '/namespaces': (o) => {
    // SetDefaults_Namespace: the name label (when the name is known; generateName waits for canonicalize).
    const m = child(o, 'metadata');
    if (m && typeof m.name === 'string' && m.name) m.labels = { ...(isObj(m.labels) ? m.labels : {}), 'kubernetes.io/metadata.name': m.name };
    const status = child(o, 'status');
    if (status) str(status, 'phase', 'Active');
  },
  '/endpoints': (o) => {
    for (const ss of each(o, 'subsets')) for (const p of each(ss, 'ports')) str(p, 'protocol', 'TCP');
  },
  '/persistentvolumes': persistentVolume,
  '/persistentvolumeclaims': persistentVolumeClaim,
  '/nodes': (o) => {
    // SetDefaults_NodeStatus: allocatable defaults to capacity.
    const s = o.status;
    if (isObj(s) && isObj(s.capacity) && ABSENT(s.allocatable)) s.allocatable = { ...s.capacity };
    if (isObj(s)) {
      resourceList(s.capacity);
      resourceList(s.allocatable);
    }
  },
  '/resourcequotas': (o) => {
    if (isObj(o.spec)) resourceList(o.spec.hard);
    if (isObj(o.status)) {
      resourceList(o.status.hard);
      resourceList(o.status.used);
    }
  },
  '/limitranges': limitRange,
};
