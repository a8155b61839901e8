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

/** The children of every node without any (never written: nodes get their own map on their first child). */
const NO_CHILDREN: ReadonlyMap<string, FieldSet> = new Map();

/**
 * A set of field paths, stored as a tree keyed by element tokens. Invariant: no child is
 * empty (every child is a member or has a member below it), so emptiness checks are O(1).
 * Leaves (most nodes) have no map of their own: every write's managedFields bookkeeping
 * builds and combines several of these trees, and a Map per leaf was most of what it allocated.
 */
export class FieldSet {
  /** whether the path leading here is itself a member */
  member = false;
  private kids: Map<string, FieldSet> | undefined = undefined;

  /** The children by token (read-only: change them with {@link setChild}, {@link childFor}, {@link deleteChild}). */
  get children(): ReadonlyMap<string, FieldSet> {
    return this.kids ?? NO_CHILDREN;
  }

  setChild(token: string, child: FieldSet): void {
    (this.kids ??= new Map()).set(token, child);
  }

  deleteChild(token: string): void {
    this.kids?.delete(token);
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const set = new FieldSet();
    if (!isObject(v)) return set;
    for (const token in v) {
      if (!Object.hasOwn(v, token)) continue;
      if (token === '.') {
        set.member = true;
        continue;
      }
      // Tokens are trusted to be well-formed past their prefix (they are parsed on use).
      if (!TOKEN_PREFIX.test(token)) continue;
      const child = FieldSet.fromFieldsV1(v[token]);
      // `{}` under a token: a leaf member.
      if (child.kids === undefined || child.kids.size === 0) child.member = true;
      set.setChild(token, child);
    }
    return set;
  }

  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    const kids = this.kids;
    if (kids === undefined || kids.size === 0) return out;
    if (this.member) out['.'] = {};
    // Tokens in order; a set decoded from FieldsV1 (every entry but the write's own) already is.
    let sorted = true;
    let prev = '';
    for (const token of kids.keys()) {
      if (token < prev) {
        sorted = false;
        break;
      }
      prev = token;
    }
    if (sorted) for (const [token, c] of kids) out[token] = c.toFieldsV1();
    else for (const token of [...kids.keys()].sort()) out[token] = kids.get(token)!.toFieldsV1();
    return out;
  }

  isEmpty(): boolean {
    return !this.member && (this.kids === undefined || this.kids.size === 0);
  }

  /** The child for `token`, created when missing (callers must not leave it empty). */
  childFor(token: string): FieldSet {
    const kids = (this.kids ??= new Map());
    let c = kids.get(token);
    if (!c) kids.set(token, (c = new FieldSet()));
    return c;
  }

  insert(path: FieldPath): void {
    let n: FieldSet = this;
    for (const e of path) n = n.childFor(elementToken(e));
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
      n = n.kids?.get(elementToken(e));
      if (!n) return undefined;
    }
    return n;
  }

  /** Every member path, parents before children. */
  paths(): FieldPath[] {
    const out: FieldPath[] = [];
    const walk = (n: FieldSet, prefix: PathElement[]) => {
      if (n.member) out.push(prefix);
      for (const [t, c] of n.children) walk(c, [...prefix, parseElementToken(t) ?? { field: t }]);
    };
    walk(this, []);
    return out;
  }

  union(other: FieldSet): FieldSet {
    return this.clone().add(other);
  }

  /** Adds every member of `other` to this set, in place (what {@link union} does to a copy); returns this set. */
  add(other: FieldSet): this {
    if (other.member) this.member = true;
    if (other.kids) for (const [t, c] of other.kids) this.childFor(t).add(c);
    return this;
  }

  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && !other.member;
    if (this.kids === undefined) return out;
    for (const [t, c] of this.kids) {
      const o = other.kids?.get(t);
      const d = o ? c.difference(o) : c.clone();
      if (!d.isEmpty()) out.setChild(t, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && other.member;
    if (this.kids === undefined) return out;
    for (const [t, c] of this.kids) {
      const o = other.kids?.get(t);
      if (!o) continue;
      const d = c.intersection(o);
      if (!d.isEmpty()) out.setChild(t, d);
    }
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    if (this.kids) for (const [t, c] of this.kids) out.setChild(t, c.clone());
    return out;
  }
}

const TOKEN_PREFIX = /^[fkvi]:/;

