/**
 * The garbage collector (kube-controller-manager's, in-process): deletes objects whose
 * owners (by `ownerReferences[].uid`) are all gone, and runs the two deletion modes that
 * wait for dependents:
 * - Foreground (finalizer `foregroundDeletion`): the owner stays (deletionTimestamp set)
 *   while its dependents are deleted; dependents whose reference has
 *   `blockOwnerDeletion: true` hold the owner until they are gone.
 * - Orphan (finalizer `orphan`): the references to the owner are removed from its
 *   dependents, then the owner goes.
 * Background (the default) deletes the owner at once; its dependents follow here.
 *
 * An index from owner uid to dependents is kept from the change bus, so work is
 * proportional to the objects involved. The index from uid to object is built on its first
 * use (the first object with owner references, or a deletion waiting for dependents) from the
 * store and kept from then on: a server whose objects name no owners (a plain API server
 * taking creates) keeps no entry per object. Listeners run synchronously on every committed
 * change, so the index built from the store at any moment is the one kept from the start. A reference is valid only when an object with that
 * uid, name, kind and group exists in a compatible scope: a namespaced dependent may be
 * owned by objects of its own namespace or cluster-scoped ones; a cluster-scoped dependent
 * only by cluster-scoped ones. Invalid references count as absent owners (like upstream).
 * Unlike upstream, an owner whose kind is not (or no longer) served is still judged by uid:
 * uids are never reused, so a uid that no stored object has is an owner that is gone.
 */
import type { DeleteOptions, AdmissionPlugin } from '../admission/index.js';
import { type FieldError, type KubeObject, newInvalid, type OwnerReference } from '../../api/index.js';
import type { Change } from '../storage/index.js';
import { CONTROLLER_MANAGER_AGENT, type Controller, isStatus, type SemanticsHost, splitKey, typeForStorageKey, updateWithRetry, queueController, WorkQueue } from '../semantics-kit.js';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

interface Located {
  storageKey: string;
  key: string;
  obj: KubeObject;
}

/**
 * Where an object with a uid lives, as the uid index keeps it: the ADDED change that created
 * it (holding nothing but the object and its text, which the store keeps anyway: indexing a
 * create allocates nothing), else an entry of its own (a MODIFIED change would keep the
 * previous version alive).
 */
interface Indexed {
  readonly storageKey: string;
  readonly key: string;
  readonly object: KubeObject;
}

function groupOf(apiVersion: string | undefined): string {
  const v = apiVersion ?? '';
  const i = v.indexOf('/');
  return i < 0 ? '' : v.slice(0, i);
}

const hasFinalizer = (o: KubeObject, f: string): boolean => Array.isArray(o.metadata.finalizers) && o.metadata.finalizers.includes(f);

/**
 * Whether an object names any owner: most objects do not, and for them every change skips the
 * dependents bookkeeping (no index key, no reference lists) instead of allocating it per write.
 */
function hasRefs(o: KubeObject | undefined): boolean {
  const refs = o?.metadata.ownerReferences;
  return Array.isArray(refs) && refs.length > 0;
}

/** The well-formed owner references of an object (stored data may predate validation). */
function refsOf(o: KubeObject | undefined): OwnerReference[] {
  const refs = o?.metadata.ownerReferences;
  return Array.isArray(refs) ? refs.filter((r) => !!r && typeof r.uid === 'string' && r.uid !== '') : [];
}

/**
 * The DELETE admission part: turns `propagationPolicy` (or `orphanDependents`) into the
 * `foregroundDeletion` / `orphan` finalizers. Without a policy the object's existing
 * finalizers decide (Background for every type, as apps/v1 and friends default to).
 */
export const gcAdmission: AdmissionPlugin = {
  name: 'GarbageCollectorFinalizers',
  validate(req) {
    if (req.operation === 'DELETE' || req.subresource) return;
    const refs: unknown = req.object.metadata.ownerReferences;
    if (refs === undefined || refs === null) return; // nothing to validate (most objects)
    const errs = validateOwnerReferences(refs);
    if (errs.length) throw newInvalid(req.type.group, req.type.kind, req.name, errs);
  },
  admit(req) {
    if (req.operation !== 'DELETE') return;
    const policy: DeleteOptions['propagationPolicy'] = req.deleteOptions?.propagationPolicy;
    if (!policy) return;
    const m = req.object.metadata;
    const fins = (m.finalizers ?? []).filter((f) => f !== FOREGROUND && f !== ORPHAN);
    if (policy === 'Foreground') fins.push(FOREGROUND);
    else if (policy === 'Orphan') fins.push(ORPHAN);
    if (fins.length) m.finalizers = fins;
    else delete m.finalizers;
  },
};

