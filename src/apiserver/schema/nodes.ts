/**
 * A uniform, navigable view of "what kind of value lives at this path" for the patch and
 * server-side-apply code: built from the swagger definitions for built-in kinds, or from a
 * CRD's structural schema for custom resources. Nodes are created lazily and memoised.
 */
import type { GroupVersionKind } from '../../api/index.js';
import { builtinDefinitionName, loadBuiltinDefinitions, openAPIDir } from './openapi-files.js';
import type { JSONSchemaProps, SwaggerDocument, SwaggerSchema } from './types.js';

export type ListType = 'atomic' | 'set' | 'map';

export interface SchemaNode {
  /** object: properties and/or additionalProperties; array; scalar; any: free-form/unknown. */
  readonly type: 'object' | 'array' | 'scalar' | 'any';
  /** Schema of a field of an object (a declared property, else additionalProperties), or undefined. */
  field(name: string): SchemaNode | undefined;
  /** Element schema of an array, or undefined. */
  items(): SchemaNode | undefined;
  /** Strategic-merge strategies of the field holding this value: ['merge'], ['merge','retainKeys'], ['replace'], ... */
  readonly patchStrategy: readonly string[];
  /** Strategic-merge merge key of a list of objects (`name` for containers). */
  readonly patchMergeKey?: string;
  /** Server-side-apply list semantics (atomic when not declared). */
  readonly listType: ListType;
  /** Keys of a `map` list. */
  readonly listMapKeys: readonly string[];
  /** Server-side-apply map semantics (granular when not declared). */
  readonly mapType: 'granular' | 'atomic';
  /** For scalars: the declared JSON type (string, integer, number, boolean), if any. */
  readonly scalarType?: string;
  /** The declared format (int32, int64, int-or-string, date-time...), if any. */
  readonly format?: string;
  /** Built-in kinds: the swagger definition this value is an instance of, if it is a named type. */
  readonly definitionName?: string;
}

/** A free-form node: maps merge key by key, lists are atomic. */
export const ANY_NODE: SchemaNode = {
  type: 'any',
  field: () => ANY_NODE,
  items: () => ANY_NODE,
  patchStrategy: [],
  listType: 'atomic',
  listMapKeys: [],
  mapType: 'granular',
};

// ---------------------------------------------------------------- swagger (built-in kinds)

const REF_PREFIX = '#/definitions/';

class SwaggerNode implements SchemaNode {
  readonly type: SchemaNode['type'];
  readonly scalarType?: string;
  readonly format?: string;
  readonly patchStrategy: readonly string[];
  readonly patchMergeKey?: string;
  readonly listType: ListType;
  readonly listMapKeys: readonly string[];
  readonly mapType: 'granular' | 'atomic';
  private readonly fields = new Map<string, SchemaNode | undefined>();
  private itemsNode?: SchemaNode;

  constructor(
    private readonly doc: SwaggerDocument,
    /** the property (carries patch/list extensions) */
    prop: SwaggerSchema,
    /** the resolved definition (carries type, properties, map-type) */
    private readonly def: SwaggerSchema,
    readonly definitionName?: string,
  ) {
    const hasProps = !!def.properties;
    if (def.type === 'array') this.type = 'array';
    else if (def.type === 'object' || hasProps || def.additionalProperties) this.type = def.properties || def.additionalProperties ? 'object' : 'any';
    else if (def.type) this.type = 'scalar';
    else this.type = 'any';
    if (this.type === 'scalar') this.scalarType = def.type;
    this.format = def.format;
    const strategy = prop['x-kubernetes-patch-strategy'] ?? def['x-kubernetes-patch-strategy'];
    this.patchStrategy = strategy ? strategy.split(',').map((s) => s.trim()) : [];
    this.patchMergeKey = prop['x-kubernetes-patch-merge-key'] ?? def['x-kubernetes-patch-merge-key'];
    const lt = prop['x-kubernetes-list-type'] ?? def['x-kubernetes-list-type'];
    const keys = prop['x-kubernetes-list-map-keys'] ?? def['x-kubernetes-list-map-keys'];
    if (lt === 'map' || lt === 'set' || lt === 'atomic') {
      this.listType = lt;
      this.listMapKeys = lt === 'map' ? keys ?? (this.patchMergeKey ? [this.patchMergeKey] : []) : [];
    } else if (this.patchStrategy.includes('merge') && this.patchMergeKey) {
      // As kube-openapi's schema converter: a merge list with a merge key is associative.
      this.listType = 'map';
      this.listMapKeys = [this.patchMergeKey];
    } else if (this.patchStrategy.includes('merge')) {
      this.listType = 'set';
      this.listMapKeys = [];
    } else {
      this.listType = 'atomic';
      this.listMapKeys = [];
    }
    const mt = prop['x-kubernetes-map-type'] ?? def['x-kubernetes-map-type'];
    this.mapType = mt === 'atomic' ? 'atomic' : 'granular';
  }

