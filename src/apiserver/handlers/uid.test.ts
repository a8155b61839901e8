import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { formatUuidV4, newUid } from './uid.js';

/** The reference text: the bytes' hex in 8-4-4-4-12 groups, version and variant set as RFC 4122 says. */
function reference(bytes: Buffer): string {
  const b = Buffer.from(bytes);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const format = (bytes: Buffer): string => {
  const out = Buffer.alloc(36);
  formatUuidV4(bytes, 0, out, 0);
  return out.toString('latin1');
};

test('formatUuidV4: the 16 bytes as version 4 UUID text, equal to the reference on fixed and random bytes', () => {
  assert.equal(format(Buffer.alloc(16)), '00000000-0000-4000-8000-000000000000');
  assert.equal(format(Buffer.alloc(16, 0xff)), 'ffffffff-ffff-4fff-bfff-ffffffffffff');
  assert.equal(format(Buffer.from('00112233445566778899aabbccddeeff', 'hex')), '00112233-4455-4677-8899-aabbccddeeff');
  for (let i = 0; i < 20_000; i++) {
    const bytes = randomBytes(16);
    assert.equal(format(bytes), reference(bytes));
  }
});

test('newUid: version 4 UUIDs, all different, across several batches of random bytes', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const uid = newUid();
    assert.match(uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    seen.add(uid);
  }
  assert.equal(seen.size, 1000);
});
