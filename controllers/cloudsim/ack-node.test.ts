import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ackAllocatable, ackProviderId } from './ack-node.js';

describe('emulator: ACK node facts', () => {
  it('reserves as ACK\'s help page example: 4 vCPU / 7925980Ki -> 3900m / 5824732Ki', () => {
    const a = ackAllocatable(4, 7925980 * 1024);
    assert.equal(a.cpuMillis, 3900);
    assert.equal(a.memoryBytes / 1024, 5824732);
  });
  it('names instances <region>.<instance-id>, alicloud:// on request', () => {
    assert.equal(ackProviderId('cn-hangzhou', 'i-abc'), 'cn-hangzhou.i-abc');
    assert.equal(ackProviderId('cn-hangzhou', 'i-abc', 'alicloud'), 'alicloud://cn-hangzhou.i-abc');
  });
});
