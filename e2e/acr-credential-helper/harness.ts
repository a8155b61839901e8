/**
 * External mode (e2e/support/target.ts): the cluster's helper (the chart's, watching the
 * ConfigMap the suites edit; the original is put back at the end), the emulator at
 * $E2E_CLOUD_URL, kubelets that pull from it (E2E_SIMULATED_NODES=1); the namespaces the suites
 * create are deleted at the end.
 *
 * The ACR credential helper suites' environment, in-process: the built-in API server, the
 * cloud emulator (its default registry instance serves `kubeloop/app`), a simulated cluster
 * whose kubelets pull from that registry with the pods' imagePullSecrets, and the helper on
 * its own Manager (stoppable and restartable) logging into a buffer the tests can search.
 */
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeClient } from '../../src/client/index.js';
import type { CloudSim, CloudState, CloudTimings } from '@kubeloop/ack/cloudsim';
import { pullManifest, type AlibabaCloud } from '@kubeloop/ack/cloud';
import type { SimCluster } from '../../src/simcluster/index.js';
import type { LeaderElectionOptions, Manager, Logger } from '../../src/controller/index.js';
import { createLogger, createRegistry, type Registry } from '../../src/observability/index.js';
import { setupAcrCredentialHelper } from '@kubeloop/ack/acr-credential-helper';
import { installWebhooks } from '../../src/testing/index.js';
import * as support from '../support/index.js';
import {
  defaultServiceAccount, emulatorCloud, silent, startStack, testManager, EXTERNAL, externalTarget, emulatorState, emulatorPort, withoutInProcess,
  type Condition, type EmulatorEndpoint, type Obj,
} from '../support/index.js';

export { silent, type Obj } from '../support/index.js';

export const K = {
  Pod: { apiVersion: 'v1', kind: 'Pod' },
  Secret: { apiVersion: 'v1', kind: 'Secret' },
  ServiceAccount: { apiVersion: 'v1', kind: 'ServiceAccount' },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap' },
  Namespace: { apiVersion: 'v1', kind: 'Namespace' },
  Event: { apiVersion: 'v1', kind: 'Event' },
  Deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  Lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
  MutatingWebhookConfiguration: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' },
};
export const SECRET = 'acr-credential-kubeloop';

/** This suite's polling: the registry round trips of a pull take longer, so 30 s, every 100 ms. */
const POLL = [30_000, 100] as const;

export interface AcrEnv {
  /** in-process only (a getter that throws in external mode) */
  server: ApiServer;
  /** in-process only */
  cloud: CloudSim;
  /** in-process only */
  sim: SimCluster;
  client: KubeClient;
  /** in-process only */
  api: AlibabaCloud;
  /** the emulator as a user reaches it */
  emulator: EmulatorEndpoint;
  /** the emulator's state document (GET /_sim/state) */
  state(): Promise<CloudState>;
  /** the emulator's port (registry domains carry `{port}`) */
  emulatorPort(): number;
  /** `<registry domain>/kubeloop/app` */
  imageRepo: string;
  registryHost: string;
  stop(): Promise<void>;
}

/** A second registry instance (`cri-second`, domain `second-registry.cr.kubeloop.local`, repository `team/svc:v1`). */
export const SECOND_INSTANCE = 'cri-second';

export async function startAcrEnv(opts: { tokenLifetimeMs?: number; secondRegistry?: boolean } = {}): Promise<AcrEnv> {
  if (EXTERNAL) {
    if (opts.tokenLifetimeMs || opts.secondRegistry) throw new Error('startAcrEnv options configure an emulator of its own: skip the scenario in external mode');
    return startExternalEnv();
  }
  const timings: Partial<CloudTimings> = { bootDelayMs: 100 };
  if (opts.tokenLifetimeMs) { timings.registryTokenLifetimeMs = opts.tokenLifetimeMs; timings.registryBearerLifetimeMs = opts.tokenLifetimeMs; }
  const { server, cloud, sim, client, stop } = await startStack({
    cloud: {
      timings,
      customize: opts.secondRegistry ? (st) => {
        st.registries.push({
          ...st.registries[0], instanceId: SECOND_INSTANCE, instanceName: 'second', instanceSpecification: 'Basic',
          domains: ['second-registry.cr.kubeloop.local:{port}'], vpcDomains: [],
          repositories: [{ namespace: 'team', name: 'svc', tags: { v1: {} } }],
        });
      } : undefined,
    },
    sim: (cloud) => ({
      logger: silent(), nodes: 1, region: cloud!.regionId, cloud: { url: cloud!.url, pullManifest },
      components: { cloudNodes: false, daemonSet: false, disruption: false },
      timings: {
        leaseRenewIntervalMs: 200, leaseDurationSeconds: 2, nodeStatusReportMs: 2_000, nodeMonitorGracePeriodMs: 1_500,
        schedulerRetryMs: 300, imagePullBackoffMs: 300, imagePullBackoffMaxMs: 1_000,
      },
    }),
  });
  const api = emulatorCloud(cloud!, { baseDelayMs: 20, maxDelayMs: 200 });
  const registryHost = cloud!.state.registries[0].domains[0].replace('{port}', String(cloud!.port));
  await defaultServiceAccount(client, 'default', ...POLL);
  const emulator = { url: cloud!.url, regionId: cloud!.regionId, accessKeyId: cloud!.accessKeyId, accessKeySecret: cloud!.accessKeySecret };
  return {
    server, cloud: cloud!, sim: sim!, client, api, emulator, state: async () => cloud!.state, emulatorPort: () => cloud!.port,
    registryHost, imageRepo: `${registryHost}/kubeloop/app`, stop,
  };
}

