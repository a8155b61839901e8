import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue } from './semantics-kit.js';

describe('WorkQueue', () => {
  it('processes each key once per burst and again when re-added while running', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(async (k) => {
      seen.push(k);
      if (k === 'a' && seen.length === 1) await gate;
    });
    q.add('a');
    q.add('a');
    q.add('b');
    await new Promise((r) => setImmediate(r));
    q.add('a'); // while "a" runs: runs again afterwards
    assert.equal(q.busy(), true);
    release();
    await q.idle();
    assert.deepEqual(seen, ['a', 'b', 'a']);
    assert.equal(q.busy(), false);
    q.stop();
  });

  it('retries failures with backoff and reports them', { timeout: 10_000 }, async () => {
    let calls = 0;
    const errors: string[] = [];
    let succeeded!: () => void;
    const third = new Promise<void>((r) => (succeeded = r));
    const q = new WorkQueue(async () => {
      calls++;
      if (calls < 3) throw new Error(`boom ${calls}`);
      succeeded();
    }, { baseDelayMs: 1, onError: (_k, e) => errors.push((e as Error).message) });
    q.add('x');
    await third; // the second retry succeeded (the test's timeout catches a queue that stops retrying)
    await q.idle();
    assert.equal(calls, 3);
    assert.deepEqual(errors, ['boom 1', 'boom 2']);
    q.stop();
  });

  it('stop drops queued work and pending retries', async () => {
    let calls = 0;
    const q = new WorkQueue(async () => {
      calls++;
      throw new Error('always');
    }, { baseDelayMs: 10_000 });
    q.add('x');
    await q.idle();
    assert.equal(calls, 1);
    q.stop(); // clears the 10 s retry timer: the test process exits at once
    q.add('y');
    await q.idle();
    assert.equal(calls, 1);
  });
});
