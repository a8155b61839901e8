/**
 * Validation of CustomResourceDefinition objects (apiextensions.k8s.io/v1) with upstream
 * field paths and messages: names, group, scope, versions (exactly one storage version),
 * per-version schemas that must be structural, printer columns.
 * Not covered: conversion webhooks, CEL rules (`x-kubernetes-validations`), status-based
 * checks of accepted names, selectable fields.
 */
import type { FieldError } from '../../api/index.js';
import type { CustomResourceDefinition, CustomResourceDefinitionVersion, JSONSchemaProps } from './types.js';
import { validate } from './validate.js';
import { child, index, isObject, renderValue } from './values.js';
import { compilePattern } from './pattern.js';

/** The named version of a CRD, or undefined. */
export function crdVersion(crd: CustomResourceDefinition, version: string): CustomResourceDefinitionVersion | undefined {
  return crd.spec?.versions?.find((v) => v.name === version);
}

/** The `openAPIV3Schema` of a CRD version, or undefined. */
export function crdVersionSchema(crd: CustomResourceDefinition, version: string): JSONSchemaProps | undefined {
  return crdVersion(crd, version)?.schema?.openAPIV3Schema;
}

/**
 * A copy of `crd` with the defaults the API server applies to CRDs: `spec.names.singular`
 * (lower-case kind), `spec.names.listKind` (`<Kind>List`), `spec.conversion.strategy: None`.
 */
export function defaultCrd<T extends CustomResourceDefinition>(crd: T): T {
  const out = JSON.parse(JSON.stringify(crd)) as T;
  if (!isObject(out.spec)) return out;
  const names = out.spec.names;
  if (isObject(names) && typeof names.kind === 'string' && names.kind) {
    if (!names.singular) names.singular = names.kind.toLowerCase();
    if (!names.listKind) names.listKind = `${names.kind}List`;
  }
  if (!isObject(out.spec.conversion)) out.spec.conversion = { strategy: 'None' };
  else if (!out.spec.conversion.strategy) out.spec.conversion.strategy = 'None';
  return out;
}

/** The storage version's name, or undefined. */
export function crdStorageVersion(crd: CustomResourceDefinition): string | undefined {
  return crd.spec?.versions?.find((v) => v.storage)?.name;
}

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const inv = (field: string, value: unknown, msg: string): FieldError => ({ type: 'FieldValueInvalid', field, message: `${renderValue(value)}: ${msg}` });
const req = (field: string, msg = ''): FieldError => ({ type: 'FieldValueRequired', field, message: msg });

function dns1035(errs: FieldError[], field: string, value: unknown, lower = false): void {
  if (typeof value !== 'string' || value === '') return;
  const v = lower ? value.toLowerCase() : value;
  if (v.length > 63) errs.push(inv(field, value, 'must be no more than 63 characters'));
  if (!DNS1035.test(v)) errs.push(inv(field, value, DNS1035_MSG));
}

