/**
 * Type checks that built-in kinds get from Go's JSON decoding: a value of the wrong JSON
 * type is a 400 with the decoder's message, e.g.
 *   Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal
 *   string into Go struct field DeploymentSpec.spec.replicas of type int32
 * Only the first problem is reported, as Go does. `null` is always accepted (zero value).
 * A quantity that does not parse is refused with ParseQuantity's error (see quantity.ts).
 * Not covered: base64 validity of `format: byte` strings, Time syntax.
 */
import type { GroupVersionKind } from '../../api/index.js';
import { StatusError } from '../../api/index.js';
import { builtinSchemaNode, type SchemaNode, swaggerDefinitionNode } from './nodes.js';
import { canonicalQuantity, quantityError } from './quantity.js';
import { isObject } from './values.js';

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

function shortName(def: string): string {
  const parts = def.split('.');
  return parts.length >= 2 ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : def;
}

/** The Go type name of a node, as encoding/json prints it. */
function goType(n: SchemaNode): string {
  if (n.definitionName === QUANTITY) return 'resource.Quantity';
  if (n.definitionName === INT_OR_STRING) return 'intstr.IntOrString';
  if (n.type === 'array') {
    const it = n.items();
    return `[]${it ? goType(it) : 'interface {}'}`;
  }
  if (n.type === 'object') {
    if (n.definitionName) return shortName(n.definitionName);
    const v = n.field('\u0000any-key');
    return `map[string]${v ? goType(v) : 'interface {}'}`;
  }
  if (n.type === 'scalar') {
    if (n.definitionName && n.definitionName.endsWith('.Time')) return 'v1.Time';
    if (n.definitionName && n.definitionName.endsWith('.MicroTime')) return 'v1.MicroTime';
    switch (n.scalarType) {
      case 'integer':
        return n.format === 'int64' ? 'int64' : n.format === 'int32' ? 'int32' : 'int';
      case 'number':
        return n.format === 'float' ? 'float32' : 'float64';
      case 'boolean':
        return 'bool';
      default:
        return 'string';
    }
  }
  return 'interface {}';
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'object';
}

function accepts(n: SchemaNode, v: unknown): string | undefined {
  if (n.definitionName === QUANTITY) return typeof v === 'string' || typeof v === 'number' ? undefined : jsonKind(v);
  if (n.definitionName === INT_OR_STRING) {
    if (typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v))) return undefined;
    return typeof v === 'number' ? `number ${v}` : jsonKind(v);
  }
  switch (n.type) {
    case 'object':
      return isObject(v) ? undefined : jsonKind(v);
    case 'array':
      return Array.isArray(v) ? undefined : jsonKind(v);
    case 'scalar':
      switch (n.scalarType) {
        case 'integer':
          if (typeof v !== 'number') return jsonKind(v);
          if (!Number.isInteger(v)) return `number ${v}`;
          // out of the Go type's range: the same UnmarshalTypeError. (An int64 near 2^63 is a
          // double here: 9223372036854775807 and ...808 read the same, so only beyond is refused.)
          if (n.format === 'int32' ? v > 2147483647 || v < -2147483648 : v > 2 ** 63 || v < -(2 ** 63)) return `number ${v}`;
          return undefined;
        case 'number':
          return typeof v === 'number' ? undefined : jsonKind(v);
        case 'boolean':
          return typeof v === 'boolean' ? undefined : jsonKind(v);
        case 'string':
          return typeof v === 'string' ? undefined : jsonKind(v);
      }
  }
  return undefined;
}

interface Problem {
  got: string;
  struct: string;
  path: string;
  type: string;
}

/**
 * What decoding `v` finds: Go's decoder saves the first type error and goes on (so a later value
 * can still fail), while a quantity that does not parse stops it at once and is what it returns.
 */
interface Found {
  typeError?: Problem;
  quantity?: string;
}

/** The Go struct name of a definition (`io.k8s.api.core.v1.PodSpec` -> `PodSpec`), computed once per definition. */
const structNames = new Map<string, string>();
function structName(definitionName: string): string {
  let s = structNames.get(definitionName);
  if (s === undefined) structNames.set(definitionName, (s = definitionName.split('.').pop()!));
  return s;
}

/**
 * A field the schema does not declare, as the decoding walk met it: `parent[key]`, at `path`
 * (`spec.containers[0].foo`). Go's strict decoding reports these (`fieldValidation=Strict`);
 * otherwise they are dropped (validation/index.ts).
 */
export interface UnknownField {
  path: string;
  parent: Record<string, unknown>;
  key: string;
}

/**
 * Where the walk in progress collects the undeclared fields it meets; undefined: it does not
 * (checks of a custom resource's metadata or of DeleteOptions, and decoders not asked to).
 */
let unknownSink: UnknownField[] | undefined;

/**
 * `at[0..depth)` is the path walked so far (field names, and list indices as numbers, which
 * Go's error text leaves out): its text is only built for the type error kept or an undeclared
 * field, so a body that decodes without either builds no path strings.
 */
