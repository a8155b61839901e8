/**
 * Lazy, cached access to the official Kubernetes 1.32 OpenAPI documents (v2 `swagger.json`
 * and the v3 per-group-version files) that ship with the package in
 * `src/apiserver/openapi/kubernetes-v1.32/` (provenance and checksums in its README).
 *
 * Where the files are, first match wins:
 *   1. the `dir` argument, 2. env `KUBELOOP_OPENAPI_DIR` (e.g. a newer upstream checkout),
 *   3. `<package root>/src/apiserver/openapi/kubernetes-v1.32`, where the package root is the
 *      nearest directory above this module that holds a package.json (the repository, or
 *      `node_modules/kubeloop` when installed).
 * A document is read from `<name>.json.gz` (how the package stores them) or `<name>.json` (an
 * upstream folder), and parsed once per process (swagger.json: ~7 ms to gunzip, ~20 to parse).
 *
 * What a server's start needs of them is read from smaller files derived from them, in
 * `derived/` beside them (./openapi-derived.ts writes and checks them): the swagger.json
 * definitions, one per line, parsed as they are first needed (a start needs a few dozen of
 * 638), and the operations of its paths (what the resource types are read from). A derived
 * file names the documents it came from by their sha256 in MANIFEST.json; when they differ (the
 * documents were updated, or the folder has no MANIFEST.json) it is not used and the full
 * documents are read.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { GroupVersionKind } from '../../api/index.js';
import type { OpenAPIV3Document, SwaggerDocument, SwaggerSchema } from './types.js';

let packageRootCache: string | undefined;

function packageRoot(): string {
  if (packageRootCache) return packageRootCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) break;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  packageRootCache = dir;
  return dir;
}

/** The directory holding `swagger.json` and `v3/`, resolved as described above. */
export function openAPIDir(dir?: string): string {
  if (dir) return resolve(dir);
  const env = process.env.KUBELOOP_OPENAPI_DIR;
  if (env) return resolve(env);
  // Every managedFields computation asks (via builtinSchemaNode): resolve the default once.
  return (defaultDirCache ??= resolve(packageRoot(), 'src', 'apiserver', 'openapi', 'kubernetes-v1.32'));
}

let defaultDirCache: string | undefined;

const jsonCache = new Map<string, { text: string; doc: unknown }>();

/** The text of `file` (a `.json` path) from `file.gz` or `file`, or undefined when neither exists. */
function readDocumentText(file: string): string | undefined {
  if (existsSync(`${file}.gz`)) return gunzipSync(readFileSync(`${file}.gz`)).toString('utf8');
  if (existsSync(file)) return readFileSync(file, 'utf8');
  return undefined;
}

function readJson(file: string): { text: string; doc: unknown } | undefined {
  let v = jsonCache.get(file);
  if (v === undefined) {
    const text = readDocumentText(file);
    if (text === undefined) return undefined;
    v = { text, doc: JSON.parse(text) };
    jsonCache.set(file, v);
  }
  return v;
}

const manifestCache = new Map<string, Map<string, string>>();

/** `file` (as MANIFEST.json names it: `swagger.json.gz`) -> the sha256 of its JSON, per documents dir. */
function manifestDigests(root: string): Map<string, string> {
  let m = manifestCache.get(root);
  if (!m) {
    m = new Map();
    try {
      const manifest = JSON.parse(readFileSync(join(root, 'MANIFEST.json'), 'utf8')) as { files?: Array<{ file: string; jsonSha256: string }> };
      for (const f of manifest.files ?? []) m.set(f.file, f.jsonSha256);
    } catch {
      // no (readable) MANIFEST.json: nothing derived is trusted
    }
    manifestCache.set(root, m);
  }
  return m;
}

/** A file derived from the documents (./openapi-derived.ts): what it records and its data. */
export interface DerivedFile<T> {
  /** the documents it was derived from (MANIFEST.json names) and the sha256 of their JSON */
  derivedFrom: Record<string, string>;
  data: T;
}

const derivedCache = new Map<string, { data: unknown } | null>();

