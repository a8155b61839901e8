/**
 * The webhook server (controller-runtime's webhook.Server): one HTTPS listener serving the
 * admission webhooks (`/mutate-...`, `/validate-...`) and the conversion webhook (`/convert`)
 * of a Manager. The HTTP layer follows controller-runtime: request bodies up to 7 MiB
 * (413 above), admission requests must be `Content-Type: application/json` and
 * AdmissionReview v1 (or v1beta1, answered in the same version), a body that does not
 * decode gets an errored AdmissionReview (400) or, for conversion, a bare 400; unknown paths
 * are 404. Requests are counted in controller-runtime's webhook metrics.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhookMetrics, type Registry, type WebhookMetrics } from '../../observability/index.js';
import type { Logger } from '../context.js';
import { errorMessage } from '../errors.js';
import { errored } from './admission.js';
import { CertDirWatcher, selfSignedCert, type ServingCert } from './certs.js';
import type { AdmissionRequest, AdmissionResponse, AdmissionReview, ConversionReview } from './types.js';

export interface WebhookServerOptions {
  /** Port to listen on; 0 = any free port. Default 9443 (controller-runtime's DefaultPort). */
  port?: number;
  /** Address to listen on. Default '' = all interfaces. */
  host?: string;
  /**
   * Folder with the serving certificate and key (a mounted Secret, e.g. cert-manager's),
   * reloaded when they change. Ignored with `selfSigned`.
   * Default `<os.tmpdir()>/k8s-webhook-server/serving-certs`, as controller-runtime.
   */
  certDir?: string;
  /** Certificate file in certDir. Default 'tls.crt'. */
  certName?: string;
  /** Key file in certDir. Default 'tls.key'. */
  keyName?: string;
  /** CA file in certDir whose content is `caBundle` (cert-manager writes it). Default 'ca.crt'. */
  caName?: string;
  /** How often the cert dir is read again besides watching it, in ms. Default 10000 (controller-runtime's certwatcher interval). */
  certPollIntervalMs?: number;
  /**
   * Generate a CA and a serving certificate at start instead of reading certDir (tests,
   * `kubeloop dev`): `true` covers localhost, 127.0.0.1 and ::1 (and `host` when it is a
   * specific address); `{ hosts }` names the DNS names and addresses. Default false.
   */
  selfSigned?: boolean | { hosts: string[] };
}

/** Answers one admission request (the server does the HTTP around it). */
export type AdmissionHandler = (req: AdmissionRequest) => Promise<AdmissionResponse>;
/** Answers one ConversionReview (the server does the HTTP around it). */
export type ConversionHandler = (review: ConversionReview) => Promise<ConversionReview['response']>;

/** controller-runtime's maxRequestSize. */
const MAX_REQUEST_BYTES = 7 * 1024 * 1024;
const ADMISSION_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'];
/** What a `selfSigned: true` certificate covers (plus a specific `host`). */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'];

