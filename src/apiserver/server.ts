/**
 * The built-in API server: HTTPS with a generated PKI, the type registry, storage (with
 * optional write-ahead log), discovery, OpenAPI, CRUD, watch and Tables.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { dirname, join } from 'node:path';
import { newNotFound, newMethodNotSupported, newTooManyRequests } from '../api/index.js';
import { AdmissionChain } from './admission/index.js';
import { installAdmissionWebhooks } from './admissionwebhooks/index.js';
import { type Dialer, startAggregator } from './aggregator/index.js';
import { AGGREGATED_V2_CONTENT_TYPE, AGGREGATED_V2BETA1_CONTENT_TYPE, Discovery, wantsAggregated } from './discovery/index.js';
import { firstServiceIp, serviceAllocator, startKubernetesService } from './services/index.js';
import { builtinFieldValidation } from './validation/index.js';
import { ResourceHttp } from './handlers/http.js';
import { ResourceOps } from './handlers/rest.js';
import { WatchHub } from './handlers/watch.js';
import { notFoundPath } from './handlers/util.js';
import { refuseConnect } from './http/connect.js';
import { enforceFirstRequestDeadline } from './http/deadlines.js';
import { answerError } from './http/errors.js';
import { requestTarget, sendStatus, sendText } from './http/request.js';
import { OpenApiRegistry } from './openapi/index.js';
import { kubeconfigYaml, loadOrCreateFrontProxyPki, loadOrCreatePki, missingPkiKeys, prepareKeys } from './pki/index.js';
import { newBuiltinRegistry, type ResourceRegistry } from './resources/index.js';
import { BUILTIN_DEFAULTS } from './defaults/index.js';
import { type Change, type OpenLogFile, Store, Wal } from './storage/index.js';
import { makeKubeconfigDir } from './kubeconfig-dir.js';
import { installSemantics } from './semantics.js';
import { ensureSystemPriorityClasses } from './podadmission/index.js';
import { type AuthorizationMode, Security } from './rbac/index.js';
import type { StaticToken } from './auth/index.js';

export interface ApiServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  bind?: string;
  /** Keeps PKI, snapshot and write-ahead log here; without it everything is in memory. */
  dataDir?: string;
  /**
   * Where to write the kubeconfig (default `<dataDir>/kubeconfig`, else a temp directory removed on
   * stop, and by a later server if this process is killed: kubeconfig-dir.ts).
   */
  kubeconfigPath?: string;
  /** Watch events kept per resource type for resuming watches (default 50000). */
  historySize?: number;
  /** JSON bytes of watch events kept per resource type (default 128 MiB; big objects expire history sooner). */
  historyBytes?: number;
  /** Interval of bookmarks to idle watchers that allow them (default 1000 ms). */
  bookmarkIntervalMs?: number;
  /**
   * Bytes a watch may hold for a client that does not read them (events not yet taken by its
   * connection); beyond that the watch is closed as unresponsive, its buffered events dropped
   * and its connection destroyed, as kube-apiserver closes a watcher whose buffer stays full
   * (default 16 MiB, ~upstream's 2 x 1000 buffered events: handlers/watch.ts). Keep it above
   * the largest object's size.
   */
  watchBufferBytes?: number;
  /** Where the server's notices go (a watch closed as unresponsive; default stderr). */
  warn?: (message: string) => void;
  /** Logged changes between snapshots of the write-ahead log (default 100000). */
  snapshotEvery?: number;
  /**
   * Start even if the write-ahead log or snapshot is damaged before its end, dropping
   * everything from the damaged record on (default false: refuse to start, naming the file and
   * offset). A torn last record (a crash mid-append) is always cut off.
   */
  walTruncateCorrupt?: boolean;
  /** How the write-ahead log file is opened (tests inject failing file systems, e.g. ENOSPC). */
  walFile?: OpenLogFile;
  /** Non-watch requests served at once; more get 429 TooManyRequests with Retry-After (default 2000). */
  maxRequestsInFlight?: number;
  /** `RBAC` (default; the admin kubeconfig is system:masters) or `AlwaysAllow`. See docs/security.md. */
  authorization?: AuthorizationMode;
  /** Static bearer tokens `{ token, user, uid?, groups? }` (default none). */
  tokens?: StaticToken[];
  /** Serve requests without credentials as `system:anonymous` (default false: 401 Unauthorized). */
  anonymous?: boolean;
  /** Audiences ServiceAccount tokens must name (default [`https://kubernetes.default.svc`]). */
  apiAudiences?: string[];
  /** `iss` of ServiceAccount tokens (default `https://kubernetes.default.svc.cluster.local`). */
  serviceAccountIssuer?: string;
  /**
   * Delay between a namespace turning Terminating and the namespace controller deleting its
   * content (default 5000 ms, kube-controller-manager's grace period).
   */
  namespaceDeletionGracePeriodMs?: number;
  /** The quota controller's full recount period (default 5 minutes, `--resource-quota-sync-period`). */
  quotaResyncMs?: number;
  /**
   * Publish the `kube-root-ca.crt` ConfigMap in every namespace, as kube-controller-manager's
   * root CA publisher does (default true). Tests that count a namespace's ConfigMaps turn it off.
   */
  rootCaPublisher?: boolean;
  /** How long an idle keep-alive connection stays open (default 90 s, kube-apiserver's IdleTimeout). */
  idleTimeoutMs?: number;
  /**
   * Time a connection gets to finish its TLS handshake, and then each request its headers
   * (default 32 s, kube-apiserver's ReadHeaderTimeout, which Go also applies to the handshake).
   */
  headerTimeoutMs?: number;
  /**
   * How the server reaches aggregated API servers (APIService backends): a {@link Dialer}
   * given the endpoint's address (a pod IP), e.g. a simulated cluster's network. Default: the
   * host's network. `setDialer` replaces it at run time.
   */
  dial?: Dialer;
  /** Aggregation layer timings; the defaults are kube-apiserver's (tests shorten them). */
  aggregator?: {
    /** Re-check of every remote APIService's availability (default 30 s). */
    availabilityResyncMs?: number;
    /** Timeout of an availability check (default 5 s). */
    availabilityCheckTimeoutMs?: number;
    /** Dial timeout towards backends (default 30 s). */
    dialTimeoutMs?: number;
  };
}