/** Whether the documents a derived file names are those MANIFEST.json lists now. */
function isCurrent(derivedFrom: Record<string, string> | undefined, root: string): boolean {
  const digests = manifestDigests(root);
  const sources = Object.entries(derivedFrom ?? {});
  return sources.length > 0 && sources.every(([f, sha]) => digests.get(f) === sha);
}

/** The folder of the derived files. */
export function derivedDir(dir?: string): string {
  return join(openAPIDir(dir), 'derived');
}

/**
 * The data of `derived/<name>.json` when it exists and the documents it names are the ones
 * MANIFEST.json lists now; undefined otherwise (read the full documents).
 */
export function readDerived<T>(name: string, dir?: string): T | undefined {
  const root = openAPIDir(dir);
  const file = join(root, 'derived', `${name}.json`);
  let hit = derivedCache.get(file);
  if (hit === undefined) {
    hit = null;
    if (existsSync(file)) {
      try {
        const d = JSON.parse(readFileSync(file, 'utf8')) as DerivedFile<unknown>;
        if (isCurrent(d.derivedFrom, root)) hit = { data: d.data };
      } catch {
        // unreadable: the full documents are read
      }
    }
    derivedCache.set(file, hit);
  }
  return hit?.data as T | undefined;
}

/** MANIFEST.json's name of the document `json` (`swagger.json` -> `swagger.json.gz`) with the sha256 of its JSON, for a derived file's `derivedFrom`. */
export function documentDigest(json: string, dir?: string): [string, string] {
  const name = `${json}.gz`;
  const sha = manifestDigests(openAPIDir(dir)).get(name);
  if (!sha) throw new Error(`MANIFEST.json in ${openAPIDir(dir)} does not list ${name}`);
  return [name, sha];
}

/** The aggregated OpenAPI v2 document (parsed once, shared: do not mutate). */
export function loadBuiltinSwagger(dir?: string): SwaggerDocument {
  const root = openAPIDir(dir);
  const hit = readJson(join(root, 'swagger.json'));
  if (!hit) {
    throw new Error(`the Kubernetes OpenAPI documents are missing: no swagger.json(.gz) in ${root}` +
      (process.env.KUBELOOP_OPENAPI_DIR ? ' (from KUBELOOP_OPENAPI_DIR)' : ' (reinstall kubeloop, or set KUBELOOP_OPENAPI_DIR to a folder holding swagger.json and v3/)'));
  }
  return hit.doc as SwaggerDocument;
}

/**
 * The first line of `derived/swagger-definitions.ndjson`: what it was derived from, swagger.json's
 * fields but `paths` and `definitions`, and the definition name of each built-in kind
 * (`group/version/Kind`, as {@link builtinDefinitionName} finds them). Each further line is one
 * definition, `["<name>",<definition>]`.
 */
export interface DefinitionsHeader {
  derivedFrom: Record<string, string>;
  rest: Record<string, unknown>;
  kinds: Record<string, string>;
}

interface LazyDefinitions { doc: SwaggerDocument; kinds: Map<string, string> }

const lazyCache = new Map<string, LazyDefinitions | null>();

/**
 * swagger.json's definitions from `derived/swagger-definitions.ndjson` when it is current: the
 * file is read at once but a definition is parsed when first asked for (a start needs a few
 * dozen of the 638), so `definitions` is a read-only view that parses on access.
 */
