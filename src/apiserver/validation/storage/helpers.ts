// Small helpers of the storage rules.
export { each, qualifiedName } from '../core/names.js';

/**
 * reflect.DeepEqual of two map[string]string, where an absent map and an empty one are taken
 * as equal (the stored object never holds an empty map: `omitempty` drops it when encoded).
 */
export function semanticEqualMaps(a: unknown, b: unknown): boolean {
  const x = (a && typeof a === 'object' ? a : {}) as Record<string, unknown>;
  const y = (b && typeof b === 'object' ? b : {}) as Record<string, unknown>;
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  return kx.every((k) => Object.hasOwn(y, k) && x[k] === y[k]);
}
