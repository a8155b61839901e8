/**
 * networking.k8s.io/v1 validation as kube-apiserver v1.32's
 * pkg/apis/networking/validation/validation.go does it, with upstream's field paths and
 * messages (each rule names its upstream function). Object names are checked by the generic
 * metadata validation; label selectors and ipBlock CIDRs are checked for presence only.
 */
import { isIP } from 'node:net';
import { arr, type Errs, forbidden, invalid, invalidRendered, notSupported, obj, required, str } from '../core/errors.js';
import { dns1035Label, dns1123Subdomain, each, portName, PORT_RANGE_MSG, validPortNum } from '../core/names.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];
/** supportedPathTypes (a sets.String: listed sorted). */
const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const ANNOTATION_INGRESS_CLASS = 'kubernetes.io/ingress.class';
const MAX_LEN_INGRESS_CLASS_CONTROLLER = 250;
const SCOPES = ['Cluster', 'Namespace'];

/** IsWildcardDNS1123Subdomain (k8s.io/apimachinery/pkg/util/validation). */
const WILDCARD = /^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
function wildcardDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!WILDCARD.test(v)) {
    errs.push("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }
  return errs;
}

/** ValidateNetworkPolicyPort. */
function validatePort(errs: Errs, path: string, port: Obj): void {
  const protocol = port.protocol;
  if (protocol !== undefined && protocol !== null && !PROTOCOLS.includes(protocol)) notSupported(errs, `${path}.protocol`, protocol, PROTOCOLS);
  const p = port.port;
  const end = port.endPort;
  const hasEnd = end !== undefined && end !== null;
  if (p !== undefined && p !== null) {
    if (typeof p === 'number') {
      if (!validPortNum(p)) invalid(errs, `${path}.port`, p, PORT_RANGE_MSG);
      if (hasEnd) {
        if (end < p) invalid(errs, `${path}.endPort`, end, 'must be greater than or equal to `port`');
        if (!validPortNum(end)) invalid(errs, `${path}.endPort`, end, PORT_RANGE_MSG);
      }
    } else {
      if (hasEnd) invalid(errs, `${path}.endPort`, end, 'may not be specified when `port` is non-numeric');
      each(errs, `${path}.port`, p, portName(str(p)));
    }
  } else if (hasEnd) {
    invalid(errs, `${path}.endPort`, end, 'may not be specified when `port` is not specified');
  }
}

/** ValidateNetworkPolicyPeer (+ ValidateIPBlock's required cidr). */
function validatePeer(errs: Errs, path: string, peer: Obj): void {
  let n = 0;
  if (peer.podSelector) n++;
  if (peer.namespaceSelector) n++;
  const ipBlock = obj(peer.ipBlock);
  if (ipBlock) {
    n++;
    if (!str(ipBlock.cidr)) required(errs, `${path}.ipBlock.cidr`);
  }
  if (n === 0) required(errs, path, 'must specify a peer');
  else if (n > 1 && ipBlock) forbidden(errs, path, 'may not specify both ipBlock and another peer');
}

/** ValidateNetworkPolicySpec (create and update alike: ValidateNetworkPolicy / ValidateNetworkPolicyUpdate). */
export function validateNetworkPolicy(np: Obj): Errs {
  const errs: Errs = [];
  const spec = obj(np.spec);
  if (!spec) return errs;
  for (const [dir, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
    arr(spec[dir]).forEach((rule, i) => {
      const r = obj(rule);
      if (!r) return;
      arr(r.ports).forEach((p, j) => obj(p) && validatePort(errs, `spec.${dir}[${i}].ports[${j}]`, p as Obj));
      arr(r[peers]).forEach((p, j) => obj(p) && validatePeer(errs, `spec.${dir}[${i}].${peers}[${j}]`, p as Obj));
    });
  }
  const types = arr(spec.policyTypes);
  if (types.length > POLICY_TYPES.length) {
    invalid(errs, 'spec.policyTypes', types, 'may not specify more than two policyTypes');
    return errs;
  }
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t as string)) notSupported(errs, `spec.policyTypes[${i}]`, t, POLICY_TYPES);
  });
  return errs;
}

