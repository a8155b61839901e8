/**
 * Building field errors as k8s.io/apimachinery/pkg/util/validation/field does (errors.go):
 * `field.Invalid(path, value, detail)` prints the bad value by Go's rules (ErrorBody: numbers
 * and bools plain, strings `%q`, other values `%#v`), `field.NotSupported` lists the
 * supported values quoted, `field.Required/Forbidden` carry only their detail, and
 * `field.Duplicate/NotFound` only the value. One push per error: nothing is allocated while
 * an object is valid.
 */
import type { FieldError } from '../../../api/index.js';

export type Errs = FieldError[];

/** Go's `%q`/`%v` of a JSON value as ErrorBody prints it (nil pointers as `null`). */
export function goValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function invalid(errs: Errs, field: string, value: unknown, detail: string): void {
  errs.push({ type: 'FieldValueInvalid', field, message: `${goValue(value)}: ${detail}` });
}

/** `field.Invalid` whose bad value is already rendered (a Go struct's `%#v`). */
export function invalidRendered(errs: Errs, field: string, rendered: string, detail: string): void {
  errs.push({ type: 'FieldValueInvalid', field, message: detail ? `${rendered}: ${detail}` : rendered });
}

export function required(errs: Errs, field: string, detail = ''): void {
  errs.push({ type: 'FieldValueRequired', field, message: detail });
}

export function forbidden(errs: Errs, field: string, detail: string): void {
  errs.push({ type: 'FieldValueForbidden', field, message: detail });
}

export function duplicate(errs: Errs, field: string, value: unknown): void {
  errs.push({ type: 'FieldValueDuplicate', field, message: goValue(value) });
}

export function notFound(errs: Errs, field: string, value: unknown): void {
  errs.push({ type: 'FieldValueNotFound', field, message: goValue(value) });
}

/** `field.NotSupported(path, value, valid)`: `"x": supported values: "A", "B"`. */
export function notSupported(errs: Errs, field: string, value: unknown, valid: readonly string[]): void {
  errs.push({ type: 'FieldValueNotSupported', field, message: `${goValue(value)}: supported values: ${valid.map((x) => JSON.stringify(x)).join(', ')}` });
}

/** apimachinery's ValidateNonnegativeField. */
export function nonNegative(errs: Errs, field: string, v: unknown): void {
  if (typeof v === 'number' && v < 0) invalid(errs, field, v, 'must be greater than or equal to 0');
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : EMPTY);
export const obj = (v: unknown): Record<string, any> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, any> : undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
const EMPTY: unknown[] = [];