/** apimachinery's ValidateOwnerReferences: required fields, at most one controller. */
export function validateOwnerReferences(refs: unknown): FieldError[] {
  const field = 'metadata.ownerReferences';
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) return [{ type: 'FieldValueTypeInvalid', field, message: 'must be a list of owner references' }];
  const errs: FieldError[] = [];
  let firstController = '';
  for (const r of refs as Partial<OwnerReference>[]) {
    if (!r || typeof r !== 'object') {
      errs.push({ type: 'FieldValueTypeInvalid', field, message: 'must be a list of owner references' });
      continue;
    }
    const av = typeof r.apiVersion === 'string' ? r.apiVersion : '';
    const version = av.includes('/') ? av.slice(av.indexOf('/') + 1) : av;
    if (!version) errs.push({ type: 'FieldValueInvalid', field: `${field}.apiVersion`, message: `${JSON.stringify(av)}: version must not be empty` });
    for (const k of ['kind', 'name', 'uid'] as const) {
      const v = typeof r[k] === 'string' ? r[k] : '';
      if (!v) errs.push({ type: 'FieldValueInvalid', field: `${field}.${k}`, message: `"": must not be empty` });
    }
    if (r.controller === true) {
      const name = `${r.kind}/${r.name}`;
      if (firstController) {
        errs.push({ type: 'FieldValueInvalid', field, message: `${JSON.stringify(refs)}: Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}` });
      } else firstController = name;
    }
  }
  return errs;
}

export interface GarbageCollector extends Controller {
  /** Dependents (by storage key and object key) that reference `ownerUid`. */
  dependentsOf(ownerUid: string): Located[];
}

