/**
 * Owner references and finalizers on in-memory objects (controllerutil's
 * SetControllerReference, SetOwnerReference, AddFinalizer, RemoveFinalizer...). These only
 * change the object; write it with the client (or use the patch helpers) afterwards.
 */
import { parseApiVersion, type KubeObject, type OwnerReference } from '../api/index.js';

export class AlreadyOwnedError extends Error {
  override readonly name = 'AlreadyOwnedError';
  constructor(
    readonly object: string,
    readonly owner: OwnerReference,
  ) {
    super(`Object ${object} is already owned by another ${owner.kind} controller ${owner.name}`);
  }
}

function ownerRefFor(owner: KubeObject): OwnerReference {
  const { apiVersion, kind } = owner;
  const { name, uid } = owner.metadata;
  if (!apiVersion || !kind) throw new TypeError('owner has no apiVersion/kind (objects from the cache and client carry them)');
  if (!name || !uid) throw new TypeError(`owner ${kind} has no name or uid; create it first`);
  return { apiVersion, kind, name, uid };
}

function sameOwner(a: OwnerReference, b: OwnerReference): boolean {
  return parseApiVersion(a.apiVersion).group === parseApiVersion(b.apiVersion).group && a.kind === b.kind && a.name === b.name;
}

function checkScope(owner: KubeObject, obj: KubeObject): void {
  const ons = owner.metadata.namespace;
  const ns = obj.metadata.namespace;
  if (ons && !ns) throw new TypeError(`cluster-scoped resource must not have a namespace-scoped owner, owner's namespace ${ons}`);
  if (ons && ns && ons !== ns) throw new TypeError(`cross-namespace owner references are disallowed, owner's namespace ${ons}, obj's namespace ${ns}`);
}

/**
 * Makes `owner` the controller of `obj` (ownerReference with controller=true and
 * blockOwnerDeletion=true), replacing an existing reference to the same owner. Throws
 * AlreadyOwnedError when another object is already the controller.
 */
export function setControllerReference(owner: KubeObject, obj: KubeObject): void {
  checkScope(owner, obj);
  const ref: OwnerReference = { ...ownerRefFor(owner), controller: true, blockOwnerDeletion: true };
  const refs = obj.metadata.ownerReferences ?? [];
  const current = refs.find((r) => r.controller === true);
  if (current && !sameOwner(current, ref)) throw new AlreadyOwnedError(`${obj.kind ?? ''} ${obj.metadata.namespace ? obj.metadata.namespace + '/' : ''}${obj.metadata.name ?? ''}`.trim(), current);
  upsert(obj, ref);
}

/** Adds (or updates) a non-controller owner reference. */
export function setOwnerReference(owner: KubeObject, obj: KubeObject): void {
  checkScope(owner, obj);
  const ref = ownerRefFor(owner);
  const existing = obj.metadata.ownerReferences?.find((r) => sameOwner(r, ref));
  if (existing?.controller) ref.controller = true;
  if (existing?.blockOwnerDeletion) ref.blockOwnerDeletion = true;
  upsert(obj, ref);
}

function upsert(obj: KubeObject, ref: OwnerReference): void {
  const refs = obj.metadata.ownerReferences ?? [];
  const i = refs.findIndex((r) => sameOwner(r, ref));
  if (i >= 0) refs[i] = ref;
  else refs.push(ref);
  obj.metadata.ownerReferences = refs;
}

/** Removes the reference to `owner`; returns true when there was one. */
export function removeOwnerReference(owner: KubeObject, obj: KubeObject): boolean {
  const refs = obj.metadata.ownerReferences;
  if (!refs) return false;
  const ref = ownerRefFor(owner);
  const kept = refs.filter((r) => !sameOwner(r, ref));
  if (kept.length === refs.length) return false;
  obj.metadata.ownerReferences = kept;
  return true;
}

/** True when `owner` is referenced as an owner (any, or only as controller) of `obj`. */
export function hasOwnerReference(owner: KubeObject, obj: KubeObject, controllerOnly = false): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && (!controllerOnly || r.controller === true));
}

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(finalizer);
}

/** Adds the finalizer in place; returns true when it was missing. */
export function addFinalizer(obj: KubeObject, finalizer: string): boolean {
  if (hasFinalizer(obj, finalizer)) return false;
  obj.metadata.finalizers = [...(obj.metadata.finalizers ?? []), finalizer];
  return true;
}

/** Removes the finalizer in place; returns true when it was present. */
export function removeFinalizer(obj: KubeObject, finalizer: string): boolean {
  if (!hasFinalizer(obj, finalizer)) return false;
  obj.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return true;
}

export function isBeingDeleted(obj: KubeObject): boolean {
  return !!obj.metadata.deletionTimestamp;
}
