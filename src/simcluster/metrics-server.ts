/**
 * The simulated metrics-server: a pod annotated `sim.kubeloop.io/simulate: metrics-server`
 * (any image; nothing runs) "is" an in-process HTTPS server serving `metrics.k8s.io/v1beta1`
 * from the simulated usage (./metrics-api.ts). While the pod runs and has an IP, its address
 * answers on the pod network (./network.ts) at the container's secure port: `--secure-port=N`
 * in its command or args, else 443 (k8s.io/apiserver's `SecureServingOptions` default, which
 * ACK's metrics-server keeps: its Service targets port 443). The server behind it is an
 * aggregated API server as metrics-server builds one on k8s.io/apiserver:
 * - a self-signed serving certificate (metrics-server generates one when given none; the
 *   APIService says `insecureSkipTLSVerify`);
 * - request-header authentication as `kube-system/extension-apiserver-authentication` says
 *   (`requestheader-client-ca-file`, `-allowed-names`, `-username-headers`, `-group-headers`,
 *   `-extra-headers-prefix`): a client certificate from that CA with an allowed common name
 *   may assert the user in those headers; anything else is `system:anonymous`;
 * - delegated authorization: `/healthz`, `/livez`, `/readyz` and the `system:masters` group
 *   are always allowed (`DelegatingAuthorizationOptions` defaults), everything else asks the
 *   API server with a SubjectAccessReview, answers cached 10 s (allowed and denied, the
 *   `--authorization-webhook-cache-*-ttl` defaults); denied: 403 with the upstream wording.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isNotFound, type KubeObject } from '../api/index.js';
import {
  ConfigMap, Controller, Node, Pod, inject,
  type CacheReader, type ConfigMapObject, type NodeObject, type PodObject, type ReconcileContext, type Reconciler, type Request, type SourceContext,
} from '../controller/index.js';
import type { KubeClient } from '../client/index.js';
import { generateCa, issueCert } from '../pki/index.js';
import { SIM, type SimContext } from './config.js';
import { METRICS_GROUP, METRICS_VERSION, requestAttributes, serveMetricsApi, type MetricsSource, type RequestAttributes } from './metrics-api.js';
import { isTerminated } from './quantity.js';

/** Pod annotation naming the simulated program a pod runs. */
export const SIMULATE_ANNOTATION = 'sim.kubeloop.io/simulate';
export const METRICS_SERVER = 'metrics-server';

const simulated = (p: PodObject) => p.metadata.annotations?.[SIMULATE_ANNOTATION] === METRICS_SERVER;

/** The container's `--secure-port`, else 443. */
export function securePort(pod: PodObject): number {
  for (const c of (pod.spec?.containers ?? []) as Array<{ command?: string[]; args?: string[] }>) {
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    for (let i = 0; i < argv.length; i++) {
      const m = /^--secure-port(?:=(\d+))?$/.exec(argv[i]);
      if (!m) continue;
      const v = Number(m[1] ?? argv[i + 1]);
      if (Number.isInteger(v) && v > 0 && v < 65536) return v;
    }
  }
  return 443;
}

interface UserInfo { name: string; groups: string[]; extra: Record<string, string[]> }

/** What `extension-apiserver-authentication` says about request-header authentication. */
interface RequestHeaderTrust {
  ca: string;
  allowedNames: string[];
  usernameHeaders: string[];
  groupHeaders: string[];
  extraPrefixes: string[];
}

