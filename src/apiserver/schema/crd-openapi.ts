/**
 * OpenAPI v3 documents for custom resources, shaped like the API server publishes them under
 * `/openapi/v3/apis/<group>/<version>`: a `components.schemas` entry per kind named
 * `<reversed group>.<version>.<Kind>` (and `...<Kind>List`) with
 * `x-kubernetes-group-version-kind`, and the collection/item/status/scale paths, whose PATCH
 * operations carry `x-kubernetes-group-version-kind` and the `fieldValidation` parameter that
 * kubectl looks for before it lets the server validate.
 *
 * The paths are derived from a built-in resource of the same scope in the official 1.32
 * documents (Deployments for namespaced kinds, CustomResourceDefinitions for cluster-scoped
 * ones), so operations, parameters and their descriptions are upstream's own; the meta/v1
 * schemas they reference (ObjectMeta, ListMeta, Status, DeleteOptions, Patch, ...) are copied
 * from the built-in documents too.
 */
import { loadBuiltinOpenAPIv3, openAPIDir, readDerived } from './openapi-files.js';
import type { CustomResourceDefinition, JSONSchemaProps, OpenAPIV3Document } from './types.js';
import { clone, isObject, type JsonObject } from './values.js';

/** `<reversed group>.<version>.<Kind>`: `com.alibabacloud.log.v1alpha1.AliyunLogConfig`. */
export function crdSchemaName(group: string, version: string, kind: string): string {
  return [...group.split('.').reverse(), version, kind].join('.');
}

interface Template {
  group: string;
  version: string;
  plural: string;
  kind: string;
  schema: string;
  opToken: string;
  tag: string;
}

const NAMESPACED: Template = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', schema: 'io.k8s.api.apps.v1.Deployment', opToken: 'AppsV1', tag: 'apps_v1' };
const CLUSTER: Template = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  schema: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
  opToken: 'ApiextensionsV1',
  tag: 'apiextensions_v1',
};

const REF = '#/components/schemas/';

function upperFirst(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** `log.alibabacloud.com` -> `LogAlibabacloudCom`, as upstream builds operation ids. */
function groupToken(group: string): string {
  return group
    .split(/[.-]/)
    .filter(Boolean)
    .map(upperFirst)
    .join('');
}

/** The built-in documents that hold the meta/v1 and autoscaling/v1 schemas referenced here. */
const SCHEMA_SOURCES = [['', 'v1'], ['autoscaling', 'v1'], ['apiextensions.k8s.io', 'v1']] as const;

/** The schemas of the built-in documents of {@link SCHEMA_SOURCES}, later ones winning on a name. */
function builtinSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [g, v] of SCHEMA_SOURCES) {
    const doc = loadBuiltinOpenAPIv3(g, v);
    if (doc) Object.assign(out, doc.components.schemas);
  }
  return out;
}

/**
 * What {@link crdToOpenAPIv3} takes from the built-in v3 documents, small enough to read at a
 * server's start (the documents it comes from are 0.2-2 MB of JSON each):
 * - per template group-version, the document cut to what the CRD's paths and schemas are made
 *   from (the paths of the template's resource but its watch paths, the template kind's and
 *   list's schemas, the security schemes);
 * - the built-in schemas those reference, transitively ({@link builtinSchemas}' values).
 * `derived/crd-openapi-kit.json` holds it (./openapi-derived.ts); a schema a CRD document
 * references that the kit lacks is looked up in the full documents.
 */
export interface CrdOpenAPIKit {
  templates: Record<string, OpenAPIV3Document>;
  schemas: Record<string, Record<string, unknown>>;
}

/** The documents {@link CrdOpenAPIKit} is derived from (upstream file names), for its `derivedFrom`. */
export function crdOpenAPIKitSources(): Array<{ group: string; version: string }> {
  const all = [...SCHEMA_SOURCES.map(([group, version]) => ({ group, version })), ...[NAMESPACED, CLUSTER].map((t) => ({ group: t.group, version: t.version }))];
  return all.filter((x, i) => all.findIndex((y) => y.group === x.group && y.version === x.version) === i);
}

function templatePathKept(tpl: Template, p: string): boolean {
  const tplPrefix = `/apis/${tpl.group}/${tpl.version}/`;
  return p.startsWith(tplPrefix) && !p.includes('/watch/') && p.slice(tplPrefix.length).split('/').includes(tpl.plural);
}

