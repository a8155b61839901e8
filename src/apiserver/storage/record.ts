/**
 * Record framing shared by the write-ahead log and the snapshot (the etcd WAL model): every
 * record is `[length u32][~length u32][crc32(payload) u32][payload]`, little endian, after an
 * 8-byte magic that names the file kind and format version.
 *
 * The length is stored twice (plain and inverted) so a damaged length is told apart from a
 * record cut short by a crash: a crash can only shorten the file, it cannot produce a header
 * whose two lengths disagree. The CRC catches any damage to the payload, including damage that
 * leaves it valid JSON.
 */
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 12;
export const MAGIC_BYTES = 8;
export const LOG_MAGIC = Buffer.from('KLWAL01\n');
export const SNAPSHOT_MAGIC = Buffer.from('KLSNAP1\n');

/** Frames one payload (encoded as UTF-8 straight into the record: big objects are copied once). */
export function frame(payload: string): Buffer {
  const length = Buffer.byteLength(payload);
  const out = Buffer.allocUnsafe(HEADER_BYTES + length);
  out.write(payload, HEADER_BYTES);
  out.writeUInt32LE(length, 0);
  out.writeUInt32LE(~length >>> 0, 4);
  out.writeUInt32LE(crc32(out.subarray(HEADER_BYTES)), 8);
  return out;
}

/** A well-framed record: its payload and where its header starts in the file. */
export interface FramedRecord {
  offset: number;
  payload: Buffer;
}

/**
 * Why reading stopped before the end of the buffer. `torn`: what is left looks like an append
 * cut short by a crash (an incomplete header or payload, a bad checksum on the last record, or
 * only zero bytes); anything else is `corrupt`.
 */
export interface FrameDamage {
  offset: number;
  kind: 'torn' | 'corrupt';
  reason: string;
}

const allZero = (buf: Buffer, from: number) => {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
};

/** Reads records from `start` until the end of `buf` or the first damage. */
export function readFrames(buf: Buffer, start: number): { records: FramedRecord[]; damage?: FrameDamage } {
  const records: FramedRecord[] = [];
  let off = start;
  while (off < buf.length) {
    const left = buf.length - off;
    if (left < HEADER_BYTES) return { records, damage: { offset: off, kind: 'torn', reason: `incomplete record header (${left} of ${HEADER_BYTES} bytes)` } };
    const len = buf.readUInt32LE(off);
    if (len !== ~buf.readUInt32LE(off + 4) >>> 0 || len === 0) {
      const kind = allZero(buf, off) ? 'torn' : 'corrupt';
      return { records, damage: { offset: off, kind, reason: kind === 'torn' ? 'zero-filled tail' : 'damaged record header' } };
    }
    const end = off + HEADER_BYTES + len;
    if (end > buf.length) return { records, damage: { offset: off, kind: 'torn', reason: `incomplete record (${left - HEADER_BYTES} of ${len} payload bytes)` } };
    const payload = buf.subarray(off + HEADER_BYTES, end);
    if (crc32(payload) !== buf.readUInt32LE(off + 8)) {
      return { records, damage: { offset: off, kind: end === buf.length ? 'torn' : 'corrupt', reason: 'checksum mismatch' } };
    }
    records.push({ offset: off, payload });
    off = end;
  }
  return { records };
}
