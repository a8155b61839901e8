import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BucketRateLimiter,
  DefaultControllerRateLimiter,
  FakeClock,
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  MaxOfRateLimiter,
  RateLimitingQueue,
  WithMaxWaitRateLimiter,
} from './index.js';

test('exponential: base * 2^n per item, capped, reset by forget', () => {
  const rl = new ItemExponentialFailureRateLimiter(1, 1000);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => rl.when('one')), [1, 2, 4, 8, 16]);
  assert.equal(rl.numRequeues('one'), 5);
  assert.equal(rl.when('two'), 1, 'items are independent');
  rl.forget('one');
  assert.equal(rl.numRequeues('one'), 0);
  assert.equal(rl.when('one'), 1);
  for (let i = 0; i < 20; i++) rl.when('cap');
  assert.equal(rl.when('cap'), 1000, 'capped at maxDelay');
  // Huge exponents do not overflow into Infinity/NaN.
  for (let i = 0; i < 2000; i++) rl.when('huge');
  assert.equal(rl.when('huge'), 1000);
});

test('exponential defaults are 5 ms .. 1000 s', () => {
  const rl = new ItemExponentialFailureRateLimiter();
  assert.equal(rl.when('x'), 5);
  assert.equal(rl.when('x'), 10);
  assert.equal(rl.when('x'), 20);
  for (let i = 0; i < 30; i++) rl.when('x');
  assert.equal(rl.when('x'), 1_000_000);
  assert.throws(() => new ItemExponentialFailureRateLimiter(-1, 10), RangeError);
});

test('fast-slow: fast delay for maxFastAttempts, then slow', () => {
  const rl = new ItemFastSlowRateLimiter(5, 10_000, 3);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => rl.when('a')), [5, 5, 5, 10_000, 10_000]);
  assert.equal(rl.numRequeues('a'), 5);
  rl.forget('a');
  assert.equal(rl.when('a'), 5);
});

test('bucket: burst tokens free, then 1/qps apart (reservations), refill over time', () => {
  const clock = new FakeClock(1000);
  const rl = new BucketRateLimiter(10, 100, clock);
  for (let i = 0; i < 100; i++) assert.equal(rl.when(`i${i}`), 0);
  assert.equal(rl.when('a'), 100);
  assert.equal(rl.when('b'), 200);
  assert.equal(rl.when('c'), 300);
  // 500 ms later: 5 tokens refilled against a debt of 3 -> 2 available.
  clock.step(500);
  assert.equal(rl.when('d'), 0);
  assert.equal(rl.when('e'), 0);
  assert.equal(rl.when('f'), 100);
  assert.equal(rl.numRequeues('a'), 0);
  // Refill never exceeds burst.
  clock.step(1_000_000);
  for (let i = 0; i < 100; i++) assert.equal(rl.when('g'), 0);
  assert.equal(rl.when('g'), 100);
});

test('bucket rejects nonsense settings', () => {
  assert.throws(() => new BucketRateLimiter(0, 1), RangeError);
  assert.throws(() => new BucketRateLimiter(1, 0), RangeError);
});

test('max-of: longest delay wins, all limiters record the failure', () => {
  const clock = new FakeClock();
  const exp = new ItemExponentialFailureRateLimiter(1, 1_000_000);
  const bucket = new BucketRateLimiter(1, 2, clock);
  const rl = new MaxOfRateLimiter(exp, bucket);
  assert.equal(rl.when('x'), 1); // exp 1, bucket 0
  assert.equal(rl.when('x'), 2); // exp 2, bucket 0
  assert.equal(rl.when('x'), 1000); // exp 4, bucket 1000
  assert.equal(rl.when('y'), 2000); // exp 1, bucket 2000
  assert.equal(rl.numRequeues('x'), 3);
  rl.forget('x');
  assert.equal(rl.numRequeues('x'), 0);
  assert.equal(exp.numRequeues('x'), 0);
  assert.throws(() => new MaxOfRateLimiter(), RangeError);
});

test('with-max-wait caps another limiter', () => {
  const rl = new WithMaxWaitRateLimiter(new ItemExponentialFailureRateLimiter(100, 1_000_000), 250);
  assert.deepEqual([1, 2, 3, 4].map(() => rl.when('x')), [100, 200, 250, 250]);
  assert.equal(rl.numRequeues('x'), 4);
});

test('default controller rate limiter: exponential 5 ms.. and bucket 10 qps / burst 100', () => {
  const clock = new FakeClock();
  const rl = DefaultControllerRateLimiter(clock);
  assert.equal(rl.when('a'), 5);
  assert.equal(rl.when('a'), 10);
  // 98 more distinct items use up the burst (100 tokens total); the next waits 100 ms.
  for (let i = 0; i < 98; i++) assert.equal(rl.when(`k${i}`), 5);
  assert.equal(rl.when('late'), 100);
  assert.equal(rl.numRequeues('a'), 2);
});

test('rate-limiting queue: addRateLimited delays by the limiter, forget resets it', () => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(10, 1000) });
  q.addRateLimited('x');
  assert.equal(q.len(), 0);
  assert.equal(q.numRequeues('x'), 1);
  clock.step(10);
  assert.equal(q.len(), 1);
  q.addRateLimited('y');
  q.addRateLimited('y');
  assert.equal(q.numRequeues('y'), 2);
  clock.step(10);
  assert.equal(q.len(), 2, 'the earlier of 10 ms and 20 ms wins for y');
  q.forget('y');
  assert.equal(q.numRequeues('y'), 0);
  q.shutDown();
  q.addRateLimited('z');
  assert.equal(q.numRequeues('z'), 0, 'no failures counted after shut-down');
  assert.equal(clock.pendingTimers(), 0);
});

test('rate-limiting queue with keyOf limits by key', () => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<{ key: string }>({ clock, keyOf: (o) => o.key, rateLimiter: new ItemExponentialFailureRateLimiter(1, 100) });
  q.addRateLimited({ key: 'a' });
  q.addRateLimited({ key: 'a' });
  assert.equal(q.numRequeues({ key: 'a' }), 2);
  q.shutDown();
});
