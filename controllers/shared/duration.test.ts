import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from './duration.js';

describe('parseDuration (Go time.ParseDuration grammar)', () => {
  it('reads single and combined units to milliseconds', () => {
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('45s'), 45_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1h15m30.5s'), 4_530_500);
    assert.equal(parseDuration('2us'), 0.002);
    assert.equal(parseDuration('2µs'), 0.002);
    assert.equal(parseDuration('2μs'), 0.002);
    assert.equal(parseDuration('1500000ns'), 1.5);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('.5s'), 500);
    assert.equal(parseDuration('1.s'), 1000);
    assert.equal(parseDuration('1m1m'), 120_000);
  });

  it('accepts a bare zero, surrounding whitespace and a sign', () => {
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('-0'), 0);
    assert.equal(parseDuration(' 10s\n'), 10_000);
    assert.equal(parseDuration('+5s'), 5000);
    assert.equal(parseDuration('-1m30s'), -90_000);
  });

  it('rejects a sign when negatives are not allowed', () => {
    assert.throws(() => parseDuration('-5m', { allowNegative: false }), /"-5m" is not a duration \(must not be negative/);
    assert.equal(parseDuration('+5m', { allowNegative: false }), 300_000);
  });

  it('says why a string is not a duration', () => {
    assert.throws(() => parseDuration(''), /"" is not a duration \(empty/);
    assert.throws(() => parseDuration('-'), /is not a duration \(empty/);
    assert.throws(() => parseDuration('5'), /"5" is not a duration \(missing unit after 5/);
    assert.throws(() => parseDuration('1h5'), /missing unit after 5/);
    assert.throws(() => parseDuration('5d'), /unknown unit "d"/);
    assert.throws(() => parseDuration('5 m'), /unknown unit " m"/);
    assert.throws(() => parseDuration('m'), /expected a number at "m"/);
    assert.throws(() => parseDuration('.s'), /expected a number/);
    assert.throws(() => parseDuration('10 minutes'), /not a duration/);
    assert.throws(() => parseDuration('3000000h'), /out of range/);
  });
});
