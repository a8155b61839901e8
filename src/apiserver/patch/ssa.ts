/**
 * Server-side apply and managedFields bookkeeping, after the structured-merge-diff model:
 *  - the applied configuration is merged into the live object (maps key by key, associative
 *    lists by their keys, set lists as unions, atomic values replaced);
 *  - fields this manager applied before and omits now are removed, unless another manager
 *    also owns them;
 *  - a field another manager owns whose value the apply would change is a conflict: 409
 *    unless `force`, which moves the ownership;
 *  - ordinary writes (create/update/patch) record ownership of the fields they changed with
 *    {@link updateManagedFields}; those fields leave the other managers.
 * Schemas: built-in kinds use the swagger list/map metadata; custom resources use the CRD
 * schema when given (x-kubernetes-list-type/-map-keys/-map-type), else lists are atomic and
 * maps granular.
 */
import type { FieldError, GroupVersionKind, ManagedFieldsEntry } from '../../api/index.js';
import { StatusError, formatApiVersion, newBadRequest } from '../../api/index.js';
import { builtinSchemaNode, structuralSchemaNode, ANY_NODE, type JSONSchemaProps, type SchemaNode } from '../schema/index.js';
import { FieldSet, childForToken, type ItemIndex, fieldSetFromObject, fieldsV1FromObject, freezeFieldsV1, writesFieldsV1, listItemKey, pathString, removeAt, type FieldPath } from './fieldpath.js';
import { managedFieldsErrors } from './manager.js';
import { clone, deepEqual, isObject, type JsonObject } from './util.js';

export interface ServerSideApplyInput {
  /** the live object; absent when apply creates it */
  current?: object;
  /** the applied configuration (the request body, already parsed) */
  applied: object;
  /** fieldManager query parameter */
  manager: string;
  /** force=true takes ownership of conflicting fields instead of failing with 409 (default false) */
  force?: boolean;
  gvk: GroupVersionKind;
  /** timestamp recorded in managedFields (default: now) */
  now?: Date | string;
  /** the CRD version's openAPIV3Schema for custom resources; built-ins use swagger */
  schema?: JSONSchemaProps;
  /** e.g. "status" for apply on a subresource */
  subresource?: string;
}

export interface ServerSideApplyResult {
  /** the new object, with metadata.managedFields set */
  object: Record<string, unknown>;
  managedFields: ManagedFieldsEntry[];
}

export interface UpdateManagedFieldsOptions {
  /** timestamp recorded (default: now) */
  now?: Date | string;
  /** the CRD version schema for custom resources */
  schema?: JSONSchemaProps;
  /** the type's schema node, when the caller keeps it (else made from `gvk` and `schema`: see {@link rootNode}) */
  node?: SchemaNode;
  subresource?: string;
  /**
   * Top-level fields the write's strategy resets, which no manager takes by this write
   * (upstream's ResetFieldsStrategy, given to the field manager as its ignore filter): `status`
   * for a main-resource write of a kind with a status subresource.
   */
  ignore?: readonly string[];
}

/** The schema node for an object of `gvk`: swagger for built-ins, the CRD schema, or free-form. */
export function rootNode(gvk: GroupVersionKind, schema?: JSONSchemaProps): SchemaNode {
  let node: SchemaNode | undefined;
  try {
    node = builtinSchemaNode(gvk);
  } catch {
    node = undefined; // documents unavailable: fall back to the CRD schema / free-form
  }
  if (node) return node;
  if (schema) return structuralSchemaNode(schema, { resourceRoot: true });
  return ANY_NODE;
}

