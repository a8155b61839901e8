import type { GroupVersionKind } from '../../api/index.js';
export const UNKNOWN_FORMAT_MESSAGE = 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml';
/** Strategic merge patch for a built-in kind; 415 for kinds without a swagger schema. */
export function strategicMergePatch<T extends object = Record<string, unknown>>(current: T, patch: unknown, gvk: GroupVersionKind): T { void current; void patch; void gvk; throw new Error('not implemented'); }
