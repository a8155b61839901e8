/** RFC 7386 JSON merge patch: objects merge key by key, `null` deletes, everything else replaces. */
import { clone, isObject } from './util.js';

function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

/** Applies a merge patch to a copy of `current`; the input is never mutated (unchanged subtrees are shared with a fresh copy). */
export function mergePatch<T = unknown>(current: T, patch: unknown): T {
  return merge(clone(current), patch) as T;
}