  field(name: string): SchemaNode | undefined {
    // one look-up for a field met before (the memo holds undefined for a field there is not)
    let node = this.fields.get(name);
    if (node !== undefined || this.fields.has(name)) return node;
    const p = this.def.properties && Object.hasOwn(this.def.properties, name) ? this.def.properties[name] : undefined;
    if (p) node = swaggerNode(this.doc, p);
    else if (this.def.additionalProperties && typeof this.def.additionalProperties === 'object') node = swaggerNode(this.doc, this.def.additionalProperties);
    else if (this.type === 'any') node = ANY_NODE;
    this.fields.set(name, node);
    return node;
  }

  items(): SchemaNode | undefined {
    if (this.itemsNode === undefined && this.def.items) this.itemsNode = swaggerNode(this.doc, this.def.items);
    return this.itemsNode ?? (this.type === 'any' ? ANY_NODE : undefined);
  }
}

const swaggerNodeCache = new WeakMap<SwaggerSchema, SchemaNode>();

function swaggerNode(doc: SwaggerDocument, prop: SwaggerSchema, name?: string): SchemaNode {
  const cached = swaggerNodeCache.get(prop);
  if (cached) return cached;
  let def = prop;
  for (let i = 0; def.$ref && i < 20; i++) {
    name = def.$ref.startsWith(REF_PREFIX) ? def.$ref.slice(REF_PREFIX.length) : undefined;
    const target = name ? doc.definitions[name] : undefined;
    if (!target) {
      def = {};
      break;
    }
    def = target;
  }
  const node = new SwaggerNode(doc, prop, def, name);
  swaggerNodeCache.set(prop, node);
  return node;
}

/** The schema node of a built-in kind from swagger.json, or undefined for unknown (custom) kinds. */
export function builtinSchemaNode(gvk: GroupVersionKind, dir?: string): SchemaNode | undefined {
  // Asked on every write (field validation, managedFields): one lookup per documents dir and GVK.
  const root = openAPIDir(dir);
  let byGvk = builtinNodeCache.get(root);
  if (!byGvk) builtinNodeCache.set(root, (byGvk = new Map()));
  const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
  let node = byGvk.get(key);
  if (node === undefined) {
    const name = builtinDefinitionName(gvk, root);
    if (name) {
      const doc = loadBuiltinDefinitions(root);
      node = swaggerNode(doc, doc.definitions[name], name);
    } else node = null;
    byGvk.set(key, node);
  }
  return node ?? undefined;
}

const builtinNodeCache = new Map<string, Map<string, SchemaNode | null>>();

/** The node of a swagger definition by name (`io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`). */
export function swaggerDefinitionNode(name: string, dir?: string): SchemaNode | undefined {
  const doc = loadBuiltinDefinitions(dir);
  const def = doc.definitions[name];
  return def ? swaggerNode(doc, def, name) : undefined;
}