/** Whether `o` has an own enumerable key (without an array of its keys). */
function hasOwnKeys(o: JsonObject): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}

/** Fields server-side apply never tracks (as upstream's strip-meta step). */
const STRIPPED_META = new Set(['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']);

/** Key of an associative-list item: its key fields that are present. */
export function listItemKey(item: unknown, keys: readonly string[]): Record<string, unknown> | undefined {
  if (!isObject(item)) return undefined;
  const key: Record<string, unknown> = {};
  let any = false;
  for (const k of keys) {
    if (Object.hasOwn(item, k) && item[k] !== null && item[k] !== undefined) {
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
  // Walks `v` into `into`; `into` is the set node of v's own path.
  const walk = (v: unknown, node: SchemaNode, into: FieldSet, depth: number, inMetadata: boolean): void => {
    if (isObject(v)) {
      if (node.mapType === 'atomic' || node.type === 'scalar' || !hasOwnKeys(v)) {
        into.member = true;
        return;
      }
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        if (depth === 0 && (k === 'apiVersion' || k === 'kind')) continue;
        if (inMetadata && STRIPPED_META.has(k)) continue;
        const token = `f:${k}`;
        // (a child already there: a second list item with the same key, whose fields merge in)
        const c = into.children.get(token) ?? new FieldSet();
        walk(v[k], node.field(k) ?? ANY_NODE, c, depth + 1, depth === 0 && k === 'metadata');
        if (!c.isEmpty()) into.setChild(token, c);
      }
      return;
    }
    if (Array.isArray(v)) {
      if (v.length === 0 || node.type !== 'array') {
        into.member = true;
        return;
      }
      const items = node.items() ?? ANY_NODE;
      if (isAssociative(node) && v.every((x) => listItemKey(x, node.listMapKeys))) {
        for (const item of v) {
          const c = into.childFor(elementToken({ key: listItemKey(item, node.listMapKeys)! }));
          c.member = true;
          for (const [k, x] of Object.entries(item as JsonObject)) {
            const fc = c.childFor(`f:${k}`);
            walk(x, items.field(k) ?? ANY_NODE, fc, depth + 2, false);
            if (fc.isEmpty()) c.deleteChild(`f:${k}`);
          }
        }
        return;
      }
      if (node.listType === 'set' && v.every((x) => !isObject(x) && !Array.isArray(x))) {
        for (const item of v) into.childFor(elementToken({ value: item })).member = true;
        return;
      }
      into.member = true;
      return;
    }
    if (depth > 0) into.member = true;
  };
  walk(obj, root ?? ANY_NODE, set, 0, false);
  // metadata holding only server-managed fields owns nothing: drop an empty f:metadata
  return set;
}

/** Thrown by {@link fieldsV1FromObject} when two list items share a token (their fields merge: the general walk does that). */
const DUPLICATE_ITEM = Symbol('duplicate list item');

/**
 * `fieldSetFromObject(obj, root).toFieldsV1()` less `ignore`d top-level fields, in one walk that
 * writes the FieldsV1 directly (no FieldSet tree): what a create records, where every field of
 * the new object is the creator's. `undefined` when the object sets no tracked field.
 */
export function fieldsV1FromObject(obj: unknown, root: SchemaNode | undefined, ignore?: readonly string[]): JsonObject | undefined {
  try {
    const out = fieldsBelow(obj, root ?? ANY_NODE, 0, false, ignore);
    return out === LEAF ? undefined : out;
  } catch (e) {
    if (e !== DUPLICATE_ITEM) throw e;
    const set = fieldSetFromObject(obj, root);
    if (ignore) for (const f of ignore) set.deleteChild(`f:${f}`);
    return set.isEmpty() ? undefined : set.toFieldsV1();
  }
}

/**
 * `f:<name>`, the same string for the same name: most names recur on every write of a kind,
 * and a property key V8 has seen is cheaper to set than a fresh string (bounded: label keys and
 * data keys are the client's).
 */
function fieldToken(name: string): string {
  let t = FIELD_TOKENS.get(name);
  if (t === undefined) {
    if (FIELD_TOKENS.size >= 4096) FIELD_TOKENS.clear();
    FIELD_TOKENS.set(name, (t = `f:${name}`));
  }
  return t;
}

const FIELD_TOKENS = new Map<string, string>();

/** A member with nothing below (`{}` in FieldsV1); never handed out, each use gets its own `{}`. */
const LEAF: JsonObject = Object.freeze({}) as JsonObject;

/** The FieldsV1 of `v` at a node (LEAF for a leaf member; undefined when nothing below is tracked). */
function fieldsBelow(v: unknown, node: SchemaNode, depth: number, inMetadata: boolean, ignore: readonly string[] | undefined): JsonObject | undefined {
  if (isObject(v)) {
    if (node.mapType === 'atomic' || node.type === 'scalar' || !hasOwnKeys(v)) return LEAF;
    let tokens: string[] | undefined;
    let kids: JsonObject[] | undefined;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      if (depth === 0 && (k === 'apiVersion' || k === 'kind' || (ignore !== undefined && ignore.includes(k)))) continue;
      if (inMetadata && STRIPPED_META.has(k)) continue;
      const c = fieldsBelow(v[k], node.field(k) ?? ANY_NODE, depth + 1, depth === 0 && k === 'metadata', undefined);
      if (c === undefined) continue;
      (tokens ??= []).push(fieldToken(k));
      (kids ??= []).push(c === LEAF ? {} : c);
    }
    return tokens === undefined ? undefined : sortedObject(tokens, kids!);
  }
  if (Array.isArray(v)) {
    if (v.length === 0 || node.type !== 'array') return LEAF;
    const items = node.items() ?? ANY_NODE;
    if (isAssociative(node) && v.every((x) => listItemKey(x, node.listMapKeys))) {
      const tokens: string[] = [];
      const kids: JsonObject[] = [];
      for (const item of v) {
        const token = elementToken({ key: listItemKey(item, node.listMapKeys)! });
        // an item is a member itself (`.`), then its fields, each walked (as fieldSetFromObject
        // does, whatever the item's own map type)
        const c = itemFields(item as JsonObject, items, depth + 2);
        tokens.push(token);
        kids.push(c);
      }
      return sortedObject(tokens, kids);
    }
    if (node.listType === 'set' && v.every((x) => !isObject(x) && !Array.isArray(x))) {
      const tokens: string[] = [];
      const kids: JsonObject[] = [];
      for (const item of v) {
        tokens.push(elementToken({ value: item }));
        kids.push({});
      }
      return sortedObject(tokens, kids);
    }
    return LEAF;
  }
  return depth > 0 ? LEAF : undefined;
}

