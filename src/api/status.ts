/**
 * `Status` errors with the upstream shape and reasons, so kubectl prints
 * `Error from server (NotFound): configmaps "x" not found` and clients can branch on
 * the reason. The constructors mirror k8s.io/apimachinery/pkg/api/errors.
 */
import { groupResourceString } from './gvk.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | '';

export interface StatusCause {
  /** the cause's type (Go's `StatusCause.Type`, whose JSON name is `reason`) */
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** An error carrying a Kubernetes `Status`. Thrown by the API server and surfaced by the client. */
export class StatusError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.name = 'StatusError';
    this.status = status;
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): StatusReason {
    return this.status.reason ?? '';
  }
}

function failure(code: number, reason: StatusReason, message: string, details?: StatusDetails): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code });
}

/** Who an error is about: resource (plural) and group, as in URLs. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function newNotFound(gr: GroupResource, name: string): StatusError {
  return failure(404, 'NotFound', `${groupResourceString(gr.group, gr.resource)} "${name}" not found`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

export function newAlreadyExists(gr: GroupResource, name: string): StatusError {
  return failure(409, 'AlreadyExists', `${groupResourceString(gr.group, gr.resource)} "${name}" already exists`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

export function newConflict(gr: GroupResource, name: string, why: string): StatusError {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${groupResourceString(gr.group, gr.resource)} "${name}": ${why}`,
    { name, group: gr.group || undefined, kind: gr.resource },
  );
}

/** The optimistic-concurrency conflict message every Kubernetes user has seen. */
export const OBJECT_MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

/** A field-level problem, rendered like field.Error in Go: `spec.x: Invalid value: 5: must be <= 3`. */
export interface FieldError {
  type: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueDuplicate' | 'FieldValueTooLong' | 'FieldValueTypeInvalid' | 'FieldValueTooMany' | 'FieldValueNotFound';
  field: string;
  message: string;
}

const causeLabel: Record<FieldError['type'], string> = {
  FieldValueInvalid: 'Invalid value',
  FieldValueRequired: 'Required value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueTooLong: 'Too long',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueTooMany: 'Too many',
  FieldValueNotFound: 'Not found',
};

/** Formats a field error as Go's `field.Error.Error()` does. */
export function fieldErrorText(e: FieldError): string {
  // An empty message renders like Go's field.Required(path, ""): `spec.x: Required value`.
  return e.message ? `${e.field}: ${causeLabel[e.type]}: ${e.message}` : `${e.field}: ${causeLabel[e.type]}`;
}

/** 422 Invalid with one cause per field error (`kind` is the Kind, not the resource, as upstream). */
export function newInvalid(group: string, kind: string, name: string, errors: FieldError[]): StatusError {
  const texts = errors.map(fieldErrorText);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return failure(422, 'Invalid', `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${summary}`, {
    name: name || undefined, // (StatusDetails.name is omitempty)
    group: group || undefined,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.message ? `${causeLabel[e.type]}: ${e.message}` : causeLabel[e.type], field: e.field })),
  });
}

export function newBadRequest(message: string): StatusError {
  return failure(400, 'BadRequest', message);
}

export function newUnauthorized(message = 'Unauthorized'): StatusError {
  return failure(401, 'Unauthorized', message);
}

export function newForbidden(gr: GroupResource, name: string, why: string): StatusError {
  const what = groupResourceString(gr.group, gr.resource);
  return failure(403, 'Forbidden', name ? `${what} "${name}" is forbidden: ${why}` : `${what} is forbidden: ${why}`, {
    name: name || undefined,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

export function newMethodNotSupported(gr: GroupResource, verb: string): StatusError {
  return failure(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${groupResourceString(gr.group, gr.resource)}"`, {
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

export function newNotAcceptable(message: string): StatusError {
  return failure(406, 'NotAcceptable', message);
}

/** 410 Expired: a watch or list from a resourceVersion older than the kept history. */
export function newExpired(message: string): StatusError {
  return failure(410, 'Expired', message);
}

export function newGone(message: string): StatusError {
  return failure(410, 'Gone', message);
}

export function newUnsupportedMediaType(message: string): StatusError {
  return failure(415, 'UnsupportedMediaType', message);
}

export function newTooManyRequests(message: string, causes?: StatusCause[], retryAfterSeconds?: number): StatusError {
  return failure(429, 'TooManyRequests', message, causes || retryAfterSeconds ? { causes, retryAfterSeconds } : undefined);
}

export function newInternalError(err: unknown): StatusError {
  const msg = err instanceof Error ? err.message : String(err);
  return failure(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
}

export function newServiceUnavailable(message: string): StatusError {
  return failure(503, 'ServiceUnavailable', message);
}

export function newTimeout(message: string): StatusError {
  return failure(504, 'Timeout', message);
}

/** The `Status` carried by an error from any kubeloop part (server, client), if there is one. */
export function statusOf(err: unknown): Status | undefined {
  if (err instanceof StatusError) return err.status;
  if (err && typeof err === 'object') {
    const e = err as { status?: unknown; body?: unknown; code?: unknown };
    if (isStatus(e.status)) return e.status;
    let body = e.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        body = undefined;
      }
    }
    if (isStatus(body)) return body;
    if (typeof e.code === 'number' && e.code >= 400) {
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: e.code, reason: '' };
    }
  }
  return undefined;
}

export function isStatus(x: unknown): x is Status {
  return !!x && typeof x === 'object' && (x as { kind?: unknown }).kind === 'Status' && typeof (x as { code?: unknown }).code === 'number';
}

const reasonIs = (reason: StatusReason, code: number) => (err: unknown): boolean => {
  const s = statusOf(err);
  return !!s && (s.reason === reason || (!s.reason && s.code === code));
};

export const isNotFound = reasonIs('NotFound', 404);
export const isAlreadyExists = reasonIs('AlreadyExists', -1);
export const isConflict = reasonIs('Conflict', 409);
export const isInvalid = reasonIs('Invalid', 422);
export const isBadRequest = reasonIs('BadRequest', 400);
export const isForbidden = reasonIs('Forbidden', 403);
export const isUnauthorized = reasonIs('Unauthorized', 401);
export const isMethodNotSupported = reasonIs('MethodNotAllowed', 405);
export const isTooManyRequests = reasonIs('TooManyRequests', 429);
export const isUnsupportedMediaType = reasonIs('UnsupportedMediaType', 415);
export const isInternalError = reasonIs('InternalError', 500);
/** True for 410 Gone or Expired: the resourceVersion is too old; relist. */
export function isResourceExpired(err: unknown): boolean {
  const s = statusOf(err);
  return !!s && (s.code === 410 || s.reason === 'Expired' || s.reason === 'Gone');
}
