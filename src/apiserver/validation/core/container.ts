/**
 * Containers of a pod spec, as pkg/apis/core/validation/validation.go v1.32 validates them
 * (function named next to each rule). `at` is the container's path (`spec.containers[0]`).
 */
import { type Errs, arr, duplicate, forbidden, invalid, nonNegative, notFound, notSupported, obj, required, str } from './errors.js';
import { configMapKey, dns1123Label, dns1123Subdomain, each, PORT_RANGE_MSG, portName, qualifiedName, relaxedEnvVarName, validPortNum } from './names.js';
import { validateResources } from './resources.js';
import { validateSecurityContext } from './scheduling.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP']; // sets.List(supportedPortProtocols): sorted
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
const ENV_RESOURCE_FIELDS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];

/** What the containers of one spec share: its volumes (valid ones, by name) and grace period. */
export interface SpecContext {
  volumes: Map<string, Record<string, unknown>>;
  gracePeriod: number | undefined;
}

/** validateContainerPorts. */
function ports(errs: Errs, at: string, list: unknown[]): void {
  let names: Set<string> | undefined;
  for (let i = 0; i < list.length; i++) {
    const p = obj(list[i]);
    if (!p) continue;
    const pa = `${at}.ports[${i}]`;
    const name = str(p.name);
    if (name) {
      const msgs = portName(name);
      if (msgs.length) each(errs, `${pa}.name`, name, msgs);
      else if (names?.has(name)) duplicate(errs, `${pa}.name`, name);
      else (names ??= new Set()).add(name);
    }
    if (!p.containerPort) required(errs, `${pa}.containerPort`);
    else if (!validPortNum(p.containerPort)) invalid(errs, `${pa}.containerPort`, p.containerPort, PORT_RANGE_MSG);
    if (p.hostPort && !validPortNum(p.hostPort)) invalid(errs, `${pa}.hostPort`, p.hostPort, PORT_RANGE_MSG);
    const proto = str(p.protocol);
    if (!proto) required(errs, `${pa}.protocol`);
    else if (!PROTOCOLS.includes(proto)) notSupported(errs, `${pa}.protocol`, proto, PROTOCOLS);
  }
}

/** AccumulateUniqueHostPorts over `containers` (checkHostPortConflicts). */
export function hostPortConflicts(errs: Errs, at: string, containers: unknown[], offset = -1): void {
  let seen: Set<string> | undefined;
  for (let ci = 0; ci < containers.length; ci++) {
    for (const [pi, p] of arr(obj(containers[ci])?.ports).entries()) {
      const port = obj(p);
      if (!port?.hostPort) continue;
      const key = `${str(port.protocol)}/${str(port.hostIP)}/${port.hostPort}`;
      const idx = offset >= 0 ? offset : ci;
      if (seen?.has(key)) duplicate(errs, `${at}[${idx}].ports[${pi}].hostPort`, key);
      else (seen ??= new Set()).add(key);
    }
  }
}

