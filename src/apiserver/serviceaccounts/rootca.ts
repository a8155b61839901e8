/**
 * The root CA publisher of kube-controller-manager
 * (pkg/controller/certificates/rootcacertpublisher/publisher.go, v1.32): every namespace has a
 * ConfigMap `kube-root-ca.crt` with `data: {ca.crt: <the cluster CA PEM>}` and the
 * `kubernetes.io/description` annotation below; it is created with the namespace, re-created
 * when deleted, and its data (and annotation) put back when changed. The projected token
 * volume (tokenvolume.ts) reads `ca.crt` from it.
 */
import type { KubeObject } from '../../api/index.js';
import { CONTROLLER_MANAGER_AGENT, type Controller, type SemanticsHost } from '../semantics-kit.js';
import { startPerNamespace } from './per-namespace.js';
import { ROOT_CA_CONFIGMAP } from './tokenvolume.js';

const CONFIGMAPS = '/configmaps';
const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. '
  + 'No other usage is guaranteed across distributions of Kubernetes clusters.';

type ConfigMap = KubeObject & { data?: Record<string, string> };

/**
 * Keeps `kube-root-ca.crt` (with `caPem`) in every active namespace; a write refused because the
 * map was created or changed meanwhile is retried by the change's own sync.
 */
export function startRootCaPublisher(host: SemanticsHost, caPem: string): Controller {
  const { store, registry, ops } = host;
  const t = registry.get('', 'v1', 'configmaps')!;
  return startPerNamespace(host, async (ns) => {
    const cm = store.get(CONFIGMAPS, `${ns}/${ROOT_CA_CONFIGMAP}`)?.obj as ConfigMap | undefined;
    if (!cm) {
      await ops.create(t, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data: { 'ca.crt': caPem } }, { userAgent: CONTROLLER_MANAGER_AGENT });
      return;
    }
    const data = cm.data ?? {};
    if (Object.keys(data).length === 1 && data['ca.crt'] === caPem && cm.metadata.annotations?.[DESCRIPTION_ANNOTATION]) return;
    const next = structuredClone(cm);
    next.data = { 'ca.crt': caPem };
    next.metadata.annotations = { ...next.metadata.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION };
    await ops.update(t, ns, ROOT_CA_CONFIGMAP, next, { userAgent: CONTROLLER_MANAGER_AGENT });
  }, CONFIGMAPS, (c) => (c.storageKey === CONFIGMAPS && c.type !== 'ADDED' && c.object.metadata.name === ROOT_CA_CONFIGMAP ? c.object.metadata.namespace : undefined));
}