export interface ApiServer {
  /** `https://127.0.0.1:PORT` */
  url: string;
  port: number;
  kubeconfigPath: string;
  /** The kubeconfig YAML (CA, admin client certificate and key embedded). */
  kubeconfig: string;
  caPem: string;
  /** Served resource types; add/remove at run time (discovery follows at once). */
  registry: ResourceRegistry;
  /** `/openapi/v3` documents per group-version; add/remove at run time. */
  openapi: OpenApiRegistry;
  /** Admission plugins run on every create/update/delete. */
  admission: AdmissionChain;
  /**
   * The object operations (same path as HTTP), for in-process callers. Reads return the stored
   * objects (never modify them) and writes take ownership of the body: see `ResourceOps`.
   */
  ops: ResourceOps;
  store: Store;
  /** Calls `fn` after every committed change (the in-process event bus), or with `storageKeys` after changes of those types only (see Store.subscribe). */
  onChange(fn: (c: Change) => void, storageKeys?: readonly string[]): () => void;
  /** Drops watch history: watches from older resourceVersions get 410 Expired. */
  compact(): void;
  /** Replaces how aggregated API servers are reached (see `ApiServerOptions.dial`). */
  setDialer(dial: Dialer | undefined): void;
  /** Closes watches and connections, flushes the log. */
  stop(): Promise<void>;
}