function timestamp(now?: Date | string): string {
  if (typeof now === 'string') return now;
  if (now) return now.toISOString().replace(/\.\d+Z$/, 'Z');
  // Every tracked write stamps its entry: format each second once.
  const sec = Math.floor(Date.now() / 1000);
  if (sec !== lastStampSecond) {
    lastStampSecond = sec;
    lastStamp = new Date(sec * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  }
  return lastStamp;
}

let lastStampSecond = -1;
let lastStamp = '';

interface DecodedEntry {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

function decode(entries: unknown): DecodedEntry[] {
  if (!Array.isArray(entries)) return [];
  return entries.filter(isObject).map((e) => ({ entry: { ...(e as ManagedFieldsEntry) }, set: FieldSet.fromFieldsV1(e.fieldsV1) }));
}

function sameIdentity(a: ManagedFieldsEntry, manager: string, operation: 'Apply' | 'Update', subresource?: string, apiVersion?: string): boolean {
  return (
    (a.manager ?? '') === manager &&
    a.operation === operation &&
    (a.subresource ?? '') === (subresource ?? '') &&
    // Update entries are per apiVersion upstream; Apply entries are not.
    (operation === 'Apply' || apiVersion === undefined || a.apiVersion === apiVersion)
  );
}

/** Go's `<` on strings: by code unit (not localeCompare, which also initialises ICU's collator). */
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Apply entries first, then by time, then by manager, as upstream keeps them
 * (k8s.io/apiserver fieldmanager/internal/managedfields.go `sortEncodedManagedFields`: operation,
 * time, then `p.Manager < q.Manager`). Times are RFC 3339 in seconds, so their text orders them.
 */
function encode(entries: DecodedEntry[]): ManagedFieldsEntry[] {
  const live = entries.filter((d) => !d.set.isEmpty());
  const rank = (e: ManagedFieldsEntry) => (e.operation === 'Apply' ? 0 : 1);
  live.sort((a, b) => rank(a.entry) - rank(b.entry) || byCodeUnit(a.entry.time ?? '', b.entry.time ?? '') || byCodeUnit(a.entry.manager ?? '', b.entry.manager ?? ''));
  return live.map((d) => {
    const out: ManagedFieldsEntry = {
      ...(d.entry.manager ? { manager: d.entry.manager } : {}),
      operation: d.entry.operation,
      apiVersion: d.entry.apiVersion,
      time: d.entry.time,
      fieldsType: 'FieldsV1',
      fieldsV1: d.set.toFieldsV1(),
    };
    if (d.entry.subresource) out.subresource = d.entry.subresource;
    return out;
  });
}

/** How upstream names a manager in conflict messages. */
function describeManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager ?? '');
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  // The manager identifier upstream prints from carries no time, so no "at <time>" either.
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

interface Conflict {
  entry: ManagedFieldsEntry;
  path: FieldPath;
}

function conflictError(conflicts: Conflict[]): StatusError {
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(conflicts[0].entry)}: ${pathString(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const m = describeManager(c.entry);
      byManager.set(m, [...(byManager.get(m) ?? []), pathString(c.path)]);
    }
    const lines: string[] = [];
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${m}:`);
      for (const p of byManager.get(m)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Conflict',
    details: {
      causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describeManager(c.entry)}`, field: pathString(c.path) })),
    },
    code: 409,
  });
}

/** Merges an applied configuration into the live value with apply semantics. */
function applyMerge(live: unknown, applied: unknown, node: SchemaNode): unknown {
  if (isObject(applied)) {
    if (!isObject(live) || node.mapType === 'atomic' || node.type === 'scalar') return stripNulls(applied);
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) delete out[k];
      else out[k] = applyMerge(live[k], v, node.field(k) ?? ANY_NODE);
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live) && node.type === 'array') {
    const items = node.items() ?? ANY_NODE;
    if (node.listType === 'map' && node.listMapKeys.length > 0) {
      const keyOf = (x: unknown) => listItemKey(x, node.listMapKeys);
      const appliedItems = applied.map((a) => {
        const k = keyOf(a);
        const l = k ? live.find((x) => deepEqual(keyOf(x), k)) : undefined;
        return l !== undefined ? applyMerge(l, a, items) : stripNulls(a);
      });
      const liveOnly = live.filter((l) => !applied.some((a) => deepEqual(keyOf(a), keyOf(l))));
      return interleave(liveOnly, appliedItems, live, keyOf);
    }
    if (node.listType === 'set') {
      const liveOnly = live.filter((l) => !applied.some((a) => deepEqual(a, l)));
      return interleave(liveOnly, applied.map(clone), live, (x) => x);
    }
  }
  return stripNulls(applied);
}

function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
    return out;
  }
  return v;
}

/** Applied items keep their order; live-only items keep their place relative to the live order. */
function interleave(liveOnly: unknown[], applied: unknown[], live: unknown[], keyOf: (x: unknown) => unknown): unknown[] {
  const idx = (x: unknown) => live.findIndex((l) => deepEqual(keyOf(l), keyOf(x)));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < liveOnly.length || j < applied.length) {
    if (i >= liveOnly.length) out.push(applied[j++]);
    else if (j >= applied.length) out.push(liveOnly[i++]);
    else {
      const li = idx(liveOnly[i]);
      const ri = idx(applied[j]);
      if (ri < 0 || li < ri) out.push(liveOnly[i++]);
      else out.push(applied[j++]);
    }
  }
  return out;
}