/** ValidateEnv + validateEnvVarValueFrom. */
function env(errs: Errs, at: string, list: unknown[]): void {
  for (let i = 0; i < list.length; i++) {
    const e = obj(list[i]);
    if (!e) continue;
    const ea = `${at}.env[${i}]`;
    const name = str(e.name);
    if (!name) required(errs, `${ea}.name`);
    else each(errs, `${ea}.name`, name, relaxedEnvVarName(name));
    const from = obj(e.valueFrom);
    if (!from) continue;
    const fa = `${ea}.valueFrom`;
    let n = 0;
    const fieldRef = obj(from.fieldRef);
    if (fieldRef) {
      n++;
      const fp = str(fieldRef.fieldPath);
      if (!str(fieldRef.apiVersion)) required(errs, `${fa}.fieldRef.apiVersion`);
      else if (!fp) required(errs, `${fa}.fieldRef.fieldPath`);
      else {
        const sub = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fp);
        if (sub) each(errs, `${fa}.fieldRef`, sub[1] === 'metadata.annotations' ? sub[2].toLowerCase() : sub[2], qualifiedName(sub[1] === 'metadata.annotations' ? sub[2].toLowerCase() : sub[2]));
        else if (!ENV_FIELD_PATHS.includes(fp)) notSupported(errs, `${fa}.fieldRef.fieldPath`, fp, ENV_FIELD_PATHS);
      }
    }
    const rf = obj(from.resourceFieldRef);
    if (rf) {
      n++;
      const res = str(rf.resource);
      if (!res) required(errs, `${fa}.resourceFieldRef.resource`);
      else if (!ENV_RESOURCE_FIELDS.includes(res) && !res.startsWith('requests.hugepages-') && !res.startsWith('limits.hugepages-')) notSupported(errs, `${fa}.resourceFieldRef.resource`, res, ENV_RESOURCE_FIELDS);
    }
    for (const kind of ['configMapKeyRef', 'secretKeyRef']) {
      const ref = obj(from[kind]);
      if (!ref) continue;
      n++;
      // validateConfigMapKeySelector / validateSecretKeySelector (names as ValidateSecretName)
      const rn = str(ref.name);
      each(errs, `${fa}.${kind}.name`, rn, dns1123Subdomain(rn));
      const key = str(ref.key);
      if (!key) required(errs, `${fa}.${kind}.key`);
      else each(errs, `${fa}.${kind}.key`, key, configMapKey(key));
    }
    if (n === 0) invalid(errs, fa, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`');
    else if (str(e.value)) invalid(errs, fa, '', 'may not be specified when `value` is not empty');
    else if (n > 1) invalid(errs, fa, '', 'may not have more than one field specified at a time');
  }
}

/** ValidateEnvFrom. */
function envFrom(errs: Errs, at: string, list: unknown[]): void {
  for (let i = 0; i < list.length; i++) {
    const e = obj(list[i]);
    if (!e) continue;
    const ea = `${at}.envFrom[${i}]`;
    const prefix = str(e.prefix);
    if (prefix) each(errs, `${ea}.prefix`, prefix, relaxedEnvVarName(prefix));
    let n = 0;
    for (const kind of ['configMapRef', 'secretRef']) {
      const ref = obj(e[kind]);
      if (!ref) continue;
      n++;
      const rn = str(ref.name);
      if (!rn) required(errs, `${ea}.${kind}.name`);
      else each(errs, `${ea}.${kind}.name`, rn, dns1123Subdomain(rn.endsWith('-') ? `${rn}a` : rn)); // a prefix name (NameIsDNSSubdomain(name, true))
    }
    if (n === 0) invalid(errs, `${at}.envFrom`, '', 'must specify one of: `configMapRef` or `secretRef`');
    else if (n > 1) invalid(errs, `${at}.envFrom`, '', 'may not have more than one field specified at a time');
  }
}

/** ValidateVolumeMounts (the common rules). */
function volumeMounts(errs: Errs, at: string, list: unknown[], ctx: SpecContext): void {
  let paths: Set<string> | undefined;
  for (let i = 0; i < list.length; i++) {
    const m = obj(list[i]);
    if (!m) continue;
    const ma = `${at}.volumeMounts[${i}]`;
    const name = str(m.name);
    if (!name) required(errs, `${ma}.name`);
    if (!ctx.volumes.has(name)) notFound(errs, `${ma}.name`, name);
    const mp = str(m.mountPath);
    if (!mp) required(errs, `${ma}.mountPath`);
    if (paths?.has(mp)) invalid(errs, `${ma}.mountPath`, mp, 'must be unique');
    (paths ??= new Set()).add(mp);
    const sp = str(m.subPath);
    const spe = str(m.subPathExpr);
    if (sp && spe) invalid(errs, `${ma}.subPathExpr`, spe, 'subPathExpr and subPath are mutually exclusive');
    // validateLocalDescendingPath (upstream reports it at the list's path + `.subPath`)
    if (sp) localDescendingPath(errs, `${at}.volumeMounts.subPath`, sp);
    if (spe) localDescendingPath(errs, `${at}.volumeMounts.subPathExpr`, spe);
  }
}

/** validateLocalDescendingPath: relative, no `..` element. */
export function localDescendingPath(errs: Errs, field: string, p: string): void {
  if (p.startsWith('/')) invalid(errs, field, p, 'must be a relative path');
  if (p.split(/[\\/]/).includes('..')) invalid(errs, field, p, "must not contain '..'");
}

/** validateHandler over a probe's or lifecycle hook's handler: exactly one type. */
function handler(errs: Errs, at: string, h: Record<string, any>, kinds: readonly string[], ctx: SpecContext): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  let n = 0;
  for (const kind of kinds) {
    const v = obj(h[kind]);
    if (!v) continue;
    if (n > 0) {
      forbidden(errs, `${at}.${kind}`, 'may not specify more than 1 handler type');
      continue;
    }
    n++;
    const ka = `${at}.${kind}`;
    if (kind === 'exec') {
      if (!arr(v.command).length) required(errs, `${ka}.command`);
    } else if (kind === 'httpGet') {
      if (!str(v.path)) required(errs, `${ka}.path`);
      portNumOrName(errs, `${ka}.port`, v.port);
      const scheme = str(v.scheme);
      if (scheme !== 'HTTP' && scheme !== 'HTTPS') notSupported(errs, `${ka}.scheme`, scheme, ['HTTP', 'HTTPS']);
    } else if (kind === 'tcpSocket') {
      portNumOrName(errs, `${ka}.port`, v.port);
    } else if (kind === 'grpc') {
      if (!validPortNum(v.port)) invalid(errs, `${ka}.port`, v.port ?? 0, PORT_RANGE_MSG);
    } else if (kind === 'sleep') {
      const s = typeof v.seconds === 'number' ? v.seconds : 0;
      if (ctx.gracePeriod !== undefined && (s <= 0 || s > ctx.gracePeriod)) {
        invalid(errs, ka, s, `must be greater than 0 and less than terminationGracePeriodSeconds (${ctx.gracePeriod}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`);
      }
    }
  }
  if (n === 0) required(errs, at, 'must specify a handler type');
}

/** ValidatePortNumOrName. */
export function portNumOrName(errs: Errs, field: string, port: unknown): void {
  if (typeof port === 'string') each(errs, field, port, portName(port));
  else if (!validPortNum(port)) invalid(errs, field, typeof port === 'number' ? port : 0, PORT_RANGE_MSG);
}

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;
const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'] as const;

/** validateProbe + the liveness/readiness/startup specifics. */
function probe(errs: Errs, at: string, p: Record<string, any>, kind: string, ctx: SpecContext): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  handler(errs, at, p, PROBE_HANDLERS, ctx);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) nonNegative(errs, `${at}.${f}`, p[f]);
  if (typeof p.terminationGracePeriodSeconds === 'number' && p.terminationGracePeriodSeconds <= 0) invalid(errs, `${at}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must be greater than 0');
  if (kind === 'readinessProbe') {
    if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds !== null) invalid(errs, `${at}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must not be set for readinessProbes');
  } else if ((p.successThreshold ?? 1) !== 1) {
    invalid(errs, `${at}.successThreshold`, p.successThreshold, 'must be 1');
  }
}

/** validateContainerCommon: what regular, init and ephemeral containers share. */
function containerCommon(errs: Errs, at: string, c: Record<string, any>, ctx: SpecContext, requireImage: boolean): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const name = str(c.name);
  if (!name) required(errs, `${at}.name`);
  else each(errs, `${at}.name`, name, dns1123Label(name));
  if (requireImage && !str(c.image)) required(errs, `${at}.image`);
  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) required(errs, `${at}.terminationMessagePolicy`);
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) notSupported(errs, `${at}.terminationMessagePolicy`, tmp, TERMINATION_MESSAGE_POLICIES);
  if (Array.isArray(c.ports)) ports(errs, at, c.ports);
  if (Array.isArray(c.env)) env(errs, at, c.env);
  if (Array.isArray(c.envFrom)) envFrom(errs, at, c.envFrom);
  if (Array.isArray(c.volumeMounts)) volumeMounts(errs, at, c.volumeMounts, ctx);
  const pull = str(c.imagePullPolicy);
  if (!pull) required(errs, `${at}.imagePullPolicy`);
  else if (!PULL_POLICIES.includes(pull)) notSupported(errs, `${at}.imagePullPolicy`, pull, PULL_POLICIES);
  if (c.resources) validateResources(errs, `${at}.resources`, c.resources);
  if (c.securityContext) validateSecurityContext(errs, `${at}.securityContext`, c.securityContext);
}

function probesAndLifecycle(errs: Errs, at: string, c: Record<string, any>, ctx: SpecContext): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const lc = obj(c.lifecycle);
  if (lc) {
    for (const hook of ['postStart', 'preStop']) {
      const h = obj(lc[hook]);
      if (h) handler(errs, `${at}.lifecycle.${hook}`, h, LIFECYCLE_HANDLERS, ctx);
    }
  }
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = obj(c[kind]);
    if (p) probe(errs, `${at}.${kind}`, p, kind, ctx);
  }
}

/** validateContainers: required, names unique, probes, no restartPolicy, host ports. */
export function validateContainers(errs: Errs, at: string, list: unknown, ctx: SpecContext): void {
  const cs = arr(list);
  if (!cs.length) {
    required(errs, at);
    return;
  }
  let names: Set<string> | undefined;
  for (let i = 0; i < cs.length; i++) {
    const c = obj(cs[i]);
    if (!c) continue;
    const ca = `${at}[${i}]`;
    containerCommon(errs, ca, c, ctx, true);
    const name = str(c.name);
    if (names?.has(name)) duplicate(errs, `${ca}.name`, name);
    else (names ??= new Set()).add(name);
    probesAndLifecycle(errs, ca, c, ctx);
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) forbidden(errs, `${ca}.restartPolicy`, 'may not be set for non-init containers');
  }
  hostPortConflicts(errs, at, cs);
}

/** validateInitContainers: names unique across init and regular containers; no probes unless sidecars. */
export function validateInitContainers(errs: Errs, at: string, list: unknown, regular: unknown, ctx: SpecContext): void {
  const cs = arr(list);
  if (!cs.length) return;
  const names = new Set<string>();
  for (const c of arr(regular)) names.add(str(obj(c)?.name));
  for (let i = 0; i < cs.length; i++) {
    const c = obj(cs[i]);
    if (!c) continue;
    const ca = `${at}[${i}]`;
    containerCommon(errs, ca, c, ctx, true);
    let sidecar = false;
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      if (c.restartPolicy !== 'Always') notSupported(errs, `${ca}.restartPolicy`, c.restartPolicy, ['Always']);
      sidecar = c.restartPolicy === 'Always';
    }
    const name = str(c.name);
    if (names.has(name)) duplicate(errs, `${ca}.name`, name);
    else if (name) names.add(name);
    hostPortConflicts(errs, at, [c], i);
    if (sidecar) probesAndLifecycle(errs, ca, c, ctx);
    else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (c[f] !== undefined && c[f] !== null) forbidden(errs, `${ca}.${f}`, 'may not be set for init containers without restartPolicy=Always');
      }
    }
  }
}

/** Fields an ephemeral container may not set (allowedEphemeralContainerFields). */
const EPHEMERAL_FORBIDDEN = ['ports', 'resources', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resizePolicy', 'restartPolicy'];

/** validateEphemeralContainers. */
export function validateEphemeralContainers(errs: Errs, at: string, list: unknown, containers: unknown, inits: unknown, ctx: SpecContext): void {
  const cs = arr(list);
  if (!cs.length) return;
  const others = new Set<string>();
  for (const c of arr(containers)) others.add(str(obj(c)?.name));
  for (const c of arr(inits)) others.add(str(obj(c)?.name));
  const all = new Set(others);
  for (let i = 0; i < cs.length; i++) {
    const c = obj(cs[i]);
    if (!c) continue;
    const ca = `${at}[${i}]`;
    containerCommon(errs, ca, c, ctx, true);
    imageWhitespace(errs, ca, c);
    const name = str(c.name);
    if (all.has(name)) duplicate(errs, `${ca}.name`, name);
    else all.add(name);
    const target = str(c.targetContainerName);
    if (target && !others.has(target)) notFound(errs, `${ca}.targetContainerName`, target);
    for (const f of EPHEMERAL_FORBIDDEN) {
      const v = c[f];
      if (v === undefined || v === null || (Array.isArray(v) && !v.length) || (f === 'resources' && obj(v) && !Object.keys(v).length)) continue;
      forbidden(errs, `${ca}.${f}`, 'cannot be set for an Ephemeral Container');
    }
    for (const [mi, m] of arr(c.volumeMounts).entries()) {
      if (str(obj(m)?.subPath)) forbidden(errs, `${ca}.volumeMounts[${mi}].subPath`, 'cannot be set for an Ephemeral Container');
      if (str(obj(m)?.subPathExpr)) forbidden(errs, `${ca}.volumeMounts[${mi}].subPathExpr`, 'cannot be set for an Ephemeral Container');
    }
  }
}

/** validateContainerOnlyForPod: an image without surrounding whitespace. */
export function imageWhitespace(errs: Errs, at: string, c: Record<string, unknown>): void {
  const image = str(c.image);
  if (image.length !== image.trim().length) invalid(errs, `${at}.image`, image, 'must not have leading or trailing whitespace');
}