const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const bind = opts.bind ?? '127.0.0.1';
  const wb = opts.watchBufferBytes;
  if (wb !== undefined && !(Number.isFinite(wb) && wb > 0)) throw new Error(`watchBufferBytes must be a positive number of bytes, got ${String(wb)}`);
  // the certificates this start must make, their keys made in parallel first
  await prepareKeys(missingPkiKeys(opts.dataDir));
  const pki = loadOrCreatePki(opts.dataDir, bind);
  const registry = newBuiltinRegistry();
  const openapi = new OpenApiRegistry();
  // the official documents are read when a client first asks for /openapi/v3 (kubectl's
  // validation, explain), not on every start
  for (const [g, vs] of registry.groups()) for (const v of vs) openapi.setBuiltin(g, v);
  const wal = opts.dataDir ? new Wal(join(opts.dataDir, 'data'), { snapshotEvery: opts.snapshotEvery, truncateCorrupt: opts.walTruncateCorrupt, openLogFile: opts.walFile }) : undefined;
  // objects read back from the data dir get the built-in defaults, as upstream's reads from etcd do
  const store = new Store({ historySize: opts.historySize, historyBytes: opts.historyBytes, wal, decode: (key, obj) => BUILTIN_DEFAULTS[key]?.(obj) });
  const admission = new AdmissionChain();
  const ops = new ResourceOps(store, registry, admission);
  admission.add(builtinFieldValidation());
  admission.add(serviceAllocator(store));
  const security = new Security(ops, (fn, storageKeys) => store.subscribe(fn, storageKeys), {
    authorization: opts.authorization, tokens: opts.tokens, anonymous: opts.anonymous, apiAudiences: opts.apiAudiences, serviceAccountIssuer: opts.serviceAccountIssuer, dataDir: opts.dataDir,
  });
  const semanticsHost = { registry, openapi, admission, ops, store, onChange: (fn: (c: Change) => void, storageKeys?: readonly string[]) => store.subscribe(fn, storageKeys) };
  const aggregator = startAggregator(semanticsHost, {
    userOf: (req) => security.userOf(req),
    frontProxy: loadOrCreateFrontProxyPki(opts.dataDir),
    clientCaPem: pki.ca.certPem,
    dial: opts.dial,
    dialTimeoutMs: opts.aggregator?.dialTimeoutMs,
    availability: { resyncMs: opts.aggregator?.availabilityResyncMs, checkTimeoutMs: opts.aggregator?.availabilityCheckTimeoutMs },
  });
  const semantics = installSemantics({
    ...semanticsHost,
    discoveryFailures: () => aggregator.discoveryFailures(),
    deleteAggregatedContent: (namespace) => aggregator.deleteNamespaceContent(namespace),
  }, { namespaceDeletionGracePeriodMs: opts.namespaceDeletionGracePeriodMs, quotaResyncMs: opts.quotaResyncMs, rootCaPem: opts.rootCaPublisher === false ? undefined : pki.ca.certPem });
  installAdmissionWebhooks({ registry, store, admission, convert: (t, objs) => ops.converter.toVersion(t, objs), scale: ops });
  // ResourceQuota is the last validating plugin, after the webhooks (quota/admission.ts)
  admission.add(semantics.resourceQuotaAdmission);
  const nsType = registry.get('', 'v1', 'namespaces')!;
  for (const ns of SYSTEM_NAMESPACES) {
    if (!store.get(nsType.storageKey, ns)) await ops.create(nsType, undefined, { metadata: { name: ns } });
  }
  // kube-apiserver's post-start hook creates the system PriorityClasses (podadmission/priority.ts)
  await ensureSystemPriorityClasses(semanticsHost);
  // The system namespaces' default ServiceAccounts and kube-root-ca.crt exist before the first request.
  await semantics.namespacesSeeded();
  await security.bootstrap();
  await aggregator.bootstrap();
  const watches = new WatchHub(store, { bookmarkIntervalMs: opts.bookmarkIntervalMs, converter: ops.converter, bufferBytes: opts.watchBufferBytes, warn: opts.warn });
  const resources = new ResourceHttp(ops, watches, (req) => security.userOf(req));
  let url = '';
  const discovery = new Discovery(registry, () => url.replace(/^https:\/\//, ''), aggregator.discovery);

  /** Synchronous routing: a promise only from handlers with asynchronous work (errors may also be thrown). */
  const handle = (req: IncomingMessage, res: ServerResponse): Promise<void> | void => {
    const { query, path, resource: p } = requestTarget(req);
    const method = req.method ?? 'GET';
    switch (path) {
      case '/version':
        return sendText(res, 200, JSON.stringify(VERSION_INFO));
      case '/healthz':
      case '/livez':
      case '/readyz':
        return sendText(res, 200, 'ok', 'text/plain; charset=utf-8');
      case '/api':
      case '/apis': {
        const agg = wantsAggregated(req.headers.accept);
        if (agg) return sendText(res, 200, discovery.aggregated(path === '/api', agg), agg === 'v2' ? AGGREGATED_V2_CONTENT_TYPE : AGGREGATED_V2BETA1_CONTENT_TYPE);
        return sendText(res, 200, path === '/api' ? discovery.apiVersions() : discovery.apiGroupList());
      }
      case '/openapi/v3':
        return sendText(res, 200, openapi.rootJson());
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapi.document(path.slice('/openapi/v3/'.length));
      if (!doc) throw newNotFound({ group: '', resource: '' }, path);
      res.setHeader('Etag', `"${doc.hash}"`);
      res.setHeader('Cache-Control', query.get('hash') ? 'public, immutable' : 'no-cache, private');
      return sendText(res, 200, doc.text);
    }
    if (path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) return sendText(res, 200, 'ok', 'text/plain; charset=utf-8');
    if (!p) throw notFoundPath();
    if (!p.resource) {
      if (method !== 'GET') throw newMethodNotSupported({ group: p.group, resource: '' }, method.toLowerCase());
      const doc = discovery.resourceList(p.group, p.version);
      if (!doc) throw notFoundPath();
      return sendText(res, 200, doc);
    }
    return resources.handle(req, res, p, query);
  };

  // `/apis/G` (the group document) has no resource part: route it before resource parsing.
  const handleGroup = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '';
    if (!url.startsWith('/apis/')) return false;
    const m = /^\/apis\/([^/]+)\/?$/.exec(url.split('?')[0]);
    if (!m) return false;
    const doc = discovery.apiGroup(m[1]);
    if (!doc) sendStatus(res, notFoundPath().status);
    else sendText(res, 200, doc);
    return true;
  };

  const maxInFlight = opts.maxRequestsInFlight ?? 2000;
  let inFlight = 0;
  /** The 'close' listener of every counted response (one function, not a closure per request). */
  function uncount(this: Counted): void {
    if (this[COUNTED]) inFlight--;
    this[COUNTED] = false;
  }
  const idleTimeout = opts.idleTimeoutMs ?? 90_000;
  const headerTimeout = opts.headerTimeoutMs ?? 32_000;
  const serverOptions = {
    key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: false,
    handshakeTimeout: headerTimeout,
    // kube-apiserver's MaxHeaderBytes (Node's default is 16 KiB: long paths got 431).
    maxHeaderSize: 1 << 20,
    // Node checks header deadlines on this interval (default 30 s, which nearly doubles them).
    connectionsCheckingInterval: Math.min(1000, headerTimeout),
  };
  const server: Server = createServer(serverOptions, (req, res) => {
    firstRequest(req);
    try {
      serve(req, res);
    } catch (err) {
      answerError(req, res, err);
    }
  });
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    // Authentication (401), impersonation and RBAC (403), and the review endpoints.
    if (security.intercept(req, res)) return;
    if (handleGroup(req, res)) return;
    // Long-running watches do not count against the in-flight limit (as upstream).
    const rawUrl = req.url ?? '';
    // (both forms contain "watch": most requests are told apart without the regular expression)
    const isWatch = rawUrl.includes('watch') && (/[?&]watch=(?!0|false|False|no)[^&]*/.test(rawUrl) || rawUrl.includes('/watch/'));
    if (!isWatch) {
      if (inFlight >= maxInFlight) {
        res.setHeader('Retry-After', '1');
        sendStatus(res, newTooManyRequests('Too many requests, please try again later.', undefined, 1).status);
        return;
      }
      inFlight++;
      // A response emits 'close' once, when it finished or its connection went away.
      (res as Counted)[COUNTED] = true;
      res.on('close', uncount);
    }
    // Aggregated APIs (`/apis/<group>/<version>` of a remote APIService) go to their server.
    if (aggregator.handle(req, res)) return;
    // Body parse errors, StatusErrors and bugs all end as a Status; the server never crashes.
    let served: Promise<void> | void;
    try {
      served = handle(req, res);
    } catch (err) {
      answerError(req, res, err);
      return;
    }
    if (served) served.catch((err: unknown) => answerError(req, res, err));
  };
  // Idle and slow connections are closed as kube-apiserver closes them (IdleTimeout 90 s,
  // ReadHeaderTimeout 32 s): a client holding connections open cannot exhaust descriptors.
  // A watch is a response in progress, which neither deadline touches.
  server.keepAliveTimeout = idleTimeout;
  server.headersTimeout = headerTimeout;
  // A request body trickled in byte by byte: kube-apiserver's 60 s request timeout (Node's default is 300 s).
  server.requestTimeout = Math.max(60_000, headerTimeout);
  const firstRequest = enforceFirstRequestDeadline(server, headerTimeout);
  refuseConnect(server);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A connection's client certificate is its identity for its whole life (the authenticator
  // reads it once per connection): no renegotiation, as Go's TLS server (TLS 1.3 has none).
  server.on('secureConnection', (s: TLSSocket) => s.disableRenegotiation());
  server.on('tlsClientError', () => {
    // A client that aborts the handshake is not the server's problem.
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind;
  url = `https://${host}:${port}`;
  // kube-apiserver's kubernetesservice controller: `default/kubernetes` and its endpoints exist
  // before the first request (the advertised address is the bind address, loopback for a wildcard)
  const kubernetesService = startKubernetesService(semanticsHost, { clusterIP: firstServiceIp(), address: bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind, port });
  await kubernetesService.ready;
  const kubeconfig = kubeconfigYaml(url, pki);
  let tmpDir: string | undefined;
  let kubeconfigPath = opts.kubeconfigPath ?? (opts.dataDir ? join(opts.dataDir, 'kubeconfig') : undefined);
  if (!kubeconfigPath) {
    tmpDir = makeKubeconfigDir();
    kubeconfigPath = join(tmpDir, 'kubeconfig');
  }
  mkdirSync(dirname(kubeconfigPath), { recursive: true });
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    kubeconfigPath,
    kubeconfig,
    caPem: pki.ca.certPem,
    registry,
    openapi,
    admission,
    ops,
    store,
    onChange: (fn, storageKeys) => store.subscribe(fn, storageKeys),
    compact: () => store.compact(),
    setDialer: (dial) => aggregator.setDialer(dial),
    stop() {
      stopped ??= (async () => {
        kubernetesService.stop();
        semantics.stop();
        aggregator.stop();
        security.stop();
        watches.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
        await store.close();
        if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** Marks a response counted against the in-flight limit until its 'close'. */
const COUNTED = Symbol('kubeloop.apiserver.inFlight');
type Counted = ServerResponse & { [COUNTED]?: boolean };