/** Validation errors of a CRD object; empty when it is acceptable. */
export function validateCrd(crd: CustomResourceDefinition): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isObject(crd?.spec) ? crd.spec : undefined;
  if (!spec) return [req('spec')];
  const names = isObject(spec.names) ? spec.names : undefined;
  const group = spec.group;

  // Group and name.
  if (!group) errs.push(req('spec.group'));
  else if (typeof group !== 'string' || !group.includes('.')) errs.push(inv('spec.group', group, 'should be a domain with at least one dot'));
  else if (!DNS1123_SUBDOMAIN.test(group))
    errs.push(inv('spec.group', group, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"));
  if (names?.plural && group && crd.metadata?.name !== `${names.plural}.${group}`)
    errs.push(inv('metadata.name', crd.metadata?.name ?? '', 'must be spec.names.plural+"."+spec.group'));

  // Names.
  if (!names) errs.push(req('spec.names'));
  else {
    if (!names.plural) errs.push(req('spec.names.plural'));
    else dns1035(errs, 'spec.names.plural', names.plural);
    if (names.singular) dns1035(errs, 'spec.names.singular', names.singular);
    if (!names.kind) errs.push(req('spec.names.kind'));
    else dns1035(errs, 'spec.names.kind', names.kind, true);
    if (names.listKind !== undefined) {
      if (!names.listKind) errs.push(req('spec.names.listKind'));
      else dns1035(errs, 'spec.names.listKind', names.listKind, true);
      if (names.kind && names.listKind === names.kind) errs.push(inv('spec.names.listKind', names.listKind, 'kind and listKind may not be the same'));
    }
    (names.shortNames ?? []).forEach((s, i) => dns1035(errs, index('spec.names.shortNames', i), s));
    (names.categories ?? []).forEach((s, i) => dns1035(errs, index('spec.names.categories', i), s));
  }

  // Scope.
  if (!spec.scope) errs.push(req('spec.scope'));
  else if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.scope', message: `${renderValue(spec.scope)}: supported values: "Cluster", "Namespaced"` });

  // Versions.
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) errs.push(req('spec.versions', 'must have exactly one version marked as storage version'));
  else {
    const storage = versions.filter((v) => isObject(v) && v.storage === true).length;
    if (storage !== 1) errs.push(inv('spec.versions', versions.map((v) => v?.name), 'must have exactly one version marked as storage version'));
    if (!versions.some((v) => isObject(v) && v.served === true))
      errs.push(inv('spec.versions', versions.map((v) => v?.name), 'must have at least one version marked as served'));
  }
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    const vp = index('spec.versions', i);
    if (!isObject(v)) {
      errs.push(inv(vp, v, 'must be an object'));
      return;
    }
    if (!v.name) errs.push(req(child(vp, 'name')));
    else {
      dns1035(errs, child(vp, 'name'), v.name);
      if (seen.has(v.name)) errs.push({ type: 'FieldValueDuplicate', field: child(vp, 'name'), message: renderValue(v.name) });
      seen.add(v.name);
    }
    if (typeof v.served !== 'boolean') errs.push(req(child(vp, 'served')));
    if (typeof v.storage !== 'boolean') errs.push(req(child(vp, 'storage')));
    validateScale(v.subresources?.scale, `${vp}.subresources.scale`, errs);
    const schema = v.schema?.openAPIV3Schema;
    const sp = `${vp}.schema.openAPIV3Schema`;
    if (!isObject(schema)) errs.push(req(sp, 'schemas are required'));
    else validateStructural(schema, sp, errs, 'root');
    (v.additionalPrinterColumns ?? []).forEach((c, j) => {
      const cp = index(`${vp}.additionalPrinterColumns`, j);
      if (!c?.name) errs.push(req(child(cp, 'name')));
      if (!c?.jsonPath) errs.push(req(child(cp, 'jsonPath')));
      else if (!String(c.jsonPath).startsWith('.')) errs.push(inv(child(cp, 'jsonPath'), c.jsonPath, 'must be a simple json path starting with .'));
      if (!['boolean', 'date', 'integer', 'number', 'string'].includes(c?.type))
        errs.push({ type: 'FieldValueNotSupported', field: child(cp, 'type'), message: `${renderValue(c?.type)}: supported values: "boolean", "date", "integer", "number", "string"` });
      if (c?.format && !['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'password'].includes(c.format))
        errs.push({ type: 'FieldValueNotSupported', field: child(cp, 'format'), message: `${renderValue(c.format)}: supported values: "byte", "date", "date-time", "double", "float", "int32", "int64", "password"` });
    });
  });
  return errs;
}

/** The scale subresource's paths: required replica paths under .spec and .status (the server reads them). */
function validateScale(scale: unknown, path: string, errs: FieldError[]): void {
  if (!isObject(scale)) return;
  const under = (field: string, prefixes: string[], why: string) => {
    const p = scale[field];
    if (p === undefined || p === '') {
      if (field !== 'labelSelectorPath') errs.push(req(`${path}.${field}`));
    } else if (typeof p !== 'string' || !prefixes.some((x) => p.startsWith(x))) errs.push(inv(`${path}.${field}`, p, why));
  };
  under('specReplicasPath', ['.spec.'], 'should be a json path under .spec');
  under('statusReplicasPath', ['.status.'], 'should be a json path under .status');
  under('labelSelectorPath', ['.spec.', '.status.'], 'should be a json path under either .spec or .status');
}

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];

/**
 * Where Go's decoder would have refused a non-object schema: under `items` (decoded by hand
 * upstream, free-form to the swagger-based type check) such values reach this validation.
 */
const SCHEMA_OBJECT = 'must be a JSON schema object';

/** JSON-schema keywords CRD schemas may not use, with upstream's messages. */
const UNSUPPORTED: [string, string][] = [
  ['$ref', '$ref is not supported'],
  ['$schema', '$schema is not supported'],
  ['id', 'id is not supported'],
  ['definitions', 'definitions is not supported'],
  ['dependencies', 'dependencies is not supported'],
  ['patternProperties', 'patternProperties is not supported'],
  ['additionalItems', 'additionalItems is not supported'],
];

/**
 * The structural rules (KEP 2019-06-06 structural schemas), simplified: every node declares
 * a type unless it is int-or-string or preserves unknown fields; properties and
 * additionalProperties exclude each other; map lists need keys; root metadata may only
 * restrict name/generateName; defaults and patterns must be valid.
 */
