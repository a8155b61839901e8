/**
 * Namespace lifecycle, as kube-apiserver's NamespaceLifecycle admission, the namespace
 * registry strategy and kube-controller-manager's namespace controller do it:
 * - new namespaces get `spec.finalizers: [kubernetes]` and the `kubernetes.io/metadata.name`
 *   label; `spec.finalizers` changes only through the `/finalize` subresource (PUT);
 * - `default`, `kube-system`, `kube-public` and `kube-node-lease` cannot be deleted (403);
 * - deleting a namespace marks it (`deletionTimestamp`, `status.phase: Terminating`); nothing
 *   new may be created in it (403, cause `NamespaceTerminating`); the controller deletes all
 *   its content (every namespaced type, custom resources included), waits for the content's
 *   own finalizers, reports progress in `status.conditions`, then removes the `kubernetes`
 *   finalizer and the namespace disappears.
 * The controller starts on a namespace `gracePeriodMs` after it turned Terminating (upstream's
 * `namespaceDeletionGracePeriod`, 5 s): meanwhile clients may still delete its content
 * themselves (`kubectl delete -f` of a namespace and its objects). A group-version whose
 * discovery fails (an unavailable aggregated API) blocks the finalization as upstream: its
 * content cannot be listed, so the `kubernetes` finalizer stays, the condition
 * `NamespaceDeletionDiscoveryFailure` names it, and the namespace is retried with backoff.
 * The content of available aggregated APIs is deleted through them (`host.deleteAggregatedContent`).
 */
import { type KubeObject, newBadRequest, newConflict, newForbidden, rfc3339 } from '../../api/index.js';
import type { AdmissionPlugin } from '../admission/index.js';
import type { SubresourceHandler } from '../handlers/rest.js';
import type { ResourceType } from '../resources/index.js';
import { CONTROLLER_MANAGER_AGENT, type Controller, isStatus, type SemanticsHost, storageTypes, updateWithRetry, queueController, WorkQueue } from '../semantics-kit.js';
import type { Change } from '../storage/index.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
export const KUBERNETES_FINALIZER = 'kubernetes';
export const NAME_LABEL = 'kubernetes.io/metadata.name';
const NAMESPACES = '/namespaces';

type Ns = KubeObject & { spec?: { finalizers?: string[] }; status?: { phase?: string; conditions?: Condition[] } };

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

function terminatingError(resource: { group: string; resource: string }, name: string, namespace: string) {
  const why = `unable to create new content in namespace ${namespace} because it is being terminated`;
  const e = newForbidden(resource, name, why);
  e.status.details = { ...(e.status.details ?? {}), causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] };
  return e;
}

export function namespaceAdmission(host: SemanticsHost): AdmissionPlugin {
  return {
    name: 'NamespaceLifecycle',
    admit(req) {
      const t = req.type;
      if (t.storageKey === NAMESPACES) {
        const o = req.object as Ns;
        if (req.operation === 'CREATE') {
          o.spec ??= {};
          const fins = o.spec.finalizers ?? [];
          if (!fins.includes(KUBERNETES_FINALIZER)) o.spec.finalizers = [...fins, KUBERNETES_FINALIZER];
        } else if (req.operation === 'UPDATE' && req.subresource !== 'finalize' && req.subresource !== 'status') {
          // spec.finalizers belongs to the /finalize subresource.
          const old = req.oldObject as Ns;
          o.spec ??= {};
          if (old.spec?.finalizers) o.spec.finalizers = [...old.spec.finalizers];
          else delete o.spec.finalizers;
        } else if (req.operation === 'DELETE') {
          if (SYSTEM_NAMESPACES.includes(req.name)) throw newForbidden({ group: '', resource: 'namespaces' }, req.name, 'this namespace may not be deleted');
          const old = req.oldObject as Ns | undefined;
          if (old?.metadata.deletionTimestamp && old.spec?.finalizers?.length) {
            throw newConflict({ group: '', resource: 'namespaces' }, req.name,
              'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.');
          }
          o.status = { ...(o.status ?? {}), phase: 'Terminating' };
        }
        // Without a name yet (generateName), the strategy's canonicalize sets the label.
        if (req.operation !== 'DELETE' && o.metadata.name) {
          o.metadata.labels = { ...(o.metadata.labels ?? {}), [NAME_LABEL]: o.metadata.name };
        }
        return;
      }
      if (req.operation === 'CREATE' && t.namespaced && req.namespace) {
        const ns = host.store.get(NAMESPACES, req.namespace);
        if (ns?.obj.metadata.deletionTimestamp) throw terminatingError({ group: t.group, resource: t.resource }, req.name, req.namespace);
      }
    },
  };
}

