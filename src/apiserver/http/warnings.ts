/**
 * `Warning` response headers as kube-apiserver's warning recorder writes them
 * (k8s.io/apiserver/pkg/endpoints/filters/warning.go): deduplicated, in order, as
 * `299 - "text"`; texts with control characters or invalid UTF-8 are dropped. The total is
 * bounded: once the texts exceed 4096 characters, every warning is cut to 256 characters and
 * no more are added once 4096 characters are written again, so a body with thousands of
 * unknown fields cannot produce headers no client can read.
 *
 * Node refuses header values with characters past U+00FF (it threw, and the request failed
 * with 500, for an unknown field named in Cyrillic), while Go writes any UTF-8. Characters
 * up to U+00FF go out as their UTF-8 bytes, as Go's; later ones as `\uXXXX` escapes.
 */
import type { ServerResponse } from 'node:http';

const TRUNCATE_AT_TOTAL_RUNES = 4 * 1024;
const TRUNCATE_ITEM_RUNES = 256;

/** Characters Go's `NewWarningHeader` refuses (unicode.IsControl) and lone surrogates (not UTF-8). */
const INVALID_TEXT = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function headerValue(text: string): string | undefined {
  if (INVALID_TEXT.test(text)) return undefined;
  const quoted = text.replace(/[\\"]/g, '\\$&').replace(/[^\u0000-\u00ff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `299 - "${quoted}"`;
}

function truncate(text: string): { text: string; runes: number } {
  const runes = [...text];
  return runes.length > TRUNCATE_ITEM_RUNES ? { text: runes.slice(0, TRUNCATE_ITEM_RUNES).join(''), runes: TRUNCATE_ITEM_RUNES } : { text, runes: runes.length };
}

/** Collects one response's warnings into its `Warning` headers (until the headers are sent). */
class WarningRecorder {
  private readonly recorded = new Set<string>();
  private readonly ordered: string[] = [];
  private written = 0;
  private truncating = false;

  constructor(private readonly res: ServerResponse) {}

  add(text: string): void {
    if (!text || this.res.headersSent) return;
    if (this.truncating && this.written >= TRUNCATE_AT_TOTAL_RUNES) return;
    if (this.recorded.has(text)) return;
    this.recorded.add(text);
    this.ordered.push(text);
    let runes = [...text].length;
    if (this.truncating && runes > TRUNCATE_ITEM_RUNES) ({ text, runes } = truncate(text));
    const header = headerValue(text);
    if (header === undefined) return;
    if (this.written + runes <= TRUNCATE_AT_TOTAL_RUNES || this.truncating) {
      this.written += runes;
      this.res.appendHeader('Warning', header);
      return;
    }
    // Over the limit: from now on every warning is truncated, the earlier ones included.
    this.truncating = true;
    this.written = 0;
    this.res.removeHeader('Warning');
    for (const w of this.ordered) {
      const t = truncate(w);
      const h = headerValue(t.text);
      if (h === undefined) continue;
      this.written += t.runes;
      this.res.appendHeader('Warning', h);
    }
  }
}

const recorders = new WeakMap<ServerResponse, WarningRecorder>();

/** The response's recorder (one per response, so deduplication and limits span the request). */
export function warningsOf(res: ServerResponse): WarningRecorder {
  let r = recorders.get(res);
  if (!r) recorders.set(res, (r = new WarningRecorder(res)));
  return r;
}
