/**
 * The last resort for errors that escape a handler: every request ends with a Status. A
 * StatusError is the answer the handler chose (a 4xx, or a 5xx it meant); anything else is a
 * bug in the server, answered 500 InternalError and logged with its stack so it gets fixed.
 * A response whose headers are already out (a watch stream) can only be ended.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newInternalError, StatusError } from '../../api/index.js';
import { sendStatus } from './request.js';

export function answerError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (!(err instanceof StatusError)) {
    process.emitWarning(`apiserver: ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`, 'InternalError');
  }
  if (res.writableEnded || res.destroyed) return;
  if (res.headersSent) {
    res.end();
    return;
  }
  // Drain what is left of the body so the connection can serve the next request.
  if (!req.complete) req.resume();
  sendStatus(res, err instanceof StatusError ? err.status : newInternalError(err).status);
}
