import type { FieldError } from '../../api/index.js';
import type { JSONSchemaProps } from './types.js';
/** Validates a custom resource (or any value) against a structural schema; root `metadata` is skipped. */
export function validate(schema: JSONSchemaProps, obj: unknown, pathPrefix = ''): FieldError[] { void schema; void obj; void pathPrefix; throw new Error('not implemented'); }