/** Namespaces `createNamespace` made in external mode, deleted by `stop`. */
const createdNamespaces: string[] = [];

async function startExternalEnv(): Promise<AcrEnv> {
  const t = externalTarget();
  if (!t.cloud) throw new Error('the ACR suites need the cloud emulator: set E2E_CLOUD_URL');
  const emulator = t.cloud;
  const client = t.client();
  const state = await emulatorState(emulator);
  const registryHost = state.registries[0].domains[0].replace('{port}', String(emulatorPort(emulator)));
  let original: Obj | undefined;
  try { original = await client.get<Obj>(K.ConfigMap, 'acr-configuration', { namespace: 'kube-system' }); } catch { original = undefined; }
  const env = {
    client, emulator, state: () => emulatorState(emulator), emulatorPort: () => emulatorPort(emulator),
    registryHost, imageRepo: `${registryHost}/kubeloop/app`,
    async stop() {
      // the cluster's settings as they were, and none of the suite's namespaces
      try {
        const cur = await client.get<Obj>(K.ConfigMap, 'acr-configuration', { namespace: 'kube-system' });
        if (original) await client.update({ ...cur, data: original.data });
        else await client.delete(K.ConfigMap, 'acr-configuration', { namespace: 'kube-system' });
      } catch {
        if (original) await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'acr-configuration', namespace: 'kube-system' }, data: original.data } as Obj).catch(() => undefined);
      }
      for (const ns of createdNamespaces.splice(0)) await client.delete(K.Namespace, ns).catch(() => undefined);
      client.close();
    },
  } as AcrEnv;
  return withoutInProcess(env, ['server', 'cloud', 'sim', 'api']);
}

export interface RunningHelper {
  /** in-process only */
  manager: Manager;
  /** `metrics()` works in both modes */
  registry: Pick<Registry, 'metrics'>;
  /** everything the helper logged (JSON lines); in-process only */
  logs: string[];
  stop(): Promise<void>;
}

/**
 * Starts the helper with observability's logger (debug level) writing into `logs`. With the
 * `acrWebhook` flag its webhooks are served on a loopback port and registered with the API
 * server (a MutatingWebhookConfiguration, as the chart installs), removed again on stop.
 */
export async function startHelper(
  env: AcrEnv, flags: Record<string, unknown> = {}, logs: string[] = [], opts: { leaderElection?: LeaderElectionOptions } = {},
): Promise<RunningHelper> {
  if (EXTERNAL) {
    // the cluster's helper: the chart's e2e values (e2e/external/values.yaml) set recreateStuckPods
    const other = Object.entries(flags).filter(([k, v]) => !(k === 'recreateStuckPods' && v === true));
    if (other.length) throw new Error(`the cluster's helper runs with the chart's flags, not ${other.map(([k]) => k).join(', ')}: skip the scenario in external mode`);
    const url = process.env.E2E_METRICS_URL_ACR_CREDENTIAL_HELPER;
    const metrics = async () => {
      if (!url) throw new Error('set E2E_METRICS_URL_ACR_CREDENTIAL_HELPER to the helper\'s metrics URL');
      return (await fetch(`${url}/metrics`)).text();
    };
    return withoutInProcess({ registry: { metrics }, stop: async () => undefined } as RunningHelper, ['manager', 'logs']);
  }
  const logger = createLogger({ name: 'kubeloop', level: 'debug', destination: { write: (line: string) => logs.push(line) } }) as unknown as Logger;
  const registry = createRegistry();
  const webhooks = flags.acrWebhook === true;
  const manager = testManager(env.server.kubeconfig, logger, registry, { webhooks, leaderElection: opts.leaderElection });
  await setupAcrCredentialHelper(manager, { flags: { cloudEmulator: env.cloud.url, ...flags }, cloud: env.api, logger }, { baseBackoffMs: 200, maxBackoffMs: 1_000 });
  await manager.start();
  if (!webhooks) return { manager, registry, logs, stop: () => manager.stop() };
  await installWebhooks(env.client, manager, { name: WEBHOOK_CONFIGURATION });
  return {
    manager, registry, logs,
    stop: async () => {
      await env.client.delete(K.MutatingWebhookConfiguration, WEBHOOK_CONFIGURATION).catch(() => undefined);
      await manager.stop();
    },
  };
}