function validateStructural(s: JSONSchemaProps, path: string, errs: FieldError[], where: 'root' | 'property' | 'items' | 'value'): void {
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (where === 'root' && s.type !== 'object') {
    if (!s.type) errs.push(req(`${path}.type`, 'must not be empty at the root'));
    else errs.push(inv(`${path}.type`, s.type, 'must be object at the root'));
  }
  if (s.type !== undefined && !TYPES.includes(s.type as string))
    errs.push({ type: 'FieldValueNotSupported', field: `${path}.type`, message: `${renderValue(s.type)}: supported values: ${TYPES.map((t) => `"${t}"`).join(', ')}` });
  if (intOrString && s.type) errs.push({ type: 'FieldValueForbidden', field: `${path}.type`, message: 'must be empty if x-kubernetes-int-or-string is true' });
  if (!s.type && !intOrString && !preserve && where !== 'value') {
    const what = where === 'items' ? 'must not be empty for specified array items' : 'must not be empty for specified object fields';
    if (where !== 'root') errs.push(req(`${path}.type`, what));
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === false)
    errs.push(inv(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false)
    errs.push({ type: 'FieldValueForbidden', field: `${path}.additionalProperties`, message: 'additionalProperties and properties are mutual exclusive' });
  // Go decodes an `items` that is neither an object nor a list as absent; a list of schemas is not structural.
  if (Array.isArray(s.items)) errs.push({ type: 'FieldValueForbidden', field: `${path}.items`, message: 'items must be a schema object and not an array' });
  else if (s.type === 'array' && !isObject(s.items) && where !== 'value') errs.push(req(`${path}.items`, 'must be specified'));
  if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean' && !isObject(s.additionalProperties))
    errs.push(inv(`${path}.additionalProperties`, s.additionalProperties, 'boolean or JSON schema expected'));
  for (const [key, why] of UNSUPPORTED) if ((s as Record<string, unknown>)[key] !== undefined) errs.push({ type: 'FieldValueForbidden', field: `${path}.${key}`, message: why });
  if (s.uniqueItems === true) errs.push({ type: 'FieldValueForbidden', field: `${path}.uniqueItems`, message: 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic' });
  const lt = s['x-kubernetes-list-type'];
  if (lt !== undefined) {
    if (!['atomic', 'set', 'map'].includes(lt as string))
      errs.push({ type: 'FieldValueNotSupported', field: `${path}.x-kubernetes-list-type`, message: `${renderValue(lt)}: supported values: "atomic", "set", "map"` });
    if (s.type !== 'array') errs.push(inv(`${path}.x-kubernetes-list-type`, lt, 'must only be used on type array'));
    if (lt === 'map' && !(s['x-kubernetes-list-map-keys'] ?? []).length)
      errs.push(req(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
  }
  if (s['x-kubernetes-list-map-keys'] !== undefined && lt !== 'map')
    errs.push({ type: 'FieldValueForbidden', field: `${path}.x-kubernetes-list-map-keys`, message: 'must not be set if x-kubernetes-list-type is not map' });
  if (typeof s.pattern === 'string') {
    const re = compilePattern(s.pattern);
    if (!re.ok) errs.push(inv(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${re.error}`));
  }
  if (where === 'root' && isObject(s.properties?.metadata)) {
    const m = s.properties.metadata;
    const allowed = new Set(['name', 'generateName']);
    const extra = Object.keys(m.properties ?? {}).some((k) => !allowed.has(k));
    if (extra || (m.type && m.type !== 'object'))
      errs.push({ type: 'FieldValueForbidden', field: `${path}.properties[metadata]`, message: 'must not specify anything other than name and generateName, but metadata is implicitly specified' });
  }
  if (s.default !== undefined && where !== 'root') {
    const problems = validate({ ...s, default: undefined }, s.default, `${path}.default`);
    for (const p of problems) errs.push(p);
  }
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (where === 'root' && k === 'metadata') continue;
    // A null property schema decodes as an empty one (which then lacks a type).
    if (isObject(p) || p === null) validateStructural(p ?? {}, `${path}.properties[${k}]`, errs, 'property');
    else errs.push(inv(`${path}.properties[${k}]`, p, SCHEMA_OBJECT));
  }
  if (isObject(s.additionalProperties)) validateStructural(s.additionalProperties as JSONSchemaProps, `${path}.additionalProperties`, errs, 'property');
  if (isObject(s.items)) validateStructural(s.items, `${path}.items`, errs, 'items');
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (s[key] !== undefined && !Array.isArray(s[key])) errs.push(inv(`${path}.${key}`, s[key], 'must be a list of JSON schema objects'));
    (Array.isArray(s[key]) ? s[key] : []).forEach((sub, i) => {
      if (isObject(sub)) validateStructural(sub, `${path}.${key}[${i}]`, errs, 'value');
      else errs.push(inv(`${path}.${key}[${i}]`, sub, SCHEMA_OBJECT));
    });
  }
  if (isObject(s.not)) validateStructural(s.not, `${path}.not`, errs, 'value');
  else if (s.not !== undefined) errs.push(inv(`${path}.not`, s.not, SCHEMA_OBJECT));
}