async function loadTrust(client: KubeClient): Promise<RequestHeaderTrust | undefined> {
  try {
    const cm = await client.get<ConfigMapObject>(ConfigMap, 'extension-apiserver-authentication', { namespace: 'kube-system' });
    const d = cm.data ?? {};
    const list = (k: string): string[] => {
      try {
        const v = JSON.parse(d[k] ?? '[]') as unknown;
        return Array.isArray(v) ? v.map(String) : [];
      } catch {
        return [];
      }
    };
    if (!d['requestheader-client-ca-file']) return undefined;
    return {
      ca: d['requestheader-client-ca-file'], allowedNames: list('requestheader-allowed-names'),
      usernameHeaders: list('requestheader-username-headers'), groupHeaders: list('requestheader-group-headers'),
      extraPrefixes: list('requestheader-extra-headers-prefix'),
    };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'], extra: {} };

/** The user a request asserts, when its client certificate may assert one. */
function authenticate(req: IncomingMessage, trust: RequestHeaderTrust | undefined): UserInfo {
  const socket = req.socket as TLSSocket;
  if (!trust || !socket.authorized) return ANONYMOUS;
  const cn = String(socket.getPeerCertificate()?.subject?.CN ?? '');
  if (trust.allowedNames.length && !trust.allowedNames.includes(cn)) return ANONYMOUS;
  // each header line on its own: Node joins repeated X-Remote-Group lines with ", "
  const values = (h: string): string[] => req.headersDistinct[h.toLowerCase()] ?? [];
  const name = trust.usernameHeaders.map((h) => values(h)[0]).find((v) => !!v);
  if (!name) return ANONYMOUS;
  const groups = trust.groupHeaders.flatMap(values);
  return { name, groups, extra: requestHeaderExtra(req.headersDistinct, trust.extraPrefixes) };
}

/**
 * The user's extra values from the headers under `prefixes` (`X-Remote-Extra-<key>`): the key
 * lower-cased and unescaped, kept as sent when its escapes are malformed, as
 * k8s.io/apiserver's requestheader authenticator (`unescapeExtraKey`) does.
 */
export function requestHeaderExtra(headers: Record<string, string[] | undefined>, prefixes: readonly string[]): Record<string, string[]> {
  const extra: Record<string, string[]> = {};
  for (const [header, v] of Object.entries(headers)) {
    const k = header.toLowerCase();
    const prefix = prefixes.find((p) => k.startsWith(p.toLowerCase()));
    if (!prefix || v === undefined || k.length === prefix.length) continue;
    const encoded = k.slice(prefix.length);
    let key: string;
    try { key = decodeURIComponent(encoded); } catch { key = encoded; }
    extra[key] = [...(extra[key] ?? []), ...v];
  }
  return extra;
}

const ALWAYS_ALLOWED_PATHS = new Set(['/healthz', '/livez', '/readyz']);
const AUTHZ_CACHE_MS = 10_000;

/** `forbiddenMessage` of k8s.io/apiserver's responsewriters, as a Status body. */
function forbidden(user: UserInfo, a: RequestAttributes, reason: string): Record<string, unknown> {
  const why = reason ? `: ${reason}` : '';
  if (a.kind === 'path') {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `forbidden: User "${user.name}" cannot ${a.verb} path "${a.path}"${why}`, reason: 'Forbidden', details: {}, code: 403 };
  }
  const where = a.namespace ? ` in the namespace "${a.namespace}"` : ' at the cluster scope';
  const what = `${a.resource}.${METRICS_GROUP}`;
  const message = `${what}${a.name ? ` "${a.name}"` : ''} is forbidden: User "${user.name}" cannot ${a.verb} resource "${a.resource}" in API group "${METRICS_GROUP}"${where}${why}`;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details: { ...(a.name ? { name: a.name } : {}), group: METRICS_GROUP, kind: a.resource }, code: 403 };
}

/** One running metrics-server: its HTTPS listener on loopback. */
class MetricsServerInstance {
  private server: Server | undefined;
  private readonly decisions = new Map<string, { allowed: boolean; reason: string; until: number }>();
  address: { host: string; port: number } | undefined;

  constructor(private readonly client: KubeClient, private readonly source: MetricsSource, private readonly log: SimContext['config']['log']) {}

  async start(): Promise<{ host: string; port: number }> {
    const trust = await loadTrust(this.client);
    const ca = generateCa('metrics-server-ca');
    const serving = issueCert(ca, { subject: [{ name: 'commonName', value: 'metrics-server' }], usage: 'server', hosts: ['metrics-server', 'metrics-server.kube-system.svc', 'localhost', '127.0.0.1'] });
    const server = createServer({ key: serving.keyPem, cert: `${serving.certPem}${ca.certPem}`, requestCert: true, rejectUnauthorized: false, ...(trust ? { ca: trust.ca } : {}) }, (req, res) => {
      void this.handle(req, res, trust).catch((err: unknown) => {
        this.log.warn({ err }, 'simulated metrics-server: request failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Internal error occurred: ${(err as Error).message}`, reason: 'InternalError', code: 500 }));
      });
    });
    server.on('tlsClientError', () => { /* a client that gives up is its own business */ });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.address = { host: '127.0.0.1', port: (server.address() as { port: number }).port };
    return this.address;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, trust: RequestHeaderTrust | undefined): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://metrics-server');
    const user = authenticate(req, trust);
    const attrs = requestAttributes(req.method ?? 'GET', url.pathname, url.searchParams);
    const decision = await this.authorize(user, attrs);
    if (!decision.allowed) {
      const body = forbidden(user, attrs, decision.reason);
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
      return;
    }
    const r = serveMetricsApi({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, accept: req.headers.accept }, this.source);
    res.writeHead(r.status, { 'Content-Type': r.contentType });
    res.end(r.body);
  }

