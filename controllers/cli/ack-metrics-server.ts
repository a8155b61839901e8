/**
 * ACK's metrics-server add-on as the dev cluster installs it, from the manifest in ACK's
 * documentation ("Update the metrics-server component before you update the Kubernetes version
 * to 1.12", Container Service for Kubernetes user guide; the add-on's release notes list the
 * image `registry.{REGION}.aliyuncs.com/acs/metrics-server:v0.3.8.5-307cf45-aliyun`):
 * - ServiceAccount `kube-system/admin` bound to `cluster-admin` (ClusterRoleBinding `admin`):
 *   ACK runs metrics-server under that account;
 * - Service `kube-system/metrics-server`: port 443 -> targetPort 443 (unnamed), selector
 *   `k8s-app: metrics-server`, label `kubernetes.io/name: metrics-server`;
 * - APIService `v1beta1.metrics.k8s.io`: that Service, `insecureSkipTLSVerify: true`,
 *   `groupPriorityMinimum: 100`, `versionPriority: 100`;
 * - Deployment `kube-system/metrics-server` (label and selector `k8s-app: metrics-server`),
 *   one replica of the `metrics-server` container with `/metrics-server
 *   --source=kubernetes:https://kubernetes.default` (the heapster-derived ACK build; it serves on
 *   k8s.io/apiserver's default secure port, 443). Its monitoring sink (`--sink=socket:...` to
 *   CloudMonitor) is left out: there is no CloudMonitor here.
 *
 * The pod template carries `sim.kubeloop.io/simulate: metrics-server`, so the simulated cluster
 * plays the pod with its in-process metrics-server (kubeloop/simcluster): `kubectl top` works,
 * and the API server reaches it only as the emulated VPC routes the pod's address.
 * Objects are created when missing: a user's edits (kept with --state-dir) win.
 */
import { isAlreadyExists, type KubeClient } from 'kubeloop';
import { METRICS_SERVER, SIMULATE_ANNOTATION } from 'kubeloop/simcluster';

const labels = { 'k8s-app': 'metrics-server' };
const managed = { 'app.kubernetes.io/managed-by': 'kubeloop-dev' };

/** The add-on's objects, in creation order. */
export function ackMetricsServerObjects(regionId: string): Record<string, unknown>[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'admin', namespace: 'kube-system', labels: managed } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'admin', labels: managed },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'admin', namespace: 'kube-system' }],
    },
    {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: 'metrics-server', namespace: 'kube-system', labels: { 'kubernetes.io/name': 'metrics-server', ...managed } },
      spec: { selector: labels, ports: [{ port: 443, protocol: 'TCP', targetPort: 443 }] },
    },
    {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'metrics-server', namespace: 'kube-system', labels: { ...labels, ...managed } },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { name: 'metrics-server', labels, annotations: { [SIMULATE_ANNOTATION]: METRICS_SERVER } },
          spec: {
            serviceAccountName: 'admin',
            containers: [{
              name: 'metrics-server',
              image: `registry.${regionId}.aliyuncs.com/acs/metrics-server:v0.3.8.5-307cf45-aliyun`,
              imagePullPolicy: 'Always',
              command: ['/metrics-server', '--source=kubernetes:https://kubernetes.default'],
            }],
          },
        },
      },
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1beta1.metrics.k8s.io', labels: managed },
      spec: {
        service: { name: 'metrics-server', namespace: 'kube-system' },
        group: 'metrics.k8s.io', version: 'v1beta1', insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 100,
      },
    },
  ];
}

/**
 * Creates the add-on's objects that are missing: what the Deployment's pods use (the
 * ServiceAccount, its binding, the Service) side by side, then the Deployment and the
 * APIService side by side. `part` creates only the first group (`prerequisites`) or only the
 * second (`workload`, once the first is there): `kubeloop dev` creates them at different times.
 */
export async function installAckMetricsServer(client: KubeClient, regionId: string, part: 'all' | 'prerequisites' | 'workload' = 'all'): Promise<void> {
  const create = async (o: Record<string, unknown>) => {
    try {
      await client.create(o as never);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  };
  const objects = ackMetricsServerObjects(regionId);
  const late = new Set(['Deployment', 'APIService']);
  if (part !== 'workload') await Promise.all(objects.filter((o) => !late.has(o.kind as string)).map(create));
  if (part !== 'prerequisites') await Promise.all(objects.filter((o) => late.has(o.kind as string)).map(create));
}
