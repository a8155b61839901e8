/**
 * Errors with meaning to the controller loop.
 *
 * - `TerminalError`: reconciling this object again will not help (bad spec, ...). The key is
 *   forgotten (no requeue), the error is logged and counted in
 *   `controller_runtime_terminal_reconcile_errors_total` (and in reconcile_errors_total).
 * - Any other Error: requeued with the rate limiter's per-item backoff.
 * - A "panic": a thrown value that is not an Error, or a programming error (TypeError,
 *   ReferenceError, RangeError, SyntaxError). Treated like an error (rate-limited requeue)
 *   and additionally counted in `controller_runtime_reconcile_panics_total`.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isTerminalError(err: unknown): boolean {
  return err instanceof TerminalError || (err instanceof Error && err.cause !== undefined && err.cause !== err && isTerminalError(err.cause));
}

export function isPanic(err: unknown): boolean {
  return !(err instanceof Error) || err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError || err instanceof SyntaxError;
}

/** A message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