/**
 * The members of `set` whose value differs between `before` and `after` (or that appear in
 * `after` only). List items count as changed only when they appear or disappear; their
 * fields are compared one by one. Walks the set tree and both values together.
 */
function changedPaths(set: FieldSet, before: unknown, after: unknown): FieldSet {
  try {
    return changedBelow(set, before, after, false) ?? new FieldSet();
  } finally {
    itemIndex = undefined;
  }
}

/** The list-item index of the running {@link changedPaths} call, made on its first list item (most objects' walks meet none). */
let itemIndex: ItemIndex | undefined;

/** {@link changedPaths} of one node; undefined when nothing changed (no empty set per unchanged node). */
function changedBelow(set: FieldSet, before: unknown, after: unknown, isItem: boolean): FieldSet | undefined {
  if (before === after && before !== undefined) return undefined; // same reference: nothing changed below
  let out: FieldSet | undefined;
  if (set.member && (isItem ? (before === undefined) !== (after === undefined) : !deepEqual(before, after))) {
    out = new FieldSet();
    out.member = true;
  }
  for (const [token, sub] of set.children) {
    const item = token.startsWith('k:') || token.startsWith('v:');
    const index = token.startsWith('f:') ? undefined : (itemIndex ??= new WeakMap());
    const c = changedBelow(sub, childForToken(before, token, index), childForToken(after, token, index), item);
    if (c) (out ??= new FieldSet()).setChild(token, c);
  }
  return out;
}

function metaOf(obj: unknown): JsonObject {
  return isObject(obj) && isObject(obj.metadata) ? obj.metadata : {};
}

/** The manager that owns the fields of an object that had no managedFields before its first apply. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/**
 * Server-side apply of `applied` by `manager` onto `current` (absent: create).
 * Returns the new object (with metadata.managedFields) and its managedFields; throws 409
 * Conflict with `FieldManagerConflict` causes, or 400 for malformed input.
 */
export function serverSideApply(input: ServerSideApplyInput): ServerSideApplyResult {
  const { manager, gvk, subresource } = input;
  if (!manager) throw newBadRequest('PATCH, application/apply-patch+yaml requires a fieldManager to be specified');
  if (!isObject(input.applied)) throw newBadRequest('apply configuration must be an object');
  const appliedMeta = metaOf(input.applied);
  if (Array.isArray(appliedMeta.managedFields) && appliedMeta.managedFields.length > 0)
    throw newBadRequest('metadata.managedFields must be nil');
  const node = rootNode(gvk, input.schema);
  const live = (input.current ? clone(input.current) : {}) as JsonObject;
  const apiVersion = formatApiVersion(gvk.group, gvk.version);

  const entries = decode(metaOf(live).managedFields);
  if (input.current && entries.length === 0) {
    // An object nobody tracked yet: upstream gives its current fields to a placeholder
    // manager, so the first apply conflicts on the values it would change.
    const set = fieldSetFromObject(live, node);
    if (!set.isEmpty()) entries.push({ entry: { manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion, time: timestamp(input.now), fieldsType: 'FieldsV1' }, set });
  }
  const mine = entries.find((d) => sameIdentity(d.entry, manager, 'Apply', subresource));
  const others = entries.filter((d) => d !== mine);

  const appliedSet = fieldSetFromObject(input.applied, node);
  const merged = applyMerge(live, input.applied, node) as JsonObject;

  // Conflicts: fields owned by someone else that this apply changes.
  const changed = changedPaths(appliedSet, live, merged);
  const conflicts: Conflict[] = [];
  for (const o of others) {
    for (const p of o.set.intersection(changed).paths()) conflicts.push({ entry: o.entry, path: p });
  }
  if (conflicts.length > 0 && !input.force) throw conflictError(conflicts);
  for (const c of conflicts) {
    const o = others.find((d) => d.entry === c.entry)!;
    o.set = o.set.difference(pathSet(c.path));
  }

  // Fields this manager applied before and no longer applies: remove unless someone else owns them.
  let removedAny = false;
  if (mine) {
    const othersUnion = others.reduce((acc, d) => acc.union(d.set), new FieldSet());
    // Parents first: once an item or field goes, what was below it goes with it.
    const removed = new FieldSet();
    for (const p of mine.set.difference(appliedSet).paths()) {
      if (p.some((_, i) => removed.has(p.slice(0, i + 1)))) continue;
      if (othersUnion.hasPrefix(p)) continue; // someone else still owns it (or part of it)
      if (appliedSet.hasPrefix(p)) continue; // e.g. an item whose fields are still applied
      removeAt(merged, p);
      removed.insert(p);
      removedAny = true;
    }
  }

  // The entry's time moves only when this manager's fields or their values change, so a
  // repeated identical apply (a controller's every reconcile) leaves the object unchanged.
  const unchanged = !!mine && changed.isEmpty() && removedAny === false && conflicts.length === 0 && sameSet(mine.set, appliedSet);
  const entry: ManagedFieldsEntry = { manager, operation: 'Apply', apiVersion, time: unchanged ? mine!.entry.time : timestamp(input.now), fieldsType: 'FieldsV1' };
  if (subresource) entry.subresource = subresource;
  const managedFields = encode([...others, { entry, set: appliedSet }]);
  const meta = { ...metaOf(merged) };
  if (managedFields.length > 0) meta.managedFields = managedFields;
  else delete meta.managedFields;
  const object = { ...merged, metadata: meta };
  return { object, managedFields };
}