function lazyDefinitions(root: string): LazyDefinitions | undefined {
  let hit = lazyCache.get(root);
  if (hit !== undefined) return hit ?? undefined;
  hit = null;
  const file = join(root, 'derived', 'swagger-definitions.ndjson');
  try {
    // the bytes, decoded a definition at a time (decoding all of the 1 MB costs more than the few read)
    const bytes = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
    const NL = 0x0a;
    const QUOTE = 0x22;
    const nl = bytes.indexOf(NL);
    const header = nl > 0 ? JSON.parse(bytes.toString('utf8', 0, nl)) as DefinitionsHeader : undefined;
    if (header && isCurrent(header.derivedFrom, root)) {
      // line: ["<name>",<definition>] (names are ASCII without a quote or backslash)
      const where = new Map<string, { from: number; to: number }>();
      for (let at = nl + 1; at < bytes.length;) {
        let end = bytes.indexOf(NL, at);
        if (end < 0) end = bytes.length;
        const q = bytes.indexOf(QUOTE, at + 2);
        where.set(bytes.toString('latin1', at + 2, q), { from: q + 2, to: end - 1 });
        at = end + 1;
      }
      const parsed = new Map<string, SwaggerSchema>();
      const get = (name: string): SwaggerSchema | undefined => {
        let v = parsed.get(name);
        if (v === undefined) {
          const w = where.get(name);
          if (!w) return undefined;
          try {
            v = JSON.parse(bytes.toString('utf8', w.from, w.to)) as SwaggerSchema;
          } catch {
            // a damaged line: the full document's definition
            v = loadBuiltinSwagger(root).definitions[name];
            if (v === undefined) return undefined;
          }
          parsed.set(name, v);
        }
        return v;
      };
      const readOnly = () => false;
      const definitions = new Proxy({} as Record<string, SwaggerSchema>, {
        // names not defined read as on a plain object (its prototype), as the full document's do
        get: (t, name, receiver) => (typeof name === 'string' && where.has(name) ? get(name) : Reflect.get(t, name, receiver)),
        has: (t, name) => (typeof name === 'string' && where.has(name)) || Reflect.has(t, name),
        ownKeys: () => [...where.keys()],
        getOwnPropertyDescriptor: (_t, name) => (typeof name === 'string' && where.has(name) ? { value: get(name), enumerable: true, configurable: true, writable: false } : undefined),
        set: readOnly, defineProperty: readOnly, deleteProperty: readOnly,
      });
      hit = { doc: { ...header.rest, definitions } as SwaggerDocument, kinds: new Map(Object.entries(header.kinds)) };
    }
  } catch {
    // unreadable: the full document is read
  }
  lazyCache.set(root, hit);
  return hit ?? undefined;
}

/**
 * swagger.json without its paths: its definitions (the schemas of the built-in kinds) and the
 * rest but the paths (shared: do not mutate). From `derived/swagger-definitions.ndjson` when it
 * is current (definitions parsed as they are first read), else the full document.
 */
export function loadBuiltinDefinitions(dir?: string): SwaggerDocument {
  return lazyDefinitions(openAPIDir(dir))?.doc ?? loadBuiltinSwagger(dir);
}

/** The definition name of each built-in kind (`group/version/Kind`) of a swagger document, as {@link builtinDefinitionName} reads it. */
export function kindDefinitions(doc: SwaggerDocument): Map<string, string> {
  const index = new Map<string, string>();
  for (const [name, def] of Object.entries(doc.definitions)) {
    const gvks = def['x-kubernetes-group-version-kind'];
    // meta/v1 types such as DeleteOptions and WatchEvent list every group: they are not resources.
    if (!gvks || gvks.length !== 1) continue;
    index.set(gvkKey(gvks[0]), name);
  }
  return index;
}

/** The operations of OpenAPI paths: per path and method, only `x-kubernetes-action` and `x-kubernetes-group-version-kind`. */
export type PathOperations = Record<string, Record<string, { 'x-kubernetes-action'?: string; 'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string } }>>;

/** What {@link PathOperations} keeps of `paths` (operations with neither extension, and `parameters`, are left out). */
export function pathOperations(paths: Record<string, Record<string, unknown>>): PathOperations {
  const out: PathOperations = {};
  for (const [path, item] of Object.entries(paths)) {
    const ops: PathOperations[string] = {};
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters' || !op || typeof op !== 'object') continue;
      const o = op as PathOperations[string][string];
      const kept: PathOperations[string][string] = {};
      if (o['x-kubernetes-action'] !== undefined) kept['x-kubernetes-action'] = o['x-kubernetes-action'];
      if (o['x-kubernetes-group-version-kind'] !== undefined) kept['x-kubernetes-group-version-kind'] = o['x-kubernetes-group-version-kind'];
      if (Object.keys(kept).length) ops[method] = kept;
    }
    out[path] = ops;
  }
  return out;
}

/**
 * The operations of swagger.json's paths (shared: do not mutate). From
 * `derived/swagger-operations.json` when it is current, else from the full document.
 */
