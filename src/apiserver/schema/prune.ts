import type { GroupVersionKind } from '../../api/index.js';
import { StatusError } from '../../api/index.js';
import type { JSONSchemaProps } from './types.js';
export interface PruneResult { object: unknown; pruned: string[] }
/** Removes fields the schema does not declare; returns a pruned copy and the removed paths. */
export function prune(schema: JSONSchemaProps, obj: unknown): PruneResult { void schema; void obj; throw new Error('not implemented'); }
/** The 400 returned for fieldValidation=Strict when fields were pruned. */
export function strictDecodingError(gvk: GroupVersionKind, pruned: string[]): StatusError { void gvk; void pruned; throw new Error('not implemented'); }
/** The warnings (`unknown field "spec.foo"`) for fieldValidation=Warn. */
export function unknownFieldWarnings(pruned: string[]): string[] { return pruned.map((p) => `unknown field "${p}"`); }
