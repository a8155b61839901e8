/**
 * The root CA publisher of kube-controller-manager
 * (pkg/controller/certificates/rootcacertpublisher/publisher.go, v1.32): every namespace has a
 * ConfigMap `kube-root-ca.crt` with `data: {ca.crt: <the cluster CA PEM>}` and the
 * `kubernetes.io/description` annotation below; it is created with the namespace, re-created
 * when deleted, and its data (and annotation) put back when changed. The projected token
 * volume (tokenvolume.ts) reads `ca.crt` from it.
 */
import type { KubeObject } from '../../api/index.js';
import { type Controller, isStatus, type SemanticsHost, WorkQueue } from '../semantics-kit.js';
import type { Change } from '../storage/index.js';
import { ROOT_CA_CONFIGMAP } from './tokenvolume.js';

const NAMESPACES = '/namespaces';
const CONFIGMAPS = '/configmaps';
const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. '
  + 'No other usage is guaranteed across distributions of Kubernetes clusters.';

type ConfigMap = KubeObject & { data?: Record<string, string> };

/** Keeps `kube-root-ca.crt` (with `caPem`) in every active namespace. */
export function startRootCaPublisher(host: SemanticsHost, caPem: string): Controller {
  const { store, registry, ops } = host;
  const t = registry.get('', 'v1', 'configmaps')!;
  const sync = async (ns: string): Promise<void> => {
    const n = store.get(NAMESPACES, ns);
    if (!n || n.obj.metadata.deletionTimestamp) return;
    const cm = store.get(CONFIGMAPS, `${ns}/${ROOT_CA_CONFIGMAP}`)?.obj as ConfigMap | undefined;
    try {
      if (!cm) {
        await ops.create(t, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data: { 'ca.crt': caPem } });
        return;
      }
      const data = cm.data ?? {};
      if (Object.keys(data).length === 1 && data['ca.crt'] === caPem && cm.metadata.annotations?.[DESCRIPTION_ANNOTATION]) return;
      const next = structuredClone(cm);
      next.data = { 'ca.crt': caPem };
      next.metadata.annotations = { ...next.metadata.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION };
      await ops.update(t, ns, ROOT_CA_CONFIGMAP, next);
    } catch (e) {
      // Created or changed meanwhile (the change requeues), or the namespace is terminating / gone.
      if (isStatus(e, 409) || isStatus(e, 403) || isStatus(e, 404)) return;
      throw e;
    }
  };
  const queue = new WorkQueue(sync);
  const onChange = (c: Change): void => {
    if (c.storageKey === NAMESPACES && c.type === 'ADDED') queue.add(c.object.metadata.name!);
    else if (c.storageKey === CONFIGMAPS && c.type !== 'ADDED' && c.object.metadata.name === ROOT_CA_CONFIGMAP) queue.add(c.object.metadata.namespace!);
  };
  const unsubscribe = host.onChange(onChange);
  for (const [, s] of store.scan(NAMESPACES)) queue.add(s.obj.metadata.name!);
  return {
    idle: () => queue.idle(),
    busy: () => queue.busy(),
    stop() {
      unsubscribe();
      queue.stop();
    },
  };
}
