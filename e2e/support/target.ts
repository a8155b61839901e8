/**
 * Where the e2e suites run (E2E_TARGET):
 *
 * - unset or `in-process` (the default, what `npm test` runs): each suite starts its own API
 *   server, cloud emulator, simulated cluster and controllers in the test process.
 * - `external` (`kind` is accepted as a synonym): the cluster of $KUBECONFIG, with the chart's
 *   controllers already running in it, and the cloud emulator at $E2E_CLOUD_URL. The suites
 *   talk to both only over their APIs (the Kubernetes API with a client or kubectl, the
 *   emulator's cloud APIs and its `/_sim/` HTTP API); asking for the in-process stack throws.
 *
 * External settings (the standard variables first, as a user's shell would have them):
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | KUBECONFIG | the cluster's kubeconfig (an admin user) | ~/.kube/config |
 * | E2E_CLOUD_URL | the emulator's base URL (e.g. a `kubectl port-forward` of the chart's kubeloop-cloudsim Service) | none: scenarios needing it are skipped |
 * | E2E_CLOUD_ACCESS_KEY_ID, E2E_CLOUD_ACCESS_KEY_SECRET | the AccessKey the emulator accepts | ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET |
 * | E2E_CLOUD_REGION | its region | ALIBABA_CLOUD_REGION_ID, else cn-hangzhou |
 * | E2E_CLUSTER_CIDR | the route controller's --cluster-cidr | 10.244.0.0/16 (kind's pod subnet, the chart's default) |
 * | E2E_SIMULATED_NODES | `1` when the cluster's nodes are `kubeloop dev`'s simulated ones: the emulator's instances join as nodes and kubelets pull from the emulated registry (kind's cannot) | unset |
 * | E2E_CONTROLLERS_NAMESPACE | where the controllers run (their Leases, Events) | kubeloop-system |
 *
 * A scenario that needs what only the in-process stack has (a fake clock, a controller started
 * with other flags, an injected fault the emulator's HTTP API cannot express) is skipped in
 * external mode with its reason (`inProcessOnly`, `describeInProcess`, `needsSimulatedNodes`);
 * every skip is appended to $E2E_SKIP_LOG, which scripts/run-tests.mjs counts and lists at the
 * end of the run.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';

export type TargetMode = 'in-process' | 'external';

/** The target named by E2E_TARGET; anything else than the known names is a clear error. */
export function targetMode(env: NodeJS.ProcessEnv = process.env): TargetMode {
  const v = (env.E2E_TARGET ?? '').trim();
  if (v === '' || v === 'in-process') return 'in-process';
  if (v === 'external' || v === 'kind') return 'external';
  throw new Error(`E2E_TARGET=${v}: expected "in-process" (the default) or "external" (also "kind")`);
}

/** True when the suites run against an external cluster. */
export const EXTERNAL = targetMode() === 'external';

/** The cloud emulator as a user reaches it: a URL and the AccessKey it accepts. */
export interface EmulatorEndpoint {
  url: string;
  regionId: string;
  accessKeyId: string;
  accessKeySecret: string;
}

export interface ExternalTarget {
  kubeconfigPath: string;
  /** the kubeconfig's text */
  kubeconfig: string;
  /** the API server's URL (the kubeconfig's current cluster) */
  url: string;
  /** undefined when E2E_CLOUD_URL is unset */
  cloud?: EmulatorEndpoint;
  clusterCidr: string;
  simulatedNodes: boolean;
  controllersNamespace: string;
  /** A new client for the cluster (close it when done). */
  client(): KubeClient;
}

/** The external cluster and emulator from the environment (see the table above). */
export function externalTarget(env: NodeJS.ProcessEnv = process.env): ExternalTarget {
  const kubeconfigPath = env.KUBECONFIG || join(homedir(), '.kube', 'config');
  let kubeconfig: string;
  try {
    kubeconfig = readFileSync(kubeconfigPath, 'utf8');
  } catch (err) {
    throw new Error(`E2E_TARGET=external: cannot read the kubeconfig ${kubeconfigPath} (set KUBECONFIG): ${(err as Error).message}`);
  }
  const url = loadKubeConfig({ kubeconfig }).kubeConfig.getCurrentCluster()?.server;
  if (!url) throw new Error(`E2E_TARGET=external: ${kubeconfigPath} has no current cluster`);
  const cloudUrl = env.E2E_CLOUD_URL?.replace(/\/+$/, '');
  let cloud: EmulatorEndpoint | undefined;
  if (cloudUrl) {
    const accessKeyId = env.E2E_CLOUD_ACCESS_KEY_ID ?? env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    const accessKeySecret = env.E2E_CLOUD_ACCESS_KEY_SECRET ?? env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    if (!accessKeyId || !accessKeySecret) {
      throw new Error('E2E_CLOUD_URL is set but not the emulator\'s AccessKey: set E2E_CLOUD_ACCESS_KEY_ID and E2E_CLOUD_ACCESS_KEY_SECRET');
    }
    cloud = { url: cloudUrl, regionId: env.E2E_CLOUD_REGION ?? env.ALIBABA_CLOUD_REGION_ID ?? 'cn-hangzhou', accessKeyId, accessKeySecret };
  }
  return {
    kubeconfigPath, kubeconfig, url, cloud,
    clusterCidr: env.E2E_CLUSTER_CIDR ?? '10.244.0.0/16',
    simulatedNodes: env.E2E_SIMULATED_NODES === '1' || env.E2E_SIMULATED_NODES === 'true',
    controllersNamespace: env.E2E_CONTROLLERS_NAMESPACE ?? 'kubeloop-system',
    client: () => new KubeClient(loadKubeConfig({ kubeconfig })),
  };
}

