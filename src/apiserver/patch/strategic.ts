/**
 * Kubernetes strategic merge patch for built-in kinds, driven by the swagger metadata
 * (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`) of the kind.
 *
 * Semantics follow k8s.io/apimachinery/pkg/util/strategicpatch as the API server runs it:
 *  - maps merge key by key; `null` deletes a key; `$patch: replace` replaces the map,
 *    `$patch: delete` empties it; `$retainKeys: [..]` drops keys of the live map not listed;
 *  - lists with strategy `merge`: maps merge by their merge key (`$patch: delete` items remove,
 *    a `{$patch: replace}` item replaces the whole list), scalars are unioned;
 *    `$deleteFromPrimitiveList/<field>` removes scalars; `$setElementOrder/<field>` orders the result;
 *  - every other list is replaced by the patch's list; unknown fields merge like JSON merge patch.
 * Null values for fields absent from the live object are dropped (the server's IgnoreUnmatchedNulls).
 */
import type { GroupVersionKind } from '../../api/index.js';
import { newBadRequest, newUnsupportedMediaType } from '../../api/index.js';
import { builtinSchemaNode, type SchemaNode } from '../schema/index.js';
import { clone, deepEqual, isObject, type JsonObject } from './util.js';

export const UNKNOWN_FORMAT_MESSAGE =
  'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

/**
 * Applies a strategic merge patch to a copy of `current` (a built-in kind's object).
 * Throws 415 for kinds without a built-in schema (custom resources), 400 for malformed patches.
 */
export function strategicMergePatch<T extends object = Record<string, unknown>>(current: T, patch: unknown, gvk: GroupVersionKind): T {
  const node = builtinSchemaNode(gvk);
  if (!node) throw newUnsupportedMediaType(UNKNOWN_FORMAT_MESSAGE);
  if (!isObject(patch)) throw newBadRequest('strategic merge patch body must be a JSON object');
  return mergeMap(clone(current) as JsonObject, patch, node) as T;
}

/** Exposed for the schema-driven merge used by tests and server-side apply. */
export function strategicMergeWithNode(current: JsonObject, patch: JsonObject, node: SchemaNode | undefined): JsonObject {
  return mergeMap(clone(current), patch, node);
}

function badDirective(value: unknown): never {
  throw newBadRequest(`Unknown patch type: ${JSON.stringify(value)}`);
}

/** Merges `patch` into `original` (owned by us: may be mutated) and returns the result. */
function mergeMap(original: JsonObject, patch: JsonObject, node: SchemaNode | undefined): JsonObject {
  if (DIRECTIVE in patch) {
    const d = patch[DIRECTIVE];
    if (d === 'replace') {
      const rest: JsonObject = {};
      for (const [k, v] of Object.entries(patch)) if (k !== DIRECTIVE) rest[k] = v;
      return mergeMap({}, rest, node);
    }
    if (d === 'delete') return {};
    if (d !== 'merge') badDirective(d);
  }
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw newBadRequest(`${RETAIN_KEYS} must be a list of strings`);
    const keep = new Set(retain.map(String));
    for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
  }
  const orders: Array<[string, unknown[]]> = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = k.slice(DELETE_FROM_PRIMITIVE.length);
      if (!Array.isArray(v)) throw newBadRequest(`${k} must be a list`);
      const live = original[field];
      if (Array.isArray(live)) original[field] = live.filter((x) => !v.some((d) => deepEqual(d, x)));
    } else if (k.startsWith(SET_ELEMENT_ORDER)) {
      if (!Array.isArray(v)) throw newBadRequest(`${k} must be a list`);
      orders.push([k.slice(SET_ELEMENT_ORDER.length), v]);
    }
  }
  const serverLists: JsonObject = {};
  for (const [field] of orders) serverLists[field] = original[field];

  for (const [k, pv] of Object.entries(patch)) {
    if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(DELETE_FROM_PRIMITIVE) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (pv === null) {
      delete original[k];
      continue;
    }
    const child = node?.field(k);
    const ov = original[k];
    if (isObject(pv)) {
      if (child?.patchStrategy.includes('replace')) original[k] = mergeMap({}, pv, child);
      else original[k] = mergeMap(isObject(ov) ? ov : {}, pv, child);
    } else if (Array.isArray(pv)) {
      original[k] = mergeList(Array.isArray(ov) ? ov : [], pv, child);
    } else {
      original[k] = pv;
    }
  }

  for (const [field, order] of orders) {
    const merged = original[field];
    if (!Array.isArray(merged)) continue;
    const server = Array.isArray(serverLists[field]) ? (serverLists[field] as unknown[]) : [];
    original[field] = applyElementOrder(merged, order, server, node?.field(field)?.patchMergeKey);
  }
  return original;
}

