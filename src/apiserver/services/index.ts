/**
 * Service IP and node port allocation, as kube-apiserver's service REST storage does:
 * ClusterIP/NodePort/LoadBalancer Services get a cluster IP from the service CIDR
 * (default 10.96.0.0/12; the first address is reserved for the `kubernetes` Service), and
 * NodePort/LoadBalancer ports get node ports from 30000-32767. Requested values are
 * honoured when free (422 otherwise); allocated values are kept across updates.
 */
import { type FieldError, type KubeObject, newInvalid } from '../../api/index.js';
import type { AdmissionPlugin, AdmissionRequest } from '../admission/index.js';
import type { Store } from '../storage/index.js';

export { KUBERNETES_SERVICE, type KubernetesServiceOptions, startKubernetesService } from './kubernetes.js';

export interface ServiceAllocatorOptions {
  /** Service CIDR (IPv4), default 10.96.0.0/12. */
  serviceCidr?: string;
  /** Node port range, default [30000, 32767]. */
  nodePortRange?: [number, number];
}

interface Port {
  name?: string;
  protocol?: string;
  port?: number;
  nodePort?: number;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  internalTrafficPolicy?: string;
  externalTrafficPolicy?: string;
  allocateLoadBalancerNodePorts?: boolean;
  ports?: Port[];
}

const SERVICES = '/services';
const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
/** The Service that owns the first IP of the range (services/kubernetes.ts). */
const KUBERNETES_KEY = 'default/kubernetes';

function ipToInt(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function parseCidr(cidr: string): { base: number; size: number } {
  const [ip, bits] = cidr.split('/');
  const base = ipToInt(ip);
  const b = Number(bits);
  if (base === undefined || !Number.isInteger(b) || b < 8 || b > 30) throw new Error(`invalid service CIDR ${cidr}`);
  const size = 2 ** (32 - b);
  return { base: base - (base % size), size };
}

/** The first address of the service CIDR: the `kubernetes` Service's cluster IP (kube-apiserver's `ServiceIPRange` first IP). */
export function firstServiceIp(serviceCidr = DEFAULT_SERVICE_CIDR): string {
  return intToIp(parseCidr(serviceCidr).base + 1);
}

function specOf(o: KubeObject): ServiceSpec {
  return ((o as { spec?: ServiceSpec }).spec ??= {});
}

const usesClusterIP = (s: ServiceSpec) => (s.type ?? 'ClusterIP') !== 'ExternalName';
const usesNodePorts = (s: ServiceSpec) => s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);

