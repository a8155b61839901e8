/** JSON in and out for the `/_sim` API (simapi.ts, ram-api.ts). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError } from './cloud.js';

/** The request body as JSON; undefined when empty; 400 InvalidJSON when unparsable. */
/**
 * How deep a request body may nest (the /_sim API's, SLS's): a state document or an SLS index
 * is a dozen levels; thousands overflow the copies and walks made of it.
 */
export const MAX_JSON_DEPTH = 100;

/** The deepest nesting of arrays and objects in JSON text (brackets inside strings skipped). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) { if (++depth > max) max = depth; }
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  let value: unknown;
  try { value = JSON.parse(text); } catch { throw new SimError('InvalidJSON', 'the body is not valid JSON', 400); }
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new SimError('InvalidJSON', `the body is nested more than ${MAX_JSON_DEPTH} levels deep`, 400);
  return value;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