/** The FieldsV1 of an associative-list item: `.` then its fields in token order. */
function itemFields(item: JsonObject, items: SchemaNode, depth: number): JsonObject {
  const tokens: string[] = [];
  const kids: JsonObject[] = [];
  for (const k in item) {
    if (!Object.hasOwn(item, k)) continue;
    const c = fieldsBelow(item[k], items.field(k) ?? ANY_NODE, depth, false, undefined);
    if (c === undefined) continue;
    tokens.push(fieldToken(k));
    kids.push(c === LEAF ? {} : c);
  }
  const out: JsonObject = { '.': {} };
  return tokens.length ? Object.assign(out, sortedObject(tokens, kids)) : out;
}

/** `{token: kid}` in token order; two equal tokens (list items with one key) leave it to the general walk. */
function sortedObject(tokens: string[], kids: JsonObject[]): JsonObject {
  const out: JsonObject = {};
  let sorted = true;
  for (let i = 1; i < tokens.length; i++) {
    if (tokens[i] <= tokens[i - 1]) {
      if (tokens[i] === tokens[i - 1]) throw DUPLICATE_ITEM;
      sorted = false;
    }
  }
  if (sorted) {
    for (let i = 0; i < tokens.length; i++) out[tokens[i]] = kids[i];
    return out;
  }
  const order = tokens.map((_, i) => i).sort((a, b) => (tokens[a] < tokens[b] ? -1 : tokens[a] > tokens[b] ? 1 : 0));
  for (let j = 0; j < order.length; j++) {
    const i = order[j];
    if (j > 0 && tokens[i] === tokens[order[j - 1]]) throw DUPLICATE_ITEM;
    out[tokens[i]] = kids[i];
  }
  return out;
}

/**
 * Whether `obj` writes exactly `fields` (what {@link fieldsV1FromObject} would build), checked in
 * a walk that allocates nothing; `false` also when it cannot tell without building (lists with
 * items). Lets a create reuse the FieldsV1 the type's last create built: objects of one kind from
 * one client mostly set the same fields.
 */
