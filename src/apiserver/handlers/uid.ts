/**
 * Object uids: random (version 4) UUIDs, as kube-apiserver gives every new object
 * (apimachinery's `uuid.NewUUID()`, google/uuid's NewRandom: 16 random bytes, version
 * nibble 4, RFC 4122 variant bits, lower-case hex in 8-4-4-4-12 groups).
 *
 * Node's `crypto.randomUUID()` makes the same text from the same kind of bytes (a batch of
 * 128 UUIDs' worth of random bytes per `randomFillSync`), but joins it from 20 two-character
 * strings: ~0.6 KB of short-lived strings per uid, and a rope that is copied flat again the
 * first time the uid is hashed (the garbage collector's uid index) or written. Here a batch
 * of random bytes is formatted into ASCII once, and each uid is one flat string cut from it.
 */
import { randomFillSync } from 'node:crypto';

/** UUIDs per batch of random bytes (Node's randomUUID uses the same batch size). */
const BATCH = 128;
/** Characters of one formatted UUID. */
const TEXT = 36;

/** Lower-case hex digits as ASCII codes. */
const HEX = Buffer.from('0123456789abcdef', 'latin1');

const random = Buffer.alloc(16 * BATCH);
const text = Buffer.alloc(TEXT * BATCH);
/** The next UUID of the batch in `text`; BATCH: the batch is used up. */
let next = BATCH;

/**
 * Writes the UUID of the 16 bytes `bytes[from..from+16)` as 36 ASCII characters at
 * `out[at..at+36)`, version 4 and RFC 4122 variant forced (what Node's randomUUID and
 * google/uuid's NewRandom set: byte 6 `(b & 0x0f) | 0x40`, byte 8 `(b & 0x3f) | 0x80`).
 */
export function formatUuidV4(bytes: Uint8Array, from: number, out: Uint8Array, at: number): void {
  let o = at;
  for (let i = 0; i < 16; i++) {
    let b = bytes[from + i];
    if (i === 6) b = (b & 0x0f) | 0x40;
    else if (i === 8) b = (b & 0x3f) | 0x80;
    // dashes after bytes 3, 5, 7 and 9 (8-4-4-4-12 hex digits)
    if (i === 4 || i === 6 || i === 8 || i === 10) out[o++] = 45;
    out[o++] = HEX[b >> 4];
    out[o++] = HEX[b & 15];
  }
}

/** A new random (version 4) UUID, e.g. `9b2f8c1e-4d3a-4f6b-8e21-0c7d5a9b3e4f`. */
export function newUid(): string {
  if (next === BATCH) {
    randomFillSync(random);
    for (let i = 0; i < BATCH; i++) formatUuidV4(random, i * 16, text, i * TEXT);
    next = 0;
  }
  const at = next++ * TEXT;
  return text.toString('latin1', at, at + TEXT);
}
