/**
 * The shape of kube-controller-manager's per-namespace controllers (the ServiceAccount
 * controller's `default` account, the root CA publisher's `kube-root-ca.crt`): one object kept
 * in every active namespace, synced for each namespace at start, when a namespace is added, and
 * when a change to the object itself names its namespace.
 */
import { type Controller, isStatus, type SemanticsHost, queueController, WorkQueue } from '../semantics-kit.js';
import type { Change } from '../storage/index.js';

const NAMESPACES = '/namespaces';

/**
 * Runs `sync(namespace)` as described above, through a work queue (one namespace at a time, no
 * duplicates). A namespace that is gone or terminating is skipped; a write refused with 409
 * (made meanwhile), 403 (the namespace started terminating) or 404 (it went away) ends the sync
 * quietly. `affects(change)` names the namespace a change of the kept object concerns, if any;
 * it is asked only about changes of `keptStorageKey`, the kept object's type.
 */
export function startPerNamespace(host: SemanticsHost, sync: (namespace: string) => Promise<void>, keptStorageKey: string, affects: (c: Change) => string | undefined): Controller {
  const { store } = host;
  const queue = new WorkQueue(async (ns: string) => {
    const n = store.get(NAMESPACES, ns);
    if (!n || n.obj.metadata.deletionTimestamp) return;
    try {
      await sync(ns);
    } catch (e) {
      if (isStatus(e, 409) || isStatus(e, 403) || isStatus(e, 404)) return;
      throw e;
    }
  });
  const unsubscribe = host.onChange((c: Change) => {
    const ns = c.storageKey === NAMESPACES ? (c.type === 'ADDED' ? c.object.metadata.name : undefined) : affects(c);
    if (ns) queue.add(ns);
  }, [NAMESPACES, keptStorageKey]);
  for (const [, s] of store.scan(NAMESPACES)) queue.add(s.obj.metadata.name!);
  return queueController(queue, unsubscribe);
}
