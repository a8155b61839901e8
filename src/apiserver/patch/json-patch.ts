/**
 * RFC 6902 JSON patch on top of fast-json-patch, with the errors upstream returns:
 * a body that is not a list of valid operations is 400 BadRequest; an operation that cannot
 * be applied (failed `test`, missing path) is 422 Invalid with the generic upstream message
 * and the detail in a cause.
 */
import { createRequire } from 'node:module';
import { StatusError, newBadRequest } from '../../api/index.js';
import { clone, isObject } from './util.js';

// required, not imported: Node 20 scans an imported CommonJS package (and what it re-exports) for export names (~5 ms a start)
const fjp = createRequire(import.meta.url)('fast-json-patch') as typeof import('fast-json-patch').default;

const { applyPatch } = fjp;

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function checkOps(ops: unknown): asserts ops is Array<Record<string, unknown>> {
  if (!Array.isArray(ops)) throw newBadRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  ops.forEach((op, i) => {
    if (!isObject(op)) throw newBadRequest(`invalid JSON patch: operation ${i} is not an object`);
    if (typeof op.op !== 'string' || !OPS.has(op.op)) throw newBadRequest(`Unexpected kind: ${String(op.op)}`);
    if (typeof op.path !== 'string') throw newBadRequest(`invalid JSON patch: operation ${i} (${op.op}) has no "path"`);
    if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string')
      throw newBadRequest(`invalid JSON patch: operation ${i} (${op.op}) has no "from"`);
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op))
      throw newBadRequest(`invalid JSON patch: operation ${i} (${op.op}) has no "value"`);
  });
}

function unprocessable(detail: string): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the server rejected our request due to an error in our request',
    reason: 'Invalid',
    details: { causes: [{ reason: 'UnexpectedServerResponse', message: detail }] },
    code: 422,
  });
}

function describe(err: unknown, ops: Array<Record<string, unknown>>): string {
  const e = err as { name?: string; index?: number; message?: string };
  const op = typeof e.index === 'number' ? ops[e.index] : undefined;
  if (e.name === 'TEST_OPERATION_FAILED' || /test operation failed/i.test(e.message ?? ''))
    return `testing value ${String(op?.path ?? '')} failed: test failed`;
  if (op) return `${String(op.op)} operation does not apply: doc is missing path: "${String(op.path)}": missing value`;
  return (e.message ?? String(err)).split('\n')[0];
}

/** Applies RFC 6902 operations to a copy of `current`; the input is never mutated. */
export function jsonPatch<T = unknown>(current: T, ops: unknown): T {
  checkOps(ops);
  const doc = clone(current);
  try {
    // validateOperation=true makes fast-json-patch reject missing paths instead of inventing them;
    // mutateDocument=true on our private copy avoids a second clone.
    return applyPatch(doc, ops as never, true, true, true).newDocument as T;
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    // Malformed operations (a path that is not a JSON pointer, a bad value) are the client's
    // syntax error: 400. Operations that do not apply to this document: 422.
    if (name === 'OPERATION_PATH_INVALID' || name === 'OPERATION_VALUE_REQUIRED' || name === 'OPERATION_FROM_REQUIRED' || name === 'OPERATION_OP_INVALID')
      throw newBadRequest(`invalid JSON patch: ${String((err as Error).message).split('\n')[0]}`);
    throw unprocessable(describe(err, ops));
  }
}
