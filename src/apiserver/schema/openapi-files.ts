/**
 * Lazy, cached access to the official Kubernetes 1.32 OpenAPI documents kept in
 * `../shared/k8s-openapi` (v2 `swagger.json` and the v3 per-group-version files).
 *
 * Where the files are, first match wins:
 *   1. the `dir` argument, 2. env `KUBELOOP_OPENAPI_DIR`,
 *   3. `<package root>/../shared/k8s-openapi`, where the package root is the nearest
 *      directory above this module that holds a package.json.
 * Each file is read and parsed once per process (swagger.json is 3.3 MB, ~40 ms to parse).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  return (defaultDirCache ??= resolve(packageRoot(), '..', 'shared', 'k8s-openapi'));
}

let defaultDirCache: string | undefined;

const jsonCache = new Map<string, unknown>();

function readJson<T>(file: string): T {
  let v = jsonCache.get(file);
  if (v === undefined) {
    v = JSON.parse(readFileSync(file, 'utf8'));
    jsonCache.set(file, v);
  }
  return v as T;
}

/** The aggregated OpenAPI v2 document (parsed once, shared: do not mutate). */
export function loadBuiltinSwagger(dir?: string): SwaggerDocument {
  return readJson<SwaggerDocument>(join(openAPIDir(dir), 'swagger.json'));
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
    const m = /^(?:api__(v[^_]+)|apis__(.+)__([^_]+))_openapi\.json$/.exec(name);
    if (!m) continue;
    const group = m[1] ? '' : m[2];
    const version = m[1] ?? m[3];
    out.push({ group, version, path: group ? `apis/${group}/${version}` : `api/${version}`, file: join(v3, name) });
  }
  return out;
}

/** The built-in v3 document of a group-version (parsed once, shared: do not mutate), or undefined. */
export function loadBuiltinOpenAPIv3(group: string, version: string, dir?: string): OpenAPIV3Document | undefined {
  const file = join(openAPIDir(dir), 'v3', openAPIv3FileName(group, version));
  if (!jsonCache.has(file) && !existsSync(file)) return undefined;
  return readJson<OpenAPIV3Document>(file);
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
