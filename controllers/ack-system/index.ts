/**
 * The system DaemonSets every ACK worker runs, so the dev cluster's nodes carry the same
 * overhead a real ACK node does: kube-proxy (`kube-proxy-worker`), the network plugin (Terway,
 * `terway-eniip`) and the log agent (`logtail-ds`, the Simple Log Service collector ACK installs
 * for log collection). Source for the set: ACK "Resource reservation policy" names kubelet,
 * kube-proxy and Terway among the node components
 * (https://www.alibabacloud.com/help/en/doc-detail/330995.htm); CONTROLLERS.md "ACK as it
 * really is" (kube-proxy, the network plugin, the log agent).
 *
 * Requests, per container, as the add-ons declare them (they vary by add-on version):
 * - terway-eniip: AliyunContainerService/terway charts/terway/templates/terwayd/daemonset.yaml —
 *   container `terway` 100m / 100Mi and container `policy` 250m / 100Mi;
 * - kube-proxy-worker: an ACK add-on template of kube-proxy-worker in public code (image
 *   acs/kube-proxy v1.16.9-aliyun.1) declares `resources: {}` — no requests; a current release's
 *   manifest could not be found, so none are assumed;
 * - logtail-ds: ACK's help page "使用Logtail收集Windows容器日志" gives logtail-ds-windows 100m /
 *   256Mi; the Linux logtail-ds (now loongcollector-ds) manifest could not be found, so the
 *   Windows agent's requests stand in for it.
 * Like ACK's system DaemonSets they tolerate every taint and run at system-node-critical priority.
 */
import { isAlreadyExists, type KubeClient } from 'kubeloop';

interface SystemContainer { name: string; cpu?: string; memory?: string }
interface SystemDaemonSet { name: string; image: string; containers: SystemContainer[] }

export const ACK_SYSTEM_DAEMONSETS: readonly SystemDaemonSet[] = [
  { name: 'kube-proxy-worker', image: 'registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/kube-proxy:v1.32.1-aliyun.1', containers: [{ name: 'kube-proxy-worker' }] },
  {
    name: 'terway-eniip', image: 'registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/terway:v1.16.7',
    containers: [{ name: 'terway', cpu: '100m', memory: '100Mi' }, { name: 'policy', cpu: '250m', memory: '100Mi' }],
  },
  { name: 'logtail-ds', image: 'registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/logtail:v1.8.7.0-aliyun', containers: [{ name: 'logtail', cpu: '100m', memory: '256Mi' }] },
];

/** One system DaemonSet as ACK installs it in kube-system. */
export function systemDaemonSet(d: SystemDaemonSet): Record<string, any> {
  const labels = { 'k8s-app': d.name };
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: d.name, namespace: 'kube-system', labels: { ...labels, 'app.kubernetes.io/managed-by': 'kubeloop-dev' } },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
      template: {
        metadata: { labels },
        spec: {
          priorityClassName: 'system-node-critical', hostNetwork: true,
          tolerations: [{ operator: 'Exists' }],
          containers: d.containers.map((c) => ({
            name: c.name, image: d.image,
            resources: c.cpu || c.memory ? { requests: { ...(c.cpu ? { cpu: c.cpu } : {}), ...(c.memory ? { memory: c.memory } : {}) } } : {},
          })),
        },
      },
    },
  };
}

/** Creates the system DaemonSets that are missing, side by side (a user's edits, kept with --state-dir, win). */
export async function installAckSystemDaemonSets(client: KubeClient): Promise<void> {
  await Promise.all(ACK_SYSTEM_DAEMONSETS.map(async (d) => {
    try {
      await client.create(systemDaemonSet(d) as never);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }));
}
