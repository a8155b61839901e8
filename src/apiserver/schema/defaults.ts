/**
 * Structural defaulting: fills `default` values of absent fields, top-down, so defaults
 * inside a defaulted object apply too (an object defaulted to `{}` gets its fields' defaults).
 * A `null` for a non-nullable field is replaced by its default, or dropped when there is
 * none (as the API server does before validation). Root `metadata` is left alone.
 */
import type { JSONSchemaProps } from './types.js';
import { clone, isObject, propOf, type JsonObject } from './values.js';

/** Returns a defaulted copy of `obj`; never mutates it. */
export function applyDefaults<T>(schema: JSONSchemaProps, obj: T): T {
  const copy = clone(obj);
  walk(copy, schema, true);
  return copy;
}

function walk(v: unknown, s: JSONSchemaProps | undefined, root: boolean): void {
  if (!s) return;
  if (isObject(v)) defaultObject(v, s, root);
  else if (Array.isArray(v) && isObject(s.items)) for (const x of v) walk(x, s.items, false);
}

function defaultObject(v: JsonObject, s: JSONSchemaProps, root: boolean): void {
  if (isObject(s.properties)) {
    for (const [k, p] of Object.entries(s.properties)) {
      if (root && k === 'metadata') continue;
      if (!Object.hasOwn(v, k) || v[k] === undefined || (v[k] === null && !p.nullable)) {
        if (p.default !== undefined) v[k] = clone(p.default);
        else if (v[k] === null) delete v[k];
      }
    }
  }
  const additional = isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined;
  for (const [k, x] of Object.entries(v)) {
    if (root && k === 'metadata') continue;
    const p = propOf(s.properties, k) ?? additional;
    if (p) walk(x, p, false);
  }
}