/** PUT `/api/v1/namespaces/{name}/finalize`: replaces `spec.finalizers` (only). */
export const finalizeNamespace: SubresourceHandler = async (ops, t, _ns, name, body, opts) => {
  const wanted = (body as Ns).spec?.finalizers;
  if (wanted !== undefined && (!Array.isArray(wanted) || wanted.some((f) => typeof f !== 'string'))) throw newBadRequest('spec.finalizers must be a list of strings');
  const current = ops.get(t, undefined, name).obj as Ns;
  const next = JSON.parse(JSON.stringify(current)) as Ns;
  next.spec = { ...(next.spec ?? {}) };
  if (wanted?.length) next.spec.finalizers = [...wanted];
  else delete next.spec.finalizers;
  const rv = body.metadata?.resourceVersion;
  next.metadata.resourceVersion = rv || current.metadata.resourceVersion;
  const r = await ops.update(t, undefined, name, next, { dryRun: opts.dryRun, fieldManager: opts.fieldManager, userAgent: opts.userAgent, subresource: 'finalize' });
  return r.object;
};

/** Prepares the Namespace type: keep-on-delete while spec.finalizers remain, `/finalize`. */
export function setupNamespaceType(host: SemanticsHost): ResourceType {
  const t = host.registry.get('', 'v1', 'namespaces')!;
  t.strategy = {
    ...(t.strategy ?? {}),
    keepOnDelete: (o) => ((o as Ns).spec?.finalizers?.length ?? 0) > 0,
    // A name generated after mutating admission gets its label here.
    canonicalize: (o) => void (o.metadata.labels = { ...(o.metadata.labels ?? {}), [NAME_LABEL]: o.metadata.name! }),
  };
  if (!t.subresources.some((s) => s.name === 'finalize')) {
    t.subresources = [...t.subresources, { name: 'finalize', group: '', version: 'v1', kind: 'Namespace', verbs: ['update'] }];
  }
  host.registry.add(t);
  host.ops.subresourceHandlers.set('/namespaces/finalize', finalizeNamespace);
  return t;
}

function gr(t: ResourceType): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

export interface NamespaceControllerOptions {
  /** Delay between a namespace turning Terminating and its content deletion (default 5000 ms, as upstream). */
  gracePeriodMs?: number;
}

/** `ErrGroupDiscoveryFailed.Error()` wrapped as `ProcessDiscoverResourcesErr` words it. */
function discoveryFailureMessage(failed: Map<string, string>): string {
  const groups = [...failed].map(([gv, err]) => `${gv}: ${err}`).sort();
  return `Discovery failed for some groups, ${failed.size} failing: unable to retrieve the complete list of server APIs: ${groups.join(', ')}`;
}