// ---------------------------------------------------------------- structural (CRDs)

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function objectMetaNode(): SchemaNode {
  try {
    return swaggerDefinitionNode(OBJECT_META) ?? ANY_NODE;
  } catch {
    return ANY_NODE; // documents not available: treat metadata as free-form
  }
}

class StructuralNode implements SchemaNode {
  readonly type: SchemaNode['type'];
  readonly scalarType?: string;
  readonly format?: string;
  readonly patchStrategy: readonly string[] = [];
  readonly patchMergeKey?: string;
  readonly listType: ListType;
  readonly listMapKeys: readonly string[];
  readonly mapType: 'granular' | 'atomic';
  private readonly fields = new Map<string, SchemaNode | undefined>();
  private itemsNode?: SchemaNode;

  constructor(
    private readonly s: JSONSchemaProps,
    /** root of a resource (the CRD root or an embedded resource): `metadata` is ObjectMeta */
    private readonly resourceRoot: boolean,
  ) {
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
    if (s['x-kubernetes-int-or-string']) this.type = 'scalar';
    else if (s.type === 'array') this.type = 'array';
    else if (s.type === 'object') this.type = s.properties || (s.additionalProperties && typeof s.additionalProperties === 'object') || !preserve ? 'object' : 'any';
    else if (s.type) this.type = 'scalar';
    else this.type = s.properties ? 'object' : 'any';
    if (this.type === 'scalar' && !s['x-kubernetes-int-or-string']) this.scalarType = s.type;
    this.format = s.format;
    const lt = s['x-kubernetes-list-type'];
    this.listType = lt === 'map' || lt === 'set' ? lt : 'atomic';
    this.listMapKeys = lt === 'map' ? s['x-kubernetes-list-map-keys'] ?? [] : [];
    if (this.listType === 'map' && this.listMapKeys.length === 1) this.patchMergeKey = this.listMapKeys[0];
    this.mapType = s['x-kubernetes-map-type'] === 'atomic' ? 'atomic' : 'granular';
  }

  field(name: string): SchemaNode | undefined {
    // one look-up for a field met before (the memo holds undefined for a field there is not)
    let node = this.fields.get(name);
    if (node !== undefined || this.fields.has(name)) return node;
    const p = this.s.properties && Object.hasOwn(this.s.properties, name) ? this.s.properties[name] : undefined;
    if (this.resourceRoot && name === 'metadata' && (!p || !p.properties)) node = objectMetaNode();
    else if (p && typeof p === 'object') node = structuralSchemaNode(p);
    else if (this.s.additionalProperties && typeof this.s.additionalProperties === 'object') node = structuralSchemaNode(this.s.additionalProperties);
    else if (this.s['x-kubernetes-preserve-unknown-fields'] || this.s.additionalProperties === true || this.type === 'any') node = ANY_NODE;
    this.fields.set(name, node);
    return node;
  }

  items(): SchemaNode | undefined {
    if (this.itemsNode === undefined && this.s.items && typeof this.s.items === 'object' && !Array.isArray(this.s.items)) this.itemsNode = structuralSchemaNode(this.s.items);
    return this.itemsNode ?? (this.type === 'any' ? ANY_NODE : undefined);
  }
}

const structuralCache = new WeakMap<JSONSchemaProps, SchemaNode>();

/**
 * The node of a CRD structural schema. Used as the root of a custom resource, `metadata`
 * gets ObjectMeta semantics (finalizers are a set, ownerReferences a map keyed by uid).
 */
export function structuralSchemaNode(schema: JSONSchemaProps, opts: { resourceRoot?: boolean } = {}): SchemaNode {
  const root = opts.resourceRoot ?? false;
  if (!root) {
    const cached = structuralCache.get(schema);
    if (cached) return cached;
  }
  const node = new StructuralNode(schema, root || schema['x-kubernetes-embedded-resource'] === true);
  if (!root) structuralCache.set(schema, node);
  return node;
}
