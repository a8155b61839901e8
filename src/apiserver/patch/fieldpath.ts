/**
 * Field paths and field sets in the structured-merge-diff model behind server-side apply,
 * and their `FieldsV1` encoding used in metadata.managedFields:
 *   `f:<name>` a field of a map, `k:{"name":"nginx"}` an item of an associative list (keys
 *   sorted), `v:"value"` an item of a set list, `i:<n>` an item of an atomic list by index,
 *   and `.` marking that the node itself (not only its children) is in the set.
 */
import type { SchemaNode } from '../schema/index.js';
import { ANY_NODE } from '../schema/index.js';
import { deepEqual, isObject, type JsonObject } from './util.js';

export type PathElement = { field: string } | { key: Record<string, unknown> } | { value: unknown } | { index: number };
export type FieldPath = readonly PathElement[];

function sortedKeyJson(key: Record<string, unknown>): string {
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(key).sort()) o[k] = key[k];
  return JSON.stringify(o);
}

/** The FieldsV1 token of an element: `f:name`, `k:{...}`, `v:...`, `i:0`. */
export function elementToken(e: PathElement): string {
  if ('field' in e) return `f:${e.field}`;
  if ('key' in e) return `k:${sortedKeyJson(e.key)}`;
  if ('value' in e) return `v:${JSON.stringify(e.value)}`;
  return `i:${e.index}`;
}

/** Inverse of {@link elementToken}; undefined for tokens that are not understood. */
export function parseElementToken(token: string): PathElement | undefined {
  const body = token.slice(2);
  try {
    switch (token.slice(0, 2)) {
      case 'f:':
        return { field: body };
      case 'k:': {
        const key = JSON.parse(body);
        return isObject(key) ? { key } : undefined;
      }
      case 'v:':
        return { value: JSON.parse(body) };
      case 'i:':
        return /^\d+$/.test(body) ? { index: Number(body) } : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** `.spec.containers[name="nginx"].image`, as structured-merge-diff prints paths in conflict messages. */
export function pathString(path: FieldPath): string {
  let s = '';
  for (const e of path) {
    if ('field' in e) s += `.${e.field}`;
    else if ('key' in e)
      s += `[${Object.keys(e.key)
        .sort()
        .map((k) => `${k}=${JSON.stringify(e.key[k])}`)
        .join(',')}]`;
    else if ('value' in e) s += `[=${JSON.stringify(e.value)}]`;
    else s += `[${e.index}]`;
  }
  return s;
}

/** A set of field paths, stored as a tree keyed by element tokens. */
export class FieldSet {
  /** whether the path leading here is itself a member */
  member = false;
  readonly children = new Map<string, FieldSet>();

  static fromFieldsV1(v: unknown): FieldSet {
    const set = new FieldSet();
    if (!isObject(v)) return set;
    for (const [token, sub] of Object.entries(v)) {
      if (token === '.') {
        set.member = true;
        continue;
      }
      if (!parseElementToken(token)) continue;
      const child = FieldSet.fromFieldsV1(sub);
      // `{}` under a token: a leaf member.
      if (child.children.size === 0) child.member = true;
      set.children.set(token, child);
    }
    return set;
  }

  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    if (this.member && this.children.size > 0) out['.'] = {};
    for (const token of [...this.children.keys()].sort()) {
      const child = this.children.get(token)!;
      if (child.isEmpty()) continue;
      out[token] = child.toFieldsV1();
    }
    return out;
  }

  isEmpty(): boolean {
    if (this.member) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  insert(path: FieldPath): void {
    let n: FieldSet = this;
    for (const e of path) {
      const t = elementToken(e);
      let c = n.children.get(t);
      if (!c) n.children.set(t, (c = new FieldSet()));
      n = c;
    }
    n.member = true;
  }

  has(path: FieldPath): boolean {
    const n = this.node(path);
    return !!n && n.member;
  }

  /** True when the set holds `path` or anything below it. */
  hasPrefix(path: FieldPath): boolean {
    const n = this.node(path);
    return !!n && !n.isEmpty();
  }

  private node(path: FieldPath): FieldSet | undefined {
    let n: FieldSet | undefined = this;
    for (const e of path) {
      n = n.children.get(elementToken(e));
      if (!n) return undefined;
    }
    return n;
  }

  /** Every member path, parents before children. */
  paths(): FieldPath[] {
    const out: FieldPath[] = [];
    const walk = (n: FieldSet, prefix: PathElement[]) => {
      if (n.member) out.push(prefix);
      for (const [t, c] of n.children) walk(c, [...prefix, parseElementToken(t)!]);
    };
    walk(this, []);
    return out;
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    for (const p of other.paths()) out.insert(p);
    return out;
  }

  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const p of this.paths()) if (!other.has(p)) out.insert(p);
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const p of this.paths()) if (other.has(p)) out.insert(p);
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    for (const [t, c] of this.children) out.children.set(t, c.clone());
    return out;
  }
}

