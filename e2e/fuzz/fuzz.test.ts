// A short, seeded slice of the fuzz run (`npm run fuzz` is the long one): a few thousand
// requests against the built-in API server, none answered with an unexpected 5xx, dropped,
// stalled, or escaping as an exception.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { problems } from './report.js';
import { runFuzz } from './runner.js';
import { TARGETS } from './targets.js';

describe('fuzz slice', () => {
  it('apiserver: 3000 seeded requests, every answer a 2xx-4xx or an upstream 5xx', async () => {
    const r = await runFuzz(TARGETS.apiserver(), { seed: 20261206, requests: 3000, maxMs: 300_000, concurrency: 4 });
    // Memory is the long run's business (this slice is too short to separate growth from warm-up).
    const found = problems({ ...r, rssEndBytes: r.rssStartBytes });
    assert.deepEqual(found, [], found.join('\n'));
    assert.equal(r.sent, 3000, 'every request of the slice was sent (maxMs is only a guard against a stall, not a speed test)');
  });

  it('cloudsim: 2000 seeded requests (signed RPC calls, SLS, registry, /_sim, hostile targets), no 5xx', async () => {
    const r = await runFuzz(TARGETS.cloudsim(), { seed: 20261206, requests: 2000, maxMs: 300_000, concurrency: 4 });
    const found = problems({ ...r, rssEndBytes: r.rssStartBytes });
    assert.deepEqual(found, [], found.join('\n'));
    assert.equal(r.sent, 2000, 'every request of the slice was sent (maxMs is only a guard against a stall, not a speed test)');
  });
});
