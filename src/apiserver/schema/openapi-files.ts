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
  if (!index) {
    index = new Map();
    for (const [name, def] of Object.entries(loadBuiltinSwagger(root).definitions)) {
      const gvks = def['x-kubernetes-group-version-kind'];
      // meta/v1 types such as DeleteOptions and WatchEvent list every group: they are not resources.
      if (!gvks || gvks.length !== 1) continue;
      index.set(gvkKey(gvks[0]), name);
    }
    gvkIndexCache.set(root, index);
  }
  return index.get(gvkKey(gvk));
}

/** The swagger definition of a built-in kind, or undefined for custom resources. */
export function builtinDefinition(gvk: GroupVersionKind, dir?: string): SwaggerSchema | undefined {
  const name = builtinDefinitionName(gvk, dir);
  return name ? loadBuiltinSwagger(dir).definitions[name] : undefined;
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
