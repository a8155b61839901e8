/** Protocol buffers wire format: just enough to read Kubernetes protobuf bodies. */
import { newBadRequest } from '../../api/index.js';

export interface WireField {
  field: number;
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  wireType: number;
  /** Varints as bigint; length-delimited as bytes; fixed as bytes. */
  value: bigint | Buffer;
}

function malformed(why: string): Error {
  return newBadRequest(`error decoding protobuf body: ${why}`);
}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw malformed('truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
  throw malformed('varint too long');
}

/** Splits a message into its fields (in order). */
export function readFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (field === 0) throw malformed('field number 0');
    switch (wireType) {
      case 0: {
        const [v, p] = readVarint(buf, pos);
        pos = p;
        out.push({ field, wireType, value: v });
        break;
      }
      case 1:
        if (pos + 8 > buf.length) throw malformed('truncated fixed64');
        out.push({ field, wireType, value: buf.subarray(pos, pos + 8) });
        pos += 8;
        break;
      case 2: {
        const [len, p] = readVarint(buf, pos);
        const n = Number(len);
        if (p + n > buf.length) throw malformed('truncated length-delimited field');
        out.push({ field, wireType, value: buf.subarray(p, p + n) });
        pos = p + n;
        break;
      }
      case 5:
        if (pos + 4 > buf.length) throw malformed('truncated fixed32');
        out.push({ field, wireType, value: buf.subarray(pos, pos + 4) });
        pos += 4;
        break;
      default:
        throw malformed(`unsupported wire type ${wireType}`);
    }
  }
  return out;
}
