/**
 * JSON over plain HTTP to the cloud emulator's inspection API (`/_sim/...`), with node:http:
 * the global `fetch` would load undici (~30-40 ms of compilation) on the path of every
 * `kubeloop dev` start, for two small requests.
 */
import { request } from 'node:http';

/** One request; its status and parsed JSON body (the raw text when it is not JSON). */
export function emulatorRequest(url: URL, method = 'GET', body?: unknown): Promise<{ status: number; body: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, { method, headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try { parsed = JSON.parse(text); } catch { parsed = undefined; }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The JSON of a 2xx answer; an Error naming `what` and the status otherwise. */
export async function emulatorJson<T>(what: string, url: URL, method = 'GET', body?: unknown): Promise<T> {
  const r = await emulatorRequest(url, method, body);
  if (r.status < 200 || r.status > 299) throw new Error(`${what}: HTTP ${r.status}${r.text ? ` ${r.text}` : ''}`);
  if (r.body === undefined) throw new Error(`${what}: the answer is not JSON`);
  return r.body as T;
}
