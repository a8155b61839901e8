/** Applies an RFC 6902 JSON patch to a copy of `current`. */
export function jsonPatch<T = unknown>(current: T, ops: unknown): T { void current; void ops; throw new Error('not implemented'); }
