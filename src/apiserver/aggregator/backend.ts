/**
 * Requests from the aggregator to an aggregated API server, as kube-aggregator's transport
 * builds them (`remote.BuildTransportConfig`): HTTPS to the resolved endpoint, the server
 * name `<service>.<namespace>.svc` checked against `spec.caBundle` unless
 * `spec.insecureSkipTLSVerify`, and the user in the requestheader headers (`X-Remote-User`,
 * one `X-Remote-Group` per group, `X-Remote-Extra-<key>`; `X-Remote-Uid` is behind an alpha
 * feature gate in 1.32, so it is not sent), authenticated by the `front-proxy-client`
 * certificate (kube-apiserver's `--proxy-client-cert-file`) that backends trust through
 * `kube-system/extension-apiserver-authentication`.
 */
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { UserInfo } from '../auth/index.js';
import type { KeyPairPem } from '../pki/index.js';
import type { ApiService } from './apiservice.js';
import type { Endpoint } from './resolver.js';

/**
 * The identity the aggregator itself uses towards backends (discovery, availability checks):
 * `system:kube-aggregator` in `system:masters`, as kube-aggregator's `handler_discovery.go`
 * (`user.DefaultInfo{Name: "system:kube-aggregator", Groups: []string{"system:masters"}}`) and
 * the availability check set it, so a backend's delegated authorization always admits it.
 */
export const AGGREGATOR_USER: UserInfo = { name: 'system:kube-aggregator', groups: ['system:masters'] };

/**
 * How the API server opens a TCP connection to a backend address (kube-apiserver's
 * `proxyTransport` dialer, or an egress selector): resolves with a connected stream, or
 * rejects with a Node-style error (`code` ECONNREFUSED, EHOSTUNREACH...). A dial that never
 * settles models dropped packets: the caller's dial timeout ends it (`i/o timeout`). Without
 * a dialer, connections go to the address itself over the host's network.
 */
export type Dialer = (host: string, port: number) => Promise<Duplex>;

/** kube-apiserver's proxy dialer timeout (`net.Dialer{Timeout: 30 * time.Second}`). */
export const DEFAULT_DIAL_TIMEOUT_MS = 30_000;

/** How requests to backends are made: the proxy client certificate, TLS verification. */
export interface BackendOptions {
  /** The client certificate presented to backends (front-proxy-client). */
  client?: KeyPairPem;
  /** Skip the server certificate check (the availability check does). */
  insecure?: boolean;
  /** The whole request, dial included (Go's `http.Client.Timeout`); buffered requests only. */
  timeoutMs?: number;
  /** Connections to backends (see {@link Dialer}); read at each request, so it may change at run time. */
  dial?: Dialer;
  /** How long a dial may take before it fails with `i/o timeout` (default 30 s). */
  dialTimeoutMs?: number;
}

/** TLS settings of an APIService's backend, per request. */
export function tlsOptions(a: ApiService, ep: Endpoint, opts: BackendOptions = {}): RequestOptions {
  const svc = a.spec.service!;
  const ca = a.spec.caBundle ? Buffer.from(a.spec.caBundle, 'base64').toString('utf8') : undefined;
  return {
    host: ep.host,
    port: ep.port,
    servername: `${svc.name}.${svc.namespace}.svc`,
    ca,
    rejectUnauthorized: !(opts.insecure || a.spec.insecureSkipTLSVerify),
    cert: opts.client?.certPem,
    key: opts.client?.keyPem,
    agent: false,
    ...(opts.dial ? { agent: undefined, createConnection: dialedConnection(ep, opts) } : {}),
  };
}

/**
 * `createConnection` for https.request through `opts.dial`: the dial (bounded by the dial
 * timeout), then TLS over the dialed stream with the request's TLS settings.
 */
function dialedConnection(ep: Endpoint, opts: BackendOptions) {
  return (req: RequestOptions, done: (err: Error | null, socket: Duplex) => void): undefined => {
    const tls: ConnectionOptions = { servername: req.servername, ca: req.ca, cert: req.cert, key: req.key, rejectUnauthorized: req.rejectUnauthorized };
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      done(Object.assign(new Error('i/o timeout'), { code: 'EDIALTIMEOUT' }), undefined as never);
    }, opts.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS);
    timer.unref();
    opts.dial!(ep.host, ep.port).then((stream) => {
      clearTimeout(timer);
      if (settled) {
        stream.destroy();
        return;
      }
      settled = true;
      done(null, tlsConnect({ ...tls, socket: stream }));
    }, (err: Error) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      done(err, undefined as never);
    });
    return undefined;
  };
}

/** `transport.SetAuthProxyHeaders`: the user of the request, as requestheader authentication reads it. */
export function userHeaders(user: UserInfo): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = { 'X-Remote-User': user.name };
  if (user.groups.length) h['X-Remote-Group'] = [...user.groups];
  for (const [k, vs] of Object.entries(user.extra ?? {})) h[`X-Remote-Extra-${encodeURIComponent(k)}`] = [...vs];
  return h;
}

/** `https://host:port` of an endpoint (IPv6 hosts bracketed, as Go's JoinHostPort). */
export function endpointUrl(ep: Endpoint): string {
  return `https://${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
}

/**
 * The text of a failed request as Go's transport words it (the availability condition and
 * the proxy's 503 body show it): `dial tcp 127.0.0.1:9: connect: connection refused`...
 */
export function transportError(err: unknown, ep: Endpoint): string {
  const e = err as NodeJS.ErrnoException;
  const addr = `${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
  switch (e?.code) {
    case 'ECONNREFUSED': return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH': return `dial tcp ${addr}: connect: no route to host`;
    case 'ECONNRESET': return `read tcp ${addr}: read: connection reset by peer`;
    case 'ETIMEDOUT': return 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
    case 'EDIALTIMEOUT': return `dial tcp ${addr}: i/o timeout`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID': return `tls: failed to verify certificate: x509: ${e.message}`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    default: return e?.message ?? String(err);
  }
}

export interface BackendResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * A buffered request to a backend (discovery documents, availability checks, the namespace
 * controller's deletions); rejects with a transport error text.
 */
export function backendRequest(a: ApiService, ep: Endpoint, method: string, path: string, headers: OutgoingHttpHeaders, opts: BackendOptions = {}): Promise<BackendResponse> {
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (e: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(transportError(e, ep)));
    };
    const req = request({ ...tlsOptions(a, ep, opts), method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', fail);
    });
    // Go's Client.Timeout: the whole exchange, the dial included (a request still dialing
    // reports its error only once the dial ends, so the timeout answers at once).
    const timer = setTimeout(() => {
      const err = Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' });
      fail(err);
      req.destroy(err);
    }, opts.timeoutMs ?? 5000);
    req.on('error', fail);
    req.end();
  });
}