/** Derives {@link CrdOpenAPIKit} from the full built-in documents. */
export function deriveCrdOpenAPIKit(): CrdOpenAPIKit {
  const templates: Record<string, OpenAPIV3Document> = {};
  for (const tpl of [NAMESPACED, CLUSTER]) {
    const full = loadBuiltinOpenAPIv3(tpl.group, tpl.version);
    if (!full) continue;
    const paths = Object.fromEntries(Object.entries(full.paths).filter(([p]) => templatePathKept(tpl, p)));
    const schemas = Object.fromEntries([tpl.schema, tpl.schema + 'List'].filter((n) => full.components.schemas[n]).map((n) => [n, full.components.schemas[n]]));
    const components: OpenAPIV3Document['components'] = { schemas };
    if (full.components.securitySchemes) components.securitySchemes = full.components.securitySchemes;
    templates[`${tpl.group}/${tpl.version}`] = { openapi: full.openapi, info: full.info, paths, components };
  }
  const lib = builtinSchemas();
  const schemas: Record<string, Record<string, unknown>> = {};
  walkReferences(Object.values(templates), (name) => (lib[name] ? (schemas[name] = lib[name]) : undefined));
  return { templates, schemas: Object.fromEntries(Object.keys(schemas).sort().map((k) => [k, schemas[k]])) };
}

/** Per documents dir: the kit, and the full documents' schemas once one was needed. */
const kitCache = new Map<string, { kit: CrdOpenAPIKit; lib?: Record<string, Record<string, unknown>> }>();

function kitEntry(): { kit: CrdOpenAPIKit; lib?: Record<string, Record<string, unknown>> } {
  const root = openAPIDir();
  let e = kitCache.get(root);
  if (!e) kitCache.set(root, (e = { kit: readDerived<CrdOpenAPIKit>('crd-openapi-kit', root) ?? deriveCrdOpenAPIKit() }));
  return e;
}

/** The kit: derived/crd-openapi-kit.json when current, else derived from the full documents. */
function crdOpenAPIKit(): CrdOpenAPIKit {
  return kitEntry().kit;
}

/** A built-in schema by name: the kit's, else the full documents' (read then, once). */
function builtinSchema(name: string): Record<string, unknown> | undefined {
  const e = kitEntry();
  return e.kit.schemas[name] ?? (e.lib ??= builtinSchemas())[name];
}

function collectRefs(v: unknown, into: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) collectRefs(x, into);
  else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string' && x.startsWith(REF)) into.add(x.slice(REF.length));
      else collectRefs(x, into);
    }
  }
}

/**
 * Visits the schema names referenced from `from`, transitively, each once, breadth first:
 * `visit(name)` returns the schema whose own references are followed (undefined: none).
 */
function walkReferences(from: unknown, visit: (name: string) => unknown): void {
  const names = new Set<string>();
  collectRefs(from, names);
  for (const name of names) collectRefs(visit(name), names); // a Set's iteration reaches names added meanwhile
}

/** Adds every schema referenced (transitively) from `doc` that `doc` lacks, from the built-ins. */
function addReferencedSchemas(doc: OpenAPIV3Document): void {
  walkReferences(doc, (name) => {
    if (!doc.components.schemas[name]) {
      const lib = builtinSchema(name);
      if (lib) doc.components.schemas[name] = clone(lib);
    }
    return doc.components.schemas[name];
  });
}

/** Rewrites a template operation/path item for the custom resource. */
function rewrite(v: unknown, tpl: Template, map: { schema: string; list: string; kind: string; opToken: string; tag: string; group: string; version: string }, key?: string): unknown {
  if (Array.isArray(v)) {
    if (key === 'tags') return [map.tag];
    return v.map((x) => rewrite(x, tpl, map));
  }
  if (isObject(v)) {
    if (key === 'x-kubernetes-group-version-kind' && v.kind === tpl.kind) return { group: map.group, kind: map.kind, version: map.version };
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = rewrite(x, tpl, map, k);
    return out;
  }
  if (typeof v !== 'string') return v;
  if (key === '$ref') {
    if (v === REF + tpl.schema) return REF + map.schema;
    if (v === REF + tpl.schema + 'List') return REF + map.list;
    return v;
  }
  const word = new RegExp(`\\b${tpl.kind}\\b`, 'g');
  if (key === 'operationId') return v.replace(tpl.opToken, map.opToken).replace(new RegExp(tpl.kind, 'g'), map.kind);
  if (key === 'description') return v.replace(word, map.kind);
  return v;
}

/**
 * The OpenAPI v3 document of one version of a CRD. Throws when the version does not exist.
 * The document is self-contained: the meta/v1 schemas it references are included.
 */
