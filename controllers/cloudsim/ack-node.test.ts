import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ackAllocatable, ackProviderId, ackReservedCpuMillis, ackReservedMemoryBytes } from './ack-node.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

// ACK "Resource reservation policy": its table of default reservations (c7 types; max pods
// as Terway's inclusive ENI mode gives them) and its sample node
describe('emulator: ACK node facts', () => {
  it('reserves as ACK\'s table for Kubernetes 1.28 and later', () => {
    const rows: Array<[cores: number, memGiB: number, maxPods: number, cpuMillis: number, memMiB: number]> = [
      [2, 4, 15, 70, 420], [4, 8, 48, 80, 783], [8, 16, 48, 90, 783], [16, 32, 213, 110, 2598], [32, 64, 213, 150, 2598],
      [64, 128, 213, 230, 2598], [128, 256, 423, 390, 4908], [256, 512, 453, 710, 5238],
    ];
    for (const [cores, mem, pods, cpu, memMiB] of rows) {
      assert.equal(ackReservedCpuMillis(cores), cpu, `${cores} cores`);
      assert.equal(ackReservedMemoryBytes(mem * GiB, pods), memMiB * MiB, `${mem} GiB, ${pods} pods`);
    }
  });
  it('reserves as ACK\'s table for Kubernetes 1.20 to 1.27', () => {
    const rows: Array<[cores: number, memGiB: number, cpuMillis: number, memMiB: number]> = [
      [2, 4, 100, 1024], [4, 8, 100, 1843], [8, 16, 200, 2662], [16, 32, 400, 3645], [32, 64, 800, 5611],
      [64, 128, 1600, 9543], [128, 256, 2400, 12164], [256, 512, 3040, 17407],
    ];
    for (const [cores, mem, cpu, memMiB] of rows) {
      assert.equal(ackReservedCpuMillis(cores, '1.20-1.27'), cpu, `${cores} cores`);
      // the table's two largest rows are 1 MiB below the page's own formula (256 GiB: "11.88 GiB" = 12165 MiB)
      const got = ackReservedMemoryBytes(mem * GiB, 0, '1.20-1.27') / MiB;
      assert.ok(got === memMiB || (mem >= 256 && got === memMiB + 1), `${mem} GiB: ${got} MiB, the table ${memMiB}`);
    }
  });
  it('leaves what ACK\'s sample node shows: 4 vCPU / 7925980Ki -> 3900m / 5824732Ki (1.20-1.27, 300Mi eviction threshold)', () => {
    const a = ackAllocatable(4, 7925980 * 1024, 64, '1.20-1.27');
    assert.equal(a.cpuMillis, 3900);
    assert.equal(a.memoryBytes / 1024, 5824732);
  });
  it('names instances <region>.<instance-id>, alicloud:// on request', () => {
    assert.equal(ackProviderId('cn-hangzhou', 'i-abc'), 'cn-hangzhou.i-abc');
    assert.equal(ackProviderId('cn-hangzhou', 'i-abc', 'alicloud'), 'alicloud://cn-hangzhou.i-abc');
  });
});