/** validateIngressBackend (Service names by ValidateServiceName = NameIsDNS1035Label in 1.32). */
function validateBackend(errs: Errs, path: string, backend: Obj): void {
  const resource = obj(backend.resource);
  const service = obj(backend.service);
  if (resource && service) {
    invalid(errs, path, '', 'cannot set both resource and service backends');
    return;
  }
  if (resource) {
    // validateIngressTypedLocalObjectReference
    if (!str(resource.kind)) required(errs, `${path}.resource.kind`);
    if (!str(resource.name)) required(errs, `${path}.resource.name`);
  } else if (service) {
    const name = str(service.name);
    if (!name) required(errs, `${path}.service.name`);
    else each(errs, `${path}.service.name`, name, dns1035Label(name));
    const port = obj(service.port) ?? {};
    const pname = str(port.name);
    const pnum = typeof port.number === 'number' ? port.number : 0;
    if (pname && pnum !== 0) invalid(errs, path, '', 'cannot set both port name & port number');
    else if (pname) each(errs, `${path}.service.port.name`, pname, portName(pname));
    else if (pnum !== 0) {
      if (!validPortNum(pnum)) invalid(errs, `${path}.service.port.number`, pnum, PORT_RANGE_MSG);
    } else required(errs, path, 'port name or number is required');
  } else {
    invalid(errs, path, '', 'resource or service backend is required');
  }
}

/** validateHTTPIngressPath. */
function validatePath(errs: Errs, path: string, p: Obj): void {
  const type = p.pathType;
  if (type === undefined || type === null) {
    required(errs, `${path}.pathType`, 'pathType must be specified');
    return;
  }
  const value = str(p.path);
  if (type === 'Exact' || type === 'Prefix') {
    if (!value.startsWith('/')) invalid(errs, `${path}.path`, value, 'must be an absolute path');
    for (const seq of INVALID_PATH_SEQUENCES) if (value.includes(seq)) invalid(errs, `${path}.path`, value, `must not contain '${seq}'`);
    for (const suf of INVALID_PATH_SUFFIXES) if (value.endsWith(suf)) invalid(errs, `${path}.path`, value, `cannot end with '${suf}'`);
  } else if (type === 'ImplementationSpecific') {
    if (value && !value.startsWith('/')) invalid(errs, `${path}.path`, value, 'must be an absolute path');
  } else {
    notSupported(errs, `${path}.pathType`, type, PATH_TYPES);
  }
  validateBackend(errs, `${path}.backend`, obj(p.backend) ?? {});
}

/** ValidateIngressSpec (validateIngressRules, validateIngressTLS) + ValidateIngressCreate's class annotation rule. */
export function validateIngress(ing: Obj, old?: Obj): Errs {
  const errs: Errs = [];
  const spec = obj(ing.spec) ?? {};
  const rules = arr(spec.rules);
  const defaultBackend = obj(spec.defaultBackend);
  // field.Invalid(fldPath, spec.Rules, ...): Go's %#v of the (nil or empty) slice
  if (rules.length === 0 && !defaultBackend) invalidRendered(errs, 'spec', Array.isArray(spec.rules) ? '[]networking.IngressRule{}' : '[]networking.IngressRule(nil)', 'either `defaultBackend` or `rules` must be specified');
  if (defaultBackend) validateBackend(errs, 'spec.defaultBackend', defaultBackend);
  rules.forEach((rule, i) => {
    const r = obj(rule);
    if (!r) return;
    const host = str(r.host);
    if (host) {
      if (isIP(host)) invalid(errs, `spec.rules[${i}].host`, host, 'must be a DNS name, not an IP address');
      each(errs, `spec.rules[${i}].host`, host, host.includes('*') ? wildcardDNS1123Subdomain(host) : dns1123Subdomain(host));
    }
    const http = obj(r.http);
    if (!http) return;
    // validateHTTPIngressRuleValue
    const paths = arr(http.paths);
    if (paths.length === 0) required(errs, `spec.rules[${i}].http.paths`);
    paths.forEach((p, j) => validatePath(errs, `spec.rules[${i}].http.paths[${j}]`, obj(p) ?? {}));
  });
  const allowInvalidSecret = !!old && arr(obj(old.spec)?.tls).some((t) => !!str(obj(t)?.secretName) && dns1123Subdomain(str(obj(t)?.secretName)).length > 0);
  arr(spec.tls).forEach((tls, i) => {
    const t = obj(tls);
    if (!t) return;
    arr(t.hosts).forEach((h, j) => {
      const host = str(h);
      each(errs, `spec.tls[${i}].hosts[${j}]`, host, host.includes('*') ? wildcardDNS1123Subdomain(host) : dns1123Subdomain(host));
    });
    // validateTLSSecretName (ValidateSecretName = DNS subdomain), unless the stored object has an invalid one (allowInvalidSecretName)
    const secret = str(t.secretName);
    if (secret && !allowInvalidSecret) each(errs, `spec.tls[${i}].secretName`, secret, dns1123Subdomain(secret));
  });
  if (typeof spec.ingressClassName === 'string') each(errs, 'spec.ingressClassName', spec.ingressClassName, dns1123Subdomain(spec.ingressClassName));
  if (!old) {
    const annotation = ing.metadata?.annotations?.[ANNOTATION_INGRESS_CLASS];
    if (typeof annotation === 'string' && typeof spec.ingressClassName === 'string' && annotation !== spec.ingressClassName) {
      invalid(errs, `annotations.${ANNOTATION_INGRESS_CLASS}`, annotation, 'must match `ingressClassName` when both are specified');
    }
  }
  return errs;
}