/** Fields server-side apply never tracks (as upstream's strip-meta step). */
const STRIPPED_META = new Set(['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']);

/** Key of an associative-list item: its key fields that are present. */
export function listItemKey(item: unknown, keys: readonly string[]): Record<string, unknown> | undefined {
  if (!isObject(item)) return undefined;
  const key: Record<string, unknown> = {};
  let any = false;
  for (const k of keys) {
    if (k in item && item[k] !== null) {
      key[k] = item[k];
      any = true;
    }
  }
  return any ? key : undefined;
}

function isAssociative(node: SchemaNode): boolean {
  return node.listType === 'map' && node.listMapKeys.length > 0;
}

/**
 * The set of fields an object sets, as server-side apply records ownership: leaves (scalars,
 * empty maps and lists, atomic maps and lists), items of associative and set lists.
 * `apiVersion`, `kind` and server-managed metadata are not tracked.
 */
export function fieldSetFromObject(obj: unknown, root: SchemaNode | undefined): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, node: SchemaNode, path: PathElement[]): void => {
    if (isObject(v)) {
      const keys = Object.keys(v);
      if (node.mapType === 'atomic' || node.type === 'scalar' || keys.length === 0) {
        set.insert(path);
        return;
      }
      for (const k of keys) {
        if (path.length === 0 && (k === 'apiVersion' || k === 'kind')) continue;
        if (path.length === 1 && 'field' in path[0] && path[0].field === 'metadata' && STRIPPED_META.has(k)) continue;
        walk(v[k], node.field(k) ?? ANY_NODE, [...path, { field: k }]);
      }
      return;
    }
    if (Array.isArray(v)) {
      if (v.length === 0 || node.type !== 'array') {
        set.insert(path);
        return;
      }
      const items = node.items() ?? ANY_NODE;
      if (isAssociative(node) && v.every((x) => listItemKey(x, node.listMapKeys))) {
        for (const item of v) {
          const p = [...path, { key: listItemKey(item, node.listMapKeys)! }];
          set.insert(p);
          for (const k of Object.keys(item as JsonObject)) walk((item as JsonObject)[k], items.field(k) ?? ANY_NODE, [...p, { field: k }]);
        }
        return;
      }
      if (node.listType === 'set' && v.every((x) => !isObject(x) && !Array.isArray(x))) {
        for (const item of v) set.insert([...path, { value: item }]);
        return;
      }
      set.insert(path);
      return;
    }
    if (path.length > 0) set.insert(path);
  };
  if (isObject(obj) && isObject(obj.metadata) && Object.keys(obj.metadata).every((k) => STRIPPED_META.has(k))) {
    // metadata that only holds server-managed fields owns nothing
    const { metadata: _m, ...rest } = obj;
    void _m;
    walk(rest, root ?? ANY_NODE, []);
  } else walk(obj, root ?? ANY_NODE, []);
  return set;
}

/** The value at `path` in `obj` (a list item for key/value elements), or undefined. */
export function valueAt(obj: unknown, path: FieldPath): unknown {
  let v: unknown = obj;
  for (const e of path) {
    if ('field' in e) v = isObject(v) ? v[e.field] : undefined;
    else if ('key' in e) v = Array.isArray(v) ? v.find((x) => deepEqual(listItemKey(x, Object.keys(e.key)), e.key)) : undefined;
    else if ('value' in e) v = Array.isArray(v) ? v.find((x) => deepEqual(x, e.value)) : undefined;
    else v = Array.isArray(v) ? v[e.index] : undefined;
    if (v === undefined) return undefined;
  }
  return v;
}

/** Removes the value at `path` from `obj` in place (maps lose the key, lists the item). */
export function removeAt(obj: unknown, path: FieldPath): void {
  if (path.length === 0) return;
  const parent = valueAt(obj, path.slice(0, -1));
  const e = path[path.length - 1];
  if ('field' in e) {
    if (isObject(parent)) delete parent[e.field];
    return;
  }
  if (!Array.isArray(parent)) return;
  let i = -1;
  if ('key' in e) i = parent.findIndex((x) => deepEqual(listItemKey(x, Object.keys(e.key)), e.key));
  else if ('value' in e) i = parent.findIndex((x) => deepEqual(x, e.value));
  else i = e.index < parent.length ? e.index : -1;
  if (i >= 0) parent.splice(i, 1);
}