function sameSet(a: FieldSet, b: FieldSet): boolean {
  return a.difference(b).isEmpty() && b.difference(a).isEmpty();
}

function pathSet(p: FieldPath): FieldSet {
  const s = new FieldSet();
  s.insert(p);
  return s;
}

/**
 * The managedFields for `newObj` after a non-apply write by `manager` (create when `oldObj`
 * is undefined). The fields the write added or changed move to this manager's `Update`
 * entry (and leave other managers), fields it removed leave every manager.
 * The existing entries are read from `oldObj` (a client cannot overwrite them by sending
 * its own managedFields — except the documented reset: `managedFields: [{}]` (a list with one
 * empty entry) drops every entry first; the write's own changes are then recorded as usual).
 * An empty result means the object has no managedFields (omit the field).
 */
export function updateManagedFields(
  oldObj: object | undefined,
  newObj: object,
  manager: string,
  operation: 'Update',
  gvk: GroupVersionKind,
  opts: UpdateManagedFieldsOptions = {},
): ManagedFieldsEntry[] {
  void operation;
  const node = opts.node ?? rootNode(gvk, opts.schema);
  const apiVersion = formatApiVersion(gvk.group, gvk.version);
  if (oldObj === undefined) {
    // A create: there is no old object, so every field of the new one changed and is this
    // manager's; whatever managedFields the body carried lose them all (upstream decodes them,
    // then the write takes every field from them) — one walk writing the FieldsV1, no diff.
    // (the type's last create's FieldsV1 when this object writes the same: one walk, no objects)
    let last = lastCreate.get(node);
    if (!last || last.ignore !== opts.ignore || !writesFieldsV1(newObj, node, last.fields, opts.ignore)) {
      const fields = fieldsV1FromObject(newObj, node, opts.ignore);
      if (!fields) return [];
      lastCreate.set(node, (last = { ignore: opts.ignore, fields: freezeFieldsV1(fields), entries: undefined }));
    }
    // The entry itself is the last create's too when it would read the same (same manager,
    // version, second and subresource): the creates of one client within a second then keep
    // one frozen list between them instead of a list, an entry and its property store each.
    const time = timestamp(opts.now);
    const prev = last.entries;
    if (prev !== undefined) {
      const e = prev[0];
      if (e.time === time && (e.manager ?? '') === manager && e.apiVersion === apiVersion && e.subresource === opts.subresource) return prev;
    }
    const entries = Object.freeze([Object.freeze(newEntry(manager, apiVersion, { ...opts, now: time }, last.fields))]) as ManagedFieldsEntry[];
    last.entries = entries;
    return entries;
  }
  const newSet = trackedSet(newObj, node, opts.ignore);
  const stored = metaOf(oldObj).managedFields;
  const given = opts.subresource ? undefined : givenManagedFields(metaOf(newObj).managedFields, stored);
  const entries = given ?? decode(stored);
  const oldSet = trackedSet(oldObj, node, opts.ignore);
  const changed = changedPaths(newSet, oldObj, newObj);
  const removed = oldSet.difference(newSet);
  if (changed.isEmpty() && removed.isEmpty()) {
    // Nothing to record: hand back the stored entries untouched, so a no-op write stays a no-op.
    return given ? checked(encode(given), given) : Array.isArray(stored) ? (clone(stored) as ManagedFieldsEntry[]) : encode(entries);
  }
  let mine = entries.find((d) => sameIdentity(d.entry, manager, 'Update', opts.subresource, apiVersion));
  // (the entries' sets are this call's own, decoded above: changed in place where that is the same)
  for (const d of entries) {
    if (!removed.isEmpty()) d.set = d.set.difference(removed);
    if (d !== mine) d.set = d.set.difference(changed);
  }
  const entry = newEntry(manager, apiVersion, opts);
  if (mine) {
    mine.entry = entry;
    mine.set.add(changed);
  } else {
    mine = { entry, set: changed };
    entries.push(mine);
  }
  return checked(encode(capUpdateManagers(entries)), given);
}