export function startGarbageCollector(host: SemanticsHost): GarbageCollector {
  const { store, registry, ops } = host;
  /**
   * uid -> where the object lives; undefined until first asked (see {@link uidIndex}). An entry
   * per object costs every write an insert into a map as big as the store (a cache miss or
   * more at 100k objects) and keeps each created object's change alive.
   */
  let byUid: Map<string, Indexed> | undefined;
  /** The uid index, built from the committed objects on first use and kept from the change bus after. */
  const uidIndex = (): Map<string, Indexed> => {
    if (byUid) return byUid;
    const built = new Map<string, Indexed>();
    for (const [storageKey, key, s] of store.entries()) {
      const uid = s.obj.metadata.uid;
      if (uid) built.set(uid, { storageKey, key, object: s.obj });
    }
    return (byUid = built);
  };
  /** owner uid -> `storageKey|key` of its dependents. */
  const dependents = new Map<string, Set<string>>();
  const loc = (storageKey: string, key: string) => `${storageKey}|${key}`;

  /** `at`: where `obj` (undefined: deleted) lives now; `old` its previous version. */
  const index = (at: Indexed, obj: KubeObject | undefined, old: KubeObject | undefined): void => {
    const { storageKey, key } = at;
    if (byUid) {
      if (old?.metadata.uid && (!obj || obj.metadata.uid !== old.metadata.uid)) byUid.delete(old.metadata.uid);
      if (obj?.metadata.uid) byUid.set(obj.metadata.uid, at);
    }
    if (!hasRefs(old) && !hasRefs(obj)) return;
    const id = loc(storageKey, key);
    for (const r of refsOf(old)) {
      const set = dependents.get(r.uid);
      if (set) {
        set.delete(id);
        if (!set.size) dependents.delete(r.uid);
      }
    }
    for (const r of refsOf(obj)) {
      let set = dependents.get(r.uid);
      if (!set) dependents.set(r.uid, (set = new Set()));
      set.add(id);
    }
  };

  const dependentsOf = (uid: string): Located[] => {
    const out: Located[] = [];
    for (const id of dependents.get(uid) ?? []) {
      const i = id.indexOf('|');
      const storageKey = id.slice(0, i);
      const key = id.slice(i + 1);
      const s = store.get(storageKey, key);
      if (s) out.push({ storageKey, key, obj: s.obj });
    }
    return out;
  };

  /** The live owner a reference of `dependent` points to, or undefined when absent/invalid. */
  const ownerOf = (dependent: KubeObject, ref: OwnerReference): KubeObject | undefined => {
    const o = uidIndex().get(ref.uid)?.object;
    if (!o) return undefined;
    if (o.metadata.name !== ref.name || o.kind !== ref.kind || groupOf(o.apiVersion) !== groupOf(ref.apiVersion)) return undefined;
    const ownerNs = o.metadata.namespace;
    if (ownerNs && ownerNs !== dependent.metadata.namespace) return undefined;
    return o;
  };

  const deletingDependents = (o: KubeObject): boolean => !!o.metadata.deletionTimestamp && hasFinalizer(o, FOREGROUND);

  const attemptToDelete = async (storageKey: string, key: string): Promise<void> => {
    const s = store.get(storageKey, key);
    if (!s) return;
    const obj = s.obj;
    if (obj.metadata.deletionTimestamp) {
      if (hasFinalizer(obj, FOREGROUND) || hasFinalizer(obj, ORPHAN)) queue.add(`o:${obj.metadata.uid}`);
      return;
    }
    const refs = refsOf(obj);
    if (!refs.length) return;
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const r of refs) {
      const owner = ownerOf(obj, r);
      if (!owner) dangling.push(r);
      else if (deletingDependents(owner)) waiting.push(r);
      else solid.push(r);
    }
    const t = typeForStorageKey(registry, storageKey);
    if (!t) return;
    const { namespace, name } = splitKey(key);
    const ns = t.namespaced ? namespace : undefined;
    const nm = t.namespaced ? name : key;
    if (solid.length) {
      if (!dangling.length && !waiting.length) return;
      // Still owned: only the references to absent or foreground-deleting owners go.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      await updateWithRetry(ops, t, ns, nm, (o) => {
        if (o.metadata.uid !== obj.metadata.uid) return false;
        const before = o.metadata.ownerReferences ?? [];
        const after = before.filter((r) => !drop.has(r.uid));
        if (after.length === before.length || !after.length) return false;
        o.metadata.ownerReferences = after;
        return true;
      }, { userAgent: CONTROLLER_MANAGER_AGENT });
      return;
    }
    let policy: DeleteOptions['propagationPolicy'] = 'Background';
    if (hasFinalizer(obj, ORPHAN)) policy = 'Orphan';
    else if (hasFinalizer(obj, FOREGROUND) || (waiting.length && dependents.get(obj.metadata.uid!)?.size)) policy = 'Foreground';
    try {
      await ops.delete(t, ns, nm, { propagationPolicy: policy, preconditions: { uid: obj.metadata.uid } });
    } catch (e) {
      if (isStatus(e, 404)) return;
      if (isStatus(e, 409)) {
        queue.add(`d:${storageKey}|${key}`);
        return;
      }
      throw e;
    }
  };

  const removeFinalizer = async (l: Located, finalizer: string): Promise<void> => {
    const t = typeForStorageKey(registry, l.storageKey);
    if (!t) return;
    const { namespace, name } = splitKey(l.key);
    await updateWithRetry(ops, t, t.namespaced ? namespace : undefined, t.namespaced ? name : l.key, (o) => {
      if (o.metadata.uid !== l.obj.metadata.uid || !hasFinalizer(o, finalizer)) return false;
      o.metadata.finalizers = o.metadata.finalizers!.filter((f) => f !== finalizer);
      return true;
    }, { userAgent: CONTROLLER_MANAGER_AGENT });
  };

  const processOwner = async (uid: string): Promise<void> => {
    const l = uidIndex().get(uid);
    if (!l) return;
    const s = store.get(l.storageKey, l.key);
    if (!s || s.obj.metadata.uid !== uid || !s.obj.metadata.deletionTimestamp) return;
    const owner = s.obj;
    if (hasFinalizer(owner, ORPHAN)) {
      for (const d of dependentsOf(uid)) {
        const t = typeForStorageKey(registry, d.storageKey);
        if (!t) continue;
        const { namespace, name } = splitKey(d.key);
        await updateWithRetry(ops, t, t.namespaced ? namespace : undefined, t.namespaced ? name : d.key, (o) => {
          const before = o.metadata.ownerReferences ?? [];
          const after = before.filter((r) => r.uid !== uid);
          if (after.length === before.length) return false;
          if (after.length) o.metadata.ownerReferences = after;
          else delete o.metadata.ownerReferences;
          return true;
        }, { userAgent: CONTROLLER_MANAGER_AGENT });
      }
      await removeFinalizer({ ...l, obj: owner }, ORPHAN);
      return;
    }
    if (hasFinalizer(owner, FOREGROUND)) {
      let blocking = 0;
      for (const d of dependentsOf(uid)) {
        if (!d.obj.metadata.deletionTimestamp) queue.add(`d:${d.storageKey}|${d.key}`);
        if (refsOf(d.obj).some((r) => r.uid === uid && r.blockOwnerDeletion === true)) blocking++;
      }
      if (!blocking) await removeFinalizer({ ...l, obj: owner }, FOREGROUND);
    }
  };

  const queue = new WorkQueue(async (k) => {
    if (k.startsWith('o:')) return processOwner(k.slice(2));
    const rest = k.slice(2);
    const i = rest.indexOf('|');
    return attemptToDelete(rest.slice(0, i), rest.slice(i + 1));
  });

  const onChange = (c: Change): void => {
    const obj = c.type === 'DELETED' ? undefined : c.object;
    index(c.type === 'MODIFIED' ? { storageKey: c.storageKey, key: c.key, object: c.object } : c, obj, c.old);
    if (c.type === 'DELETED') {
      const uid = c.old?.metadata.uid ?? c.object.metadata.uid;
      if (uid) for (const d of dependentsOf(uid)) queue.add(`d:${d.storageKey}|${d.key}`);
    } else {
      const o = c.object;
      if (o.metadata.deletionTimestamp && (hasFinalizer(o, FOREGROUND) || hasFinalizer(o, ORPHAN))) queue.add(`o:${o.metadata.uid}`);
      else if (hasRefs(o) && hasDanglingRef(o)) queue.add(`d:${c.storageKey}|${c.key}`);
    }
    if (!hasRefs(c.old) && (c.type === 'DELETED' || !hasRefs(c.object))) return;
    recheckOwners(c);
  };

  /**
   * Whether a reference of `o` names no live owner. (This and {@link recheckOwners} are functions
   * of their own: closures in `onChange` would make V8 allocate a context on every change.)
   */
  const hasDanglingRef = (o: KubeObject): boolean => refsOf(o).some((r) => !ownerOf(o, r));

  /** Owners waiting in the foreground re-check when a dependent goes or changes its references. */
  const recheckOwners = (c: Change): void => {
    const seen = new Set<string>();
    for (const r of [...refsOf(c.old), ...(c.type === 'DELETED' ? [] : refsOf(c.object))]) {
      if (seen.has(r.uid)) continue;
      seen.add(r.uid);
      const owner = uidIndex().get(r.uid)?.object;
      if (owner && deletingDependents(owner)) queue.add(`o:${r.uid}`);
    }
  };

  const unsubscribe = host.onChange(onChange);
  // Startup (or restart with a data dir): index everything, then check every dependent and
  // every owner that was mid-deletion, so owners that vanished while down are noticed.
  for (const [storageKey, key, s] of store.entries()) index({ storageKey, key, object: s.obj }, s.obj, undefined);
  for (const [storageKey, key, s] of store.entries()) {
    const o = s.obj;
    if (o.metadata.deletionTimestamp && (hasFinalizer(o, FOREGROUND) || hasFinalizer(o, ORPHAN))) queue.add(`o:${o.metadata.uid}`);
    if (refsOf(o).length) queue.add(`d:${storageKey}|${key}`);
  }

  return {
    dependentsOf,
    ...queueController(queue, unsubscribe),
  };
}