  private async authorize(user: UserInfo, a: RequestAttributes): Promise<{ allowed: boolean; reason: string }> {
    if (a.kind === 'path' && ALWAYS_ALLOWED_PATHS.has(a.path)) return { allowed: true, reason: '' };
    if (user.groups.includes('system:masters')) return { allowed: true, reason: '' };
    const spec = {
      user: user.name, groups: user.groups, ...(Object.keys(user.extra).length ? { extra: user.extra } : {}),
      ...(a.kind === 'path'
        ? { nonResourceAttributes: { path: a.path, verb: a.verb } }
        : { resourceAttributes: { namespace: a.namespace ?? '', verb: a.verb, group: METRICS_GROUP, version: METRICS_VERSION, resource: a.resource, name: a.name ?? '' } }),
    };
    const key = JSON.stringify(spec);
    const now = Date.now();
    const cached = this.decisions.get(key);
    if (cached && cached.until > now) return cached;
    const review = await this.client.create<KubeObject & { status?: { allowed?: boolean; reason?: string } }>({
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec,
    } as never);
    const d = { allowed: !!review.status?.allowed, reason: review.status?.reason ?? '', until: now + AUTHZ_CACHE_MS };
    if (this.decisions.size > 1000) this.decisions.clear();
    this.decisions.set(key, d);
    return d;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}

@Controller({
  for: Pod,
  name: 'metrics-server',
  fieldManager: 'metrics-server',
  needLeaderElection: false,
  predicates: [{ create: simulated, update: (_o: PodObject, n: PodObject) => simulated(n), delete: simulated, generic: simulated }],
  // read from the cache only: node changes need no reconcile here
  watches: [{ kind: Node, map: (n: NodeObject) => ({ name: n.metadata.name! }), predicates: [{ create: () => false, update: () => false, delete: () => false, generic: () => false }] }],
})
export class MetricsServerController implements Reconciler<PodObject> {
  /** pod key -> its server and how to take its address off the network */
  private readonly running = new Map<string, { uid: string; ip: string; port: number; instance: MetricsServerInstance; unserve: () => void }>();
  private caches: Pick<SourceContext, 'cache'> | undefined;
  /** Set once the controller stops: a server that finishes starting after that is stopped at once. */
  private stopped = false;

  constructor(@inject(SIM) private readonly sim: SimContext) {}

  sources(ctx: SourceContext) {
    this.caches = ctx;
    ctx.signal.addEventListener('abort', () => {
      this.stopped = true;
      void this.stopAll();
    }, { once: true });
    return [];
  }

  private source(): MetricsSource {
    const caches = this.caches!;
    const pool = this.sim.pool;
    return {
      nodes: () => (caches.cache(Node) as CacheReader<NodeObject>).list(),
      pods: (namespace) => (caches.cache(Pod) as CacheReader<PodObject>).list(namespace === undefined ? {} : { namespace }),
      scrapable: (node) => pool.hosts(node) && pool.isAlive(node),
      resolutionMs: this.sim.config.timings.metricResolutionMs,
      now: () => Date.now(),
    };
  }

  async reconcile(pod: PodObject, ctx: ReconcileContext<PodObject>): Promise<void> {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
    const serving = !!ip && pod.status?.phase === 'Running' && !isTerminated(pod) && !pod.metadata.deletionTimestamp;
    const cur = this.running.get(key);
    const port = securePort(pod);
    if (cur && (!serving || cur.uid !== pod.metadata.uid || cur.ip !== ip || cur.port !== port)) await this.stopOne(key);
    if (!serving || this.running.has(key)) return;
    this.caches ??= ctx;
    const instance = new MetricsServerInstance(ctx.client, this.source(), this.sim.config.log);
    const address = await instance.start();
    // the controller stopped while this server started (a reconcile outliving the drain): stopAll has run already
    if (this.stopped || ctx.signal.aborted) return instance.stop();
    const unserve = this.sim.network.serve(ip, port, address);
    this.running.set(key, { uid: pod.metadata.uid!, ip, port, instance, unserve });
    ctx.log.info({ pod: key, address: `${ip}:${port}`, via: `${address.host}:${address.port}` }, 'simulated metrics-server serving');
  }

  async reconcileDeleted(req: Request): Promise<void> {
    await this.stopOne(`${req.namespace}/${req.name}`);
  }

  private async stopOne(key: string): Promise<void> {
    const r = this.running.get(key);
    if (!r) return;
    this.running.delete(key);
    r.unserve();
    await r.instance.stop();
  }

  private async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((k) => this.stopOne(k)));
  }
}
