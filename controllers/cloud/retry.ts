/**
 * Every cloud call goes through `callWithRetry`: a per-attempt timeout, and retries with
 * full-jitter exponential backoff for throttling and transient failures, within a
 * bounded budget (attempts and total time). When the budget is spent the last typed
 * error surfaces (a throttled call surfaces as `Throttled`).
 */
import { CloudError, type CloudErrorKind } from './errors.js';

export interface RetryPolicy {
  /** attempts including the first (default 6) */
  maxAttempts: number;
  /** first backoff ceiling (default 200 ms); attempt n waits random(0, min(max, base*2^n)) */
  baseDelayMs: number;
  /** backoff ceiling (default 5 s) */
  maxDelayMs: number;
  /** give up once this much time has passed since the first attempt (default 30 s) */
  budgetMs: number;
  /** per-attempt timeout (default 10 s) */
  timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5000, budgetMs: 30_000, timeoutMs: 10_000 };

export interface CallOptions {
  /** error kinds retried for this call (default Throttled, Unavailable; reads add Timeout) */
  retryOn?: CloudErrorKind[];
  /** true for reads: timeouts are safe to retry */
  idempotent?: boolean;
  /** told about every retried failure (for metrics) */
  onRetry?: (err: CloudError, attempt: number) => void;
}

/** One finished cloud call (all its attempts), for metrics and tracing. */
export interface CloudCallEvent {
  service: string;
  action: string;
  durationMs: number;
  /** attempts made, 1 when the first one settled it */
  attempts: number;
  /** the error kind when the call failed */
  error?: CloudErrorKind;
  /** the cloud's error code when the call failed */
  code?: string;
}

export type CloudCallHook = (e: CloudCallEvent) => void;

/** Wraps a call so `hook` hears about it once, with its attempts and outcome. Hook errors are ignored. */
export async function observed<T>(hook: CloudCallHook | undefined, service: string, action: string, run: (onRetry: (err: CloudError, attempt: number) => void) => Promise<T>): Promise<T> {
  if (!hook) return run(() => undefined);
  const started = performance.now();
  let attempts = 1;
  const report = (e: Partial<CloudCallEvent>) => {
    try { hook({ service, action, durationMs: performance.now() - started, attempts, ...e }); } catch { /* a broken hook must not break the call */ }
  };
  try {
    const out = await run(() => { attempts++; });
    report({});
    return out;
  } catch (err) {
    report(err instanceof CloudError ? { error: err.kind, code: err.code } : { error: 'Unknown' });
    throw err;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` (which must throw CloudError for cloud failures), bounded by
 * `policy.timeoutMs` per attempt; `onTimeout` builds the error for an attempt that ran out.
 */
export async function callWithRetry<T>(
  policy: RetryPolicy,
  attempt: (timeoutMs: number) => Promise<T>,
  onTimeout: () => CloudError,
  opts: CallOptions = {},
): Promise<T> {
  const retryOn = new Set<CloudErrorKind>(opts.retryOn ?? ['Throttled', 'Unavailable', ...(opts.idempotent ? ['Timeout' as const] : [])]);
  const started = Date.now();
  for (let n = 0; ; n++) {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        attempt(policy.timeoutMs),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(onTimeout()), policy.timeoutMs); }),
      ]);
    } catch (err) {
      if (!(err instanceof CloudError) || !retryOn.has(err.kind)) throw err;
      const delay = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n);
      if (n + 1 >= policy.maxAttempts || Date.now() - started + delay > policy.budgetMs) throw err;
      opts.onRetry?.(err, n + 1);
      await sleep(delay);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