export function crdToOpenAPIv3(crd: CustomResourceDefinition, version: string): OpenAPIV3Document {
  const spec = crd.spec;
  const ver = spec?.versions?.find((v) => v.name === version);
  if (!ver) throw new Error(`CRD ${crd.metadata?.name ?? ''} has no version ${version}`);
  const { group } = spec;
  const { kind, plural } = spec.names;
  const listKind = spec.names.listKind || `${kind}List`;
  const namespaced = spec.scope !== 'Cluster';
  const tpl = namespaced ? NAMESPACED : CLUSTER;
  const tplDoc = crdOpenAPIKit().templates[`${tpl.group}/${tpl.version}`];
  if (!tplDoc) throw new Error(`built-in OpenAPI document ${tpl.group}/${tpl.version} not found`);

  const schema = crdSchemaName(group, version, kind);
  const list = crdSchemaName(group, version, listKind);
  const gvToken = groupToken(group) + upperFirst(version);
  const map = {
    schema,
    list,
    kind,
    opToken: gvToken,
    tag: `${groupToken(group).replace(/^./, (c) => c.toLowerCase())}_${version}`,
    group,
    version,
  };

  // Paths.
  const tplPrefix = `/apis/${tpl.group}/${tpl.version}/`;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [p, item] of Object.entries(tplDoc.paths)) {
    if (!p.startsWith(tplPrefix) || p.includes('/watch/')) continue;
    const segs = p.slice(tplPrefix.length).split('/');
    const at = segs.indexOf(tpl.plural);
    if (at < 0) continue;
    const sub = segs.slice(at + 1).filter((s) => s !== '{name}');
    if (sub.length > 1) continue;
    if (sub[0] === 'status' && !ver.subresources?.status) continue;
    if (sub[0] === 'scale' && !ver.subresources?.scale) continue;
    if (sub.length === 1 && sub[0] !== 'status' && sub[0] !== 'scale') continue;
    segs[at] = plural;
    paths[`/apis/${group}/${version}/${segs.join('/')}`] = rewrite(item, tpl, map) as Record<string, unknown>;
  }

  // Schemas.
  const tplSchemas = tplDoc.components.schemas;
  const tplKind = tplSchemas[tpl.schema] as { properties: Record<string, unknown> };
  const tplList = tplSchemas[tpl.schema + 'List'] as { properties: Record<string, unknown> };
  const crSchema = clone(ver.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) as JSONSchemaProps;
  const properties: Record<string, unknown> = { ...(crSchema.properties ?? {}) };
  properties.apiVersion = clone(tplKind.properties.apiVersion);
  properties.kind = clone(tplKind.properties.kind);
  properties.metadata = clone(tplKind.properties.metadata);
  const kindSchema: Record<string, unknown> = {
    ...crSchema,
    type: 'object',
    properties: Object.fromEntries(Object.keys(properties).sort().map((k) => [k, properties[k]])),
    'x-kubernetes-group-version-kind': [{ group, kind, version }],
  };
  const listSchema: Record<string, unknown> = {
    description: `${listKind} is a list of ${kind}`,
    properties: {
      apiVersion: clone(tplList.properties.apiVersion),
      items: {
        description: `List of ${plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        items: { $ref: REF + schema },
        type: 'array',
      },
      kind: clone(tplList.properties.kind),
      metadata: clone(tplList.properties.metadata),
    },
    required: ['items'],
    type: 'object',
    'x-kubernetes-group-version-kind': [{ group, kind: listKind, version }],
  };

  const doc: OpenAPIV3Document = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' },
    paths,
    components: { schemas: { [schema]: kindSchema, [list]: listSchema } },
  };
  if (tplDoc.components.securitySchemes) doc.components.securitySchemes = clone(tplDoc.components.securitySchemes);
  addReferencedSchemas(doc);
  return doc;
}

/**
 * Merges several documents of one group-version (one per CRD) into one: paths and schemas
 * are unioned (the first document wins on a name clash, which only shared meta schemas have).
 */
export function mergeOpenAPIDocs(docs: OpenAPIV3Document[]): OpenAPIV3Document {
  const out: OpenAPIV3Document = { openapi: '3.0.0', info: { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' }, paths: {}, components: { schemas: {} } };
  for (const d of docs) {
    for (const [p, item] of Object.entries(d.paths ?? {})) if (!out.paths[p]) out.paths[p] = item;
    for (const [n, s] of Object.entries(d.components?.schemas ?? {})) if (!out.components.schemas[n]) out.components.schemas[n] = s;
    for (const [k, v] of Object.entries(d.components ?? {})) if (k !== 'schemas' && out.components[k] === undefined) out.components[k] = v;
  }
  out.paths = Object.fromEntries(Object.keys(out.paths).sort().map((k) => [k, out.paths[k]]));
  out.components.schemas = Object.fromEntries(Object.keys(out.components.schemas).sort().map((k) => [k, out.components.schemas[k]]));
  return out;
}
