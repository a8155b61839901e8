import type { GroupVersionKind, ManagedFieldsEntry } from '../../api/index.js';
import type { JSONSchemaProps } from '../schema/index.js';
export interface ServerSideApplyInput {
  /** the live object; absent when apply creates it */
  current?: object;
  /** the applied configuration (the request body, already parsed) */
  applied: object;
  /** fieldManager query parameter (required by upstream for apply) */
  manager: string;
  /** force=true takes ownership of conflicting fields instead of failing with 409 */
  force?: boolean;
  gvk: GroupVersionKind;
  /** timestamp recorded in managedFields (default: now) */
  now?: Date | string;
  /** the CRD version's openAPIV3Schema for custom resources (list-type/map-type); built-ins use swagger */
  schema?: JSONSchemaProps;
  /** e.g. "status" for apply on a subresource */
  subresource?: string;
}
export interface ServerSideApplyResult { object: Record<string, unknown>; managedFields: ManagedFieldsEntry[] }
export function serverSideApply(input: ServerSideApplyInput): ServerSideApplyResult { void input; throw new Error('not implemented'); }
export interface UpdateManagedFieldsOptions { now?: Date | string; schema?: JSONSchemaProps; subresource?: string }
/** The managedFields of `newObj` after a non-apply write (create/update/patch) by `manager`. */
export function updateManagedFields(oldObj: object | undefined, newObj: object, manager: string, operation: 'Update', gvk: GroupVersionKind, opts: UpdateManagedFieldsOptions = {}): ManagedFieldsEntry[] { void oldObj; void newObj; void manager; void operation; void gvk; void opts; throw new Error('not implemented'); }
