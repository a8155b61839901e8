/**
 * A work queue with a rate limiter: `addRateLimited` re-queues an item after the
 * delay its limiter decides (client-go's RateLimitingInterface).
 */
import { DefaultControllerRateLimiter, type RateLimiter } from './ratelimiter.js';
import { WorkQueue, type WorkQueueOptions } from './workqueue.js';

export interface RateLimitingQueueOptions<T> extends WorkQueueOptions<T> {
  /**
   * Decides retry delays; it receives the item's key. Default:
   * `DefaultControllerRateLimiter()` (max of 5 ms..1000 s exponential and 10 qps/100 burst).
   */
  rateLimiter?: RateLimiter;
}

export class RateLimitingQueue<T = string> extends WorkQueue<T> {
  readonly rateLimiter: RateLimiter;

  constructor(options: RateLimitingQueueOptions<T> = {}) {
    super(options);
    this.rateLimiter = options.rateLimiter ?? DefaultControllerRateLimiter(this.clock);
  }

  /** Adds `item` once its rate limiter says it may be retried (counts a failure). */
  addRateLimited(item: T): void {
    if (this.isShuttingDown()) return;
    this.addAfter(item, this.rateLimiter.when(this.keyOf ? this.keyOf(item) : item));
  }

  /** The item succeeded: reset its failure count (does not remove it from the queue). */
  forget(item: T): void {
    this.rateLimiter.forget(this.keyOf ? this.keyOf(item) : item);
  }

  /** Failures recorded for `item` since it was last forgotten. */
  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(this.keyOf ? this.keyOf(item) : item);
  }
}
