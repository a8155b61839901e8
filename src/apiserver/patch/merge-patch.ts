/** RFC 7386 JSON merge patch: objects merge key by key, `null` deletes, everything else replaces. */
import { clone, isObject } from './util.js';

/** Merges `patch` into `target`, which is this call's own copy (changed in place: no second copy of the patched path). */
function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? target : {};
  for (const k in patch) {
    if (!Object.hasOwn(patch, k)) continue;
    const v = patch[k];
    if (v === null) delete out[k];
    // only own values are this call's copies (an inherited one, such as `__proto__`'s, merges like none)
    else out[k] = merge(Object.hasOwn(out, k) ? out[k] : undefined, v);
  }
  return out;
}

/** Applies a merge patch to a copy of `current`; the input is never mutated. */
export function mergePatch<T = unknown>(current: T, patch: unknown): T {
  return merge(clone(current), patch) as T;
}