function check(v: unknown, n: SchemaNode, struct: string, at: (string | number)[], depth: number, found: Found): void {
  if (v === null) {
    sawNull = true;
    return;
  }
  if (v === undefined || n.type === 'any') return;
  const bad = accepts(n, v);
  if (bad) {
    found.typeError ??= { got: bad, struct, path: pathText(at, depth), type: goType(n) };
    return;
  }
  if (n.definitionName === QUANTITY) {
    const text = String(v);
    found.quantity = quantityError(text);
    if (!found.quantity && (typeof v !== 'string' || canonicalQuantity(text) !== text)) sawNonCanonical = true;
    return;
  }
  if (n.definitionName === INT_OR_STRING) return;
  if (n.type === 'object' && isObject(v)) {
    const here = n.definitionName ? structName(n.definitionName) : struct;
    for (const k in v) {
      const c = n.field(k);
      at[depth] = k;
      if (!c) {
        // not declared: the strict decoding's business (collected when asked), not a type error
        if (unknownSink) unknownSink.push({ path: fieldPathText(at, depth + 1), parent: v, key: k });
        continue;
      }
      check(v[k], c, here, at, depth + 1, found);
      if (found.quantity) return;
    }
  } else if (n.type === 'array' && Array.isArray(v)) {
    const it = n.items();
    if (it) {
      for (let i = 0; i < v.length; i++) {
        at[depth] = i;
        check(v[i], it, struct, at, depth + 1, found);
        if (found.quantity) return;
      }
    }
  }
}

/** Go's `a.b.c` from the first `depth` segments: list indices left out (an empty segment at the start adds no dot). */
function pathText(at: (string | number)[], depth: number): string {
  let p = '';
  for (let i = 0; i < depth; i++) {
    const seg = at[i];
    if (typeof seg === 'number') continue;
    p = p ? `${p}.${seg}` : seg;
  }
  return p;
}

/** A field's path as the strict decoding reports it: `spec.containers[0].foo`. */
export function fieldPathText(at: readonly (string | number)[], n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const seg = at[i];
    s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg;
  }
  return s;
}

/**
 * Whether the last check met a `null` where {@link zeroNulls} would replace one: it visits the
 * same values, so a body without any needs no second walk.
 */
let sawNull = false;

/**
 * Whether the last check met a quantity not in canonical form (or a JSON number): Go re-encodes
 * every quantity it decoded (see canonicalQuantity), so {@link canonicalizeQuantities} must.
 */
let sawNonCanonical = false;

/** The path segments of the check in progress: one array for every check (they are synchronous). */
const AT: (string | number)[] = [];

/** The decoder's error text for what `check` found, or undefined when `v` decodes. */
function problemText(v: unknown, n: SchemaNode, struct: string, path: string): string | undefined {
  const found: Found = {};
  let depth = 0;
  if (path) AT[depth++] = path;
  check(v, n, struct, AT, depth, found);
  if (found.quantity) return found.quantity;
  const p = found.typeError;
  return p && `json: cannot unmarshal ${p.got} into Go struct field ${p.struct}.${p.path} of type ${p.type}`;
}

/**
 * The 400 a built-in kind's Go decoding would give `obj`, or undefined when it decodes (or the
 * kind is not built in).
 */
export function decodeErrorBuiltin(gvk: GroupVersionKind, obj: unknown): StatusError | undefined {
  const node = builtinSchemaNode(gvk);
  return node && decodeError(node, gvk, obj);
}

/**
 * The 400 for a custom resource whose `apiVersion`/`kind` are not strings or whose `metadata`
 * does not decode as an ObjectMeta (custom resources are schemaless to Go, but their type and
 * object metadata are not: `finalizers: "x"` is refused rather than stored as an object
 * nobody can delete).
 */
export function decodeErrorMetadata(gvk: GroupVersionKind, obj: Record<string, unknown>): StatusError | undefined {
  for (const f of ['apiVersion', 'kind']) {
    const v = obj[f];
    if (v !== undefined && v !== null && typeof v !== 'string') return badRequest(gvk, `json: cannot unmarshal ${jsonKind(v)} into Go struct field TypeMeta.${f} of type string`);
  }
  const meta = definitionNode(OBJECT_META);
  if (!meta || obj.metadata === undefined || obj.metadata === null) return undefined;
  const detail = problemText(obj.metadata, meta, 'ObjectMeta', 'metadata');
  return detail ? badRequest(gvk, detail) : undefined;
}

/** The 400 a body of the given swagger definition (e.g. DeleteOptions) would get from Go's decoder. */
export function decodeErrorDefinition(definition: string, gvk: GroupVersionKind, obj: unknown): StatusError | undefined {
  const node = definitionNode(definition);
  return node && decodeError(node, gvk, obj);
}

const definitionNodes = new Map<string, SchemaNode | undefined>();