export function builtinPathOperations(dir?: string): PathOperations {
  const root = openAPIDir(dir);
  let ops = operationsCache.get(root);
  if (!ops) operationsCache.set(root, (ops = readDerived<PathOperations>('swagger-operations', root) ?? pathOperations(loadBuiltinSwagger(root).paths ?? {})));
  return ops;
}

const operationsCache = new Map<string, PathOperations>();

/** The upstream v3 file name of a group-version: `api__v1_openapi.json`, `apis__apps__v1_openapi.json`. */
export function openAPIv3FileName(group: string, version: string): string {
  return group === '' ? `api__${version}_openapi.json` : `apis__${group}__${version}_openapi.json`;
}

/** Every built-in group-version that has a v3 document, with its URL path (`api/v1`, `apis/apps/v1`). */
export function builtinOpenAPIv3GroupVersions(dir?: string): Array<{ group: string; version: string; path: string; file: string }> {
  const v3 = join(openAPIDir(dir), 'v3');
  const out: Array<{ group: string; version: string; path: string; file: string }> = [];
  for (const name of readdirSync(v3).sort()) {
    const m = /^(?:api__(v[^_]+)|apis__(.+)__([^_]+))_openapi\.json(?:\.gz)?$/.exec(name);
    if (!m) continue;
    const group = m[1] ? '' : m[2];
    const version = m[1] ?? m[3];
    out.push({ group, version, path: group ? `apis/${group}/${version}` : `api/${version}`, file: join(v3, name) });
  }
  return out;
}

/** The built-in v3 document of a group-version (parsed once, shared: do not mutate), or undefined. */
export function loadBuiltinOpenAPIv3(group: string, version: string, dir?: string): OpenAPIV3Document | undefined {
  return builtinOpenAPIv3Text(group, version, dir)?.doc;
}

/** The built-in v3 document of a group-version with its JSON text (what `/openapi/v3/<path>` serves), or undefined. */
export function builtinOpenAPIv3Text(group: string, version: string, dir?: string): { text: string; doc: OpenAPIV3Document } | undefined {
  return readJson(join(openAPIDir(dir), 'v3', openAPIv3FileName(group, version))) as { text: string; doc: OpenAPIV3Document } | undefined;
}

const gvkIndexCache = new Map<string, Map<string, string>>();

function gvkKey(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}`;
}

/** Name of the swagger definition of a built-in kind (`io.k8s.api.apps.v1.Deployment`), or undefined. */
export function builtinDefinitionName(gvk: GroupVersionKind, dir?: string): string | undefined {
  const root = openAPIDir(dir);
  let index = gvkIndexCache.get(root);
  if (!index) gvkIndexCache.set(root, (index = lazyDefinitions(root)?.kinds ?? kindDefinitions(loadBuiltinSwagger(root))));
  return index.get(gvkKey(gvk));
}

/** The swagger definition of a built-in kind, or undefined for custom resources. */
export function builtinDefinition(gvk: GroupVersionKind, dir?: string): SwaggerSchema | undefined {
  const name = builtinDefinitionName(gvk, dir);
  return name ? loadBuiltinDefinitions(dir).definitions[name] : undefined;
}

/** True when the GVK is a built-in kind described by swagger.json. */
export function isBuiltinKind(gvk: GroupVersionKind, dir?: string): boolean {
  return builtinDefinitionName(gvk, dir) !== undefined;
}

/** The built-in documents in one handle, for callers that prefer an object. */
export interface BuiltinOpenAPI {
  readonly dir: string;
  readonly swagger: SwaggerDocument;
  v3(group: string, version: string): OpenAPIV3Document | undefined;
  groupVersions(): Array<{ group: string; version: string; path: string; file: string }>;
  definitionForGVK(gvk: GroupVersionKind): SwaggerSchema | undefined;
}

/** A handle on the built-in documents (files are still parsed lazily and once). */
export function loadBuiltinOpenAPI(dir?: string): BuiltinOpenAPI {
  const root = openAPIDir(dir);
  return {
    dir: root,
    get swagger() {
      return loadBuiltinSwagger(root);
    },
    v3: (g, v) => loadBuiltinOpenAPIv3(g, v, root),
    groupVersions: () => builtinOpenAPIv3GroupVersions(root),
    definitionForGVK: (gvk) => builtinDefinition(gvk, root),
  };
}
