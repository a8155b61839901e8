/**
 * A big answer made of many strings, `head`, the `items` joined by commas, and `tail` (a list's
 * envelope around the stored JSON text of each object), sent as Buffers of about {@link CHUNK}
 * bytes, each written once the connection took the ones before (backpressure).
 *
 * Joining the strings first made one string as big as the body (36 MB for 100k ConfigMaps),
 * flattened it again to measure it, and Node then encoded it to a third copy, all before the
 * first byte left: the client waited for all of it, and the heap briefly held the body three
 * times. In chunks, the client decrypts and parses the first items while the server still
 * copies the last ones, and the heap holds about one chunk per waiting connection. The bytes
 * are exactly those of the joined string, with a Content-Length as before.
 */
import type { ServerResponse } from 'node:http';
import { answerHeaders } from './request.js';

/** Bytes per write: a few TLS records (16 KiB each), few enough writes for 36 MB. */
const CHUNK = 64 * 1024;

const COMMA = 0x2c;

export function sendJoined(res: ServerResponse, code: number, contentType: string, head: string, items: readonly string[], tail: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const n = items.length;
  let length = Buffer.byteLength(head) + Buffer.byteLength(tail) + (n > 0 ? n - 1 : 0);
  for (let i = 0; i < n; i++) length += Buffer.byteLength(items[i]);
  res.writeHead(code, answerHeaders(res, contentType, length));
  /** The next piece: -1 the head, 0..n-1 an item (after a comma unless the first), n the tail. */
  let next = -1;
  const pump = (): void => {
    while (!res.destroyed) {
      let buf = Buffer.allocUnsafe(CHUNK);
      let off = 0;
      while (next <= n) {
        const s = next < 0 ? head : next < n ? items[next] : tail;
        const comma = next > 0 && next < n ? 1 : 0;
        // At most 3 bytes per UTF-16 unit: most pieces are known to fit without measuring them.
        if (off + comma + 3 * s.length > CHUNK && off + comma + Buffer.byteLength(s) > CHUNK) {
          if (off > 0) break;
          // A piece bigger than a chunk goes alone.
          buf = Buffer.from(comma ? `,${s}` : s);
          off = buf.length;
          next++;
          break;
        }
        if (comma) buf[off++] = COMMA;
        off += buf.write(s, off);
        next++;
      }
      const data = off === buf.length ? buf : buf.subarray(0, off);
      if (next > n) {
        res.end(data);
        return;
      }
      if (!res.write(data)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
