/**
 * Test support: a small HTTPS webhook server on a free loopback port with its own CA (from
 * pki/), recording the JSON bodies it receives and answering through a handler. Also the
 * answers webhooks give (AdmissionReview responses, JSON patches, ConversionReview
 * responses), so tests state only what differs.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateServingCertificate } from './pki/index.js';

export interface WebhookCall {
  path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface WebhookServer {
  /** `https://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Base64 CA bundle for `clientConfig.caBundle`. */
  caBundle: string;
  calls: WebhookCall[];
  /** Calls to one path. */
  callsTo(path: string): WebhookCall[];
  close(): Promise<void>;
}

/** An answer with another status than 200. */
export class HttpReply {
  constructor(readonly status: number, readonly body: unknown) {}
}

/** What a handler returns: a JSON body (status 200), an `HttpReply`, or `'hang'` (never answers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WebhookHandler = (path: string, body: any) => unknown;

/** Starts a webhook server whose certificate covers 127.0.0.1 and `extraHosts` (e.g. `svc.ns.svc`). */
export async function startWebhookServer(handler: WebhookHandler, extraHosts: string[] = []): Promise<WebhookServer> {
  const pki = generateServingCertificate(['127.0.0.1', 'localhost', ...extraHosts]);
  const calls: WebhookCall[] = [];
  const hanging = new Set<() => void>();
  const server: Server = createServer({ key: pki.server.keyPem, cert: pki.server.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = (req.url ?? '').split('?')[0];
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      calls.push({ path, body });
      const reply = await handler(path, body);
      if (reply === 'hang') {
        const end = () => res.destroy();
        hanging.add(end);
        res.on('close', () => hanging.delete(end));
        return;
      }
      const r = reply instanceof HttpReply ? reply : new HttpReply(200, reply);
      res.writeHead(r.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caBundle: Buffer.from(pki.ca.certPem).toString('base64'),
    calls,
    callsTo: (path) => calls.filter((c) => c.path === path),
    close() {
      for (const end of hanging) end();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** An AdmissionReview v1 answer to `review`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function admissionResponse(review: any, response: { allowed?: boolean; status?: unknown; patch?: unknown[]; warnings?: string[] } = {}): unknown {
  const { patch, allowed = true, ...rest } = response;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid: review.request.uid,
      allowed,
      ...rest,
      ...(patch ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') } : {}),
    },
  };
}

/** A successful ConversionReview v1 answer: `convert(obj, desiredAPIVersion)` per object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function conversionResponse(review: any, convert: (obj: any, desired: string) => unknown): unknown {
  const desired: string = review.request.desiredAPIVersion;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'ConversionReview',
    response: { uid: review.request.uid, result: { status: 'Success' }, convertedObjects: review.request.objects.map((o: unknown) => convert(o, desired)) },
  };
}
