/**
 * A big answer made of many strings, `head`, the `items` joined by commas, and `tail` (a list's
 * envelope around the stored JSON text of each object), sent as Buffers of {@link CHUNK} bytes,
 * each written once the connection took the ones before (backpressure).
 *
 * Joining the strings first made one string as big as the body (36 MB for 100k ConfigMaps),
 * flattened it again to measure it, and Node then encoded it to a third copy, all before the
 * first byte left: the client waited for all of it, and the heap briefly held the body three
 * times. In chunks, the client decrypts and parses the first items while the server still
 * copies the last ones, and the heap holds about one chunk per waiting connection.
 *
 * An answer of at most one chunk's characters goes whole, with a Content-Length; a bigger one
 * goes with `Transfer-Encoding: chunked`, as kube-apiserver's: Go's net/http adds Content-Length only
 * when the handler wrote less than a few KB in all (net/http ResponseWriter.Write), and the
 * API server writes an encoded list in one Write, or item by item since the streaming list
 * encoders (KEP-5116). Measuring every item first to announce a length cost as much CPU as
 * copying it.
 */
import type { ServerResponse } from 'node:http';
import { answerHeaders } from './request.js';

/** Bytes per write: a few TLS records (16 KiB each), and few writes for 36 MB. */
const CHUNK = 64 * 1024;

const COMMA = 0x2c;

/**
 * Chunks are written until this much waits in the response, then the rest after 'drain': the
 * writes of one tick leave together (Node corks the response until the next tick), so waiting
 * after every chunk (past the stream's 16 KiB mark) cost an event-loop turn per 64 KiB.
 */
const HIGH_WATER = 1 << 20;

/**
 * Chunk buffers whose write completed, for the next chunks: a fresh 64 KiB buffer per chunk
 * is external memory V8 answers with a young-generation GC about every 36 MB.
 */
const spare: Buffer[] = [];
const SPARE_MAX = 16;

function chunkBuffer(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafe(CHUNK);
}

export function sendJoined(res: ServerResponse, code: number, contentType: string, head: string, items: readonly string[], tail: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const n = items.length;
  let chars = head.length + tail.length + n;
  for (let i = 0; i < n && chars <= CHUNK; i++) chars += items[i].length;
  if (chars <= CHUNK) {
    const body = head + items.join(',') + tail;
    res.writeHead(code, answerHeaders(res, contentType, Buffer.byteLength(body)));
    res.end(body);
    return;
  }
  res.writeHead(code, answerHeaders(res, contentType));
  /** The next piece: -1 the head, 0..n-1 an item (after a comma unless the first), n the tail. */
  let next = -1;
  /** The next chunk: as many whole pieces as fit (in `buf`, a chunk buffer), or one piece bigger than a chunk. */
  let buf = chunkBuffer();
  const fill = (): Buffer => {
    let off = 0;
    while (next <= n) {
      const s = next < 0 ? head : next < n ? items[next] : tail;
      const comma = next > 0 && next < n ? 1 : 0;
      // At most 3 bytes per UTF-16 unit: most pieces are known to fit without measuring them.
      if (off + comma + 3 * s.length > CHUNK && off + comma + Buffer.byteLength(s) > CHUNK) {
        if (off > 0) break;
        next++;
        return Buffer.from(comma ? `,${s}` : s);
      }
      if (comma) buf[off++] = COMMA;
      off += buf.write(s, off);
      next++;
    }
    return off === CHUNK ? buf : buf.subarray(0, off);
  };
  /** Writes `data`; its chunk buffer is reused once the write completed (never after a failed one). */
  const write = (data: Buffer, last: boolean): boolean => {
    const used = data.buffer === buf.buffer ? buf : undefined;
    if (used) buf = chunkBuffer();
    const done = (err?: Error | null) => {
      if (used && !err && spare.length < SPARE_MAX) spare.push(used);
    };
    if (last) {
      res.end(data, done);
      return false;
    }
    return res.write(data, done);
  };
  let data = fill();
  const pump = (): void => {
    while (!res.destroyed) {
      if (next > n) {
        write(data, true);
        return;
      }
      const more = write(data, false);
      data = fill();
      if (!more && res.writableLength >= HIGH_WATER) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