/**
 * managedFields an update set itself that, once recorded, would not validate (apimachinery's
 * ValidateManagedFields, run by ValidateObjectMeta on the result: a manager name that does not
 * print or is too long, a subresource too long). The server answers 422 Invalid with them.
 */
export class InvalidManagedFields extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join(', '));
  }
}

/** `result`, checked when it holds entries an update's body set (`given`); throws {@link InvalidManagedFields}. */
function checked(result: ManagedFieldsEntry[], given: DecodedEntry[] | undefined): ManagedFieldsEntry[] {
  if (given === undefined || given.length === 0) return result;
  const errs = managedFieldsErrors(result);
  if (errs.length > 0) throw new InvalidManagedFields(errs);
  return result;
}

/**
 * The managedFields an update's body sets, as upstream's FieldManager takes them
 * (apimachinery util/managedfields/internal/fieldmanager.go `decodeLiveOrNew`): `[]` or `[{}]`
 * resets them (none; the write's own entry follows), a list that decodes replaces the stored
 * one, and anything else — none given, or one that does not decode — keeps the stored entries
 * (so clients that drop managedFields, e.g. from a cache, do not lose them). Undefined: keep the
 * stored ones (also when the body sends them back as they are). Subresource writes never take
 * them from the body (the caller's check).
 */
function givenManagedFields(given: unknown, stored: unknown): DecodedEntry[] | undefined {
  if (!Array.isArray(given)) return undefined;
  if (given.length === 0 || (given.length === 1 && isObject(given[0]) && Object.keys(given[0]).length === 0)) return [];
  if (deepEqual(given, stored)) return undefined;
  // internal/managedfields.go DecodeManagedFields: every entry or none; entries with the same
  // identifier collapse, the later winning (a map keyed by it)
  const byId = new Map<string, DecodedEntry>();
  for (const e of given) {
    if (!isObject(e)) return undefined;
    const entry = e as ManagedFieldsEntry;
    if (entry.operation !== 'Apply' && entry.operation !== 'Update') return undefined; // "operation must be `Apply` or `Update`"
    if (typeof entry.apiVersion !== 'string' || entry.apiVersion === '') return undefined; // "apiVersion must not be empty"
    if (entry.fieldsType !== 'FieldsV1') return undefined; // missing or invalid fieldsType
    if (entry.fieldsV1 !== undefined && entry.fieldsV1 !== null && !isObject(entry.fieldsV1)) return undefined; // not a set
    if (entry.manager !== undefined && typeof entry.manager !== 'string') return undefined;
    if (entry.subresource !== undefined && typeof entry.subresource !== 'string') return undefined;
    byId.set(managerIdentifier(entry), { entry: { ...entry }, set: FieldSet.fromFieldsV1(entry.fieldsV1) });
  }
  return byId.size > 0 ? [...byId.values()] : undefined;
}

/** k8s.io/apiserver fieldmanager DefaultMaxUpdateManagers: Update entries an object keeps. */
export const MAX_UPDATE_MANAGERS = 10;
/** The manager the oldest Update entries are merged into beyond that (capmanagers.go). */
export const ANCIENT_CHANGES = 'ancient-changes';

/**
 * The manager identifier upstream keys entries by and breaks time ties with
 * (fieldmanager/internal `BuildManagerIdentifier`): the entry's JSON without time, fieldsType and
 * fields, in ManagedFieldsEntry's field order; an Apply entry's without its apiVersion (one
 * identity whatever version it applied).
 */