/** The namespace controller: deletes the content of terminating namespaces, then finalizes them. */
export function startNamespaceController(host: SemanticsHost, nsType: ResourceType, opts: NamespaceControllerOptions = {}): Controller {
  const { store, registry, ops } = host;
  const terminating = new Set<string>();
  /** Namespaces in their grace period: the timer that queues them. */
  const waiting = new Map<string, NodeJS.Timeout>();
  const gracePeriodMs = opts.gracePeriodMs ?? 5000;

  const setConditions = async (name: string, conds: Condition[]): Promise<void> => {
    await updateWithRetry(ops, nsType, undefined, name, (o) => {
      const ns = o as Ns;
      const before = ns.status?.conditions ?? [];
      const now = rfc3339();
      const next = conds.map((c) => {
        const prev = before.find((p) => p.type === c.type);
        return { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
      });
      const same = before.length === next.length && next.every((c) => {
        const p = before.find((x) => x.type === c.type);
        return p && p.status === c.status && p.reason === c.reason && p.message === c.message;
      });
      if (same) return false;
      ns.status = { ...(ns.status ?? {}), phase: 'Terminating', conditions: next };
      return true;
    }, { subresource: 'status', userAgent: CONTROLLER_MANAGER_AGENT });
  };

  const process = async (name: string): Promise<void> => {
    const s = store.get(NAMESPACES, name);
    if (!s?.obj.metadata.deletionTimestamp) {
      terminating.delete(name);
      return;
    }
    const uid = s.obj.metadata.uid;
    const remaining = new Map<string, number>();
    const finalizers = new Map<string, number>();
    const failures: string[] = [];
    for (const t of storageTypes(registry)) {
      if (!t.namespaced) continue;
      for (const [, item] of [...store.scan(t.storageKey, `${name}/`)]) {
        const o = item.obj;
        if (!o.metadata.deletionTimestamp && t.verbs.includes('delete')) {
          try {
            const r = await ops.delete(t, name, o.metadata.name!, { propagationPolicy: 'Background', preconditions: { uid: o.metadata.uid } });
            if (r.deleted) continue;
          } catch (e) {
            if (isStatus(e, 404)) continue;
            // Refused deletions (admission...) are reported in the conditions and retried.
            if (!isStatus(e, 409)) failures.push(`${gr(t)} "${o.metadata.name}": ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        const now = store.get(t.storageKey, `${name}/${o.metadata.name}`)?.obj;
        if (!now) continue;
        remaining.set(gr(t), (remaining.get(gr(t)) ?? 0) + 1);
        for (const f of now.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
      }
    }
    // Content of available aggregated APIs: deleted through their servers; no change event
    // tells when what remains there goes, so remaining remote content is retried with backoff.
    const remote = await host.deleteAggregatedContent?.(name);
    for (const [r, n] of remote?.remaining ?? []) remaining.set(r, (remaining.get(r) ?? 0) + n);
    for (const [f, n] of remote?.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + n);
    failures.push(...(remote?.failures ?? []));
    const discoveryFailed = host.discoveryFailures?.() ?? new Map<string, string>();
    const base: Condition[] = [
      discoveryFailed.size
        ? { type: 'NamespaceDeletionDiscoveryFailure', status: 'True', reason: 'DiscoveryFailed', message: discoveryFailureMessage(discoveryFailed) }
        : { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
      { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
      failures.length
        ? { type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${failures.length} remaining: ${failures.join(', ')}` }
        : { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
    ];
    if (remaining.size) {
      const res = [...remaining].sort(([a], [b]) => a.localeCompare(b)).map(([r, n]) => `${r} has ${n} resource instances`).join(', ');
      const fin = [...finalizers].sort(([a], [b]) => a.localeCompare(b)).map(([f, n]) => `${f} in ${n} resource instances`).join(', ');
      await setConditions(name, [
        ...base,
        { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${res}` },
        finalizers.size
          ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${fin}` }
          : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
      ]);
      if (failures.length || discoveryFailed.size || remote?.remaining.size) throw new Error(`namespace ${name}: ${[...failures, ...discoveryFailed.values()].join(', ')}`); // retried with backoff
      return; // changes of the remaining content bring the namespace back here
    }
    await setConditions(name, [
      ...base,
      { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
      { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
    ]);
    // Content of an undiscoverable group-version (or one whose deletion failed) may remain: never finalize past it.
    if (discoveryFailed.size || failures.length) throw new Error(`namespace ${name}: ${[...failures, ...discoveryFailed.values()].join(', ')}`);
    const current = store.get(NAMESPACES, name)?.obj as Ns | undefined;
    if (!current || current.metadata.uid !== uid || !current.spec?.finalizers?.includes(KUBERNETES_FINALIZER)) return;
    const body = JSON.parse(JSON.stringify(current)) as Ns;
    body.spec!.finalizers = current.spec.finalizers.filter((f) => f !== KUBERNETES_FINALIZER);
    try {
      await finalizeNamespace(ops, nsType, undefined, name, body, {});
    } catch (e) {
      if (isStatus(e, 404)) return;
      if (isStatus(e, 409)) return queue.add(name);
      throw e;
    }
  };

  const queue = new WorkQueue(process);
  /** A namespace that just turned Terminating is processed once its grace period is over. */
  const startTerminating = (name: string): void => {
    terminating.add(name);
    if (gracePeriodMs <= 0) return queue.add(name);
    const timer = setTimeout(() => {
      waiting.delete(name);
      queue.add(name);
    }, gracePeriodMs);
    timer.unref();
    waiting.set(name, timer);
  };
  const onChange = (c: Change): void => {
    if (c.storageKey === NAMESPACES) {
      const name = c.object.metadata.name!;
      if (c.type !== 'DELETED' && c.object.metadata.deletionTimestamp) {
        if (!terminating.has(name)) startTerminating(name);
        // The namespace's own status writes do not need another pass.
        else if (!waiting.has(name) && (!c.old || JSON.stringify(c.old.spec) !== JSON.stringify(c.object.spec))) queue.add(name);
      } else if (c.type === 'DELETED') {
        terminating.delete(name);
        clearTimeout(waiting.get(name));
        waiting.delete(name);
      }
      return;
    }
    const ns = c.object.metadata.namespace;
    if (ns && terminating.has(ns) && !waiting.has(ns)) queue.add(ns);
  };
  const unsubscribe = host.onChange(onChange);
  for (const [, s] of store.scan(NAMESPACES)) {
    if (s.obj.metadata.deletionTimestamp) startTerminating(s.obj.metadata.name!);
  }
  return queueController(queue, () => {
    unsubscribe();
    for (const t of waiting.values()) clearTimeout(t);
    waiting.clear();
  });
}
