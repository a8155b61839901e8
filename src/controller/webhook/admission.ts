/**
 * Admission handling with controller-runtime's semantics (pkg/webhook/admission): one
 * AdmissionRequest in, one AdmissionResponse out.
 *
 * - Defaulting: DELETE is allowed untouched; otherwise `default(copy)` runs and the response
 *   carries the RFC 6902 patch from the request's object to the JSON of the copy
 *   (`PatchResponseFromRaw`), with `patchType: JSONPatch` only when there is a change.
 * - Validating: the method for the operation runs (a missing one allows); returned warnings
 *   go into `warnings`.
 * - A thrown `StatusError` denies with its Status; any other Error denies with 403 Forbidden
 *   and its message (`admission.Denied`); a programming error ("panic": TypeError and co., or
 *   a non-Error) is 500 `panic: <message> [recovered]`; an undecodable request is 400.
 * - Every response carries the request's uid and a status code (200 unless denied).
 */
import { createRequire } from 'node:module';
import { StatusError } from '../../api/index.js';
import type { Logger } from '../context.js';
import { errorMessage, isPanic } from '../errors.js';
import type { Defaulter, Validator, Warnings } from './metadata.js';
import type { AdmissionRequest, AdmissionRequestInfo, AdmissionResponse, AdmissionStatus, JsonPatchOperation } from './types.js';

// required, not imported: Node 20 scans an imported CommonJS package (and what it re-exports) for export names (~5 ms a start)
const fjp = createRequire(import.meta.url)('fast-json-patch') as typeof import('fast-json-patch').default;

/** Deny with a message and warnings (a validator cannot return warnings when it throws). Status 403 Forbidden. */
export class AdmissionDenied extends Error {
  override readonly name = 'AdmissionDenied';
  readonly warnings: string[];
  constructor(message: string, options: { warnings?: string[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.warnings = options.warnings ?? [];
  }
}

/** A failed request: not allowed, with `code` and `message` (controller-runtime's `admission.Errored`). */
export function errored(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message } };
}

function allowed(uid: string, warnings: Warnings = []): AdmissionResponse {
  return withWarnings({ uid, allowed: true, status: { code: 200 } }, warnings);
}

function withWarnings(r: AdmissionResponse, warnings: Warnings): AdmissionResponse {
  return warnings && warnings.length ? { ...r, warnings: [...warnings] } : r;
}

/** The response for an error thrown by a defaulter or validator. */
function denial(uid: string, err: unknown, log: Logger): AdmissionResponse {
  if (isPanic(err)) {
    log.error({ err }, 'webhook panicked');
    return errored(uid, 500, `panic: ${errorMessage(err)} [recovered]`);
  }
  if (err instanceof StatusError) {
    const { kind: _k, apiVersion: _a, ...status } = err.status;
    return { uid, allowed: false, status: status as AdmissionStatus };
  }
  const status: AdmissionStatus = { code: 403, reason: 'Forbidden' };
  const message = errorMessage(err);
  if (message) status.message = message;
  return withWarnings({ uid, allowed: false, status }, err instanceof AdmissionDenied ? err.warnings : []);
}

function info(req: AdmissionRequest, log: Logger): AdmissionRequestInfo {
  const { object: _o, oldObject: _old, ...rest } = req;
  return { ...rest, log };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The RFC 6902 patch from `original` to the JSON form of `current` (undefined properties dropped, as json.Marshal would). */
function jsonPatch(original: unknown, current: unknown): JsonPatchOperation[] {
  return fjp.compare(original as object, JSON.parse(JSON.stringify(current)) as object) as JsonPatchOperation[];
}

/** Runs a defaulter on one request. */
export async function handleDefault(defaulter: Defaulter, req: AdmissionRequest, log: Logger): Promise<AdmissionResponse> {
  if (req.operation === 'DELETE') return allowed(req.uid);
  if (!isObject(req.object)) return errored(req.uid, 400, 'there is no content to decode');
  const obj = structuredClone(req.object);
  try {
    await defaulter.default(obj, info(req, log));
  } catch (err) {
    return denial(req.uid, err, log);
  }
  const patch = jsonPatch(req.object, obj);
  if (patch.length === 0) return allowed(req.uid);
  return { ...allowed(req.uid), patch: Buffer.from(JSON.stringify(patch)).toString('base64'), patchType: 'JSONPatch' };
}

/** Runs a validator on one request. */
export async function handleValidate(validator: Validator, req: AdmissionRequest, log: Logger): Promise<AdmissionResponse> {
  const i = info(req, log);
  const need = (o: unknown, field: string) => {
    if (!isObject(o)) throw new DecodeError(`${req.operation} request has no ${field} to decode`);
    return structuredClone(o) as never;
  };
  let warnings: Warnings;
  try {
    switch (req.operation) {
      case 'CREATE':
        warnings = await validator.validateCreate?.(need(req.object, 'object'), i);
        break;
      case 'UPDATE':
        warnings = await validator.validateUpdate?.(need(req.oldObject, 'oldObject'), need(req.object, 'object'), i);
        break;
      case 'DELETE':
        warnings = await validator.validateDelete?.(need(req.oldObject, 'oldObject'), i);
        break;
      case 'CONNECT':
        break;
      default:
        return errored(req.uid, 400, `unknown operation "${String(req.operation)}"`);
    }
  } catch (err) {
    if (err instanceof DecodeError) return errored(req.uid, 400, err.message);
    return denial(req.uid, err, log);
  }
  return allowed(req.uid, warnings);
}

class DecodeError extends Error {}