function managerIdentifier(e: ManagedFieldsEntry): string {
  return JSON.stringify({ manager: e.manager || undefined, operation: e.operation || undefined, apiVersion: (e.operation !== 'Apply' && e.apiVersion) || undefined, subresource: e.subresource || undefined });
}

/**
 * After an Update, at most {@link MAX_UPDATE_MANAGERS} Update entries stay: beyond that the
 * oldest are merged, per apiVersion, into an `ancient-changes` entry of that version, which takes
 * the time of the newest entry merged into it (k8s.io/apiserver fieldmanager capmanagers.go
 * `capUpdateManagers`, run on Updates only; applies are never merged). As upstream: updaters
 * sorted by time (none = oldest), ties by identifier; the oldest of each version stays as it is
 * until a second of that version is merged, when it becomes the bucket.
 */
function capUpdateManagers(entries: DecodedEntry[]): DecodedEntry[] {
  const updaters = entries.filter((d) => d.entry.operation !== 'Apply' && !d.set.isEmpty());
  if (updaters.length <= MAX_UPDATE_MANAGERS) return entries;
  updaters.sort((a, b) => byCodeUnit(a.entry.time ?? '', b.entry.time ?? '') || byCodeUnit(managerIdentifier(a.entry), managerIdentifier(b.entry)));
  const isBucket = (d: DecodedEntry, version: string) => d.entry.manager === ANCIENT_CHANGES && d.entry.operation === 'Update' && !d.entry.subresource && (d.entry.apiVersion ?? '') === version;
  const merged = new Set<DecodedEntry>();
  const firstOfVersion = new Map<string, DecodedEntry>();
  for (let i = 0, length = updaters.length; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const d = updaters[i];
    const version = d.entry.apiVersion ?? '';
    const first = firstOfVersion.get(version);
    if (first === undefined) {
      firstOfVersion.set(version, d);
      continue;
    }
    let bucket = entries.find((e) => !merged.has(e) && isBucket(e, version));
    if (bucket === undefined) {
      // the version's first entry becomes its bucket
      first.entry = { manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: first.entry.apiVersion, time: first.entry.time, fieldsType: 'FieldsV1' };
      bucket = first;
    }
    if (d === bucket) continue; // (never merged into itself)
    bucket.set = d.set.union(bucket.set);
    bucket.entry = { ...bucket.entry, time: d.entry.time };
    merged.add(d);
    length--;
  }
  return entries.filter((d) => !merged.has(d));
}

/**
 * Per schema node, the FieldsV1 its last create built and the managedFields list it recorded
 * (both frozen: stored objects share them, so nothing may change them in place; every path
 * that edits managedFields works on a copy: `decode`, the patches' clones).
 */
const lastCreate = new WeakMap<SchemaNode, { ignore: readonly string[] | undefined; fields: JsonObject; entries: ManagedFieldsEntry[] | undefined }>();

/** The fields of `obj` a write records, less the fields the write's strategy resets. */
function trackedSet(obj: object, node: SchemaNode, ignore: readonly string[] | undefined): FieldSet {
  const set = fieldSetFromObject(obj, node);
  if (ignore) for (const f of ignore) set.deleteChild(`f:${f}`);
  return set;
}

/**
 * An `Update` entry of `manager`, stamped now. An empty manager (a request with neither a
 * fieldManager nor a User-Agent: upstream's managerOrUserAgent gives "") is an entry without
 * one, as upstream encodes it (`manager` is omitempty).
 */
function newEntry(manager: string, apiVersion: string, opts: UpdateManagedFieldsOptions, fieldsV1?: JsonObject): ManagedFieldsEntry {
  // (fieldsV1 in the literal: added after, it would take the entry a property store of its own)
  const time = timestamp(opts.now);
  let entry: ManagedFieldsEntry;
  if (fieldsV1 === undefined) {
    entry = manager ? { manager, operation: 'Update', apiVersion, time, fieldsType: 'FieldsV1' } : { operation: 'Update', apiVersion, time, fieldsType: 'FieldsV1' };
  } else {
    entry = manager ? { manager, operation: 'Update', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1 } : { operation: 'Update', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1 };
  }
  if (opts.subresource) entry.subresource = opts.subresource;
  return entry;
}
