import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rfc3339 } from './meta.js';

test('rfc3339: second precision, also for times in the same second, other seconds, before 1970 and past 9999', () => {
  assert.equal(rfc3339(new Date('2026-12-07T01:02:03.456Z')), '2026-12-07T01:02:03Z');
  assert.equal(rfc3339(new Date('2026-12-07T01:02:03.999Z')), '2026-12-07T01:02:03Z');
  assert.equal(rfc3339(new Date('2026-12-07T01:02:04.001Z')), '2026-12-07T01:02:04Z');
  assert.equal(rfc3339(new Date('2026-12-07T01:02:03.000Z')), '2026-12-07T01:02:03Z');
  assert.equal(rfc3339(new Date('1969-12-31T23:59:59.500Z')), '1969-12-31T23:59:59Z');
  assert.equal(rfc3339(new Date(253402300800000)), '+010000-01-01T00:00:00Z');
  assert.match(rfc3339(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.throws(() => rfc3339(new Date(NaN)), RangeError);
});
