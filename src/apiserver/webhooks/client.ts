/**
 * The HTTPS client for admission and conversion webhooks: a JSON POST to `clientConfig.url`,
 * or to `https://<service>.<namespace>.svc:<port><path>` dialled to one of the Service's
 * endpoints (see service.ts), verifying the server against `caBundle` (the system roots
 * without one) under that host name, bounded by the webhook's timeout (sent as `?timeout=Ns`,
 * as client-go does). Failures are `WebhookCallError`s whose text reads like Go's
 * (`Post "https://…?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused`,
 * `…: context deadline exceeded`), because callers embed it in upstream's messages.
 */
import { request } from 'node:https';
import { isStatus } from '../../api/index.js';
import type { Store } from '../storage/index.js';
import { resolveServiceEndpoint } from './service.js';

/** admissionregistration/v1 WebhookClientConfig (apiextensions' is the same shape). */
export interface WebhookClientConfig {
  url?: string;
  service?: { namespace?: string; name?: string; path?: string; port?: number };
  /** Base64 PEM bundle that verifies the webhook's serving certificate. */
  caBundle?: string;
}

/** A failed call (its message is the whole Go-style error text). */
export class WebhookCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookCallError';
  }
}

const MAX_RESPONSE = 3 * 1024 * 1024;

/** What Go's dialer and TLS stack say for the Node error `e`. */
function goError(e: NodeJS.ErrnoException, host: string, port: number): string {
  const hp = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hp}: connect: connection refused`;
    case 'ECONNRESET':
      return `read tcp ${hp}: read: connection reset by peer`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hp}: connect: no route to host`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${host}: no such host`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${host}`;
    case 'CERT_HAS_EXPIRED':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    default:
      return e.message;
  }
}

/**
 * POSTs `body` as JSON and returns the decoded 2xx response. `timeoutSeconds` bounds the whole
 * exchange. The target is resolved at call time (a Service's endpoints may have changed).
 */
export function postJson(store: Store, cc: WebhookClientConfig, body: unknown, timeoutSeconds: number): Promise<unknown> {
  // `where` is the URL as Go prints it in errors: a service's always with its port.
  let origin: string;
  let path: string;
  let dial: { host: string; port: number };
  let servername: string | undefined;
  let unresolved: string | undefined;
  if (cc.service) {
    const s = cc.service;
    const port = s.port ?? 443;
    servername = `${s.name}.${s.namespace}.svc`;
    origin = `https://${servername}:${port}`;
    path = s.path ?? '';
    dial = { host: '', port };
    try {
      dial = resolveServiceEndpoint(store, s.namespace ?? '', s.name ?? '', port);
    } catch (e) {
      unresolved = (e as Error).message;
    }
  } else {
    const u = new URL(cc.url ?? '');
    origin = `${u.protocol}//${u.host}`;
    path = u.pathname;
    dial = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 443) };
  }
  path += `?timeout=${timeoutSeconds}s`;
  const where = `Post "${origin}${path}"`;
  if (unresolved) return Promise.reject(new WebhookCallError(`${where}: ${unresolved}`));
  const payload = JSON.stringify(body);
  const ca = cc.caBundle ? Buffer.from(cc.caBundle, 'base64').toString('utf8') : undefined;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new WebhookCallError(`${where}: ${message}`));
    };
    const req = request(
      {
        host: dial.host,
        port: dial.port,
        path,
        method: 'POST',
        ca,
        // A service is verified under its DNS name (upstream's ServerName), a URL under its host.
        servername,
        headers: {
          Host: origin.slice('https://'.length),
          'Content-Type': 'application/json',
          Accept: 'application/json, */*',
          'Content-Length': Buffer.byteLength(payload),
          'User-Agent': 'kube-apiserver-admission',
        },
        // A fresh connection per call: a webhook server restarted with a new certificate is verified again.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE) {
            req.destroy();
            fail('response body too large');
          } else chunks.push(c);
        });
        res.on('error', (e) => fail(e.message));
        res.on('end', () => {
          if (settled) return;
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          if (code < 200 || code > 299) {
            if (isStatus(json) && json.message) return fail(json.message);
            return fail(`the server responded with the status code ${code} but did not return more information`);
          }
          if (!text) return fail(`0-length response with status code: ${code} and content type: ${res.headers['content-type'] ?? ''}`);
          if (json === undefined) return fail(`couldn't get version/kind; json parse error: invalid character in response body`);
          settled = true;
          clearTimeout(timer);
          resolve(json);
        });
      },
    );
    const timer = setTimeout(() => {
      fail('context deadline exceeded');
      req.destroy();
    }, timeoutSeconds * 1000);
    req.on('error', (e: NodeJS.ErrnoException) => fail(goError(e, dial.host, dial.port)));
    req.end(payload);
  });
}
