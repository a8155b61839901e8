/**
 * The custom-resource write pipeline in upstream order: prune unknown fields (reported per
 * `fieldValidation`), apply defaults, validate.
 */
import type { FieldError, GroupVersionKind } from '../../api/index.js';
import { applyDefaults } from './defaults.js';
import { prune, strictDecodingError, unknownFieldWarnings } from './prune.js';
import type { JSONSchemaProps } from './types.js';
import { validate } from './validate.js';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface PrepareOptions {
  gvk: GroupVersionKind;
  /** the `fieldValidation` query parameter; default 'Warn' (as upstream since 1.27) */
  fieldValidation?: FieldValidation | string;
}

export interface PrepareResult {
  /** pruned and defaulted copy of the input */
  object: unknown;
  /** `Warning` header texts (`unknown field "spec.foo"`) when fieldValidation is Warn */
  warnings: string[];
  /** schema violations (wrap with newInvalid together with the server's metadata checks) */
  errors: FieldError[];
}

/**
 * Prunes, defaults and validates a custom resource against its version's schema.
 * Throws the 400 strict decoding error when `fieldValidation=Strict` and fields were unknown.
 */
export function prepareCustomResource(schema: JSONSchemaProps, obj: unknown, opts: PrepareOptions): PrepareResult {
  const mode = opts.fieldValidation || 'Warn';
  const { object: pruned, pruned: unknown } = prune(schema, obj);
  if (unknown.length > 0 && mode === 'Strict') throw strictDecodingError(opts.gvk, unknown);
  const object = applyDefaults(schema, pruned);
  return { object, warnings: mode === 'Warn' ? unknownFieldWarnings(unknown) : [], errors: validate(schema, object) };
}