/** The external target's emulator, or a clear error naming the variable to set. */
export function externalCloud(t: ExternalTarget): EmulatorEndpoint {
  if (!t.cloud) throw new Error('this scenario needs the cloud emulator: set E2E_CLOUD_URL (and its AccessKey) for E2E_TARGET=external');
  return t.cloud;
}

/** Throws when the in-process stack is asked for in external mode (a suite bug, not a skip). */
export function assertInProcess(what: string): void {
  if (EXTERNAL) throw new Error(`${what} is the in-process stack, but E2E_TARGET=external: the scenario must use the cluster's and the emulator's APIs or be skipped`);
}

/** The test file being run, relative to the repository's dist (for the skip list). */
function testFile(): string {
  const f = process.argv[1] ?? '';
  const i = f.lastIndexOf('/dist/');
  return i >= 0 ? f.slice(i + 1) : relative(process.cwd(), f) || basename(f);
}

/** Appends one skipped scenario to $E2E_SKIP_LOG (when set) and returns the `skip` text. */
export function recordSkip(name: string, reason: string): string {
  const file = process.env.E2E_SKIP_LOG;
  if (file) appendFileSync(file, JSON.stringify({ file: testFile(), name, reason }) + '\n');
  return `skipped in external mode: ${reason}`;
}

type TestFn = (t: TestContext) => void | Promise<void>;

/** `it`, skipped in external mode with `reason` (recorded). */
export function inProcessOnly(name: string, reason: string, fn: TestFn): void {
  if (EXTERNAL) it(name, { skip: recordSkip(name, reason) }, fn);
  else it(name, fn);
}

/** `describe`, skipped as a whole in external mode with `reason` (recorded; its hooks do not run). */
export function describeInProcess(name: string, reason: string, fn: () => void): void {
  if (EXTERNAL) describe(name, { skip: recordSkip(name, reason) }, fn);
  else describe(name, fn);
}

/**
 * Why a scenario cannot run on this external target, or undefined when it can: it needs the
 * simulated nodes of `kubeloop dev` (`simulated`) and/or the emulator (`cloud`).
 */
export function missing(needs: { simulatedNodes?: boolean; cloud?: boolean }): string | undefined {
  if (!EXTERNAL) return undefined;
  const t = externalTarget();
  if (needs.simulatedNodes && !t.simulatedNodes) return 'needs simulated nodes (E2E_SIMULATED_NODES=1: the emulator\'s instances join as nodes and kubelets pull from the emulated registry)';
  if (needs.cloud && !t.cloud) return 'needs the cloud emulator (E2E_CLOUD_URL)';
  return undefined;
}

/** `it`, skipped (recorded) when the external target lacks what `needs` names. */
export function itNeeds(name: string, needs: { simulatedNodes?: boolean; cloud?: boolean }, fn: TestFn): void {
  const why = missing(needs);
  if (why) it(name, { skip: recordSkip(name, why) }, fn);
  else it(name, fn);
}

/** `describe`, skipped (recorded) when the external target lacks what `needs` names. */
export function describeNeeds(name: string, needs: { simulatedNodes?: boolean; cloud?: boolean }, fn: () => void): void {
  const why = missing(needs);
  if (why) describe(name, { skip: recordSkip(name, why) }, fn);
  else describe(name, fn);
}

/** A name unique to this run, for objects a scenario creates in a shared external cluster. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Replaces `fields` of `obj` with getters that throw: in external mode an environment has no
 * in-process server, simulated cluster or emulator object, and a scenario reaching for one is
 * a suite bug (it must use the APIs or be skipped), named as such.
 */
export function withoutInProcess<T extends object>(obj: T, fields: string[]): T {
  for (const f of fields) {
    Object.defineProperty(obj, f, {
      get() { throw new Error(`env.${f} is the in-process stack's, but E2E_TARGET=external: use the cluster's and the emulator's APIs, or skip the scenario in external mode`); },
      enumerable: false,
    });
  }
  return obj;
}

/** The emulator's state document (GET /_sim/state): what a user sees of the emulated cloud. */
export async function emulatorState(cloud: Pick<EmulatorEndpoint, 'url'>): Promise<any> {
  const res = await fetch(`${cloud.url}/_sim/state`);
  if (!res.ok) throw new Error(`GET /_sim/state: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The emulator's port as its URL names it (registry domains carry `{port}`). */
export const emulatorPort = (cloud: Pick<EmulatorEndpoint, 'url'>): number => Number(new URL(cloud.url).port || 80);

/**
 * A namespace of the external cluster for one test file (`<prefix>-<random>`), created with
 * its default ServiceAccount waited for; `remove` deletes it (without waiting).
 */
export async function externalNamespace(client: KubeClient, prefix: string): Promise<{ name: string; remove(): Promise<void> }> {
  const name = uniqueName(prefix);
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'e2e.kubeloop.io/suite': prefix } } });
  const { eventually } = await import('./eventually.js');
  await eventually(`default ServiceAccount in ${name}`, async () => {
    try { await client.get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'default', { namespace: name }); return true; } catch { return false; }
  }, 30_000, 100);
  return { name, remove: async () => { await client.delete({ apiVersion: 'v1', kind: 'Namespace' }, name).catch(() => undefined); } };
}
