/**
 * Local APIServices, as kube-apiserver's autoregister controller keeps them: one per served
 * group-version (`v1.` for the core group, `v1.apps`...), without `spec.service`.
 * - Built-in group-versions are synced once at start (label
 *   `kube-aggregator.kubernetes.io/automanaged: onstart`), with upstream's priorities
 *   (`DefaultKubeAPIServicePriorities`); a built-in without an entry there gets none, as upstream.
 * - CustomResourceDefinition group-versions are synced continuously (label value `true`,
 *   priorities 1000/100 as the crdregistration controller): created when a CRD serves them,
 *   deleted when none does.
 */
import type { ResourceType } from '../resources/index.js';
import { type Controller, isStatus, type SemanticsHost, queueController, WorkQueue } from '../semantics-kit.js';
import type { ApiService } from './apiservice.js';
import { APISERVICES } from './apiservice.js';

export const AUTOMANAGED_LABEL = 'kube-aggregator.kubernetes.io/automanaged';
const CRD_STORAGE_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

/** groupPriorityMinimum / versionPriority of the built-in group-versions this server serves. */
const PRIORITIES: Record<string, [number, number]> = {
  'v1': [18000, 1],
  'apps/v1': [17800, 15],
  'events.k8s.io/v1': [17750, 15],
  'autoscaling/v2': [17500, 30],
  'autoscaling/v1': [17500, 15],
  'batch/v1': [17400, 15],
  'networking.k8s.io/v1': [17200, 15],
  'policy/v1': [17100, 15],
  'rbac.authorization.k8s.io/v1': [17000, 15],
  'storage.k8s.io/v1': [16800, 15],
  'apiextensions.k8s.io/v1': [16700, 15],
  'scheduling.k8s.io/v1': [16600, 15],
  'coordination.k8s.io/v1': [16500, 15],
  'node.k8s.io/v1': [16300, 15],
  'discovery.k8s.io/v1': [16200, 15],
  'apiregistration.k8s.io/v1': [18000, 15],
};

function desired(group: string, version: string, builtin: boolean): ApiService | undefined {
  const prio = builtin ? PRIORITIES[group ? `${group}/${version}` : version] : [1000, 100];
  if (!prio) return undefined;
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: `${version}.${group}`, labels: { [AUTOMANAGED_LABEL]: builtin ? 'onstart' : 'true' } },
    spec: { group, version, groupPriorityMinimum: prio[0], versionPriority: prio[1] },
  };
}

function sameSpec(a: ApiService, b: ApiService): boolean {
  return !a.spec.service && a.spec.group === b.spec.group && a.spec.version === b.spec.version
    && a.spec.groupPriorityMinimum === b.spec.groupPriorityMinimum && a.spec.versionPriority === b.spec.versionPriority
    && a.metadata.labels?.[AUTOMANAGED_LABEL] === b.metadata.labels?.[AUTOMANAGED_LABEL];
}

export function startLocalRegistration(host: SemanticsHost, t: ResourceType): Controller & { syncOnStart(): Promise<void> } {
  const { store, ops, registry } = host;

  const ensure = async (want: ApiService): Promise<void> => {
    const name = want.metadata.name!;
    const cur = store.get(APISERVICES, name)?.obj as ApiService | undefined;
    if (!cur) {
      try {
        await ops.create(t, undefined, want);
      } catch (e) {
        if (!isStatus(e, 409)) throw e;
      }
      return;
    }
    if (sameSpec(cur, want)) return;
    // A remote APIService registered by someone else for this group-version wins.
    if (cur.spec.service && cur.metadata.labels?.[AUTOMANAGED_LABEL] === undefined) return;
    const next = { ...JSON.parse(JSON.stringify(cur)), spec: want.spec } as ApiService;
    next.metadata.labels = { ...(next.metadata.labels ?? {}), ...want.metadata.labels };
    await ops.update(t, undefined, name, next);
  };

  const groupVersions = (builtin: boolean): ApiService[] => {
    const out: ApiService[] = [];
    for (const [g, vs] of registry.groups()) {
      for (const v of vs) {
        const types = registry.inGroupVersion(g, v);
        if (types.length && types.every((x) => x.builtin) === builtin) {
          const d = desired(g, v, builtin);
          if (d) out.push(d);
        }
      }
    }
    return out;
  };

  /** CRD group-versions: create the served ones, delete the managed ones no CRD serves. */
  const syncCustom = async (): Promise<void> => {
    const want = groupVersions(false);
    const names = new Set(want.map((a) => a.metadata.name!));
    for (const a of want) await ensure(a);
    for (const [, s] of [...store.scan(APISERVICES)]) {
      const a = s.obj as ApiService;
      if (a.metadata.labels?.[AUTOMANAGED_LABEL] === 'true' && !names.has(a.metadata.name!)) {
        try {
          await ops.delete(t, undefined, a.metadata.name!);
        } catch (e) {
          if (!isStatus(e, 404)) throw e;
        }
      }
    }
  };

  const queue = new WorkQueue(() => syncCustom());
  // The CRD controller registers and removes types synchronously on CRD changes.
  const unsubscribe = host.onChange((c) => {
    if (c.storageKey === CRD_STORAGE_KEY) queue.add('crds');
  }, [CRD_STORAGE_KEY]);
  return {
    async syncOnStart() {
      for (const a of groupVersions(true)) await ensure(a);
      queue.add('crds');
    },
    ...queueController(queue, unsubscribe),
  };
}
