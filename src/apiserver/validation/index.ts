/**
 * Unknown fields in built-in objects, as kube-apiserver's decoder treats them: with
 * `fieldValidation=Strict` (kubectl's default) a 400 `strict decoding error: unknown field
 * "spec.foo"`; otherwise the fields are dropped, with a warning unless `Ignore`. The schema is
 * the official swagger document (via the schema module). Custom resources are handled by the
 * CRD layer (pruning against their structural schema).
 */
import { newBadRequest } from '../../api/index.js';
import type { AdmissionPlugin } from '../admission/index.js';
import { builtinSchemaNode, type SchemaNode } from '../schema/index.js';

interface Unknown {
  path: string;
  parent: Record<string, unknown>;
  key: string;
}

function walk(node: SchemaNode, value: unknown, path: string, out: Unknown[]): void {
  if (node.type === 'any' || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    const items = node.items();
    if (items) value.forEach((v, i) => walk(items, v, `${path}[${i}]`, out));
    return;
  }
  if (node.type !== 'object') return;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const p = path ? `${path}.${key}` : key;
    const f = node.field(key);
    if (!f) out.push({ path: p, parent: obj, key });
    else walk(f, obj[key], p, out);
  }
}

/** Paths of fields the built-in kind does not declare (`spec.template.spec.containers[0].foo`). */
export function unknownBuiltinFields(gvk: { group: string; version: string; kind: string }, obj: unknown): string[] {
  const node = builtinSchemaNode(gvk);
  if (!node) return [];
  const out: Unknown[] = [];
  walk(node, obj, '', out);
  return out.map((u) => u.path);
}

export function builtinFieldValidation(): AdmissionPlugin {
  const nodes = new Map<string, SchemaNode | null>();
  const nodeFor = (group: string, version: string, kind: string): SchemaNode | null => {
    const key = `${group}/${version}/${kind}`;
    let n = nodes.get(key);
    if (n === undefined) {
      try {
        n = builtinSchemaNode({ group, version, kind }) ?? null;
      } catch {
        n = null; // documents unavailable: no validation rather than failed writes
      }
      nodes.set(key, n);
    }
    return n;
  };
  return {
    name: 'BuiltinFieldValidation',
    admit(req) {
      if (!req.type.builtin || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return;
      const node = nodeFor(req.type.group, req.type.version, req.type.kind);
      if (!node) return;
      const found: Unknown[] = [];
      walk(node, req.object, '', found);
      if (found.length === 0) return;
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