function keyOf(item: unknown, mergeKey: string | undefined): unknown {
  return mergeKey && isObject(item) ? item[mergeKey] : item;
}

function indexIn(list: unknown[], item: unknown, mergeKey: string | undefined): number {
  const k = keyOf(item, mergeKey);
  return list.findIndex((x) => deepEqual(keyOf(x, mergeKey), k));
}

/**
 * Interleaves server-only items (`left`) into patch-ordered items (`right`) keeping both
 * relative orders; when the live order cannot decide, patch items go first (as upstream).
 */
function mergeSorted(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string | undefined): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Orders `merged`: items named by `order` first in that order, other items interleaved by live order. */
function applyElementOrder(merged: unknown[], order: unknown[], server: unknown[], mergeKey: string | undefined): unknown[] {
  const inOrder: unknown[] = [];
  const others: unknown[] = [];
  for (const item of merged) (indexIn(order, item, mergeKey) >= 0 ? inOrder : others).push(item);
  inOrder.sort((a, b) => indexIn(order, a, mergeKey) - indexIn(order, b, mergeKey));
  return mergeSorted(others, inOrder, server, mergeKey);
}

function mergeList(original: unknown[], patch: unknown[], node: SchemaNode | undefined): unknown[] {
  const strategies = node?.patchStrategy ?? [];
  if (!strategies.includes('merge')) {
    // Replace: the patch's list is the new value. A bare `{$patch: replace}` element (what
    // clients send to replace a list) says nothing more; directives inside items are dropped.
    return patch
      .filter((v) => !(isObject(v) && DIRECTIVE in v && Object.keys(v).length === 1))
      .map((v) => (isObject(v) ? mergeMap({}, v, node?.items()) : clone(v)));
  }
  const mergeKey = node?.patchMergeKey;
  const isMapList = patch.some(isObject) || original.some(isObject);
  if (!isMapList) {
    const merged: unknown[] = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => deepEqual(m, v))) merged.push(clone(v));
    const patchItems = merged.filter((m) => patch.some((p) => deepEqual(p, m)));
    const serverOnly = merged.filter((m) => !patch.some((p) => deepEqual(p, m)));
    patchItems.sort((a, b) => indexIn(patch, a, undefined) - indexIn(patch, b, undefined));
    return mergeSorted(serverOnly, patchItems, original, undefined);
  }
  if (!mergeKey) throw newBadRequest('cannot merge lists without merge key');
  const itemNode = node?.items();
  // Special elements first: `$patch: replace` drops the live list, `$patch: delete` removes by key.
  let base = original.slice();
  const regular: JsonObject[] = [];
  for (const p of patch) {
    if (!isObject(p)) throw newBadRequest(`expected a map in a list merged by "${mergeKey}", got ${JSON.stringify(p)}`);
    const d = p[DIRECTIVE];
    if (d === 'replace') {
      base = [];
      continue;
    }
    if (d === 'delete') {
      if (!Object.hasOwn(p, mergeKey)) throw newBadRequest(`delete directive in a list needs the merge key "${mergeKey}"`);
      base = base.filter((o) => !(isObject(o) && deepEqual(o[mergeKey], p[mergeKey])));
      continue;
    }
    if (d !== undefined && d !== 'merge') badDirective(d);
    if (!Object.hasOwn(p, mergeKey)) throw newBadRequest(`map: ${JSON.stringify(p)} does not contain declared merge key: ${mergeKey}`);
    regular.push(p);
  }
  const merged = base.slice();
  for (const p of regular) {
    const at = merged.findIndex((o) => isObject(o) && deepEqual(o[mergeKey], p[mergeKey]));
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, p, itemNode);
    else merged.push(mergeMap({}, p, itemNode));
  }
  const patchItems = merged.filter((m) => indexIn(regular, m, mergeKey) >= 0);
  const serverOnly = merged.filter((m) => indexIn(regular, m, mergeKey) < 0);
  patchItems.sort((a, b) => indexIn(regular, a, mergeKey) - indexIn(regular, b, mergeKey));
  return mergeSorted(serverOnly, patchItems, original, mergeKey);
}