class HttpError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(new HttpError(413, `request entity is too large; limit is ${MAX_REQUEST_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function writeJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}

export class WebhookServer {
  private readonly admission = new Map<string, AdmissionHandler>();
  private readonly conversion = new Map<string, ConversionHandler>();
  private server: Server | undefined;
  private cert: ServingCert | undefined;
  private watcher: CertDirWatcher | undefined;
  private readonly metrics: WebhookMetrics;

  constructor(
    private readonly opts: WebhookServerOptions,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.metrics = webhookMetrics(registry);
  }

  /** Serves an admission webhook on `path`. Register before start(). */
  registerAdmission(path: string, handle: AdmissionHandler): void {
    this.claim(path);
    this.admission.set(path, handle);
  }

  /** Serves ConversionReviews on `path`. Register before start(). */
  registerConversion(path: string, handle: ConversionHandler): void {
    this.claim(path);
    this.conversion.set(path, handle);
  }

  private claim(path: string): void {
    if (this.server) throw new Error('register webhooks before the webhook server starts');
    if (this.admission.has(path) || this.conversion.has(path)) throw new Error(`webhook path ${path} is already registered`);
    for (const code of ['200', '500']) this.metrics.requestTotal.inc({ webhook: path, code }, 0);
  }

  /** The paths served, sorted. */
  get paths(): string[] {
    return [...this.admission.keys(), ...this.conversion.keys()].sort();
  }

  /** Loads (or generates) the certificate and listens. Throws when the certificate does not load. */
  async start(): Promise<void> {
    const o = this.opts;
    const host = o.host ?? '';
    if (o.selfSigned) {
      const specific = host !== '' && host !== '0.0.0.0' && host !== '::';
      const hosts = o.selfSigned === true ? [...new Set([...LOOPBACK_HOSTS, ...(specific ? [host] : [])])] : o.selfSigned.hosts;
      this.cert = selfSignedCert(hosts);
    } else {
      this.watcher = new CertDirWatcher({
        dir: o.certDir ?? join(tmpdir(), 'k8s-webhook-server', 'serving-certs'),
        certName: o.certName ?? 'tls.crt',
        keyName: o.keyName ?? 'tls.key',
        caName: o.caName ?? 'ca.crt',
        pollIntervalMs: o.certPollIntervalMs ?? 10_000,
        log: this.log,
        onChange: (c) => {
          this.cert = c;
          this.server?.setSecureContext({ cert: c.certPem, key: c.keyPem });
        },
      });
      this.cert = this.watcher.current;
    }
    const server = createServer({ cert: this.cert.certPem, key: this.cert.keyPem }, (req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 9443, host || undefined, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.watcher?.start();
    this.log.info({ url: this.url, paths: this.paths }, 'serving webhooks');
  }

  /** True once listening (the manager's readiness check while webhooks are registered). */
  get started(): boolean {
    return this.server?.listening ?? false;
  }

  /** The port listened on (after start). */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  /** `https://<host>:<port>` (127.0.0.1 when listening on all interfaces), after start. */
  get url(): string | undefined {
    if (this.port === undefined) return undefined;
    const h = this.opts.host || '127.0.0.1';
    const host = h === '0.0.0.0' ? '127.0.0.1' : h === '::' ? '::1' : h;
    return `https://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /**
   * The PEM CA bundle clients must trust (the `caBundle` of webhook configurations, base64
   * encoded there): the generated CA, or the cert dir's `ca.crt` as last loaded. Undefined
   * before start, or when the cert dir has no CA file.
   */
  get caBundle(): string | undefined {
    return this.cert?.caPem;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://webhook').pathname;
    const admission = this.admission.get(path);
    const conversion = this.conversion.get(path);
    if (!admission && !conversion) {
      writeJson(res, 404, { message: `no webhook is served at ${path}` });
      return;
    }
    const labels = { webhook: path };
    const end = this.metrics.requestLatency.startTimer(labels);
    this.metrics.requestInFlight.inc(labels);
    res.on('finish', () => {
      end();
      this.metrics.requestInFlight.dec(labels);
      this.metrics.requestTotal.inc({ webhook: path, code: String(res.statusCode) });
    });
    try {
      if (admission) await this.serveAdmission(req, res, admission);
      else await this.serveConversion(req, res, conversion!);
    } catch (err) {
      this.log.error({ err, path }, 'webhook request failed');
      if (!res.headersSent) writeJson(res, 500, { message: errorMessage(err) });
    }
  }

  private async serveAdmission(req: IncomingMessage, res: ServerResponse, handle: AdmissionHandler): Promise<void> {
    const reply = (apiVersion: string, response: AdmissionResponse) => writeJson(res, 200, { apiVersion, kind: 'AdmissionReview', response } satisfies AdmissionReview);
    const fail = (code: number, message: string) => {
      this.log.error({ code, message }, 'bad admission request');
      reply(ADMISSION_VERSIONS[0], errored('', code, message));
    };
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      fail(err instanceof HttpError ? err.code : 400, errorMessage(err));
      return;
    }
    if (body.length === 0) return fail(400, 'request body is empty');
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.split(';')[0].trim() !== 'application/json') return fail(400, `contentType=${contentType}, expected application/json`);
    let review: AdmissionReview;
    try {
      review = JSON.parse(body.toString('utf8')) as AdmissionReview;
    } catch (err) {
      return fail(400, `cannot decode the AdmissionReview: ${errorMessage(err)}`);
    }
    if (!review || typeof review !== 'object' || review.kind !== 'AdmissionReview' || !ADMISSION_VERSIONS.includes(review.apiVersion)) {
      return fail(400, `expected an AdmissionReview of ${ADMISSION_VERSIONS.join(' or ')}`);
    }
    if (!review.request || typeof review.request !== 'object') return fail(400, 'the AdmissionReview has no request');
    reply(review.apiVersion, await handle(review.request));
  }

  private async serveConversion(req: IncomingMessage, res: ServerResponse, handle: ConversionHandler): Promise<void> {
    let review: ConversionReview;
    try {
      review = JSON.parse((await readBody(req)).toString('utf8')) as ConversionReview;
      if (!review?.request || typeof review.request !== 'object') throw new HttpError(400, 'conversion request is nil');
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'failed to read conversion request');
      res.writeHead(err instanceof HttpError ? err.code : 400).end();
      return;
    }
    writeJson(res, 200, { apiVersion: review.apiVersion, kind: 'ConversionReview', response: await handle(review) } satisfies ConversionReview);
  }

  async stop(): Promise<void> {
    this.watcher?.stop();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
