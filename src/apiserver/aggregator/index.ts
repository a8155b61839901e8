/**
 * The aggregation layer (kube-aggregator inside kube-apiserver): `apiregistration.k8s.io/v1`
 * APIServices, local ones for the served group-versions, availability conditions, proxying of
 * `/apis/<group>/<version>/...` to aggregated API servers and their discovery.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UserInfo } from '../auth/index.js';
import type { ExternalGroups } from '../discovery/index.js';
import type { FrontProxyPki } from '../pki/index.js';
import type { Controller, SemanticsHost } from '../semantics-kit.js';
import { type ApiService, APISERVICES, isRemote, setupApiServiceType } from './apiservice.js';
import { type AvailabilityTimings, startAvailabilityController } from './availability.js';
import type { BackendOptions, Dialer } from './backend.js';
import { deleteRemoteContent, type RemoteContent } from './content.js';
import { startRemoteDiscovery } from './discovery.js';
import { proxyRequest } from './proxy.js';
import { startLocalRegistration } from './registration.js';
import { publishAuthenticationTrust } from './trust.js';

export type { Dialer } from './backend.js';

export interface AggregatorOptions {
  /** The authenticated user of a request (forwarded to backends). */
  userOf(req: IncomingMessage): UserInfo | undefined;
  /** The front-proxy CA and the client certificate presented to backends. */
  frontProxy: FrontProxyPki;
  /** The CA of client certificates (published as `client-ca-file`). */
  clientCaPem: string;
  /** Availability check resync and timeout (tests shorten them). */
  availability?: AvailabilityTimings;
  /** How connections to backends are opened (default: the host's network). */
  dial?: Dialer;
  /** Dial timeout of connections to backends (default 30 s). */
  dialTimeoutMs?: number;
}

export interface Aggregator extends Controller {
  /** Aggregated APIs for the discovery documents. */
  discovery: ExternalGroups;
  /** Group-versions whose discovery fails: `gv` -> client-go's error text (`stale GroupVersion discovery: gv`). */
  discoveryFailures(): Map<string, string>;
  /** Deletes a namespace's content in the available aggregated APIs (the namespace controller's part). */
  deleteNamespaceContent(namespace: string): Promise<RemoteContent>;
  /**
   * Creates the local APIServices of the built-in group-versions and publishes
   * `extension-apiserver-authentication` (once, at start, after the system namespaces exist).
   */
  bootstrap(): Promise<void>;
  /** Serves the request when it belongs to a remote APIService; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Replaces how connections to backends are opened (undefined: the host's network). */
  setDialer(dial: Dialer | undefined): void;
}

export function startAggregator(host: SemanticsHost, opts: AggregatorOptions): Aggregator {
  const t = setupApiServiceType(host.registry);
  const controllers: Controller[] = [];
  const local = startLocalRegistration(host, t);
  controllers.push(local);
  // One object for every user: a dialer set later applies to all of them.
  const backend: BackendOptions = { client: opts.frontProxy.client, dial: opts.dial, dialTimeoutMs: opts.dialTimeoutMs };
  controllers.push(startAvailabilityController(host, t, backend, opts.availability));
  const discovery = startRemoteDiscovery(host, backend);
  controllers.push(discovery);
  return {
    discovery,
    discoveryFailures: () => discovery.failures(),
    deleteNamespaceContent: (namespace) => deleteRemoteContent(host.store, backend, discovery, namespace),
    async bootstrap() {
      await publishAuthenticationTrust(host, { clientCa: opts.clientCaPem, frontProxyCa: opts.frontProxy.ca.certPem });
      await local.syncOnStart();
    },
    handle(req, res) {
      const m = /^\/apis\/([^/?]+)\/([^/?]+)(?:[/?]|$)/.exec(req.url ?? '');
      if (!m) return false;
      const a = host.store.get(APISERVICES, `${m[2]}.${m[1]}`)?.obj as ApiService | undefined;
      if (!a || !isRemote(a)) return false;
      proxyRequest(host.store, backend, a, opts.userOf(req), req, res);
      return true;
    },
    setDialer(dial) {
      backend.dial = dial;
    },
    idle: () => Promise.all(controllers.map((c) => c.idle())).then(() => undefined),
    busy: () => controllers.some((c) => c.busy()),
    stop() {
      for (const c of controllers) c.stop();
    },
  };
}