export function writesFieldsV1(obj: unknown, root: SchemaNode | undefined, fields: JsonObject, ignore?: readonly string[]): boolean {
  return matches(obj, root ?? ANY_NODE, fields, 0, false, ignore);
}

function matches(v: unknown, node: SchemaNode, f: JsonObject | undefined, depth: number, inMetadata: boolean, ignore: readonly string[] | undefined): boolean {
  if (isObject(v)) {
    if (node.mapType === 'atomic' || node.type === 'scalar' || !hasOwnKeys(v)) return f !== undefined && !hasOwnKeys(f);
    let n = 0;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      if (depth === 0 && (k === 'apiVersion' || k === 'kind' || (ignore !== undefined && ignore.includes(k)))) continue;
      if (inMetadata && STRIPPED_META.has(k)) continue;
      const token = fieldToken(k);
      const c = f !== undefined && Object.hasOwn(f, token) ? (f[token] as JsonObject) : undefined;
      if (!matches(v[k], node.field(k) ?? ANY_NODE, c, depth + 1, depth === 0 && k === 'metadata', undefined)) return false;
      if (c !== undefined) n++;
    }
    if (f === undefined) return true; // (every child wrote nothing, as checked)
    let m = 0;
    for (const k in f) if (Object.hasOwn(f, k)) m++;
    return n > 0 && m === n;
  }
  if (Array.isArray(v)) {
    if (v.length === 0 || node.type !== 'array') return f !== undefined && !hasOwnKeys(f);
    if (isAssociative(node) || node.listType === 'set') return false; // items' tokens: build instead
    return f !== undefined && !hasOwnKeys(f);
  }
  return depth > 0 ? f !== undefined && !hasOwnKeys(f) : f === undefined;
}

/** Freezes a FieldsV1 and everything in it (one object shared by many stored objects). */
export function freezeFieldsV1(f: JsonObject): JsonObject {
  for (const k in f) if (Object.hasOwn(f, k)) freezeFieldsV1(f[k] as JsonObject);
  return Object.freeze(f);
}

/** Per-walk index of list items by token; never kept across calls (lists may be mutated later). */
export type ItemIndex = WeakMap<unknown[], Map<string, Map<string, unknown>>>;

/** The item of `list` a `k:`/`v:`/`i:` token names (indexed once per list and key shape in `keyIndexCache`). */
export function itemForToken(list: unknown[], token: string, keyIndexCache: ItemIndex = new WeakMap()): unknown {
  if (token.startsWith('i:')) return list[Number(token.slice(2))];
  let byShape = keyIndexCache.get(list);
  if (!byShape) keyIndexCache.set(list, (byShape = new Map()));
  if (token.startsWith('v:')) {
    let idx = byShape.get('v:');
    if (!idx) {
      idx = new Map();
      for (const x of list) if (!isObject(x) && !Array.isArray(x)) idx.set(`v:${JSON.stringify(x)}`, x);
      byShape.set('v:', idx);
    }
    return idx.get(token);
  }
  const e = parseElementToken(token);
  if (!e || !('key' in e)) return undefined;
  const shape = Object.keys(e.key).sort().join(',');
  let idx = byShape.get(shape);
  if (!idx) {
    idx = new Map();
    const keys = shape.split(',');
    for (const x of list) {
      const k = listItemKey(x, keys);
      if (k && Object.keys(k).length === keys.length) {
        const t = elementToken({ key: k });
        if (!idx.has(t)) idx.set(t, x);
      }
    }
    byShape.set(shape, idx);
  }
  return idx.get(token);
}

/** The child value a token names inside `v`, or undefined. */
export function childForToken(v: unknown, token: string, index?: ItemIndex): unknown {
  if (token.startsWith('f:')) return isObject(v) && Object.hasOwn(v, token.slice(2)) ? v[token.slice(2)] : undefined;
  return Array.isArray(v) ? itemForToken(v, token, index) : undefined;
}

/** The value at `path` in `obj` (a list item for key/value elements), or undefined. */
export function valueAt(obj: unknown, path: FieldPath): unknown {
  let v: unknown = obj;
  for (const e of path) {
    if ('field' in e) v = isObject(v) && Object.hasOwn(v, e.field) ? v[e.field] : undefined;
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
