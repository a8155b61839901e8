/** A built-in type's defaulting: what upstream's generated `SetObjectDefaults_<Kind>` does. Mutates `obj`. */
export type Defaulter = (obj: Obj) => void;

/** A decoded JSON object of a built-in kind (its fields are read loosely: decoding checked their types). */
export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function isObj(v: unknown): v is Obj {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** The object at `o[k]`, created (`{}`) when absent; undefined when `o[k]` holds something else. */
export function child(o: Obj, k: string): Obj | undefined {
  const v = o[k];
  if (v === undefined || v === null) return (o[k] = {});
  return isObj(v) ? v : undefined;
}

/** The objects of the list at `o[k]` (none when absent or not a list). */
export function each(o: Obj | undefined, k: string): Obj[] {
  const v = o?.[k];
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** A string field (Go `string`): `if x == "" { x = v }`. */
export function str(o: Obj, k: string, v: string): void {
  if (o[k] === undefined || o[k] === null || o[k] === '') o[k] = v;
}

/** A pointer field (Go `*T`): `if x == nil { x = &v }` (a sent zero value is kept). */
export function ptr(o: Obj, k: string, v: unknown): void {
  if (o[k] === undefined || o[k] === null) o[k] = v;
}

/** A number field (Go `int32`): `if x == 0 { x = v }`. */
export function num(o: Obj, k: string, v: number): void {
  if (o[k] === undefined || o[k] === null || o[k] === 0) o[k] = v;
}
