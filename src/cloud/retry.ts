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
      await sleep(delay);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
