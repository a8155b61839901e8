import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ackAllocatableCpuMillis, ackAllocatableMemory } from './ack-node.js';

describe('ACK reservation policy (template nodes)', () => {
  it('reproduces the help page example: 4 vCPU / 7925980Ki -> 3900m / 5824732Ki', () => {
    assert.equal(ackAllocatableCpuMillis(4), 3900);
    assert.equal(ackAllocatableMemory(7925980 * 1024) / 1024, 5824732);
  });
  it('grows the CPU reservation above 4 cores', () => {
    assert.equal(ackAllocatableCpuMillis(2), 1900);
    assert.equal(ackAllocatableCpuMillis(8), 7800);
    assert.equal(ackAllocatableCpuMillis(32), 31200);
  });
});
