/**
 * The files derived from the built-in OpenAPI documents that a server's start reads instead of
 * the documents (./openapi-files.ts reads them, when current), in `<documents dir>/derived/`:
 * - `swagger-definitions.json`: swagger.json without its paths (the built-in kinds' schemas:
 *   every write needs them; 1 MB of JSON against 2.4 MB gzipped);
 * - `swagger-operations.json`: the operations of swagger.json's paths (`x-kubernetes-action`,
 *   `x-kubernetes-group-version-kind`), which the built-in resource types are read from;
 * - `crd-openapi-kit.json`: what a CRD's OpenAPI v3 document is made from (./crd-openapi.ts),
 *   instead of three v3 documents (core/v1 alone is 2 MB of JSON).
 * Each records the sha256 (MANIFEST.json) of the documents it comes from. They are written by
 * `node scripts/derive-openapi.mjs` (after `npm run build`, and after scripts/update-k8s-openapi.mjs),
 * and openapi-derived.test.ts fails when one differs from what this module derives from the
 * documents now, so they cannot drift.
 */
import { crdOpenAPIKitSources, deriveCrdOpenAPIKit } from './crd-openapi.js';
import { documentDigest, loadBuiltinSwagger, openAPIv3FileName, pathOperations, type DerivedFile } from './openapi-files.js';
export { derivedDir } from './openapi-files.js';

function fileText<T>(derivedFrom: Array<[string, string]>, data: T): string {
  const f: DerivedFile<T> = { derivedFrom: Object.fromEntries(derivedFrom), data };
  return JSON.stringify(f) + '\n';
}

/** File name (in `derived/`) -> text, derived from the documents of `openAPIDir()`. */
export function deriveOpenAPIFiles(): Record<string, string> {
  const { paths, ...definitions } = loadBuiltinSwagger();
  const fromSwagger = [documentDigest('swagger.json')];
  return {
    'swagger-definitions.json': fileText(fromSwagger, definitions),
    'swagger-operations.json': fileText(fromSwagger, pathOperations(paths ?? {})),
    'crd-openapi-kit.json': fileText(crdOpenAPIKitSources().map((gv) => documentDigest(`v3/${openAPIv3FileName(gv.group, gv.version)}`)), deriveCrdOpenAPIKit()),
  };
}
