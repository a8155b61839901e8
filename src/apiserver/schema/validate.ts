/**
 * Validation of a custom resource against its CRD structural schema, with the field paths,
 * error types and messages the Kubernetes API server produces (kube-openapi's validator as
 * converted by apiextensions-apiserver), e.g.
 *   spec.shardCount: Invalid value: 50: spec.shardCount in body should be less than or equal to 10
 *   spec.logstore: Required value
 *   spec.inputType: Unsupported value: "xml": supported values: "file", "plugin"
 *   spec.x: Invalid value: "string": spec.x in body must be of type integer: "string"
 * A hand-written walker rather than ajv: ajv's messages and instance paths differ from
 * upstream's and the Kubernetes extensions (int-or-string, embedded resources, list types)
 * need their own rules anyway.
 */
import type { FieldError } from '../../api/index.js';
import { checkFormat } from './formats.js';
import { compilePattern } from './pattern.js';
import type { JSONSchemaProps } from './types.js';
import { child, deepEqual, duplicateIndexes, index, isObject, jsonType, propOf, renderValue } from './values.js';

/**
 * Validates `obj` against `schema`. `pathPrefix` is the field path of `obj` ('' for a whole
 * resource, whose `apiVersion`, `kind` and `metadata` are left to the server).
 */
export function validate(schema: JSONSchemaProps, obj: unknown, pathPrefix = ''): FieldError[] {
  const errs: FieldError[] = [];
  walk(schema, obj, pathPrefix, errs, pathPrefix === '');
  return errs;
}

const invalid = (field: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, message: `${renderValue(value)}: ${detail}` });
const typeInvalid = (field: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, message: `${renderValue(value)}: ${detail}` });
const inBody = (field: string) => `${field || '.'} in body`;

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

function walk(s: JSONSchemaProps, v: unknown, path: string, errs: FieldError[], resourceRoot: boolean): void {
  if (v === undefined) return;
  if (v === null) {
    if (s.nullable || (!s.type && !s['x-kubernetes-int-or-string'])) return;
    errs.push(typeInvalid(path, 'null', `${inBody(path)} must be of type ${s['x-kubernetes-int-or-string'] ? 'integer,string' : s.type}: "null"`));
    return;
  }
  // Type.
  if (s['x-kubernetes-int-or-string']) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      errs.push(typeInvalid(path, jsonType(v), `${inBody(path)} must be of type integer,string: ${JSON.stringify(jsonType(v))}`));
      return;
    }
  } else if (s.type && !typeMatches(s.type, v)) {
    errs.push(typeInvalid(path, jsonType(v), `${inBody(path)} must be of type ${s.type}: ${JSON.stringify(jsonType(v))}`));
    return;
  }

  // Enum.
  if (Array.isArray(s.enum) && s.enum.length > 0 && !s.enum.some((e) => deepEqual(e, v))) {
    const supported = s.enum.map((e) => JSON.stringify(typeof e === 'string' ? e : JSON.stringify(e))).join(', ');
    errs.push({ type: 'FieldValueNotSupported', field: path, message: `${renderValue(v)}: supported values: ${supported}` });
  }

  if (typeof v === 'number') checkNumber(s, v, path, errs);
  else if (typeof v === 'string') checkString(s, v, path, errs);
  else if (Array.isArray(v)) checkArray(s, v, path, errs);
  else if (isObject(v)) checkObject(s, v, path, errs, resourceRoot);

  checkCombinators(s, v, path, errs, resourceRoot);
}

function checkNumber(s: JSONSchemaProps, v: number, path: string, errs: FieldError[]): void {
  if (typeof s.maximum === 'number') {
    if (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)
      errs.push(invalid(path, v, `${inBody(path)} should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`));
  }
  if (typeof s.minimum === 'number') {
    if (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)
      errs.push(invalid(path, v, `${inBody(path)} should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`));
  }
  if (typeof s.multipleOf === 'number' && s.multipleOf > 0) {
    const q = v / s.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) errs.push(invalid(path, v, `${inBody(path)} should be a multiple of ${s.multipleOf}`));
  }
}

function checkString(s: JSONSchemaProps, v: string, path: string, errs: FieldError[]): void {
  // Lengths count characters (code points), as go-openapi does with utf8.RuneCountInString.
  const len = [...v].length;
  if (typeof s.maxLength === 'number' && len > s.maxLength)
    errs.push({ type: 'FieldValueTooLong', field: path, message: `may not be more than ${s.maxLength} bytes` });
  if (typeof s.minLength === 'number' && len < s.minLength)
    errs.push(invalid(path, v, `${inBody(path)} should be at least ${s.minLength} chars long`));
  if (typeof s.pattern === 'string') {
    // An invalid pattern is the CRD's problem (validateCrd reports it).
    const re = compilePattern(s.pattern);
    if (re.ok && !re.matches(v)) errs.push(invalid(path, v, `${inBody(path)} should match '${s.pattern}'`));
  }
  if (s.format && !checkFormat(s.format, v)) errs.push(typeInvalid(path, v, `${inBody(path)} must be of type ${s.format}: ${JSON.stringify(v)}`));
}

