/**
 * Sends fuzz requests over HTTP(S) with keep-alive connections, as a client would, and
 * classifies what came back: an HTTP answer, a network error (the server dropped the
 * connection) or a timeout (the server stalled). Streaming requests (watches) are read
 * briefly and then closed by the client.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Endpoint, FuzzRequest, FuzzResponse } from './target.js';

/** How much of a body is kept (a Status fits easily). */
const KEEP_BYTES = 4096;
/** How long a streaming response is read before the client hangs up. */
const STREAM_MS = 300;

export type Outcome =
  | { kind: 'response'; res: FuzzResponse }
  | { kind: 'network-error'; error: string }
  | { kind: 'timeout' };

export class FuzzClient {
  private readonly agent: HttpAgent;
  private readonly url: URL;

  constructor(endpoint: Endpoint, maxSockets: number, private readonly timeoutMs = 30_000) {
    this.url = new URL(endpoint.url);
    const tls = this.url.protocol === 'https:';
    this.agent = tls
      ? new HttpsAgent({ keepAlive: true, maxSockets, ca: endpoint.ca, cert: endpoint.cert, key: endpoint.key })
      : new HttpAgent({ keepAlive: true, maxSockets });
  }

  send(req: FuzzRequest): Promise<Outcome> {
    const tls = this.url.protocol === 'https:';
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['Content-Length'] = String(req.body.length);
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const done = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const finish = () => done({ kind: 'response', res: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') } });
        res.on('data', (c: Buffer) => {
          if (kept < KEEP_BYTES) {
            chunks.push(c.subarray(0, KEEP_BYTES - kept));
            kept += c.length;
          }
        });
        res.on('end', finish);
        res.on('error', finish);
        res.on('close', finish);
        if (req.streaming) setTimeout(() => r.destroy(), STREAM_MS).unref();
      };
      const opts = {
        host: this.url.hostname, port: this.url.port, method: req.method, path: req.path, headers, agent: this.agent, servername: tls ? 'localhost' : undefined,
        // Go clients read up to 10 MiB of response headers (many Warning headers); Node's default is 16 KiB.
        maxHeaderSize: 1 << 20,
      };
      let r: ReturnType<typeof httpRequest>;
      try {
        r = tls ? httpsRequest(opts, onResponse) : httpRequest(opts, onResponse);
      } catch (e) {
        // The generator made something Node's client refuses to send: a generator bug.
        throw new Error(`unsendable request ${req.method} ${JSON.stringify(req.path)}: ${(e as Error).message}`);
      }
      const timer = setTimeout(() => {
        r.destroy();
        done({ kind: 'timeout' });
      }, this.timeoutMs);
      r.on('error', (e) => done({ kind: 'network-error', error: (e as NodeJS.ErrnoException).code ?? e.message }));
      // A CONNECT answer arrives as 'connect' (with the raw socket), not as 'response'.
      r.on('connect', (res: IncomingMessage, socket: { destroy(): void }) => {
        socket.destroy();
        done({ kind: 'response', res: { status: res.statusCode ?? 0, headers: res.headers, body: '' } });
      });
      r.end(req.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
