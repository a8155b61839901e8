/**
 * Server-side printing: `meta.k8s.io/v1 Table` rows for `kubectl get`. Each resource type
 * may carry a {@link TablePrinter}; the default prints NAME and AGE.
 */
import type { KubeObject } from '../../api/index.js';
import type { ResourceType, TableColumn, TablePrinter } from '../resources/types.js';

export type { TableColumn, TablePrinter };

/** Go's duration.HumanDuration, as kubectl and the API server print AGE. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

/** AGE cell from a timestamp ("<unknown>" when absent, like upstream). */
export function age(ts: unknown, now: number): string {
  if (typeof ts !== 'string' || !ts) return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

export function col(name: string, description = '', priority = 0, type = 'string', format = ''): TableColumn {
  return { name, type, format, description, priority };
}

const NAME = col('Name', 'Name must be unique within a namespace.', 0, 'string', 'name');
const AGE = col('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

type Obj = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const printer = (columns: TableColumn[], cells: (o: Obj, now: number) => unknown[]): TablePrinter => ({ columns, cells: cells as TablePrinter['cells'] });

/** listWithMoreString: the first three joined by ",", then " + N more..."; "<unset>" for none. */
function threeAndMore(list: string[]): string {
  if (list.length > 3) return `${list.slice(0, 3).join(',')} + ${list.length - 3} more...`;
  return list.length ? list.join(',') : '<unset>';
}

/** NAME, AGE: the printer for types without a specific one. */
export const defaultPrinter: TablePrinter = printer([NAME, AGE], (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)]);

function podStatus(p: Obj): { ready: string; status: string; restarts: string } {
  const statuses: any[] = p.status?.containerStatuses ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
  const total = (p.spec?.containers ?? []).length;
  let ready = 0;
  let restarts = 0;
  let reason: string = p.status?.reason || p.status?.phase || 'Pending';
  for (const cs of statuses) {
    restarts += cs.restartCount ?? 0;
    if (cs.ready && cs.state?.running) ready++;
    const w = cs.state?.waiting?.reason;
    const t = cs.state?.terminated;
    if (w) reason = w;
    else if (t) reason = t.reason || (t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`);
  }
  const init: any[] = p.status?.initContainerStatuses ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
  init.forEach((cs, i) => {
    if (cs.state?.terminated?.exitCode === 0) return;
    if (cs.state?.waiting?.reason && cs.state.waiting.reason !== 'PodInitializing') reason = `Init:${cs.state.waiting.reason}`;
    else if (!cs.state?.terminated) reason = `Init:${i}/${init.length}`;
  });
  if (p.metadata.deletionTimestamp) reason = p.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { ready: `${ready}/${total}`, status: reason, restarts: String(restarts) };
}

/** NAME, WEBHOOKS (their count), AGE: upstream's printer of both webhook configuration kinds. */
const webhookConfigurations = printer([NAME, col('Webhooks', 'Webhooks indicates the number of webhooks in the configuration.', 0, 'integer'), AGE], (c, now) => [c.metadata.name, (c.webhooks ?? []).length, age(c.metadata.creationTimestamp, now)]);

const PRINTERS: Record<string, TablePrinter> = {
  '/pods': printer(
    [NAME, col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'), col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'), AGE,
      col('IP', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1), col('Node', 'Name of the Node this Pod is running on.', 1),
      col('Nominated Node', 'Name of the Node this Pod is nominated on.', 1), col('Readiness Gates', 'The aggregate readiness state of this pod for accepting traffic.', 1)],
    (p, now) => {
      const s = podStatus(p);
      const gates: any[] = p.spec?.readinessGates ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
      const conds: any[] = p.status?.conditions ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
      const gatesOk = gates.filter((g) => conds.some((c) => c.type === g.conditionType && c.status === 'True')).length;
      return [p.metadata.name, s.ready, s.status, s.restarts, age(p.metadata.creationTimestamp, now), p.status?.podIP || '<none>', p.spec?.nodeName || '<none>',
        p.status?.nominatedNodeName || '<none>', gates.length ? `${gatesOk}/${gates.length}` : '<none>'];
    },
  ),
  '/nodes': printer(
    [NAME, col('Status', 'The status of the node'), col('Roles', 'The roles of the node'), AGE, col('Version', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'List of internal IPs in the node.', 1), col('External-IP', 'List of external IPs in the node.', 1), col('OS-Image', 'OS image reported by the node.', 1),
      col('Kernel-Version', 'Kernel version reported by the node.', 1), col('Container-Runtime', 'Container runtime and version reported by the node.', 1)],
    (n, now) => {
      const conds: any[] = n.status?.conditions ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
      const ready = conds.find((c) => c.type === 'Ready');
      const states = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
      if (n.spec?.unschedulable) states.push('SchedulingDisabled');
      const roles = Object.keys(n.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)).filter(Boolean);
      const addrs: any[] = n.status?.addresses ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
      const addr = (t: string) => addrs.filter((a) => a.type === t).map((a) => a.address).join(',') || '<none>';
      const info = n.status?.nodeInfo ?? {};
      return [n.metadata.name, states.join(','), roles.sort().join(',') || '<none>', age(n.metadata.creationTimestamp, now), info.kubeletVersion ?? '',
        addr('InternalIP'), addr('ExternalIP'), info.osImage || '<unknown>', info.kernelVersion || '<unknown>', info.containerRuntimeVersion || '<unknown>'];
    },
  ),
  'apps/deployments': printer(
    [NAME, col('Ready', 'Number of the pod with ready state'), col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'), AGE,
      col('Containers', 'Names of each container in the template.', 1), col('Images', 'Images referenced by each container in the template.', 1), col('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', 1)],
    (d, now) => [d.metadata.name, `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, d.status?.updatedReplicas ?? 0, d.status?.availableReplicas ?? 0,
      age(d.metadata.creationTimestamp, now), ...containers(d), selectorString(d.spec?.selector)],
  ),
  'apps/replicasets': printer(
    [NAME, col('Desired', 'Number of desired pods.', 0, 'integer'), col('Current', 'Number of actual replicas.', 0, 'integer'), col('Ready', 'The number of ready replicas.', 0, 'integer'), AGE,
      col('Containers', 'Names of each container in the template.', 1), col('Images', 'Images referenced by each container in the template.', 1), col('Selector', 'Label selector for pods.', 1)],
    (r, now) => [r.metadata.name, r.spec?.replicas ?? 0, r.status?.replicas ?? 0, r.status?.readyReplicas ?? 0, age(r.metadata.creationTimestamp, now), ...containers(r), selectorString(r.spec?.selector)],
  ),
  'apps/statefulsets': printer(
    [NAME, col('Ready', 'Number of the pod with ready state'), AGE, col('Containers', 'Names of each container in the template.', 1), col('Images', 'Images referenced by each container in the template.', 1)],
    (s, now) => [s.metadata.name, `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`, age(s.metadata.creationTimestamp, now), ...containers(s)],
  ),
  'apps/daemonsets': printer(
    [NAME, col('Desired', '', 0, 'integer'), col('Current', '', 0, 'integer'), col('Ready', '', 0, 'integer'), col('Up-to-date', '', 0, 'integer'), col('Available', '', 0, 'integer'),
      col('Node Selector', 'The node selector for the pods.'), AGE, col('Containers', '', 1), col('Images', '', 1), col('Selector', '', 1)],
    (d, now) => [d.metadata.name, d.status?.desiredNumberScheduled ?? 0, d.status?.currentNumberScheduled ?? 0, d.status?.numberReady ?? 0, d.status?.updatedNumberScheduled ?? 0,
      d.status?.numberAvailable ?? 0, labelsString(d.spec?.template?.spec?.nodeSelector), age(d.metadata.creationTimestamp, now), ...containers(d), selectorString(d.spec?.selector)],
  ),
  'batch/jobs': printer(
    [NAME, col('Status', 'Status of the job.'), col('Completions', 'The completion status of the job.'), col('Duration', 'Time required to complete the job.'), AGE],
    (j, now) => {
      const conds: any[] = j.status?.conditions ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
      const has = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
      const status = has('Complete') ? 'Complete' : has('Failed') ? 'Failed' : j.metadata.deletionTimestamp ? 'Terminating' : j.spec?.suspend ? 'Suspended' : 'Running';
      const start = j.status?.startTime ? Date.parse(j.status.startTime) : undefined;
      const end = j.status?.completionTime ? Date.parse(j.status.completionTime) : now;
      return [j.metadata.name, status, `${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}`, start === undefined ? '' : humanDuration(end - start), age(j.metadata.creationTimestamp, now)];
    },
  ),
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': webhookConfigurations,
  'admissionregistration.k8s.io/validatingwebhookconfigurations': webhookConfigurations,
  '/configmaps': printer([NAME, col('Data', 'Number of data in configmap', 0, 'integer'), AGE], (c, now) => [c.metadata.name, Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length, age(c.metadata.creationTimestamp, now)]),
  '/secrets': printer([NAME, col('Type', 'The type of the secret'), col('Data', 'The number of data in the secret', 0, 'integer'), AGE], (s, now) => [s.metadata.name, s.type ?? 'Opaque', Object.keys(s.data ?? {}).length, age(s.metadata.creationTimestamp, now)]),
  '/services': printer(
    [NAME, col('Type', 'The type of the service'), col('Cluster-IP', 'The cluster IP of the service'), col('External-IP', 'The external IP of the service'), col('Port(s)', 'The ports of the service'), AGE,
      col('Selector', 'The selector of the service', 1)],
    (s, now) => {
      const ingress: any[] = s.status?.loadBalancer?.ingress ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
      const ext = [...(s.spec?.externalIPs ?? []), ...ingress.map((i) => i.ip || i.hostname)];
      const type = s.spec?.type ?? 'ClusterIP';
      const ports = (s.spec?.ports ?? []).map((p: any) => `${p.port}${p.nodePort ? ':' + p.nodePort : ''}/${p.protocol ?? 'TCP'}`).join(','); // eslint-disable-line @typescript-eslint/no-explicit-any
      return [s.metadata.name, type, s.spec?.clusterIP || '<none>', ext.length ? ext.join(',') : type === 'LoadBalancer' ? '<pending>' : type === 'ExternalName' ? s.spec?.externalName : '<none>',
        ports || '<none>', age(s.metadata.creationTimestamp, now), labelsString(s.spec?.selector)];
    },
  ),
  // pkg/printers/internalversion/printers.go printResourceQuota: `resource: used/hard` of each
  // status.hard resource, sorted, `limits.*` in LIMIT and the rest in REQUEST
  '/resourcequotas': printer(
    [NAME, AGE, col('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
      col('Limit', 'Limits control the maximum amount of cpu/memory that a container can use independent of contention on the node.')],
    (r, now) => {
      const hard: Record<string, string> = r.status?.hard ?? {};
      const used: Record<string, string> = r.status?.used ?? {};
      const request: string[] = [];
      const limit: string[] = [];
      for (const k of Object.keys(hard).sort()) {
        const pieces = k.split('.');
        (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(`${k}: ${used[k] ?? '0'}/${hard[k]}`);
      }
      return [r.metadata.name, age(r.metadata.creationTimestamp, now), request.join(', '), limit.join(', ')];
    },
  ),
  // printLimitRange: the name and the creation time
  '/limitranges': printer([NAME, col('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created.', 0, 'date')], (l) => [l.metadata.name, l.metadata.creationTimestamp ?? '']),
  '/namespaces': printer([NAME, col('Status', 'The status of the namespace'), AGE], (n, now) => [n.metadata.name, n.status?.phase ?? 'Active', age(n.metadata.creationTimestamp, now)]),
  '/serviceaccounts': printer([NAME, col('Secrets', 'The number of secrets', 0, 'integer'), AGE], (s, now) => [s.metadata.name, (s.secrets ?? []).length, age(s.metadata.creationTimestamp, now)]),
  '/endpoints': printer([NAME, col('Endpoints', 'The endpoints'), AGE], (e, now) => {
    const eps: string[] = [];
    for (const sub of e.subsets ?? []) for (const a of sub.addresses ?? []) for (const p of sub.ports ?? [{}]) eps.push(p.port ? `${a.ip}:${p.port}` : a.ip);
    return [e.metadata.name, eps.length ? eps.slice(0, 3).join(',') + (eps.length > 3 ? ` + ${eps.length - 3} more...` : '') : '<none>', age(e.metadata.creationTimestamp, now)];
  }),
  '/events': printer(
    [col('Last Seen', 'Time since the last occurrence'), col('Type', 'Type of the event'), col('Reason', 'Reason of the event'), col('Object', 'The object the event is about'), col('Message', 'The message of the event'),
      col('Subobject', '', 1), col('Source', '', 1), col('First Seen', '', 1), col('Count', '', 1, 'integer'), NAME],
    (e, now) => {
      const last = e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
      const io = e.involvedObject ?? {};
      return [age(last, now), e.type ?? '', e.reason ?? '', `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`, e.message ?? '', io.fieldPath ?? '',
        [e.source?.component, e.source?.host].filter(Boolean).join(', '), age(e.firstTimestamp ?? e.eventTime, now), e.count ?? 1, e.metadata.name];
    },
  ),
  // printEndpointSlice (pkg/printers/internalversion/printers.go): ADDRESSTYPE, PORTS (a port's number,
  // else its name, else "*"), ENDPOINTS (the addresses); three of each, then "+ N more...", "<unset>" when none
  'discovery.k8s.io/endpointslices': printer(
    [NAME, col('AddressType', 'The address type of the endpoints'), col('Ports', 'The ports of the endpoints'), col('Endpoints', 'The addresses of the endpoints'), AGE],
    (e, now) => {
      const ports: string[] = [];
      for (const p of e.ports ?? []) ports.push(p?.port != null ? String(p.port) : p?.name != null ? String(p.name) : '*');
      const addresses: string[] = [];
      for (const ep of e.endpoints ?? []) for (const a of ep?.addresses ?? []) addresses.push(String(a));
      return [e.metadata.name, e.addressType ?? '', threeAndMore(ports), threeAndMore(addresses), age(e.metadata.creationTimestamp, now)];
    },
  ),
  'coordination.k8s.io/leases': printer([NAME, col('Holder', 'The holder of the lease'), AGE], (l, now) => [l.metadata.name, l.spec?.holderIdentity ?? '', age(l.metadata.creationTimestamp, now)]),
  'policy/poddisruptionbudgets': printer(
    [NAME, col('Min Available', ''), col('Max Unavailable', ''), col('Allowed Disruptions', '', 0, 'integer'), AGE],
    (p, now) => [p.metadata.name, p.spec?.minAvailable ?? 'N/A', p.spec?.maxUnavailable ?? 'N/A', p.status?.disruptionsAllowed ?? 0, age(p.metadata.creationTimestamp, now)],
  ),
  // pkg/printers/internalversion/printers.go printIngress: CLASS (<none> without
  // ingressClassName), HOSTS (formatHosts: three, then "+ N more...", "*" when none), ADDRESS
  // (ingressLoadBalancerStatusStringer: IPs or hostnames; the server's table convertor prints
  // wide, so never cut),
  // PORTS ("80", "80, 443" with TLS)
  'networking.k8s.io/ingresses': printer(
    [NAME, col('Class', 'The name of the IngressClass resource that should be used for ingress.'), col('Hosts', 'Hosts that incoming requests are matched against before the ingress rule'),
      col('Address', 'Address is a list containing ingress points for the load-balancer'), col('Ports', 'Ports of TLS configurations that open'), AGE],
    (i, now) => {
      const rules: any[] = i.spec?.rules ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
      const hosts: string[] = [];
      let more = false;
      for (const r of rules) {
        if (hosts.length === 3) more = true;
        if (!more && r?.host) hosts.push(r.host);
      }
      const hostText = hosts.length === 0 ? '*' : more ? `${hosts.join(',')} + ${rules.length - 3} more...` : hosts.join(',');
      const lb: any[] = i.status?.loadBalancer?.ingress ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
      const address = lb.map((e) => e?.ip || e?.hostname).filter(Boolean).join(',');
      return [i.metadata.name, i.spec?.ingressClassName ?? '<none>', hostText, address, (i.spec?.tls ?? []).length ? '80, 443' : '80', age(i.metadata.creationTimestamp, now)];
    },
  ),
  // printIngressClass: PARAMETERS as <kind>[.<apiGroup>]/<name>
  'networking.k8s.io/ingressclasses': printer(
    [NAME, col('Controller', 'Controller that is responsible for handling this class'), col('Parameters', 'A reference to a resource with additional parameters'), AGE],
    (c, now) => {
      const p = c.spec?.parameters;
      const params = p ? `${p.kind ?? ''}${p.apiGroup ? '.' + p.apiGroup : ''}/${p.name ?? ''}` : '<none>';
      return [c.metadata.name, c.spec?.controller ?? '', params, age(c.metadata.creationTimestamp, now)];
    },
  ),
  // printNetworkPolicy: POD-SELECTOR (metav1.FormatLabelSelector)
  'networking.k8s.io/networkpolicies': printer(
    [NAME, col('Pod-Selector', 'Selects the pods to which this NetworkPolicy object applies.'), AGE],
    (n, now) => [n.metadata.name, selectorString(n.spec?.podSelector), age(n.metadata.creationTimestamp, now)],
  ),
  // printStorageClass: NAME with " (default)" for the default class (the GA or beta annotation),
  // RECLAIMPOLICY Delete and VOLUMEBINDINGMODE Immediate when unset
  'storage.k8s.io/storageclasses': printer(
    [NAME, col('Provisioner', 'Indicates the type of the provisioner.'), col('ReclaimPolicy', 'Dynamically provisioned PersistentVolumes of this storage class are created with this reclaimPolicy. Defaults to Delete.'),
      col('VolumeBindingMode', 'VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound. When unset, VolumeBindingImmediate is used.'),
      col('AllowVolumeExpansion', 'AllowVolumeExpansion shows whether the storage class allow volume expand.'), AGE],
    (c, now) => {
      const ann = c.metadata.annotations ?? {};
      const isDefault = ann['storageclass.kubernetes.io/is-default-class'] === 'true' || ann['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
      return [isDefault ? `${c.metadata.name} (default)` : c.metadata.name, c.provisioner ?? '', c.reclaimPolicy ?? 'Delete', c.volumeBindingMode ?? 'Immediate', c.allowVolumeExpansion === true, age(c.metadata.creationTimestamp, now)];
    },
  ),
  // printCSIDriver: MODES the lifecycle modes joined with ",", <none> when none
  'storage.k8s.io/csidrivers': printer(
    [NAME, col('AttachRequired', 'Indicates this CSI volume driver requires an attach operation, and that Kubernetes should call attach and wait for any attach operation to complete before proceeding to mount.', 0, 'boolean'),
      col('PodInfoOnMount', 'Indicates this CSI volume driver requires additional pod information (like podName, podUID, etc.) during mount operations.', 0, 'boolean'),
      col('StorageCapacity', 'Indicates that the CSI volume driver wants pod scheduling to consider the storage capacity that the driver deployment will report by creating CSIStorageCapacity objects with capacity information.', 0, 'boolean'),
      col('TokenRequests', 'Indicates the CSI volume driver requires pod service account tokens for mounting.'), col('RequiresRepublish', 'Indicates the CSI volume driver wants `NodePublishVolume` being periodically called to reflect any possible change in the mounted volume.', 0, 'boolean'),
      col('Modes', 'Defines what kind of volumes this CSI volume driver supports.'), AGE],
    (d, now) => {
      const s = d.spec ?? {};
      const tokens: any[] = s.tokenRequests ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
      const modes: string[] = s.volumeLifecycleModes ?? [];
      return [d.metadata.name, s.attachRequired ?? true, s.podInfoOnMount ?? false, s.storageCapacity ?? false, tokens.length ? tokens.map((t) => t.audience || '<api-server-audience>').join(',') : '<unset>',
        s.requiresRepublish ?? false, modes.length ? modes.join(',') : '<none>', age(d.metadata.creationTimestamp, now)];
    },
  ),
  // printCSINode: DRIVERS the number of drivers
  'storage.k8s.io/csinodes': printer([NAME, col('Drivers', 'Drivers indicates the number of CSI drivers registered on the node', 0, 'integer'), AGE], (n, now) => [n.metadata.name, (n.spec?.drivers ?? []).length, age(n.metadata.creationTimestamp, now)]),
  // printVolumeAttachment: PV the persistent volume name, ATTACHED the status
  'storage.k8s.io/volumeattachments': printer(
    [NAME, col('Attacher', 'Attacher indicates the name of the volume driver that MUST handle this request.'), col('PV', 'Name of the persistent volume to be attached.'),
      col('Node', 'The node that the volume should be attached to.'), col('Attached', 'Indicates the volume is successfully attached.', 0, 'boolean'), AGE],
    (v, now) => [v.metadata.name, v.spec?.attacher ?? '', v.spec?.source?.persistentVolumeName ?? '', v.spec?.nodeName ?? '', v.status?.attached === true, age(v.metadata.creationTimestamp, now)],
  ),
  // printHorizontalPodAutoscaler: REFERENCE kind/name, TARGETS formatHPAMetrics (current/target
  // per metric, two at most then "+ N more..."), MINPODS (<unset>), MAXPODS, REPLICAS (current)
  'autoscaling/horizontalpodautoscalers': printer(
    [NAME, col('Reference', 'Reference to the target object being scaled'), col('Targets', 'Target metrics and current values'), col('MinPods', 'Lower limit for the number of pods that can be set by the autoscaler', 0, 'integer'),
      col('MaxPods', 'Upper limit for the number of pods that can be set by the autoscaler', 0, 'integer'), col('Replicas', 'Current number of replicas of pods managed by this autoscaler', 0, 'integer'), AGE],
    (h, now) => [h.metadata.name, `${h.spec?.scaleTargetRef?.kind ?? ''}/${h.spec?.scaleTargetRef?.name ?? ''}`, hpaMetrics(h.spec?.metrics ?? [], h.status?.currentMetrics ?? []),
      h.spec?.minReplicas ?? '<unset>', h.spec?.maxReplicas ?? 0, h.status?.currentReplicas ?? 0, age(h.metadata.creationTimestamp, now)],
  ),
  // printRuntimeClass
  'node.k8s.io/runtimeclasses': printer([NAME, col('Handler', 'Handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class.'), AGE],
    (r, now) => [r.metadata.name, r.handler ?? '', age(r.metadata.creationTimestamp, now)]),
  'apiextensions.k8s.io/customresourcedefinitions': printer([NAME, col('Created At', '', 0, 'date')], (c) => [c.metadata.name, c.metadata.creationTimestamp ?? '']),
};

/** formatHPAMetrics (pkg/printers/internalversion/printers.go). */
function hpaMetrics(specs: any[], statuses: any[]): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!specs.length) return '<none>';
  const list = specs.map((spec, i) => {
    const st = statuses[i];
    const valueOrAvg = (src: any, cur: any): string => { // eslint-disable-line @typescript-eslint/no-explicit-any
      if (src?.target?.averageValue !== undefined) return `${cur?.current?.averageValue ?? '<unknown>'}/${src.target.averageValue} (avg)`;
      return `${cur?.current?.value ?? '<unknown>'}/${src?.target?.value ?? ''}`;
    };
    const resource = (src: any, cur: any): string => { // eslint-disable-line @typescript-eslint/no-explicit-any
      if (src?.target?.averageValue !== undefined) return `${src.name}: ${cur?.current?.averageValue ?? '<unknown>'}/${src.target.averageValue}`;
      const current = typeof cur?.current?.averageUtilization === 'number' ? `${cur.current.averageUtilization}%` : '<unknown>';
      const target = typeof src?.target?.averageUtilization === 'number' ? `${src.target.averageUtilization}%` : '<auto>';
      return `${src?.name ?? ''}: ${current}/${target}`;
    };
    switch (spec?.type) {
      case 'External': return valueOrAvg(spec.external, st?.external);
      case 'Object': return valueOrAvg(spec.object, st?.object);
      case 'Pods': return `${st?.pods?.current?.averageValue ?? '<unknown>'}/${spec.pods?.target?.averageValue ?? ''}`;
      case 'Resource': return resource(spec.resource, st?.resource);
      case 'ContainerResource': return resource(spec.containerResource, st?.containerResource);
      default: return '<unknown type>';
    }
  });
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

function containers(o: Obj): [string, string] {
  const cs: any[] = o.spec?.template?.spec?.containers ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
}

function labelsString(m: Record<string, string> | undefined): string {
  const e = Object.entries(m ?? {});
  return e.length ? e.map(([k, v]) => `${k}=${v}`).sort().join(',') : '<none>';
}

function selectorString(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): string {
  if (!sel) return '<none>';
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).sort();
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(',') || '<none>';
}

/** The built-in printer for a type, if it has one. */
export function builtinPrinter(group: string, resource: string): TablePrinter | undefined {
  return PRINTERS[`${group}/${resource}`];
}

/** PartialObjectMetadata of an object, as Table rows carry by default. */
export function partialMetadata(obj: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** Builds a Table for `objects` of type `t`. */
export function toTable(t: ResourceType, objects: KubeObject[], opts: { includeObject?: 'None' | 'Metadata' | 'Object'; resourceVersion?: string; continue?: string; remainingItemCount?: number; noHeaders?: boolean }): Record<string, unknown> {
  const p = t.table ?? defaultPrinter;
  const now = Date.now();
  const include = opts.includeObject ?? 'Metadata';
  const metadata: Record<string, unknown> = { resourceVersion: opts.resourceVersion ?? '' };
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? null : p.columns,
    rows: objects.map((o) => {
      let cells: unknown[];
      try {
        cells = p.cells(o, now);
      } catch {
        cells = p.columns.map(() => null);
      }
      const row: Record<string, unknown> = { cells };
      if (include === 'Object') row.object = o;
      else if (include === 'Metadata') row.object = partialMetadata(o);
      return row;
    }),
  };
}
