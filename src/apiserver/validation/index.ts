/**
 * Unknown fields in built-in objects, as kube-apiserver's decoder treats them: with
 * `fieldValidation=Strict` (kubectl's default) a 400 `strict decoding error: unknown field
 * "spec.foo"`; otherwise the fields are dropped, with a warning unless `Ignore`. The schema is
 * the official swagger document (via the schema module). Custom resources are handled by the
 * CRD layer (pruning against their structural schema).
 */
import { newBadRequest } from '../../api/index.js';
import type { AdmissionPlugin } from '../admission/index.js';
import type { ResourceType } from '../resources/index.js';
import { builtinSchemaNode, fieldPathText, type SchemaNode, type UnknownField } from '../schema/index.js';

type Unknown = UnknownField;

/**
 * Collects the fields of `value` that `node` does not declare. `at[0..depth)` is the path
 * walked so far, as segments (`spec`, `[0]`): the path text is only built for an unknown
 * field, so an object without any builds no strings.
 */
function walk(node: SchemaNode, value: unknown, at: (string | number)[], depth: number, out: Unknown[]): void {
  if (node.type === 'any' || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    const items = node.items();
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      at[depth] = i;
      walk(items, value[i], at, depth + 1, out);
    }
    return;
  }
  if (node.type !== 'object') return;
  const obj = value as Record<string, unknown>;
  // for-in: own keys without a key array per object
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    const f = node.field(key);
    at[depth] = key;
    if (!f) out.push({ path: pathText(at, depth + 1), parent: obj, key });
    else walk(f, obj[key], at, depth + 1, out);
  }
}

/**
 * The segments of the walk in progress: one array for every walk (they are synchronous), so
 * a write allocates none; its slots are overwritten, never shrunk.
 */
const AT: (string | number)[] = [];

/** The unknown fields of the check in progress (emptied as soon as they are taken). */
const FOUND: Unknown[] = [];

function walkFrom(node: SchemaNode, value: unknown, out: Unknown[]): void {
  walk(node, value, AT, 0, out);
}

/** `spec.containers[0].foo` from its first `n` segments (the decoding walk's text, schema/decode.ts). */
const pathText = fieldPathText;

/** Paths of fields the built-in kind does not declare (`spec.template.spec.containers[0].foo`). */
export function unknownBuiltinFields(gvk: { group: string; version: string; kind: string }, obj: unknown): string[] {
  const node = builtinSchemaNode(gvk);
  if (!node) return [];
  const out: Unknown[] = [];
  walkFrom(node, obj, out);
  return out.map((u) => u.path);
}

export function builtinFieldValidation(): AdmissionPlugin {
  // per type: one lookup on its first write (a key string per write cost more than the lookup)
  const nodes = new WeakMap<ResourceType, SchemaNode | null>();
  const nodeFor = (t: ResourceType): SchemaNode | null => {
    let n = nodes.get(t);
    if (n === undefined) {
      try {
        n = builtinSchemaNode({ group: t.group, version: t.version, kind: t.kind }) ?? null;
      } catch {
        n = null; // documents unavailable: no validation rather than failed writes
      }
      nodes.set(t, n);
    }
    return n;
  };
  return {
    name: 'BuiltinFieldValidation',
    admit(req) {
      if (!req.type.builtin || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return;
      // A subresource's own object (a Binding for pods/binding) is not the type's kind: its body was decoded as its kind already.
      if (req.object.kind !== undefined && req.object.kind !== req.type.kind) return;
      const node = nodeFor(req.type);
      if (!node) return;
      // What the create's decoding walk found, when it handed it on (the same fields this walk
      // would find: see AdmissionRequest.unknownFields); else the walk, collecting into a shared
      // array (writes are synchronous here): one of its own only when it found something.
      let found: readonly Unknown[] | undefined = req.unknownFields;
      if (found) {
        req.unknownFields = undefined;
        if (found.length === 0) return;
      } else {
        try {
          walkFrom(node, req.object, FOUND);
        } catch (e) {
          FOUND.length = 0;
          throw e;
        }
        if (FOUND.length === 0) return;
        found = FOUND.splice(0);
      }
      if (req.fieldValidation === 'Strict') {
        const { kind, version } = req.type;
        throw newBadRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${found.map((u) => `unknown field "${u.path}"`).join(', ')}`);
      }
      for (const u of found) {
        delete u.parent[u.key];
        if (req.fieldValidation !== 'Ignore') req.warn?.(`unknown field "${u.path}"`);
      }
    },
  };
}
