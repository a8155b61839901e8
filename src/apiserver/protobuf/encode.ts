/**
 * Writing the protocol buffers wire format: the few field encoders tests and the fuzzer need
 * to build Kubernetes protobuf bodies by hand (the server itself only reads them: wire.ts).
 */

/** A varint (negative values as their 64-bit two's complement, as protobuf writes int64). */
export function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** A length-delimited field (wire type 2): an embedded message, bytes or a string. */
export const lengthDelimited = (field: number, payload: Buffer): Buffer => Buffer.from([...varint(BigInt((field << 3) | 2)), ...varint(BigInt(payload.length)), ...payload]);

/** A varint field (wire type 0). */
export const varintField = (field: number, value: bigint): Buffer => Buffer.from([...varint(BigInt(field << 3)), ...varint(value)]);

/** A string field. */
export const stringField = (field: number, s: string): Buffer => lengthDelimited(field, Buffer.from(s));
