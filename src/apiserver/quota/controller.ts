/**
 * kube-controller-manager's resource quota controller (pkg/controller/resourcequota,
 * resource_quota_controller.go syncResourceQuota and staging/.../quota/v1/resources.go
 * CalculateUsage, v1.32), in process like the other kube-controller-manager controllers the
 * built-in server runs (ServiceAccounts, the root CA publisher): a quota limits nothing until
 * this controller has copied its `spec.hard` into `status.hard`.
 * A quota is synced when it is created, when its `spec.hard` differs from `status.hard` or its
 * `status.used` lacks a resource (the controller's "missing usage" queue), when an object it
 * counts goes away or changes its usage (the replenishment controller: deletions, pods turning
 * terminal, services and claims changing), and every `resyncMs` (upstream's
 * `--resource-quota-sync-period`, 5 min). A sync sets `status.hard` to `spec.hard` and
 * `status.used` to the usage of every hard resource an evaluator tracks (evaluators.ts: the
 * namespace's objects that match the quota's scopes, zero when none), keeping past
 * observations of resources nothing tracks, and writes the status only when it changed.
 */
import type { ResourceType } from '../resources/index.js';
import { CONTROLLER_MANAGER_AGENT, type Controller, isStatus, type SemanticsHost, storageTypes, typeForStorageKey, queueController, WorkQueue } from '../semantics-kit.js';
import type { Change } from '../storage/index.js';
import { type Evaluator, evaluatorFor, type ScopeRequirement, scopeSelectors } from './evaluators.js';
import { addLists, equalLists, mask, type Usage, usageOf, ZERO } from './resourcelist.js';
import { type QuotaIndex, RESOURCE_QUOTAS, type ResourceQuota, sortedList } from './shared.js';

type Quota = ResourceQuota;

export interface QuotaControllerOptions {
  /** Full resync period (default 5 minutes, as `--resource-quota-sync-period`). */
  resyncMs?: number;
}

/** Whether a quota needs a sync before its usage can be trusted. */
function needsSync(q: Quota): boolean {
  const hard = q.spec?.hard ?? {};
  const status = q.status;
  if (!status?.hard || !status.used) return true;
  if (!equalLists(usageOf(hard), usageOf(status.hard))) return true;
  return Object.keys(hard).some((k) => !(k in status.used!));
}

export function startQuotaController(host: SemanticsHost, index: QuotaIndex, opts: QuotaControllerOptions = {}): Controller {
  const { store, registry, ops } = host;

  /** The evaluators with the types they list, for the hard resources of a quota. */
  const evaluators = (): [Evaluator, ResourceType][] => {
    const out: [Evaluator, ResourceType][] = [];
    for (const t of storageTypes(registry)) {
      if (!t.namespaced) continue;
      const e = evaluatorFor(t);
      if (e) out.push([e, t]);
    }
    return out;
  };

  /** CalculateUsage: per evaluator tracking some hard resource, the sum over matching objects (zero when none). */
  const calculateUsage = (namespace: string, hardNames: string[], selectors: ScopeRequirement[]): Usage => {
    let usage: Usage = new Map();
    for (const [e, t] of evaluators()) {
      const resources = e.matchingResources(hardNames);
      if (!resources.length) continue;
      let stats: Usage = new Map(resources.map((r) => [r, ZERO]));
      for (const [, s] of store.scan(t.storageKey, `${namespace}/`)) {
        if (selectors.every((sel) => e.matchesScope(sel, s.obj))) stats = addLists(stats, e.usage(s.obj));
      }
      usage = addLists(usage, mask(stats, resources));
    }
    return usage;
  };

  const sync = async (key: string): Promise<void> => {
    const stored = store.get(RESOURCE_QUOTAS, key);
    if (!stored) return;
    const quota = stored.obj as Quota;
    const ns = quota.metadata.namespace!;
    const hard = usageOf(quota.spec?.hard);
    const hardNames = [...hard.keys()];
    const newUsage = calculateUsage(ns, hardNames, scopeSelectors(quota));
    // past observations kept, new ones over them, only resources with a hard limit
    const used = mask(new Map([...usageOf(quota.status?.used), ...newUsage]), hardNames);
    const dirty = needsSync(quota) || !equalLists(used, usageOf(quota.status?.used));
    if (!dirty) return;
    const t = registry.get('', 'v1', 'resourcequotas')!;
    const next = structuredClone(quota);
    next.status = { hard: sortedList(hard), used: sortedList(used) };
    try {
      await ops.update(t, ns, quota.metadata.name!, next, { subresource: 'status', userAgent: CONTROLLER_MANAGER_AGENT });
    } catch (e) {
      if (isStatus(e, 404)) return;
      if (isStatus(e, 409)) {
        queue.add(key);
        return;
      }
      throw e;
    }
  };

  const queue = new WorkQueue(sync);
  const enqueueNamespace = (ns: string) => {
    for (const [k] of store.scan(RESOURCE_QUOTAS, `${ns}/`)) queue.add(k);
  };
  const unsubscribe = host.onChange((c: Change) => {
    if (c.storageKey === RESOURCE_QUOTAS) {
      if (c.type !== 'DELETED' && needsSync(c.object as Quota)) queue.add(c.key);
      return;
    }
    // the namespace from the key (`ns/name`): a change elsewhere costs no parse
    if (c.type === 'ADDED') return;
    const slash = c.key.indexOf('/');
    if (slash < 0) return;
    const ns = c.key.slice(0, slash);
    if (!index.has(ns)) return;
    const t = typeForStorageKey(registry, c.storageKey);
    const e = t && evaluatorFor(t);
    if (!e) return;
    // replenishment: an object gone, or an update that changes usage (a pod turning terminal,
    // a service's type, a claim's size)
    if (c.type === 'DELETED' || (c.old && !equalLists(e.usage(c.old), e.usage(c.object)))) enqueueNamespace(ns);
  });
  for (const [k, s] of store.scan(RESOURCE_QUOTAS)) if (needsSync(s.obj as Quota)) queue.add(k);
  const resync = setInterval(() => {
    for (const ns of index.namespaces()) enqueueNamespace(ns);
  }, opts.resyncMs ?? 5 * 60_000);
  resync.unref();
  return queueController(queue, () => {
    clearInterval(resync);
    unsubscribe();
  });
}

