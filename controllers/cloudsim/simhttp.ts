/** JSON in and out for the `/_sim` API (simapi.ts, ram-api.ts). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError } from './cloud.js';

/** The request body as JSON; undefined when empty; 400 InvalidJSON when unparsable. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try { return JSON.parse(text); } catch { throw new SimError('InvalidJSON', 'the body is not valid JSON', 400); }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
