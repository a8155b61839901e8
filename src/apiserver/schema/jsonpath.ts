export type JSONPathStep = unknown;
export function parseJSONPath(path: string): JSONPathStep[] { void path; throw new Error('not implemented'); }
export function evaluateJSONPath(obj: unknown, path: string): unknown[] { void obj; void path; throw new Error('not implemented'); }
