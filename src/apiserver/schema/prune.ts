/**
 * Structural pruning: drops the fields of a custom resource that its schema does not
 * declare, as the API server does before storing. Kept: `apiVersion`, `kind`, `metadata` at
 * the root and in `x-kubernetes-embedded-resource` objects, everything under
 * `x-kubernetes-preserve-unknown-fields: true` (declared properties there are still pruned
 * inside), map values under `additionalProperties`. Root `metadata` is left to the server.
 */
import type { GroupVersionKind } from '../../api/index.js';
import { StatusError } from '../../api/index.js';
import { builtinSchemaNode, type SchemaNode } from './nodes.js';
import type { JSONSchemaProps } from './types.js';
import { child, clone, index, isObject, propOf, type JsonObject } from './values.js';

export interface PruneResult {
  /** a pruned copy of the input */
  object: unknown;
  /** paths of the removed fields, like `spec.foo` or `spec.items[0].bar`, in document order */
  pruned: string[];
}

/** Removes undeclared fields; never mutates `obj`. */
export function prune(schema: JSONSchemaProps, obj: unknown): PruneResult {
  const copy = clone(obj);
  const pruned: string[] = [];
  walk(copy, schema, '', true, pruned);
  return { object: copy, pruned };
}

const RESOURCE_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

function walk(v: unknown, s: JSONSchemaProps | undefined, path: string, resourceRoot: boolean, pruned: string[]): void {
  if (!s) return;
  if (isObject(v)) pruneObject(v, s, path, resourceRoot, pruned);
  else if (Array.isArray(v) && isObject(s.items)) {
    const items = s.items;
    v.forEach((x, i) => walk(x, items, index(path, i), items['x-kubernetes-embedded-resource'] === true, pruned));
  }
}

function pruneObject(v: JsonObject, s: JSONSchemaProps, path: string, resourceRoot: boolean, pruned: string[]): void {
  if (s['x-kubernetes-int-or-string']) return;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const additional = isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined;
  const allowAny = preserve || s.additionalProperties === true;
  for (const k of Object.keys(v)) {
    if (resourceRoot && RESOURCE_FIELDS.has(k)) {
      // Root metadata is the server's; embedded metadata is kept as is (upstream prunes it to ObjectMeta).
      if (k !== 'metadata' && propOf(s.properties, k)) walk(v[k], propOf(s.properties, k), child(path, k), false, pruned);
      continue;
    }
    const p = propOf(s.properties, k);
    if (p) walk(v[k], p, child(path, k), p['x-kubernetes-embedded-resource'] === true, pruned);
    else if (additional) walk(v[k], additional, child(path, k), additional['x-kubernetes-embedded-resource'] === true, pruned);
    else if (!allowAny) {
      pruned.push(child(path, k));
      delete v[k];
    }
  }
}

/**
 * Pruning for built-in kinds, from swagger.json: the fields a Go struct would drop when
 * decoding (unknown fields in objects with declared properties), so the server can honour
 * `fieldValidation` for Deployments, Pods... as for custom resources. Free-form values
 * (RawExtension, FieldsV1, JSON) keep everything. Returns undefined for kinds that are not
 * built in.
 */
export function pruneBuiltin(gvk: GroupVersionKind, obj: unknown): PruneResult | undefined {
  const node = builtinSchemaNode(gvk);
  if (!node) return undefined;
  const copy = clone(obj);
  const pruned: string[] = [];
  walkNode(copy, node, '', pruned);
  return { object: copy, pruned };
}

function walkNode(v: unknown, node: SchemaNode, path: string, pruned: string[]): void {
  if (node.type === 'any' || node.type === 'scalar') return;
  if (isObject(v) && node.type === 'object') {
    for (const k of Object.keys(v)) {
      const c = node.field(k);
      if (c) walkNode(v[k], c, child(path, k), pruned);
      else {
        pruned.push(child(path, k));
        delete v[k];
      }
    }
  } else if (Array.isArray(v) && node.type === 'array') {
    const items = node.items();
    if (items) v.forEach((x, i) => walkNode(x, items, index(path, i), pruned));
  }
}

/**
 * The 400 the API server answers for `fieldValidation=Strict` when fields were pruned:
 * `AliyunLogConfig in version "v1alpha1" cannot be handled as a AliyunLogConfig: strict decoding error: unknown field "spec.foo"`.
 */
export function strictDecodingError(gvk: GroupVersionKind, pruned: string[]): StatusError {
  const detail = `strict decoding error: ${unknownFieldWarnings(pruned).join(', ')}`;
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${gvk.kind} in version "${gvk.version}" cannot be handled as a ${gvk.kind}: ${detail}`,
    reason: 'BadRequest',
    code: 400,
  });
}

/** The `Warning` header texts for `fieldValidation=Warn` (the default): `unknown field "spec.foo"`. */
export function unknownFieldWarnings(pruned: string[]): string[] {
  return pruned.map((p) => `unknown field "${p}"`);
}