/** The MutatingWebhookConfiguration the suites register the helper's webhooks under. */
export const WEBHOOK_CONFIGURATION = 'acr-credential-helper';

export function eventually<T>(what: string, cond: Condition<T>, timeoutMs: number = POLL[0]): Promise<T> {
  return support.eventually(what, cond, timeoutMs, POLL[1]);
}

/**
 * Writes `kube-system/acr-configuration`. Without `acr-registry-info` the suites' cluster names
 * the emulator's Enterprise instance (the one pods pull from), as a real cluster's ConfigMap
 * would: an empty list means the Personal Edition (personal.test.ts).
 */
export async function setConfig(env: AcrEnv, given: Record<string, string>): Promise<void> {
  const data = { 'acr-registry-info': `- instanceId: ${(await env.state()).registries[0].instanceId}\n`, ...given };
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'acr-configuration', namespace: 'kube-system' }, data };
  try {
    const cur = await env.client.get<Obj>(K.ConfigMap, 'acr-configuration', { namespace: 'kube-system' });
    await env.client.update({ ...cm, metadata: { ...cm.metadata, labels: cur.metadata.labels, resourceVersion: cur.metadata.resourceVersion } });
  } catch (err) {
    if ((err as { code?: number }).code !== 404 && !/not found/i.test((err as Error).message)) throw err;
    await env.client.create(cm);
  }
}

export async function createNamespace(env: AcrEnv, name: string): Promise<void> {
  await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (EXTERNAL) createdNamespaces.push(name);
  await defaultServiceAccount(env.client, name, ...POLL);
}

export function deployment(name: string, namespace: string, image: string, replicas = 1): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
    },
  };
}

export async function podsOf(env: AcrEnv, namespace: string, app?: string): Promise<Obj[]> {
  return (await env.client.list<Obj>(K.Pod, { namespace, labelSelector: app ? `app=${app}` : undefined })).items as Obj[];
}

export const waitingReason = (p: Obj): string | undefined => p.status?.containerStatuses?.[0]?.state?.waiting?.reason;

export async function secretOf(env: AcrEnv, namespace: string): Promise<Obj | undefined> {
  try { return await env.client.get<Obj>(K.Secret, SECRET, { namespace }); } catch { return undefined; }
}

/** The `auths` of our Secret in `namespace`. */
export function authsOf(secret: Obj): Record<string, { username: string; password: string; auth: string }> {
  return JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString('utf8')).auths;
}

export async function pullSecretsOf(env: AcrEnv, namespace: string, sa: string): Promise<string[]> {
  const o = await env.client.get<Obj>(K.ServiceAccount, sa, { namespace });
  return (o.imagePullSecrets ?? []).map((r: { name: string }) => r.name);
}

export const eventsFor = (env: AcrEnv, namespace: string, name: string): Promise<Obj[]> => support.eventsFor(env.client, name, namespace);

export const setFaults = (env: AcrEnv, rules: unknown): Promise<void> => support.setFaults(env.emulator, rules);

/**
 * Attaches to the controller's credential (the emulator's AccessKey, RAM user `kubeloop`) a
 * policy allowing everything but `actions` (an `Effect: Deny` statement); {@link liftRamDeny} removes it.
 */
export const denyRam = (env: AcrEnv, ...actions: string[]): Promise<void> => support.setRamPolicy(env.emulator, { user: 'kubeloop' }, 'test-deny', {
  Version: '1', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: actions, Resource: '*' }],
});

/** Removes the policy {@link denyRam} attached. */
export const liftRamDeny = (env: AcrEnv): Promise<void> => support.deleteRamPolicy(env.emulator, 'test-deny');

export const cloudCalls = (env: AcrEnv, reset = false): Promise<Record<string, number>> => support.cloudCalls(env.emulator, reset);

/**
 * A private repository of the emulated registry, returned as `<host>/kubeloop/<name>:v1`.
 * Scenarios that expect a failed pull use their own repository: the simulated kubelet
 * reuses an image another pod already pulled onto the node when it retries a container
 * that has a (waiting) status, so a shared image would "recover" without credentials.
 */
export async function addRepository(env: AcrEnv, name: string): Promise<string> {
  const res = await fetch(`${env.emulator.url}/_sim/registries/${(await env.state()).registries[0].instanceId}/repositories`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ namespace: 'kubeloop', name, tags: { v1: {} } }),
  });
  if (!res.ok) throw new Error(`add repository: ${res.status} ${await res.text()}`);
  return `${env.registryHost}/kubeloop/${name}:v1`;
}