function checkArray(s: JSONSchemaProps, v: unknown[], path: string, errs: FieldError[]): void {
  if (typeof s.maxItems === 'number' && v.length > s.maxItems)
    errs.push({ type: 'FieldValueTooMany', field: path, message: `${v.length}: must have at most ${s.maxItems} items` });
  if (typeof s.minItems === 'number' && v.length < s.minItems)
    errs.push(invalid(path, v, `${inBody(path)} should have at least ${s.minItems} items`));
  if (s.uniqueItems && duplicateIndexes(v).length > 0) errs.push(invalid(path, v, `${inBody(path)} shouldn't contain duplicates`));
  if (isObject(s.items)) v.forEach((x, i) => walk(s.items!, x, index(path, i), errs, s.items!['x-kubernetes-embedded-resource'] === true));
  const lt = s['x-kubernetes-list-type'];
  if (lt === 'set') {
    for (const i of duplicateIndexes(v)) errs.push({ type: 'FieldValueDuplicate', field: index(path, i), message: renderValue(v[i]) });
  } else if (lt === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const keyOf = (x: unknown) => (isObject(x) ? Object.fromEntries(keys.map((k) => [k, x[k] ?? null])) : x);
    for (const i of duplicateIndexes(v, keyOf)) errs.push({ type: 'FieldValueDuplicate', field: index(path, i), message: renderValue(keyOf(v[i])) });
  }
}

function checkObject(s: JSONSchemaProps, v: Record<string, unknown>, path: string, errs: FieldError[], resourceRoot: boolean): void {
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  for (const r of Array.isArray(s.required) ? s.required : []) {
    if (resourceRoot && (r === 'metadata' || r === 'apiVersion' || r === 'kind')) continue;
    if (!Object.hasOwn(v, r) || v[r] === undefined) errs.push({ type: 'FieldValueRequired', field: child(path, r), message: '' });
  }
  if (embedded) {
    for (const k of ['apiVersion', 'kind']) {
      if (typeof v[k] !== 'string' || v[k] === '') errs.push({ type: 'FieldValueRequired', field: child(path, k), message: 'must not be empty' });
    }
  }
  const n = Object.keys(v).length;
  if (typeof s.maxProperties === 'number' && n > s.maxProperties)
    errs.push({ type: 'FieldValueTooMany', field: path, message: `${n}: must have at most ${s.maxProperties} items` });
  if (typeof s.minProperties === 'number' && n < s.minProperties)
    errs.push(invalid(path, v, `${inBody(path)} should have at least ${s.minProperties} properties`));
  for (const [k, x] of Object.entries(v)) {
    if ((resourceRoot || embedded) && (k === 'metadata' || k === 'apiVersion' || k === 'kind') && !propOf(s.properties, k)?.properties) continue;
    if (resourceRoot && k === 'metadata') {
      // The only metadata constraints a CRD may declare: name and generateName.
      const m = propOf(s.properties, 'metadata');
      if (isObject(x) && m?.properties) {
        for (const f of ['name', 'generateName']) {
          const fs = propOf(m.properties, f);
          if (fs) walk(fs, x[f], child(child(path, 'metadata'), f), errs, false);
        }
      }
      continue;
    }
    const p = propOf(s.properties, k);
    if (p) walk(p, x, child(path, k), errs, p['x-kubernetes-embedded-resource'] === true);
    else if (isObject(s.additionalProperties)) walk(s.additionalProperties, x, child(path, k), errs, s.additionalProperties['x-kubernetes-embedded-resource'] === true);
    else if (s.additionalProperties === false && s.properties && !s['x-kubernetes-preserve-unknown-fields'])
      errs.push({ type: 'FieldValueForbidden', field: child(path, k), message: `${inBody(child(path, k))} is a forbidden property` });
  }
}

/** Runs `sub` on `v` and reports whether it passed, without keeping its errors. */
function passes(sub: JSONSchemaProps, v: unknown, path: string, resourceRoot: boolean): boolean {
  const e: FieldError[] = [];
  walk(sub, v, path, e, resourceRoot);
  return e.length === 0;
}

function checkCombinators(s: JSONSchemaProps, v: unknown, path: string, errs: FieldError[], resourceRoot: boolean): void {
  if (Array.isArray(s.allOf)) {
    for (const sub of s.allOf) walk(sub, v, path, errs, resourceRoot);
  }
  if (Array.isArray(s.anyOf) && s.anyOf.length > 0) {
    if (!s.anyOf.some((sub) => passes(sub, v, path, resourceRoot))) {
      errs.push(invalid(path, v, `${inBody(path)} must validate at least one schema (anyOf)`));
      // Like upstream, also say what the first alternative wanted.
      walk(s.anyOf[0], v, path, errs, resourceRoot);
    }
  }
  if (Array.isArray(s.oneOf) && s.oneOf.length > 0) {
    const ok = s.oneOf.filter((sub) => passes(sub, v, path, resourceRoot)).length;
    if (ok !== 1) errs.push(invalid(path, v, `${inBody(path)} must validate one and only one schema (oneOf)`));
  }
  if (s.not && passes(s.not, v, path, resourceRoot)) {
    errs.push(invalid(path, v, `${inBody(path)} must not validate the schema (not)`));
  }
}
