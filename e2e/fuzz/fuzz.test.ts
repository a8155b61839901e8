// A short, seeded slice of the fuzz run (`npm run fuzz` is the long one): a few thousand
// requests against the built-in API server, none answered with an unexpected 5xx, dropped,
// stalled, or escaping as an exception.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { problems } from './report.js';
import { runFuzz } from './runner.js';
import { CloudSimTarget } from './cloudsim/target.js';
import { TARGETS } from './targets.js';

describe('fuzz slice', () => {
  it('apiserver: 3000 seeded requests, every answer a 2xx-4xx or an upstream 5xx', async () => {
    const r = await runFuzz(TARGETS.apiserver(), { seed: 20261206, requests: 3000, maxMs: 300_000, concurrency: 4 });
    // Memory is the long run's business (this slice is too short to separate growth from warm-up).
    const found = problems({ ...r, rssEndBytes: r.rssStartBytes });
    assert.deepEqual(found, [], found.join('\n'));
    assert.equal(r.sent, 3000, 'every request of the slice was sent (maxMs is only a guard against a stall, not a speed test)');
  });

  it('cloudsim: 2000 seeded requests (signed RPC, ROA and SLS calls, registry, /_sim, hostile targets), no 5xx, every API past its signature check', async () => {
    const target = new CloudSimTarget();
    const r = await runFuzz(target, { seed: 20261206, requests: 2000, maxMs: 300_000, concurrency: 4 });
    const found = problems({ ...r, rssEndBytes: r.rssStartBytes });
    assert.deepEqual(found, [], found.join('\n'));
    assert.equal(r.sent, 2000, 'every request of the slice was sent (maxMs is only a guard against a stall, not a speed test)');
    // The requests reach the handlers, not only the signature check: every API answers some
    // calls and refuses others with its own errors; and nothing signed wrongly gets through.
    const coverage = target.coverage();
    for (const api of ['vpc', 'ess', 'ecs', 'cr', 'sts', 'sls', 'cr personal']) {
      const c = coverage[api];
      assert.ok(c && c.ok > 0, `${api}: no call succeeded: ${JSON.stringify(coverage)}`);
      assert.ok(c.refused > 0, `${api}: no call was refused at the gate (the fuzz signs a share wrongly): ${JSON.stringify(coverage)}`);
      if (api !== 'cr personal') assert.ok(c.handlerErrors > 0, `${api}: no handler refused a malformed call: ${JSON.stringify(coverage)}`);
    }
    assert.ok(coverage.sls.ok + coverage.sls.handlerErrors > coverage.sls.refused, `most SLS calls reach the handlers: ${JSON.stringify(coverage.sls)}`);
    assert.deepEqual(target.acceptedBadSignatures, [], 'a wrongly signed request was accepted');
  });
});
