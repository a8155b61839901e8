/**
 * Writes that do not clobber concurrent changes (controller-runtime's client.MergeFrom with
 * optimistic lock, controllerutil.CreateOrUpdate), on top of the KubeClient.
 *
 * - `mergePatch(original, modified)`: the RFC 7386 merge patch turning one into the other.
 * - `patchObject` / `patchStatus`: mutate a copy, send only the difference, with the
 *   original's resourceVersion as a precondition (409 Conflict when someone else wrote in
 *   between; the controller then retries with backoff).
 * - `createOrUpdate`: get, mutate, then create or update (or nothing when unchanged).
 */
import { isNotFound, isConflict, type KubeObject } from '../api/index.js';
import type { KubeClient } from '../client/index.js';

type Json = unknown;

function isPlainObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as Json[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, Json>;
  const bo = b as Record<string, Json>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual(ao[k], bo[k]));
}

/**
 * The JSON merge patch from `original` to `modified` (fields removed become null, arrays are
 * replaced whole). Returns an empty object when they are equal.
 */
export function mergePatch(original: Json, modified: Json): Record<string, Json> {
  const patch: Record<string, Json> = {};
  const o = isPlainObject(original) ? original : {};
  const m = isPlainObject(modified) ? modified : {};
  for (const k of Object.keys(o)) {
    if (o[k] !== undefined && (!(k in m) || m[k] === undefined)) patch[k] = null;
  }
  for (const k of Object.keys(m)) {
    if (m[k] === undefined) continue;
    if (deepEqual(o[k], m[k])) continue;
    if (isPlainObject(o[k]) && isPlainObject(m[k])) patch[k] = mergePatch(o[k], m[k]);
    else patch[k] = m[k];
  }
  return patch;
}

export interface PatchObjectOptions {
  /** Include the original resourceVersion, so a concurrent write makes the patch fail with 409. Default true. */
  optimisticLock?: boolean;
  /** Field manager for the write. */
  fieldManager?: string;
  signal?: AbortSignal;
}

function identity(obj: KubeObject): { apiVersion: string; kind: string; name: string; namespace?: string } {
  const { apiVersion, kind } = obj;
  const { name, namespace } = obj.metadata ?? {};
  if (!apiVersion || !kind || !name) throw new TypeError('object needs apiVersion, kind and metadata.name');
  return { apiVersion, kind, name, namespace };
}

async function sendPatch<T extends KubeObject>(
  client: KubeClient,
  original: T,
  modified: T,
  subresource: string | undefined,
  opts: PatchObjectOptions,
): Promise<T> {
  const id = identity(original);
  const diff = subresource === 'status' ? mergePatch({ status: original.status }, { status: modified.status }) : mergePatch(original, modified);
  if (Object.keys(diff).length === 0) return original;
  if (opts.optimisticLock ?? true) {
    const rv = original.metadata.resourceVersion;
    if (rv) diff.metadata = { ...(isPlainObject(diff.metadata) ? diff.metadata : {}), resourceVersion: rv };
  }
  return client.patch<T>(id, id.name, diff, {
    type: 'merge',
    namespace: id.namespace,
    subresource,
    fieldManager: opts.fieldManager,
    signal: opts.signal,
  });
}

/**
 * Applies `mutate` to a deep copy of `original` and sends the difference as a merge patch
 * (main resource; status changes are ignored by servers with a status subresource).
 * Returns the server's object, or `original` when nothing changed.
 */
export async function patchObject<T extends KubeObject>(
  client: KubeClient,
  original: T,
  mutate: (obj: T) => void | Promise<void>,
  opts: PatchObjectOptions = {},
): Promise<T> {
  const modified = structuredClone(original);
  await mutate(modified);
  return sendPatch(client, original, modified, undefined, opts);
}

/** Like patchObject, for the status subresource (only `status` is compared and sent). */
export async function patchStatus<T extends KubeObject>(
  client: KubeClient,
  original: T,
  mutate: (obj: T) => void | Promise<void>,
  opts: PatchObjectOptions = {},
): Promise<T> {
  const modified = structuredClone(original);
  await mutate(modified);
  return sendPatch(client, original, modified, 'status', opts);
}

/**
 * Changes the object with `mutate` and writes it, re-reading and retrying on 409 Conflict
 * (client-go's retry.RetryOnConflict; default 5 attempts). `mutate` must be idempotent.
 */
export async function patchWithRetry<T extends KubeObject>(
  client: KubeClient,
  obj: T,
  mutate: (obj: T) => void | Promise<void>,
  opts: PatchObjectOptions & { attempts?: number; status?: boolean } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 5;
  let current = obj;
  for (let i = 1; ; i++) {
    try {
      return opts.status ? await patchStatus(client, current, mutate, opts) : await patchObject(client, current, mutate, opts);
    } catch (err) {
      if (!isConflict(err) || i >= attempts) throw err;
      const id = identity(current);
      current = await client.get<T>(id, id.name, { namespace: id.namespace, signal: opts.signal });
    }
  }
}

export type OperationResult = 'created' | 'updated' | 'unchanged';

/**
 * controllerutil.CreateOrUpdate: reads the object named by `obj` (apiVersion, kind, name,
 * namespace); when it exists, `mutate` changes it and it is updated (with its
 * resourceVersion, so concurrent writes give 409) only if something changed; when it does not
 * exist, `mutate` fills `obj` and it is created. `mutate` must not change name or namespace.
 */
export async function createOrUpdate<T extends KubeObject>(
  client: KubeClient,
  obj: T,
  mutate: (obj: T) => void | Promise<void>,
  opts: { fieldManager?: string; signal?: AbortSignal } = {},
): Promise<{ operation: OperationResult; object: T }> {
  const id = identity(obj);
  let existing: T | undefined;
  try {
    existing = await client.get<T>(id, id.name, { namespace: id.namespace, signal: opts.signal });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const check = (o: T) => {
    if (o.metadata.name !== id.name || (id.namespace !== undefined && o.metadata.namespace !== undefined && o.metadata.namespace !== id.namespace)) {
      throw new TypeError('createOrUpdate: mutate must not change the name or namespace');
    }
  };
  if (!existing) {
    const fresh = structuredClone(obj);
    await mutate(fresh);
    check(fresh);
    const created = await client.create<T>(fresh, { namespace: id.namespace, fieldManager: opts.fieldManager, signal: opts.signal });
    return { operation: 'created', object: created };
  }
  const before = structuredClone(existing);
  if (!existing.apiVersion) existing.apiVersion = id.apiVersion;
  if (!existing.kind) existing.kind = id.kind;
  await mutate(existing);
  check(existing);
  if (deepEqual(before, existing) || deepEqual({ ...before, apiVersion: id.apiVersion, kind: id.kind }, existing)) {
    return { operation: 'unchanged', object: before };
  }
  const updated = await client.update<T>(existing, { fieldManager: opts.fieldManager, signal: opts.signal });
  return { operation: 'updated', object: updated };
}
