/**
 * Rate limiters deciding how long an item waits before it is retried, with
 * client-go's semantics and defaults. All delays are in milliseconds. The
 * rate-limiting queue passes the item's key (see WorkQueueOptions.keyOf).
 */
import { realClock, type Clock } from './clock.js';

export interface RateLimiter<K = unknown> {
  /** How long `item` should wait before it is processed again; records a failure. */
  when(item: K): number;
  /** Stops tracking `item` (it succeeded): its next failure starts from scratch. */
  forget(item: K): void;
  /** How many failures are being tracked for `item`. */
  numRequeues(item: K): number;
}

function checkDuration(name: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite, non-negative number of milliseconds, got ${String(value)}`);
  }
}

/**
 * Per-item exponential backoff: `baseDelay * 2^failures`, capped at `maxDelay`.
 * Defaults (client-go's controller defaults): base 5 ms, max 1000 s.
 */
export class ItemExponentialFailureRateLimiter<K = unknown> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    /** Delay after the first failure, ms. Default 5. */
    readonly baseDelay = 5,
    /** Upper bound of any delay, ms. Default 1_000_000 (1000 s). */
    readonly maxDelay = 1_000_000,
  ) {
    checkDuration('baseDelay', baseDelay);
    checkDuration('maxDelay', maxDelay);
  }

  when(item: K): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    const backoff = this.baseDelay * 2 ** exp;
    return backoff > this.maxDelay || !Number.isFinite(backoff) ? this.maxDelay : backoff;
  }

  forget(item: K): void {
    this.failures.delete(item);
  }

  numRequeues(item: K): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * `fastDelay` for the first `maxFastAttempts` failures of an item, then `slowDelay`.
 */
export class ItemFastSlowRateLimiter<K = unknown> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    /** Delay of the fast attempts, ms. */
    readonly fastDelay: number,
    /** Delay once the fast attempts are used up, ms. */
    readonly slowDelay: number,
    /** Number of fast attempts. */
    readonly maxFastAttempts: number,
  ) {
    checkDuration('fastDelay', fastDelay);
    checkDuration('slowDelay', slowDelay);
    if (!Number.isInteger(maxFastAttempts) || maxFastAttempts < 0) throw new RangeError(`maxFastAttempts must be a non-negative integer, got ${maxFastAttempts}`);
  }

  when(item: K): number {
    const n = (this.failures.get(item) ?? 0) + 1;
    this.failures.set(item, n);
    return n <= this.maxFastAttempts ? this.fastDelay : this.slowDelay;
  }

  forget(item: K): void {
    this.failures.delete(item);
  }

  numRequeues(item: K): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * An overall token bucket shared by all items (golang.org/x/time/rate with
 * reservation semantics): `burst` tokens, refilled at `qps` per second; every
 * `when` reserves one token and returns how long until it is available.
 * Defaults: 10 qps, burst 100 (client-go's controller defaults). Not per item:
 * `forget` does nothing and `numRequeues` is always 0.
 */
export class BucketRateLimiter<K = unknown> implements RateLimiter<K> {
  private tokens: number;
  private last: number;

  constructor(
    /** Refill rate, tokens per second. Default 10. */
    readonly qps = 10,
    /** Bucket size (and initial tokens). Default 100. */
    readonly burst = 100,
    private readonly clock: Clock = realClock,
  ) {
    if (!(qps > 0)) throw new RangeError(`qps must be positive, got ${qps}`);
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst must be a positive integer, got ${burst}`);
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_item: K): number {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
      this.last = now;
    }
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_item: K): void {}

  numRequeues(_item: K): number {
    return 0;
  }
}

/** The longest delay of several limiters (each one records the failure). */
export class MaxOfRateLimiter<K = unknown> implements RateLimiter<K> {
  readonly limiters: RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    if (limiters.length === 0) throw new RangeError('MaxOfRateLimiter needs at least one limiter');
    this.limiters = limiters;
  }

  when(item: K): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: K): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: K): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/** Caps the delay of another limiter at `maxDelay` ms. */
export class WithMaxWaitRateLimiter<K = unknown> implements RateLimiter<K> {
  constructor(
    readonly limiter: RateLimiter<K>,
    /** Upper bound of any delay, ms. */
    readonly maxDelay: number,
  ) {
    checkDuration('maxDelay', maxDelay);
  }

  when(item: K): number {
    return Math.min(this.limiter.when(item), this.maxDelay);
  }

  forget(item: K): void {
    this.limiter.forget(item);
  }

  numRequeues(item: K): number {
    return this.limiter.numRequeues(item);
  }
}

/**
 * controller-runtime's default: the max of per-item exponential backoff
 * (5 ms .. 1000 s) and an overall 10 qps / burst 100 token bucket.
 */
export function DefaultControllerRateLimiter<K = unknown>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ItemExponentialFailureRateLimiter<K>(5, 1_000_000), new BucketRateLimiter<K>(10, 100, clock));
}
