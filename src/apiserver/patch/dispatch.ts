import type { GroupVersionKind } from '../../api/index.js';
import type { JSONSchemaProps } from '../schema/index.js';
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';
export const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};
export function patchTypeOf(contentType: string | undefined): PatchType | undefined { void contentType; throw new Error('not implemented'); }
export interface ApplyPatchOptions { fieldManager?: string; force?: boolean; now?: Date | string; schema?: JSONSchemaProps; subresource?: string }
export function applyPatch(contentType: string | undefined, current: object | undefined, body: unknown, gvk: GroupVersionKind, opts: ApplyPatchOptions = {}): Record<string, unknown> { void contentType; void current; void body; void gvk; void opts; throw new Error('not implemented'); }
