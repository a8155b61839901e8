/**
 * Maps the Content-Type of a PATCH request to the patch algorithm, as the API server does.
 */
import type { GroupVersionKind } from '../../api/index.js';
import { newBadRequest, newUnsupportedMediaType } from '../../api/index.js';
import type { JSONSchemaProps } from '../schema/index.js';
import { jsonPatch } from './json-patch.js';
import { mergePatch } from './merge-patch.js';
import { serverSideApply } from './ssa.js';
import { strategicMergePatch, UNKNOWN_FORMAT_MESSAGE } from './strategic.js';
import { parseYaml } from '../http/yaml.js';
import { isObject, parseBody } from './util.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** The patch type of a Content-Type header (parameters such as `; charset=utf-8` are ignored). */
export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  for (const [t, ct] of Object.entries(PATCH_CONTENT_TYPES)) if (ct === media) return t as PatchType;
  if (media === 'application/apply-patch+json' || media === 'application/apply-patch+cbor') return media.endsWith('json') ? 'apply' : undefined;
  return undefined;
}

/** Apply bodies are YAML (kubectl sends JSON, a subset); other clients may send real YAML. */
function parseApplyYaml(body: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    const text = typeof body === 'string' ? body : Buffer.from(body as Uint8Array).toString('utf8');
    // Errors throw; warnings (which the yaml package would log) are dropped: clients must not write to the log.
    return { ok: true, value: parseYaml(text, { logLevel: 'error' }) };
  } catch (e) {
    return { ok: false, error: `error converting YAML to JSON: ${(e as Error).message}` };
  }
}

export interface ApplyPatchOptions {
  /** fieldManager query parameter; required for apply patches (400 otherwise, as upstream) */
  fieldManager?: string;
  /** force query parameter of apply patches (default false) */
  force?: boolean;
  /** time recorded in managedFields by apply (default: now) */
  now?: Date | string;
  /** the CRD version schema, for apply on custom resources */
  schema?: JSONSchemaProps;
  subresource?: string;
}

/**
 * Applies a PATCH request body to `current` according to the Content-Type and returns the new
 * object (never mutating `current`). `body` may be a string, a Buffer or an already-parsed value.
 * For apply patches (`application/apply-patch+yaml`, body in JSON — YAML is parsed when the
 * `yaml` package is given a string that is not JSON) the result carries the new
 * metadata.managedFields; `current` may then be undefined (apply creates).
 * Errors: 415 for unknown content types (and strategic patches on custom resources),
 * 400 for bodies that do not parse or have the wrong shape, 422 for JSON patch ops that fail,
 * 409 for apply conflicts.
 */
export function applyPatch(
  contentType: string | undefined,
  current: object | undefined,
  body: unknown,
  gvk: GroupVersionKind,
  opts: ApplyPatchOptions = {},
): Record<string, unknown> {
  const type = patchTypeOf(contentType);
  if (!type) throw newUnsupportedMediaType(UNKNOWN_FORMAT_MESSAGE);
  let parsed = parseBody(body);
  if (!parsed.ok && type === 'apply') parsed = parseApplyYaml(body);
  if (!parsed.ok) throw newBadRequest(`error decoding patch: ${parsed.error}`);
  const value = parsed.value;
  if (type === 'apply') {
    if (!opts.fieldManager) throw newBadRequest('PATCH, application/apply-patch+yaml requires a fieldManager to be specified');
    if (!isObject(value)) throw newBadRequest('error decoding YAML: apply patch must be an object');
    return serverSideApply({ current, applied: value, manager: opts.fieldManager, force: opts.force, gvk, now: opts.now, schema: opts.schema, subresource: opts.subresource }).object;
  }
  if (current === undefined) throw newBadRequest('cannot patch an object that does not exist');
  let result: unknown;
  switch (type) {
    case 'json':
      result = jsonPatch(current, value);
      break;
    case 'merge':
      if (!isObject(value)) throw newBadRequest('error decoding patch: merge patch must be a JSON object');
      result = mergePatch(current, value);
      break;
    case 'strategic':
      result = strategicMergePatch(current, value, gvk);
      break;
  }
  if (!isObject(result)) throw newBadRequest('the patch did not result in an object');
  return result;
}
