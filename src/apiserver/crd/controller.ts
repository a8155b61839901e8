/**
 * CustomResourceDefinitions, as apiextensions-apiserver does them in-process:
 * - admission of CRDs: defaults (singular, listKind, conversion), `validateCrd` (422);
 * - on every committed CRD change (synchronously, from the change bus) its served versions
 *   become resource types (discovery follows at once) and its OpenAPI v3 documents are
 *   published per group-version (CRDs of one group-version merged); names that clash with
 *   another CRD or a built-in type of the group are not accepted (NamesAccepted=False) and
 *   not served;
 * - status: `acceptedNames`, conditions `NamesAccepted`, `Established` (and `Terminating`),
 *   `storedVersions`;
 * - custom resources: pruning of unknown fields (`fieldValidation=Strict` refuses them with
 *   400), defaults, schema validation (422 with causes); with `conversion.strategy: Webhook`
 *   their types carry the webhook and storage version (conversion/ converts);
 * - deletion: the CRD gets the `customresourcecleanup.apiextensions.k8s.io` finalizer, all
 *   its custom resources are deleted (their own finalizers respected), then the types leave
 *   discovery and OpenAPI and the CRD goes.
 * Persisted CRDs are registered when the layer is installed, before the server serves.
 */
import { type KubeObject, newInvalid, newMethodNotSupported, rfc3339, StatusError } from '../../api/index.js';
import type { AdmissionPlugin } from '../admission/index.js';
import { gvrKey, type ResourceType } from '../resources/index.js';
import { applyDefaults, crdToOpenAPIv3, type CustomResourceDefinition, mergeOpenAPIDocs, prune, strictDecodingError, unknownFieldWarnings, validateCrd } from '../schema/index.js';
import { type Controller, isStatus, type SemanticsHost, updateWithRetry, queueController, WorkQueue } from '../semantics-kit.js';
import type { Change } from '../storage/index.js';
import { defaultConversion, validateConversion } from './conversion.js';
import { crdResourceTypes, defaultCrd, effectiveNames, versionSchema } from './types.js';

export const CRD_STORAGE_KEY = 'apiextensions.k8s.io/customresourcedefinitions';
export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';
export const APPROVAL_ANNOTATION = 'api-approved.kubernetes.io';
const APPROVAL_REQUIRED = `protected groups must have approval annotation "${APPROVAL_ANNOTATION}", see https://github.com/kubernetes/enhancements/pull/1111`;

/** Groups owned by the Kubernetes project: CRDs there need an API approval annotation. */
function isProtectedGroup(group: unknown): boolean {
  if (typeof group !== 'string') return false;
  return group === 'k8s.io' || group === 'kubernetes.io' || group.endsWith('.k8s.io') || group.endsWith('.kubernetes.io');
}

