/** Applies an RFC 7386 JSON merge patch to a copy of `current`. */
export function mergePatch<T = unknown>(current: T, patch: unknown): T { void current; void patch; throw new Error('not implemented'); }
