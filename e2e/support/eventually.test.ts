import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from './eventually.js';

test('eventually returns the first truthy value, polling past falsy results and throws', async () => {
  let calls = 0;
  const v = await eventually('third call', () => {
    calls++;
    if (calls === 1) throw new Error('not yet');
    return calls === 3 ? 'done' : false;
  }, 5_000, 1);
  assert.equal(v, 'done');
  assert.equal(calls, 3);
});

test('eventually names what it waited for and the last error when it gives up', async () => {
  await assert.rejects(eventually('the impossible', () => { throw new Error('boom'); }, 20, 1),
    /^Error: timed out waiting for: the impossible \(last error: boom\)$/);
  await assert.rejects(eventually('nothing', () => false, 20, 1), /^Error: timed out waiting for: nothing$/);
});
