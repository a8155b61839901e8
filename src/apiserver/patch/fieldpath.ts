/** One step of a field path as in structured-merge-diff: a field name, a list key, a set value, or an index. */
export type PathElement = { field: string } | { key: Record<string, unknown> } | { value: unknown } | { index: number };
export type FieldPath = readonly PathElement[];
/** `.spec.containers[name="nginx"].image` */
export function pathString(path: FieldPath): string { void path; throw new Error('not implemented'); }
export class FieldSet {}
export function fieldSetFromObject(): FieldSet { throw new Error('not implemented'); }
