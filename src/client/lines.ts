/**
 * Splits a byte stream of newline-delimited JSON (a watch response) into lines without
 * rescanning: each chunk is decoded once (UTF-8 safe across chunk boundaries) and only
 * the new text is searched for newlines, so a large object spanning many chunks costs
 * O(size), not O(size^2).
 */
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    let nl = text.indexOf('\n');
    if (nl < 0) {
      this.pending += text;
      return;
    }
    this.emit(this.pending + text.slice(0, nl));
    let start = nl + 1;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      this.emit(text.slice(start, nl));
      start = nl + 1;
    }
    this.pending = text.slice(start);
  }

  /** Flushes a last line that had no trailing newline. */
  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    this.emit(rest);
  }

  private emit(line: string): void {
    // Tolerate CRLF and blank keep-alive lines.
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (l.trim() !== '') this.onLine(l);
  }
}
