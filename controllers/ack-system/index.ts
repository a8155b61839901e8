/**
 * The system DaemonSets every ACK worker runs, so the dev cluster's nodes carry the same
 * overhead a real ACK node does: kube-proxy (`kube-proxy-worker`), the network plugin (Terway,
 * `terway-eniip`) and the log agent (`logtail-ds`, the Simple Log Service collector ACK installs
 * for log collection). Source for the set: ACK "Resource reservation policy" names kubelet,
 * kube-proxy and Terway among the node components
 * (https://www.alibabacloud.com/help/en/doc-detail/330995.htm); CONTROLLERS.md "ACK as it
 * really is" (kube-proxy, the network plugin, the log agent).
 *
 * The requests are representative, not copied from an add-on release (they vary by add-on
 * version and cluster); what matters to the autoscaler is that they are there, on every node
 * and on every new node. Like ACK's system DaemonSets they tolerate every taint and run at
 * system-node-critical priority.
 */
import { isAlreadyExists, type KubeClient } from 'kubeloop';

interface SystemDaemonSet { name: string; image: string; cpu: string; memory: string }

export const ACK_SYSTEM_DAEMONSETS: readonly SystemDaemonSet[] = [
  { name: 'kube-proxy-worker', image: 'registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/kube-proxy:v1.32.1-aliyun.1', cpu: '100m', memory: '100Mi' },
  { name: 'terway-eniip', image: 'registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/terway:v1.9.0', cpu: '100m', memory: '128Mi' },
  { name: 'logtail-ds', image: 'registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/logtail:v1.8.7.0-aliyun', cpu: '100m', memory: '256Mi' },
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
          containers: [{ name: d.name, image: d.image, resources: { requests: { cpu: d.cpu, memory: d.memory } } }],
        },
      },
    },
  };
}

/** Creates the system DaemonSets that are missing (a user's edits, kept with --state-dir, win). */
export async function installAckSystemDaemonSets(client: KubeClient): Promise<void> {
  for (const d of ACK_SYSTEM_DAEMONSETS) {
    try {
      await client.create(systemDaemonSet(d) as never);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}