/** ValidateIngressLoadBalancerStatus (ValidateIngressStatusUpdate): hostnames are DNS names. */
export function validateIngressStatus(ing: Obj): Errs {
  const errs: Errs = [];
  arr(obj(obj(ing.status)?.loadBalancer)?.ingress).forEach((e, i) => {
    const ip = str(obj(e)?.ip);
    if (ip && !isIP(ip)) invalid(errs, `status.loadBalancer.ingress[${i}].ip`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
    const hostname = str(obj(e)?.hostname);
    if (!hostname) return;
    each(errs, `status.loadBalancer.ingress[${i}].hostname`, hostname, dns1123Subdomain(hostname));
    if (isIP(hostname)) invalid(errs, `status.loadBalancer.ingress[${i}].hostname`, hostname, 'must be a DNS name, not an IP address');
  });
  return errs;
}

/** IsDomainPrefixedPath (k8s.io/apimachinery/pkg/util/validation). */
const HTTP_PATH = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
function domainPrefixedPath(errs: Errs, path: string, v: string): void {
  const slash = v.indexOf('/');
  if (slash < 0) {
    invalid(errs, path, v, 'must be a domain-prefixed path (such as "acme.io/foo")');
    return;
  }
  const host = v.slice(0, slash);
  each(errs, path, host, dns1123Subdomain(host));
  const rest = v.slice(slash);
  if (!HTTP_PATH.test(rest)) invalid(errs, path, rest, `must be a valid path`);
}

/** validateIngressClassSpec (+ validateIngressClassParametersReference), and on update validateIngressClassSpecUpdate first. */
export function validateIngressClass(ic: Obj, old?: Obj): Errs {
  const errs: Errs = [];
  const spec = obj(ic.spec) ?? {};
  const controller = str(spec.controller);
  if (old) {
    const was = str(obj(old.spec)?.controller);
    if (controller !== was) invalid(errs, 'spec.controller', controller, 'field is immutable');
  }
  if (!controller) required(errs, 'spec.controller');
  else {
    if (controller.length > MAX_LEN_INGRESS_CLASS_CONTROLLER) errs.push({ type: 'FieldValueTooLong', field: 'spec.controller', message: `may not be more than ${MAX_LEN_INGRESS_CLASS_CONTROLLER} bytes` });
    domainPrefixedPath(errs, 'spec.controller', controller);
  }
  const params = obj(spec.parameters);
  if (params) {
    const p = 'spec.parameters';
    if (typeof params.apiGroup === 'string') each(errs, `${p}.apiGroup`, params.apiGroup, dns1123Subdomain(params.apiGroup));
    if (!str(params.kind)) required(errs, `${p}.kind`);
    if (!str(params.name)) required(errs, `${p}.name`);
    const scope = params.scope;
    if (scope === undefined || scope === null) required(errs, `${p}.scope`);
    else if (!SCOPES.includes(scope)) notSupported(errs, `${p}.scope`, scope, SCOPES);
    else if (scope === 'Namespace' && (params.namespace === undefined || params.namespace === null)) required(errs, `${p}.namespace`, "`parameters.scope` is set to 'Namespace'");
    else if (scope === 'Cluster' && params.namespace !== undefined && params.namespace !== null) forbidden(errs, `${p}.namespace`, "`parameters.scope` is set to 'Cluster'");
  }
  return errs;
}
