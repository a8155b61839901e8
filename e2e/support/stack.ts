/**
 * The in-process environment most e2e suites start: the built-in API server, optionally the
 * cloud emulator and a simulated cluster, and a client; plus the pieces their controllers need
 * (an AlibabaCloud for the emulator, a Manager with test settings).
 */
import pino from 'pino';
import type { ApiServer, ApiServerOptions } from '../../src/apiserver/index.js';
import type { KubeClient } from '../../src/client/index.js';
import { startTestEnv, type TestEnv } from '../../src/testing/index.js';
import { startCloudSim, type CloudSim, type CloudSimOptions } from '@kubeloop/ack/cloudsim';
import { createAlibabaCloud, type AlibabaCloud, type AlibabaCloudOptions } from '@kubeloop/ack/cloud';
import { startSimCluster, type SimCluster, type SimClusterOptions } from '../../src/simcluster/index.js';
import { Manager, type LeaderElectionOptions, type Logger } from '../../src/controller/index.js';
import type { Registry } from '../../src/observability/index.js';
import type { KubeObject } from '../../src/api/index.js';
import { eventually } from './eventually.js';
import { assertInProcess } from './target.js';

/** An object as the suites read it (spec and status untyped). */
export type Obj = KubeObject & { spec?: any; status?: any; [k: string]: any };

/** A pino logger at LOG_LEVEL (default silent), so `LOG_LEVEL=debug` shows what a test's components did. */
export const silent = (): Logger => pino({ level: process.env.LOG_LEVEL ?? 'silent' }) as unknown as Logger;

export interface StackOptions {
  /** API server options; `port` defaults to 0 (a free one). */
  server?: ApiServerOptions;
  /** Start the cloud emulator with these options (`port` defaults to 0); absent = no emulator. */
  cloud?: CloudSimOptions;
  /**
   * The simulated cluster's options given the emulator (if started); absent = no simulated
   * cluster. `kubeconfig` defaults to the API server's.
   */
  sim?: (cloud: CloudSim | undefined) => SimClusterOptions;
}

export interface Stack {
  server: ApiServer;
  cloud?: CloudSim;
  sim?: SimCluster;
  client: KubeClient;
  /** Stops what was started, last first. */
  stop(): Promise<void>;
}

/** Starts server, emulator, client and simulated cluster in that order; stops what started if a step fails. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  assertInProcess('startStack');
  let env: TestEnv | undefined;
  let cloud: CloudSim | undefined;
  let sim: SimCluster | undefined;
  const stop = async () => {
    await sim?.stop();
    await cloud?.stop();
    await env?.stop();
  };
  try {
    // kubeloop/testing's environment: the server on a free port and an admin client (CRDs are the suites' business)
    env = await startTestEnv({ crds: [], server: opts.server });
    if (opts.cloud) cloud = await startCloudSim({ port: 0, ...opts.cloud });
    if (opts.sim) sim = await startSimCluster({ kubeconfig: env.server.kubeconfig, ...opts.sim(cloud) });
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { server: env.server, cloud, sim, client: env.client, stop };
}

/** An AlibabaCloud talking to the emulator with its credentials; `retry` tunes the adapter's retries. */
export function emulatorCloud(cloud: CloudSim, retry: AlibabaCloudOptions['retry']): AlibabaCloud {
  return createAlibabaCloud({
    regionId: cloud.regionId, emulator: cloud.url,
    credentials: { accessKeyId: cloud.accessKeyId, accessKeySecret: cloud.accessKeySecret },
    retry,
  });
}

/**
 * A Manager for one test: no metrics or probe listeners, no signal handlers, 5 s graceful
 * shutdown; `webhooks`: serve them on a free loopback port; `leaderElection` as given (default none).
 */
export function testManager(
  kubeconfig: ApiServer['kubeconfig'], logger: Logger, registry: Registry, opts: { webhooks?: boolean; leaderElection?: LeaderElectionOptions } = {},
): Manager {
  return new Manager({
    kubeconfig, logger, registry, leaderElection: opts.leaderElection,
    metricsBindAddress: false, healthProbeBindAddress: false, handleSignals: false, gracefulShutdownTimeoutMs: 5_000,
    // webhooks (when a test registers any): a free loopback port with a generated certificate
    ...(opts.webhooks ? { webhook: { port: 0, host: '127.0.0.1', selfSigned: true } } : {}),
  });
}

/** Waits for `namespace`'s default ServiceAccount (pods need it at admission; a controller creates it). */
export async function defaultServiceAccount(client: KubeClient, namespace: string, timeoutMs?: number, intervalMs?: number): Promise<void> {
  const what = namespace === 'default' ? 'default ServiceAccount' : `default ServiceAccount in ${namespace}`;
  await eventually(what, async () => {
    try { await client.get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'default', { namespace }); return true; } catch { return false; }
  }, timeoutMs, intervalMs);
}

/** The Events in `namespace` about the object named `name`. */
export async function eventsFor(client: KubeClient, name: string, namespace = 'default'): Promise<Obj[]> {
  return ((await client.list<Obj>({ apiVersion: 'v1', kind: 'Event' }, { namespace })).items as Obj[]).filter((e) => e.involvedObject?.name === name);
}