export function serviceAllocator(store: Store, opts: ServiceAllocatorOptions = {}): AdmissionPlugin {
  const cidr = parseCidr(opts.serviceCidr ?? DEFAULT_SERVICE_CIDR);
  const [minPort, maxPort] = opts.nodePortRange ?? [30000, 32767];
  let nextIp = 2; // offset inside the CIDR: .0 is the network, .1 the `kubernetes` Service
  let nextPort = minPort;

  const used = (selfKey: string) => {
    const ips = new Set<number>();
    const ports = new Set<number>();
    for (const [key, s] of store.scan(SERVICES)) {
      if (key === selfKey) continue;
      const spec = (s.obj as { spec?: ServiceSpec }).spec ?? {};
      for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
        const n = ipToInt(ip);
        if (n !== undefined) ips.add(n);
      }
      for (const p of spec.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
    }
    return { ips, ports };
  };

  const allocateIp = (ips: Set<number>): string | undefined => {
    for (let i = 0; i < cidr.size - 3; i++) {
      const off = 2 + ((nextIp - 2 + i) % (cidr.size - 3));
      if (!ips.has(cidr.base + off)) {
        nextIp = off + 1;
        return intToIp(cidr.base + off);
      }
    }
    return undefined;
  };

  const allocatePort = (ports: Set<number>): number | undefined => {
    const span = maxPort - minPort + 1;
    for (let i = 0; i < span; i++) {
      const p = minPort + ((nextPort - minPort + i) % span);
      if (!ports.has(p)) {
        nextPort = p + 1;
        ports.add(p);
        return p;
      }
    }
    return undefined;
  };

  return {
    name: 'ServiceAllocation',
    appliesTo: (t) => t.storageKey === SERVICES,
    admit(req) {
      // (the work in a function of its own: its closures make V8 allocate a context on entry,
      // which every other write would pay for nothing)
      if (req.type.storageKey !== SERVICES || req.subresource || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return;
      allocate(req);
    },
  };

  function allocate(req: AdmissionRequest): void {
    const spec = specOf(req.object);
    const old = req.oldObject ? specOf(req.oldObject) : undefined;
    const name = req.object.metadata.name ?? '';
    const errs: FieldError[] = [];
    const { ips, ports } = used(`${req.namespace}/${name}`);
    if (usesClusterIP(spec)) {
      if (!spec.clusterIP && spec.clusterIPs?.length) spec.clusterIP = spec.clusterIPs[0];
      if (!spec.clusterIP && old?.clusterIP && usesClusterIP(old)) spec.clusterIP = old.clusterIP;
      if (old?.clusterIP && usesClusterIP(old) && spec.clusterIP !== old.clusterIP) {
        errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `[]string{${JSON.stringify(spec.clusterIP)}}: may not change once set` }); // the value is the new spec.clusterIPs (ValidateServiceUpdate -> validateUpgradeDowngradeClusterIPs)
      } else if (spec.clusterIP === 'None') {
        spec.clusterIPs = ['None'];
      } else if (spec.clusterIP) {
        const n = ipToInt(spec.clusterIP);
        if (n === undefined || n < cidr.base || n >= cidr.base + cidr.size) {
          errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `[]string{"${spec.clusterIP}"}: failed to allocate IP ${spec.clusterIP}: the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${intToIp(cidr.base)}/${32 - Math.log2(cidr.size)}` });
        } else if ((ips.has(n) || (n === cidr.base + 1 && `${req.namespace}/${name}` !== KUBERNETES_KEY)) && !(old?.clusterIP === spec.clusterIP)) {
          // (the first IP is reserved for `default/kubernetes` even while that Service is deleted)
          errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `[]string{"${spec.clusterIP}"}: failed to allocate IP ${spec.clusterIP}: provided IP is already allocated` });
        }
        spec.clusterIPs = [spec.clusterIP];
      } else {
        const ip = allocateIp(ips);
        if (!ip) errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', message: 'failed to allocate a serviceIP: range is full' });
        else {
          spec.clusterIP = ip;
          spec.clusterIPs = [ip];
        }
      }
      if (spec.clusterIP !== 'None' || spec.ipFamilies) {
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
      }
    } else {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (usesNodePorts(spec)) {
      (spec.ports ?? []).forEach((p, i) => {
        if (!p.nodePort && old && usesNodePorts(old)) {
          const prev = (old.ports ?? []).find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
          if (prev?.nodePort) p.nodePort = prev.nodePort;
        }
        if (p.nodePort) {
          if (p.nodePort < minPort || p.nodePort > maxPort) {
            errs.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, message: `${p.nodePort}: provided port is not in the valid range. The range of valid ports is ${minPort}-${maxPort}` });
          } else if (ports.has(p.nodePort)) {
            errs.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, message: `${p.nodePort}: provided port is already allocated` });
          }
          ports.add(p.nodePort);
        } else {
          const np = allocatePort(ports);
          if (np === undefined) errs.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, message: 'failed to allocate a nodePort: range is full' });
          else p.nodePort = np;
        }
      });
    } else if (old && usesNodePorts(old) && spec.type !== 'LoadBalancer') {
      // upstream's update strategy (dropTypeDependentFields) clears the node ports of a Service
      // that stops needing them; on create a ClusterIP Service with one is invalid
      // (ValidateService: "may not be used when `type` is 'ClusterIP'")
      for (const p of spec.ports ?? []) delete p.nodePort;
    }
    if (errs.length) throw newInvalid('', 'Service', name, errs);
  }
}