function definitionNode(name: string): SchemaNode | undefined {
  if (!definitionNodes.has(name)) definitionNodes.set(name, swaggerDefinitionNode(name));
  return definitionNodes.get(name);
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function badRequest(gvk: GroupVersionKind, detail: string): StatusError {
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

function decodeError(node: SchemaNode, gvk: GroupVersionKind, obj: unknown): StatusError | undefined {
  const detail = isObject(obj)
    ? problemText(obj, node, gvk.kind, '')
    : `json: cannot unmarshal ${jsonKind(obj)} into Go value of type ${goType(node)}`;
  return detail ? badRequest(gvk, detail) : undefined;
}

/** The zero value Go's decoder leaves for a `null` list item or map value of this type. */
function zeroOf(n: SchemaNode): unknown {
  if (n.definitionName === QUANTITY) return '0';
  if (n.definitionName === INT_OR_STRING) return 0;
  if (n.type === 'object') return {};
  if (n.type === 'array') return [];
  if (n.type === 'scalar') return n.scalarType === 'string' ? '' : n.scalarType === 'boolean' ? false : n.scalarType === 'integer' || n.scalarType === 'number' ? 0 : null;
  return null;
}

function zeroNulls(v: unknown, n: SchemaNode): void {
  if (n.type === 'any' || n.definitionName === QUANTITY || n.definitionName === INT_OR_STRING) return;
  if (Array.isArray(v)) {
    const it = n.items();
    if (!it) return;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x === null) v[i] = zeroOf(it);
      else zeroNulls(x, it);
    }
  } else if (isObject(v) && n.type === 'object') {
    const isStruct = n.definitionName !== undefined;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      const c = n.field(k);
      if (!c) continue;
      const x = v[k];
      if (x !== null) zeroNulls(x, c);
      else if (isStruct) delete v[k];
      else v[k] = zeroOf(c);
    }
  }
}

/**
 * Writes every quantity of `v` (of schema `n`) in its canonical form, as Go's decoding and
 * re-encoding of a built-in object does ("1000m" -> "1", a JSON number 2 -> "2"). Run only
 * after a check found no problem, so every quantity parses.
 */
function canonicalizeQuantities(v: unknown, n: SchemaNode): void {
  if (n.type === 'any' || n.definitionName === INT_OR_STRING) return;
  if (Array.isArray(v)) {
    const it = n.items();
    if (!it) return;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (it.definitionName === QUANTITY) {
        if (typeof x === 'string' || typeof x === 'number') v[i] = canonicalQuantity(String(x)) ?? x;
      } else if (x !== null && typeof x === 'object') canonicalizeQuantities(x, it);
    }
  } else if (isObject(v) && n.type === 'object') {
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      const c = n.field(k);
      if (!c) continue;
      const x = v[k];
      if (c.definitionName === QUANTITY) {
        if (typeof x === 'string' || typeof x === 'number') v[k] = canonicalQuantity(String(x)) ?? x;
      } else if (x !== null && typeof x === 'object') canonicalizeQuantities(x, c);
    }
  }
}

/**
 * Replaces `null`s in a built-in object as Go's decoder does: a null field is its zero value
 * (omitted), a null list item or map value is the element type's zero (`ports: [null]` is a
 * port `{}`, then refused by validation rather than crashing the code that reads ports).
 * Mutates `obj`; run after {@link decodeErrorBuiltin} found no type errors.
 */
export function zeroNullsBuiltin(gvk: GroupVersionKind, obj: Record<string, unknown>): void {
  const node = builtinSchemaNode(gvk);
  if (node) zeroNulls(obj, node);
}

/**
 * What Go's decoder does to a body of a built-in kind, with the kind's schema looked up once:
 * the 400 of {@link decodeErrorBuiltin} if any, else `null`s replaced as
 * {@link zeroNullsBuiltin} does and quantities in canonical form. Undefined for kinds that are
 * not built in. Callers keep the
 * result per resource type (the lookup reads the documents directory from the environment).
 */
export function builtinDecoder(gvk: GroupVersionKind): BuiltinDecoder | undefined {
  const node = builtinSchemaNode(gvk);
  if (!node) return undefined;
  return (obj, unknown) => {
    sawNull = false;
    sawNonCanonical = false;
    unknownSink = unknown;
    let err: StatusError | undefined;
    try {
      err = decodeError(node, gvk, obj);
    } finally {
      unknownSink = undefined;
    }
    if (!err && sawNull) zeroNulls(obj, node);
    if (!err && sawNonCanonical) canonicalizeQuantities(obj, node);
    return err;
  };
}

/**
 * A built-in kind's decoding (see {@link builtinDecoder}). Given `unknown`, the same walk also
 * appends the fields the kind does not declare, in the order and with the paths that
 * validation/index.ts's walk of the decoded object finds them (the `null`s it zeroes and the
 * quantities it rewrites add or remove none). Meaningless when an error is returned.
 */
export type BuiltinDecoder = (obj: unknown, unknown?: UnknownField[]) => StatusError | undefined;
