/**
 * Proxying of requests under `/apis/<group>/<version>` to an aggregated API server, as
 * kube-aggregator's `proxyHandler` does after authentication and authorization:
 * - an APIService whose `Available` condition is not True answers 503 `service unavailable`
 *   (plain text, as Go's http.Error), and so does one whose endpoint cannot be resolved;
 * - otherwise the request (method, path, query, body, headers) goes to a resolved endpoint
 *   with the caller's identity in `X-Remote-*` headers; the client's `Authorization`,
 *   impersonation and `X-Remote-*` headers are not forwarded; the response (status, headers,
 *   body, streamed: watches work) comes back as is;
 * - a transport failure answers 503 `error trying to reach service: <error>` (apimachinery's
 *   `proxy.Transport`, which `NewUpgradeAwareHandler(..., wrapTransport=true, ...)` puts around
 *   the round tripper).
 */
import { request } from 'node:https';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { UserInfo } from '../auth/index.js';
import type { Store } from '../storage/index.js';
import { type ApiService, availableCondition } from './apiservice.js';
import { type BackendOptions, tlsOptions, transportError, userHeaders } from './backend.js';
import { resolveEndpoint } from './resolver.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'authorization']);

function proxyError(res: ServerResponse, text: string, code = 503): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(`${text}\n`);
}

export function proxyRequest(store: Store, backend: BackendOptions, a: ApiService, user: UserInfo | undefined, req: IncomingMessage, res: ServerResponse): void {
  if (availableCondition(a)?.status !== 'True') {
    req.resume();
    return proxyError(res, 'service unavailable');
  }
  if (!user) {
    req.resume();
    return proxyError(res, 'missing user', 500);
  }
  const svc = a.spec.service!;
  let ep;
  try {
    ep = resolveEndpoint(store, svc.namespace!, svc.name!, svc.port ?? 443);
  } catch {
    req.resume();
    return proxyError(res, 'service unavailable');
  }
  const headers: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    const lk = k.toLowerCase();
    if (HOP_BY_HOP.has(lk) || lk.startsWith('impersonate-') || lk.startsWith('x-remote-') || v === undefined) continue;
    headers[k] = v;
  }
  Object.assign(headers, userHeaders(user));
  const out = request({ ...tlsOptions(a, ep, backend), method: req.method, path: req.url, headers }, (back) => {
    const h: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(back.headers)) if (!HOP_BY_HOP.has(k.toLowerCase()) && v !== undefined) h[k] = v;
    res.writeHead(back.statusCode ?? 502, h);
    back.pipe(res);
    back.on('error', () => res.destroy());
  });
  // UpgradeAwareHandler wraps the round tripper in apimachinery's proxy.Transport, whose
  // RoundTrip turns a failure into ServiceUnavailable "error trying to reach service: <err>";
  // kube-aggregator's responder writes that message as plain text with 503.
  out.on('error', (e) => proxyError(res, `error trying to reach service: ${transportError(e, ep)}`));
  // A client that goes away (a watch ending) ends the backend request too.
  res.on('close', () => out.destroy());
  req.pipe(out);
}
