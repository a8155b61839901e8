// Public surface of the work queue: client-go workqueue semantics (dedup, a
// processing set, delays, rate limiting, graceful shut-down) and its metrics.
export { WorkQueue, type WorkQueueOptions, type QueueGet } from './workqueue.js';
export { RateLimitingQueue, type RateLimitingQueueOptions } from './ratelimitingqueue.js';
export {
  type RateLimiter,
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  BucketRateLimiter,
  MaxOfRateLimiter,
  WithMaxWaitRateLimiter,
  DefaultControllerRateLimiter,
} from './ratelimiter.js';
export {
  type MetricsProvider,
  type QueueMetricsSinks,
  type ProgressSnapshot,
  type CounterSink,
  type GaugeSink,
  type HistogramSink,
  noopMetricsProvider,
  prometheusMetricsProvider,
  WORKQUEUE_DURATION_BUCKETS,
} from './metrics.js';
export { type Clock, type TimerHandle, realClock, FakeClock, clockScheduler } from './clock.js';
