import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ackAllocatableCpuMillis, ackAllocatableMemory } from './ack-node.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

// ACK "Resource reservation policy", its table of defaults for Kubernetes 1.28 and later (c7 types)
describe('ACK reservation policy (template nodes)', () => {
  it('reserves CPU as the table: 2/4/8/16/32/64/128/256 cores -> 70/80/90/110/150/230/390/710m', () => {
    const rows: Array<[number, number]> = [[2, 70], [4, 80], [8, 90], [16, 110], [32, 150], [64, 230], [128, 390], [256, 710]];
    for (const [cores, reserved] of rows) assert.equal(ackAllocatableCpuMillis(cores), cores * 1000 - reserved, `${cores} cores`);
  });
  it('reserves memory as the table (min(11 x max pods + 255 MiB, 25%)) plus the 300Mi eviction threshold', () => {
    const rows: Array<[memGiB: number, pods: number, memMiB: number]> = [[4, 15, 420], [8, 48, 783], [32, 213, 2598], [256, 423, 4908]];
    for (const [mem, pods, reserved] of rows) assert.equal(ackAllocatableMemory(mem * GiB, pods), (mem * 1024 - reserved - 300) * MiB, `${mem} GiB`);
    // a small node: a quarter of its memory
    assert.equal(ackAllocatableMemory(2 * GiB), (2048 - 512 - 300) * MiB);
  });
});
