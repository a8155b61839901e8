/**
 * Service validation (pkg/apis/core/validation/validation.go v1.32, ValidateService,
 * validateServicePort, ValidateServiceUpdate), on the defaulted Service after the allocation
 * plugin (services/) set its cluster IPs and node ports — that plugin also answers the
 * allocation errors and the immutable cluster IP (`spec.clusterIPs[0]: ... may not change once
 * set`, validateUpgradeDowngradeClusterIPs). Here: ports required unless headless or
 * ExternalName; headless not for NodePort/LoadBalancer; externalName a DNS subdomain; port
 * names required when several, DNS labels and unique; port numbers; protocols; targetPort;
 * appProtocol; selector labels; session affinity; externalIPs; type; no nodePort for
 * ClusterIP; duplicate node ports and ports; loadBalancerSourceRanges and
 * allocateLoadBalancerNodePorts only for LoadBalancer (on create: upstream's update strategy
 * clears type-dependent fields first, which is not emulated); traffic policy values.
 */
import { isIP } from 'node:net';
import { type Errs, arr, duplicate, forbidden, invalid, notSupported, obj, required, str } from './errors.js';
import { dns1123Label, dns1123Subdomain, each, PORT_RANGE_MSG, qualifiedName, validateLabels, validPortNum } from './names.js';
import { portNumOrName } from './container.js';

type Service = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const MAX_AFFINITY_SECONDS = 86400;

/** Go's `%#v` of a core.ServicePort key (Protocol and Port set, as the duplicate check builds it). */
const goPortKey = (protocol: string, port: unknown) =>
  `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol)}, AppProtocol:(*string)(nil), Port:${typeof port === 'number' ? port : 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;

function cidr(errs: Errs, field: string, value: string): void {
  const [ip, bits, more] = value.split('/');
  const n = Number(bits);
  const family = isIP(ip ?? '');
  if (more !== undefined || !family || bits === undefined || !/^[0-9]+$/.test(bits) || n > (family === 4 ? 32 : 128)) {
    invalid(errs, field, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
  }
}

export function validateService(svc: Service, old?: Service): Errs {
  const errs: Errs = [];
  const spec = svc.spec ?? {};
  const type = str(spec.type);
  const clusterIPs = arr(spec.clusterIPs);
  const headless = clusterIPs.length === 1 && clusterIPs[0] === 'None';
  const ports = arr(spec.ports);
  if (!ports.length && !headless && type !== 'ExternalName') required(errs, 'spec.ports');
  if ((type === 'LoadBalancer' || type === 'NodePort') && headless) invalid(errs, 'spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services`);
  if (type === 'ExternalName') {
    if (clusterIPs.length) forbidden(errs, 'spec.clusterIPs', 'may not be set for ExternalName services');
    if (arr(spec.ipFamilies).length) forbidden(errs, 'spec.ipFamilies', 'may not be set for ExternalName services');
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) forbidden(errs, 'spec.ipFamilyPolicy', 'may not be set for ExternalName services');
    const cname = str(spec.externalName).replace(/\.$/, '');
    if (cname) each(errs, 'spec.externalName', cname, dns1123Subdomain(cname));
    else required(errs, 'spec.externalName');
  }
  // validateServicePort
  let names: Set<string> | undefined;
  for (let i = 0; i < ports.length; i++) {
    const p = obj(ports[i]);
    if (!p) continue;
    const pa = `spec.ports[${i}]`;
    const name = str(p.name);
    if (ports.length > 1 && !name) required(errs, `${pa}.name`);
    else if (name) {
      each(errs, `${pa}.name`, name, dns1123Label(name));
      if (names?.has(name)) duplicate(errs, `${pa}.name`, name);
      else (names ??= new Set()).add(name);
    }
    if (!validPortNum(p.port)) invalid(errs, `${pa}.port`, typeof p.port === 'number' ? p.port : 0, PORT_RANGE_MSG);
    const proto = str(p.protocol);
    if (!proto) required(errs, `${pa}.protocol`);
    else if (!PROTOCOLS.includes(proto)) notSupported(errs, `${pa}.protocol`, proto, PROTOCOLS);
    portNumOrName(errs, `${pa}.targetPort`, p.targetPort);
    if (typeof p.appProtocol === 'string') each(errs, `${pa}.appProtocol`, p.appProtocol, qualifiedName(p.appProtocol));
  }
  if (spec.selector) validateLabels(errs, 'spec.selector', spec.selector);
  const affinity = str(spec.sessionAffinity);
  if (!affinity) required(errs, 'spec.sessionAffinity');
  else if (!AFFINITIES.includes(affinity)) notSupported(errs, 'spec.sessionAffinity', affinity, AFFINITIES);
  if (affinity === 'ClientIP') {
    // validateClientIPAffinityConfig
    const t = obj(obj(spec.sessionAffinityConfig)?.clientIP)?.timeoutSeconds;
    if (typeof t === 'number' && (t <= 0 || t > MAX_AFFINITY_SECONDS)) invalid(errs, 'spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`);
  } else if (affinity === 'None' && spec.sessionAffinityConfig) {
    forbidden(errs, 'spec.sessionAffinityConfig', 'must not be set when session affinity is None');
  }
  for (const [i, ip] of arr(spec.externalIPs).entries()) {
    if (!isIP(str(ip))) invalid(errs, `spec.externalIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  }
  if (!type) required(errs, 'spec.type');
  else if (!TYPES.includes(type)) notSupported(errs, 'spec.type', type, TYPES);
  if (type === 'ClusterIP') {
    for (let i = 0; i < ports.length; i++) if (obj(ports[i])?.nodePort) forbidden(errs, `spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'");
  }
  const nodePorts = new Set<string>();
  const keys = new Set<string>();
  for (let i = 0; i < ports.length; i++) {
    const p = obj(ports[i]);
    if (!p) continue;
    if (p.nodePort) {
      const k = `${str(p.protocol)}/${p.nodePort}`;
      if (nodePorts.has(k)) duplicate(errs, `spec.ports[${i}].nodePort`, p.nodePort);
      nodePorts.add(k);
    }
    const k = `${str(p.protocol)}/${p.port}`;
    if (keys.has(k)) errs.push({ type: 'FieldValueDuplicate', field: `spec.ports[${i}]`, message: goPortKey(str(p.protocol), p.port) });
    keys.add(k);
  }
  const ranges = arr(spec.loadBalancerSourceRanges);
  if (ranges.length) {
    if (type !== 'LoadBalancer' && !old) forbidden(errs, 'spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'");
    for (const [i, r] of ranges.entries()) cidr(errs, `spec.LoadBalancerSourceRanges[${i}]`, str(r).trim());
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && type !== 'LoadBalancer' && !old) {
    forbidden(errs, 'spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'");
  }
  const etp = spec.externalTrafficPolicy;
  if (typeof etp === 'string' && etp && !TRAFFIC_POLICIES.includes(etp)) notSupported(errs, 'spec.externalTrafficPolicy', etp, TRAFFIC_POLICIES);
  const itp = spec.internalTrafficPolicy;
  if (typeof itp === 'string' && !TRAFFIC_POLICIES.includes(itp)) notSupported(errs, 'spec.internalTrafficPolicy', itp, TRAFFIC_POLICIES);
  if (typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort !== 0 && !validPortNum(spec.healthCheckNodePort)) {
    invalid(errs, 'spec.healthCheckNodePort', spec.healthCheckNodePort, PORT_RANGE_MSG);
  }
  return errs;
}
