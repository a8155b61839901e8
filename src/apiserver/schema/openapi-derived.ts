/**
 * The files derived from the built-in OpenAPI documents that a server's start reads instead of
 * the documents (./openapi-files.ts reads them, when current), in `<documents dir>/derived/`:
 * - `swagger-definitions.ndjson`: swagger.json without its paths (the built-in kinds' schemas:
 *   every write needs them), one definition per line, parsed when first needed (a start reads
 *   1 MB and parses a few dozen definitions instead of gunzipping and parsing 2.4 MB);
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
import { documentDigest, kindDefinitions, loadBuiltinSwagger, openAPIv3FileName, pathOperations, type DefinitionsHeader, type DerivedFile } from './openapi-files.js';
import type { SwaggerDocument } from './types.js';
export { derivedDir } from './openapi-files.js';

function fileText<T>(derivedFrom: Array<[string, string]>, data: T): string {
  const f: DerivedFile<T> = { derivedFrom: Object.fromEntries(derivedFrom), data };
  return JSON.stringify(f) + '\n';
}

/** `swagger-definitions.ndjson`: a {@link DefinitionsHeader} line, then one `["<name>",<definition>]` line per definition. */
function definitionsText(derivedFrom: Array<[string, string]>, doc: SwaggerDocument): string {
  const { definitions, ...rest } = doc;
  const kinds = Object.fromEntries(kindDefinitions(doc));
  const header: DefinitionsHeader = { derivedFrom: Object.fromEntries(derivedFrom), rest, kinds };
  const lines = [JSON.stringify(header)];
  for (const [name, def] of Object.entries(definitions)) {
    if (!/^[\x20-\x7e]+$/.test(name) || /["\\]/.test(name)) throw new Error(`definition name ${JSON.stringify(name)}: only printable ASCII without a quote or backslash can be indexed`);
    lines.push(JSON.stringify([name, def]));
  }
  return lines.join('\n') + '\n';
}

/** File name (in `derived/`) -> text, derived from the documents of `openAPIDir()`. */
export function deriveOpenAPIFiles(): Record<string, string> {
  const { paths, ...withoutPaths } = loadBuiltinSwagger();
  const fromSwagger = [documentDigest('swagger.json')];
  return {
    'swagger-definitions.ndjson': definitionsText(fromSwagger, withoutPaths as SwaggerDocument),
    'swagger-operations.json': fileText(fromSwagger, pathOperations(paths ?? {})),
    'crd-openapi-kit.json': fileText(crdOpenAPIKitSources().map((gv) => documentDigest(`v3/${openAPIv3FileName(gv.group, gv.version)}`)), deriveCrdOpenAPIKit()),
  };
}