/** The KubeAPIApproved condition of a CRD in a protected group. */
function approvalCondition(crd: Crd): Condition | undefined {
  if (!isProtectedGroup(crd.spec?.group)) return undefined;
  const v = crd.metadata.annotations?.[APPROVAL_ANNOTATION];
  if (!v) return { type: 'KubeAPIApproved', status: 'False', reason: 'MissingAnnotation', message: APPROVAL_REQUIRED };
  if (v.startsWith('unapproved')) return { type: 'KubeAPIApproved', status: 'False', reason: 'UnapprovedAnnotation', message: `not approved: ${JSON.stringify(v)}` };
  return { type: 'KubeAPIApproved', status: 'True', reason: 'ApprovedAnnotation', message: `approved in ${v}` };
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

type Crd = CustomResourceDefinition & { status?: { conditions?: Condition[]; acceptedNames?: unknown; storedVersions?: string[] } };

interface Served {
  crd: Crd;
  /** gvr keys registered for it */
  gvrs: string[];
  /** group-versions with an OpenAPI document from it */
  gvs: string[];
}

export interface CrdController extends Controller {
  /** The CRD serving a custom resource type, if any. */
  crdFor(group: string, version: string, resource: string): CustomResourceDefinition | undefined;
}

/**
 * Custom resources do not take strategic merge patches: their PATCH operations must not
 * offer that content type, or kubectl apply sends one and gets 415.
 */
function withoutStrategicPatch<T extends { paths: Record<string, Record<string, unknown>> }>(doc: T): T {
  for (const item of Object.values(doc.paths)) {
    const content = (item.patch as { requestBody?: { content?: Record<string, unknown> } } | undefined)?.requestBody?.content;
    if (content) delete content['application/strategic-merge-patch+json'];
  }
  return doc;
}

function setCondition(conds: Condition[], c: Condition, now: string): Condition[] {
  const prev = conds.find((x) => x.type === c.type);
  const next = { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
  return [...conds.filter((x) => x.type !== c.type), next];
}

export function startCrdController(host: SemanticsHost): { controller: CrdController; admission: AdmissionPlugin[] } {
  const { registry, openapi, ops, store } = host;
  const crdType = registry.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  /** CRD name -> what is served for it. */
  const served = new Map<string, Served>();
  /** gvr key -> CRD name. */
  const byGvr = new Map<string, string>();
  /** CRD name -> names conflict message (when not accepted). */
  const conflicts = new Map<string, { reason: string; message: string }>();

  const publishOpenApi = (group: string, version: string): void => {
    const docs = [];
    for (const s of served.values()) {
      if (s.crd.spec.group !== group || !s.gvs.includes(`${group}/${version}`)) continue;
      try {
        docs.push(withoutStrategicPatch(crdToOpenAPIv3(s.crd, version)));
      } catch {
        // A document that cannot be built leaves the others served.
      }
    }
    if (docs.length) openapi.set(group, version, mergeOpenAPIDocs(docs));
    else openapi.remove(group, version);
  };

  const unserve = (name: string): void => {
    const s = served.get(name);
    if (!s) return;
    served.delete(name);
    for (const k of s.gvrs) {
      byGvr.delete(k);
      const [g, v, r] = k.split('/');
      registry.remove(g, v, r);
    }
    for (const gv of s.gvs) {
      const [g, v] = gv.split('/');
      publishOpenApi(g, v);
    }
  };

  /** The first name of `crd` already used by another CRD or a built-in type of the group. */
  const nameConflict = (crd: Crd): { reason: string; message: string } | undefined => {
    const mine = effectiveNames(crd);
    const group = crd.spec.group;
    for (const t of registry.all()) {
      if (t.group !== group || t.storageKey === `${group}/${mine.plural}`) continue;
      if (t.resource === mine.plural) return { reason: 'PluralConflict', message: `"${mine.plural}" is already in use` };
      if (t.singular === mine.singular) return { reason: 'SingularConflict', message: `"${mine.singular}" is already in use` };
      const short = mine.shortNames.find((n) => t.shortNames.includes(n));
      if (short) return { reason: 'ShortNamesConflict', message: `"${short}" is already in use` };
      if (t.kind === mine.kind) return { reason: 'KindConflict', message: `"${mine.kind}" is already in use` };
      if (t.listKind === mine.listKind) return { reason: 'ListKindConflict', message: `"${mine.listKind}" is already in use` };
    }
    return undefined;
  };

  /** Serves (or re-serves) a CRD as it is stored now. Synchronous: discovery changes at once. */
  const serve = (crd: Crd): void => {
    const name = crd.metadata.name!;
    const conflict = nameConflict(crd);
    if (conflict) {
      conflicts.set(name, conflict);
      if (!served.has(name)) return; // keeps serving the names accepted before, like upstream
      unserve(name);
      return;
    }
    conflicts.delete(name);
    const before = served.get(name);
    let types: ResourceType[];
    try {
      types = crdResourceTypes(crd);
    } catch (e) {
      // Validation keeps such CRDs out; one stored by an older version must not break the bus.
      conflicts.set(name, { reason: 'InstallationFailure', message: e instanceof Error ? e.message : String(e) });
      return;
    }
    const gvrs = types.map((t) => gvrKey(t.group, t.version, t.resource));
    for (const k of before?.gvrs ?? []) {
      if (gvrs.includes(k)) continue;
      byGvr.delete(k);
      const [g, v, r] = k.split('/');
      registry.remove(g, v, r);
    }
    for (const t of types) {
      registry.add(t);
      byGvr.set(gvrKey(t.group, t.version, t.resource), name);
    }
    const gvs = types.map((t) => `${t.group}/${t.version}`);
    served.set(name, { crd, gvrs, gvs });
    for (const gv of new Set([...gvs, ...(before?.gvs ?? [])])) {
      const [g, v] = gv.split('/');
      publishOpenApi(g, v);
    }
  };

  const crdOf = (t: ResourceType): Crd | undefined => {
    const n = byGvr.get(gvrKey(t.group, t.version, t.resource));
    return n ? served.get(n)?.crd : undefined;
  };

  // ---- status and cleanup ------------------------------------------------------------------

  const syncStatus = async (name: string): Promise<void> => {
    await updateWithRetry(ops, crdType, undefined, name, (o) => {
      const crd = o as Crd;
      const now = rfc3339();
      const status = { ...(crd.status ?? {}) };
      let conds = status.conditions ?? [];
      const conflict = conflicts.get(name);
      const accepted = !conflict && served.has(name);
      if (accepted) {
        const n = effectiveNames(crd);
        status.acceptedNames = { plural: n.plural, singular: n.singular, kind: n.kind, listKind: n.listKind, ...(n.shortNames.length ? { shortNames: n.shortNames } : {}), ...(n.categories.length ? { categories: n.categories } : {}) };
        conds = setCondition(conds, { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }, now);
        conds = setCondition(conds, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }, now);
      } else {
        status.acceptedNames ??= { plural: '', kind: '' };
        conds = setCondition(conds, { type: 'NamesAccepted', status: 'False', reason: conflict?.reason ?? 'NotAccepted', message: conflict?.message ?? 'not all names are accepted' }, now);
        if (!served.has(name)) conds = setCondition(conds, { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' }, now);
      }
      const approval = approvalCondition(crd);
      if (approval) conds = setCondition(conds, approval, now);
      const storage = crd.spec.versions?.find((v) => v.storage)?.name;
      const stored = status.storedVersions ?? [];
      if (storage && !stored.includes(storage)) status.storedVersions = [...stored, storage];
      status.conditions = conds;
      const same = JSON.stringify(status) === JSON.stringify(crd.status ?? {});
      if (same) return false;
      crd.status = status;
      return true;
    }, { subresource: 'status' });
  };

  const cleanup = async (name: string): Promise<void> => {
    const s = store.get(CRD_STORAGE_KEY, name);
    const crd = s?.obj as Crd | undefined;
    if (!crd?.metadata.deletionTimestamp || !crd.metadata.finalizers?.includes(CLEANUP_FINALIZER)) return;
    const storageKey = `${crd.spec.group}/${crd.spec.names.plural}`;
    const t = registry.all().find((x) => x.storageKey === storageKey && byGvr.get(gvrKey(x.group, x.version, x.resource)) === name);
    let remaining = 0;
    if (t) {
      for (const [, item] of [...store.scan(storageKey)]) {
        const o = item.obj;
        remaining++;
        if (o.metadata.deletionTimestamp) continue;
        try {
          const r = await ops.delete(t, t.namespaced ? o.metadata.namespace : undefined, o.metadata.name!, { preconditions: { uid: o.metadata.uid } });
          if (r.deleted) remaining--;
        } catch (e) {
          if (isStatus(e, 404)) remaining--;
          else if (!isStatus(e, 409)) throw e;
        }
      }
    }
    if (remaining) {
      await updateWithRetry(ops, crdType, undefined, name, (o) => {
        const c = o as Crd;
        const conds = setCondition(c.status?.conditions ?? [], { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }, rfc3339());
        if (JSON.stringify(conds) === JSON.stringify(c.status?.conditions ?? [])) return false;
        c.status = { ...(c.status ?? {}), conditions: conds };
        return true;
      }, { subresource: 'status' });
      return; // deletions of the remaining instances bring the CRD back here
    }
    unserve(name);
    await updateWithRetry(ops, crdType, undefined, name, (o) => {
      if (o.metadata.uid !== crd.metadata.uid || !o.metadata.finalizers?.includes(CLEANUP_FINALIZER)) return false;
      o.metadata.finalizers = o.metadata.finalizers.filter((f) => f !== CLEANUP_FINALIZER);
      return true;
    });
  };

  const queue = new WorkQueue(async (key) => {
    const name = key.slice(2);
    if (key.startsWith('s:')) {
      if (store.get(CRD_STORAGE_KEY, name)) await syncStatus(name);
    } else await cleanup(name);
  });

  /** CRD names being deleted, by the storage key of their instances. */
  const cleaning = new Map<string, string>();

  const onChange = (c: Change): void => {
    if (c.storageKey === CRD_STORAGE_KEY) {
      const name = c.key;
      if (c.type === 'DELETED') {
        unserve(name);
        conflicts.delete(name);
        for (const [k, v] of cleaning) if (v === name) cleaning.delete(k);
        // Another CRD may have waited for these names.
        for (const [other] of conflicts) {
          const s = store.get(CRD_STORAGE_KEY, other);
          if (s) {
            serve(s.obj as Crd);
            queue.add(`s:${other}`);
          }
        }
        return;
      }
      const crd = c.object as Crd;
      const specChanged = !c.old || JSON.stringify((c.old as Crd).spec) !== JSON.stringify(crd.spec);
      if (specChanged || !served.has(name)) serve(crd);
      if (crd.metadata.deletionTimestamp) {
        cleaning.set(`${crd.spec.group}/${crd.spec.names.plural}`, name);
        queue.add(`c:${name}`);
      } else queue.add(`s:${name}`);
      return;
    }
    const crdName = cleaning.get(c.storageKey);
    if (crdName && c.type === 'DELETED') queue.add(`c:${crdName}`);
    else if (crdName && c.type === 'MODIFIED') queue.add(`c:${crdName}`);
  };

  // Persisted CRDs are served before anything else happens; those whose names were accepted
  // before the restart go first, so a clash resolves the same way again.
  const persisted = [...store.scan(CRD_STORAGE_KEY)].map(([, s]) => s.obj as Crd);
  const accepted = (c: Crd) => (c.status?.conditions?.some((x) => x.type === 'NamesAccepted' && x.status === 'True') ? 0 : 1);
  persisted.sort((a, b) => accepted(a) - accepted(b));
  for (const crd of persisted) {
    serve(crd);
    if (crd.metadata.deletionTimestamp) {
      cleaning.set(`${crd.spec.group}/${crd.spec.names.plural}`, crd.metadata.name!);
      queue.add(`c:${crd.metadata.name}`);
    } else queue.add(`s:${crd.metadata.name}`);
  }
  const unsubscribe = host.onChange(onChange);

  const crdAdmission: AdmissionPlugin = {
    name: 'CustomResourceDefinitions',
    appliesTo: (t) => t.storageKey === CRD_STORAGE_KEY,
    admit(req) {
      if (req.type.storageKey !== CRD_STORAGE_KEY || req.subresource) return;
      const crd = req.object as Crd;
      if (req.operation === 'DELETE') {
        if (!crd.metadata.finalizers?.includes(CLEANUP_FINALIZER)) crd.metadata.finalizers = [...(crd.metadata.finalizers ?? []), CLEANUP_FINALIZER];
        crd.status = {
          ...(crd.status ?? {}),
          conditions: setCondition(crd.status?.conditions ?? [], {
            type: 'Terminating', status: 'True', reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
          }, rfc3339()),
        };
        return;
      }
      defaultCrd(crd);
      defaultConversion(crd);
    },
    validate(req) {
      if (req.type.storageKey !== CRD_STORAGE_KEY || req.subresource || req.operation === 'DELETE') return;
      const crd = req.object as Crd;
      const old = req.oldObject as Crd | undefined;
      const errs = [...validateCrd(crd), ...validateConversion(crd, old)];
      if (isProtectedGroup(crd.spec?.group) && !crd.metadata.annotations?.[APPROVAL_ANNOTATION] && (!old || old.metadata.annotations?.[APPROVAL_ANNOTATION])) {
        errs.push({ type: 'FieldValueRequired', field: `metadata.annotations[${APPROVAL_ANNOTATION}]`, message: APPROVAL_REQUIRED });
      }
      if (!errs.length && old?.spec && crd.spec.scope !== old.spec.scope) {
        errs.push({ type: 'FieldValueInvalid', field: 'spec.scope', message: `${JSON.stringify(crd.spec.scope)}: field is immutable` });
      }
      if (errs.length) throw newInvalid('apiextensions.k8s.io', 'CustomResourceDefinition', req.name, errs);
    },
  };

  const customResourceAdmission: AdmissionPlugin = {
    name: 'CustomResourceSchema',
    appliesTo: (t) => !!t.custom,
    admit(req) {
      if (!req.type.custom || req.operation === 'DELETE' || req.subresource === 'scale') return;
      const crd = crdOf(req.type);
      if (!crd) return;
      if (req.operation === 'CREATE') {
        const terminating = store.get(CRD_STORAGE_KEY, crd.metadata.name!)?.obj.metadata.deletionTimestamp;
        if (terminating) {
          const e = newMethodNotSupported({ group: req.type.group, resource: req.type.resource }, 'create');
          throw new StatusError({ ...e.status, message: 'create not allowed while custom resource definition is terminating' });
        }
      }
      const schema = versionSchema(crd, req.type.version);
      const { object, pruned } = prune(schema, req.object);
      if (pruned.length && req.fieldValidation === 'Strict') {
        throw strictDecodingError({ group: req.type.group, version: req.type.version, kind: req.type.kind }, pruned);
      }
      if (pruned.length && req.fieldValidation !== 'Ignore') for (const w of unknownFieldWarnings(pruned)) req.warn?.(w);
      req.object = applyDefaults(schema, object as KubeObject);
    },
  };

  return {
    controller: {
      crdFor: (g, v, r) => {
        const n = byGvr.get(gvrKey(g, v, r));
        return n ? served.get(n)?.crd : undefined;
      },
      ...queueController(queue, unsubscribe),
    },
    admission: [crdAdmission, customResourceAdmission],
  };
}
