/**
 * Public surface of the patch module: RFC 6902 JSON patch, RFC 7386 merge patch,
 * Kubernetes strategic merge patch (built-in kinds), server-side apply with managedFields,
 * and the content-type dispatcher used by the PATCH handler.
 * Everything is synchronous and pure: inputs are never mutated.
 */
export { jsonPatch } from './json-patch.js';
export { mergePatch } from './merge-patch.js';
export { strategicMergePatch, UNKNOWN_FORMAT_MESSAGE } from './strategic.js';
export { serverSideApply, updateManagedFields, rootNode, BEFORE_FIRST_APPLY, InvalidManagedFields } from './ssa.js';
export { managerOrUserAgent, prefixFromUserAgent, FIELD_MANAGER_MAX_LENGTH } from './manager.js';
export type { ServerSideApplyInput, ServerSideApplyResult, UpdateManagedFieldsOptions } from './ssa.js';
export { applyPatch, patchTypeOf, PATCH_CONTENT_TYPES } from './dispatch.js';
export type { PatchType, ApplyPatchOptions } from './dispatch.js';
export { FieldSet, fieldSetFromObject, pathString } from './fieldpath.js';
export type { PathElement, FieldPath } from './fieldpath.js';
