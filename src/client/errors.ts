/**
 * Everything the API server answers with a non-2xx status becomes a `StatusError`
 * carrying the server's `Status`, so `isNotFound(err)` / `isConflict(err)` work the
 * same for kubeloop's client, for client-node's `ApiException`s and for raw HTTP.
 */
import { StatusError, isStatus, type Status, type StatusReason } from '../api/index.js';

const reasonByCode: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** Builds the error for an HTTP response: the server's Status when it sent one, else a synthesised one. */
export function statusErrorFromResponse(code: number, body: string, what = ''): StatusError {
  let parsed: unknown;
  try {
    parsed = body ? JSON.parse(body) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isStatus(parsed)) return new StatusError(parsed);
  const text = body.trim().slice(0, 500);
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    code,
    reason: reasonByCode[code] ?? (code >= 500 ? 'InternalError' : ''),
    message: text ? `${what ? what + ': ' : ''}${text}` : `${what ? what + ': ' : ''}the server responded with HTTP ${code}`,
  };
  return new StatusError(status);
}

/**
 * Normalises anything thrown by a Kubernetes client into a `StatusError` when it is an
 * HTTP-level failure (client-node `ApiException` with `code` and a JSON `body` string,
 * objects with a `statusCode`/`response`); other errors (network, abort) are returned as is.
 */
export function toStatusError(err: unknown): unknown {
  if (err instanceof StatusError || !err || typeof err !== 'object') return err;
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown; status?: unknown; message?: unknown };
  if (isStatus(e.status)) return new StatusError(e.status);
  const code = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (code === undefined || code < 300) return err;
  if (isStatus(e.body)) return new StatusError(e.body);
  const body = typeof e.body === 'string' ? e.body : typeof e.message === 'string' ? e.message : '';
  return statusErrorFromResponse(code, body);
}

/** Thrown when discovery has no resource for a kind (client-go's NoKindMatchError). */
export class NoKindMatchError extends Error {
  constructor(readonly group: string, readonly version: string, readonly kind: string) {
    super(`no matches for kind "${kind}" in version "${group ? group + '/' : ''}${version}"`);
    this.name = 'NoKindMatchError';
  }
}

export function isNoKindMatch(err: unknown): err is NoKindMatchError {
  return err instanceof NoKindMatchError;
}
