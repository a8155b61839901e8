/**
 * The emulator's HTTP server: one port, requests dispatched by Host and path —
 *   /_sim/...                         inspection and fault API (no auth; bind to loopback)
 *   Host `<project>.<slsSuffix>`      SLS (Host `<slsSuffix>` for project-less calls)
 *   /v2/..., /auth                    Docker Registry v2 + its token endpoint
 *   / with Action & Version           RPC APIs (VPC, ESS, ECS, CR, STS AssumeRole)
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventEmitter } from 'node:events';
import { Authenticator } from './auth.js';
import { Cloud, SimError, type CloudTimings } from './cloud.js';
import { crService } from './cr.js';
import { ecsService, essService } from './ess.js';
import { Faults } from './faults.js';
import { StateWriter, loadState } from './persist.js';
import { REGISTRY_TOKEN_PATH, createRegistryHandler } from './registry.js';
import { createRpcHandler } from './rpc.js';
import { createSlsHandler, slsHostProject } from './sls.js';
import { createCrPersonalHandler, isCrPersonalRequest } from './cr-personal.js';
import { stsService } from './sts.js';
import { defaultCloud, defaultRam, newId, randomToken, type CloudState, type DefaultCloudOptions, type StsCredential } from './state.js';
import { createSimApi } from './simapi.js';
import { vpcService } from './vpc.js';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET } from './defaults.js';

export interface CloudSimOptions {
  /** TCP port (default 0 = any free port) */
  port?: number;
  /** listen address (default 127.0.0.1) */
  host?: string;
  /** the one AccessKey pair the emulator accepts (default `LTAI5tKubeloopSimulator` / `kubeloop-simulator-secret`) */
  accessKeyId?: string;
  accessKeySecret?: string;
  /** region of the default cloud (default cn-hangzhou); ignored when `state` or a state file provides one */
  regionId?: string;
  /** persist state here (loaded at start when it exists) */
  stateFile?: string;
  /** debounce of state file writes (default 200 ms) */
  persistDebounceMs?: number;
  /** shape of the default cloud */
  cloud?: DefaultCloudOptions;
  /** a complete initial state (wins over `cloud`, loses to an existing state file) */
  state?: CloudState;
  /** edit the initial state before the server starts */
  customize?: (state: CloudState) => void;
  timings?: Partial<CloudTimings>;
  /** Host suffix that selects SLS (default `sls.kubeloop.local`) */
  slsSuffix?: string;
  /** refuse route entries whose next hop is not an emulated instance (default false: simulated nodes may be static) */
  validateNextHop?: boolean;
  /** custom route entries per route table (default 200, the VPC quota CreateRouteEntry documents) */
  routeEntryQuota?: number;
}

/**
 * The request target as a URL, taken as a path whatever it looks like: `//`, `//a:b@` and
 * `/\\` are paths here (resolving them against a base would read a host out of them, or throw
 * and take the process down). Anything unparsable is a 400.
 */
function requestUrl(target: string | undefined): URL {
  const path = target && target.startsWith('/') ? target : `/${target ?? ''}`;
  try {
    return new URL(`http://cloudsim.invalid${path.replace(/\\/g, '%5C')}`);
  } catch {
    throw new SimError('InvalidRequest', `cannot parse the request target ${JSON.stringify(target)}`, 400);
  }
}

export interface CloudSim {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  accessKeyId: string;
  accessKeySecret: string;
  regionId: string;
  /** SLS endpoint for the SDK: `<slsSuffix>:PORT` (resolve the suffix to 127.0.0.1) */
  slsEndpoint: string;
  /** live state (mutations are visible to API callers at once) */
  readonly state: CloudState;
  /** 'instance' events ({@link InstanceEvent}) and 'changed' */
  events: EventEmitter;
  faults: Faults;
  /** mints STS credentials accepted until `durationMs` from now, acting as RAM role `roleName` when given */
  issueStsToken(durationMs: number, roleName?: string): { accessKeyId: string; accessKeySecret: string; securityToken: string; expiration: string };
  stop(): Promise<void>;
}

export { DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET };

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startCloudSim(opts: CloudSimOptions = {}): Promise<CloudSim> {
  const accessKeyId = opts.accessKeyId ?? DEFAULT_ACCESS_KEY_ID;
  const accessKeySecret = opts.accessKeySecret ?? DEFAULT_ACCESS_KEY_SECRET;
  const slsSuffix = (opts.slsSuffix ?? 'sls.kubeloop.local').toLowerCase();
  const loaded = opts.stateFile ? loadState(opts.stateFile) : undefined;
  const initial = loaded ?? opts.state ?? defaultCloud({ regionId: opts.regionId, ...opts.cloud });
  if (!loaded) opts.customize?.(initial);
  initial.ram ??= defaultRam(); // a hand-made `state` from before RAM: no policies
  initial.scalingActivities ??= []; // or from before scaling activities: none
  const cloud = new Cloud(initial, {
    bootDelayMs: 500, routeSettleMs: 50, removeDelayMs: 200, registryTokenLifetimeMs: 3_600_000, registryBearerLifetimeMs: 300_000,
    ...Object.fromEntries(Object.entries(opts.timings ?? {}).filter(([, v]) => v !== undefined)),
  });
  const faults = new Faults();
  const auth = new Authenticator({ accessKeyId, accessKeySecret }, () => cloud.state);
  let port = 0;
  const writer = opts.stateFile ? new StateWriter(opts.stateFile, () => cloud.state, opts.persistDebounceMs ?? 200) : undefined;
  if (writer) cloud.events.on('changed', () => writer.schedule());

  const services = [vpcService, essService, ecsService, crService, stsService];
  const rpcOptions = { validateNextHop: opts.validateNextHop ?? false, routeEntryQuota: opts.routeEntryQuota ?? 200 };
  const rpc = createRpcHandler({ cloud, auth, faults, services, port: () => port, options: rpcOptions });

  /**
   * Whether a state document the /_sim API is about to install works: every read-only RPC
   * action (Describe*, List*) runs against it; one failing with anything but an API error
   * (a field of the wrong type deep inside, say) names what the document breaks. A dry run:
   * the transitions it applies (an instance booting) send no events and arm no timer.
   */
  const probeState = (candidate: CloudState): string | undefined => cloud.dryRun(candidate, () => {
    try {
      cloud.tick();
      const ctx = { cloud, caller: { accessKeyId: accessKeyId, secret: accessKeySecret }, port, now: Date.now(), options: rpcOptions };
      for (const svc of services) {
        for (const [action, handler] of Object.entries(svc.handlers)) {
          if (!/^(Describe|List)/.test(action)) continue;
          try {
            handler({ RegionId: candidate.regionId }, ctx as never);
          } catch (err) {
            if (!(err instanceof SimError)) return `${action} fails on it: ${(err as Error).message}`;
          }
        }
      }
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  });
  const sls = createSlsHandler({ cloud, auth, faults, suffix: slsSuffix });
  const crPersonal = createCrPersonalHandler({ cloud, auth, faults });
  const registry = createRegistryHandler({ cloud, faults, port: () => port, regionId: () => cloud.state.regionId });
  const streams = new Set<ServerResponse>();

  const issueStsToken = (durationMs: number, roleName?: string) => {
    const cred: StsCredential = {
      accessKeyId: `STS.${newId('k').slice(2)}`, accessKeySecret: randomToken(24), securityToken: `CAIS${randomToken(48)}`, expiresAt: Date.now() + durationMs,
      ...(roleName ? { roleName, sessionName: 'kubeloop-sim' } : {}),
    };
    cloud.state.stsCredentials = cloud.state.stsCredentials.filter((c) => c.expiresAt > Date.now());
    cloud.state.stsCredentials.push(cred);
    cloud.changed();
    return { accessKeyId: cred.accessKeyId, accessKeySecret: cred.accessKeySecret, securityToken: cred.securityToken, expiration: new Date(cred.expiresAt).toISOString() };
  };

  const simApi = createSimApi({ cloud, faults, streams, issueStsToken, probeState, accessKeyId, reference: structuredClone(cloud.state) });

  const server = createServer((req, res) => {
    const host = req.headers.host ?? '';
    const run = async () => {
      const url = requestUrl(req.url);
      if (url.pathname.startsWith('/_sim/')) return simApi(req, res, url);
      const project = slsHostProject(host, slsSuffix);
      if (project !== undefined) return sls(req, res, url, project);
      if (url.pathname === '/v2' || url.pathname.startsWith('/v2/') || url.pathname === REGISTRY_TOKEN_PATH) return registry(req, res, url);
      if (isCrPersonalRequest(req, url)) return crPersonal(req, res, url);
      if (url.pathname === '/') return rpc(req, res, url);
      throw new SimError('NotFound', `nothing is served at ${url.pathname}`, 404);
    };
    run().catch((err: unknown) => {
      const e = err instanceof SimError ? err : new SimError('InternalError', (err as Error).message, 500);
      if (!res.headersSent) sendJson(res, e.status, { Code: e.code, Message: e.message });
      else res.end();
    });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  port = (server.address() as AddressInfo).port;

  // Bring groups to their desired capacity and resume transitions of a loaded state.
  for (const g of cloud.state.scalingGroups) {
    if (cloud.groupInstances(g.scalingGroupId).length !== cloud.targetOf(g)) cloud.reconcileGroup(g);
  }
  cloud.tick();
  writer?.schedule();

  const hostForUrl = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';
  let stopped = false;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    accessKeyId,
    accessKeySecret,
    get regionId() { return cloud.state.regionId; },
    slsEndpoint: `${slsSuffix}:${port}`,
    get state() { return cloud.state; },
    events: cloud.events,
    faults,
    issueStsToken,
    async stop() {
      if (stopped) return;
      stopped = true;
      cloud.stop();
      for (const s of streams) s.end();
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
      writer?.flush();
    },
  };
}
