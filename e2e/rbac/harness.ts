// Running a controller "as a pod": a ServiceAccount bound to a ClusterRole, a token from the
// TokenRequest API written to a file, the CA in a file, KUBERNETES_SERVICE_HOST/PORT, POD_NAME
// and POD_NAMESPACE, and no kubeconfig at all (KUBELOOP_SERVICE_ACCOUNT_DIR moves the
// /var/run/secrets/kubernetes.io/serviceaccount files to a temp dir).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ApiServer } from '../../src/apiserver/index.js';
import type { KubeClient } from '../../src/client/index.js';
import { call } from '../../src/apiserver/test-client.js';
import { KUBELOOP_BIN } from '../support/bin.js';

export const MAIN = KUBELOOP_BIN;
export const CHART_CLUSTER_ROLE = resolve('charts/kubeloop/files/rbac/clusterrole.yaml');

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** The chart's generated ClusterRole (`kubeloop generate rbac`). */
export function chartClusterRole(): { metadata: { name: string }; rules: PolicyRule[] } {
  const docs = parseAllDocuments(readFileSync(CHART_CLUSTER_ROLE, 'utf8')).map((d) => d.toJS()).filter((d) => d?.kind === 'ClusterRole');
  if (docs.length !== 1) throw new Error(`expected one ClusterRole in ${CHART_CLUSTER_ROLE}, found ${docs.length}`);
  return docs[0];
}

/** Creates ServiceAccount `ns/name`, ClusterRole `roleName` with `rules`, and binds them. */
export async function serviceAccountWithRole(client: KubeClient, ns: string, name: string, roleName: string, rules: PolicyRule[]): Promise<void> {
  await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } });
  await client.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: roleName }, rules } as never);
  await client.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${roleName}-${ns}-${name}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
  } as never);
}

/** A token for `ns/name` from the TokenRequest API (as kubelet / `kubectl create token` get one). */
export async function requestToken(server: ApiServer, ns: string, name: string, spec: object = {}): Promise<string> {
  const r = await call(server, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
  if (r.status !== 201) throw new Error(`TokenRequest for ${ns}/${name}: ${r.status} ${r.text}`);
  return r.json.status.token as string;
}

export interface PodFiles {
  dir: string;
  remove(): void;
}

/** Writes token, ca.crt and namespace as the ServiceAccount volume holds them. */
export function writePodFiles(server: ApiServer, token: string, namespace: string): PodFiles {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-sa-'));
  writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), server.caPem);
  writeFileSync(join(dir, 'namespace'), namespace);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface PodProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** `kubeloop run <args>` with the pod environment and no kubeconfig. */
export function runAsPod(server: ApiServer, files: PodFiles, args: string[], env: Record<string, string> = {}): PodProcess {
  const base = { ...process.env };
  delete base.KUBECONFIG;
  const child = spawn(process.execPath, [MAIN, 'run', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...base,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(server.port),
      KUBELOOP_SERVICE_ACCOUNT_DIR: files.dir,
      POD_NAME: 'kubeloop-0',
      POD_NAMESPACE: readFileSync(join(files.dir, 'namespace'), 'utf8'),
      HOME: files.dir,
      ...env,
    },
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, output: () => out, exited };
}

/** Stops a pod process (SIGTERM, then SIGKILL) and returns its exit code. */
export async function stopPod(p: PodProcess): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  try {
    return await p.exited;
  } finally {
    clearTimeout(t);
  }
}

/** The emulator endpoint and its credentials in the environment, as the chart's Deployment sets them. */
export function cloudPodEnv(cloud: { url: string; regionId: string; accessKeyId: string; accessKeySecret: string }, logLevel = 'info'): Record<string, string> {
  return {
    KUBELOOP_CLOUD_EMULATOR: cloud.url, ALIBABA_CLOUD_REGION_ID: cloud.regionId,
    ALIBABA_CLOUD_ACCESS_KEY_ID: cloud.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: cloud.accessKeySecret, KUBELOOP_LOG_LEVEL: logLevel,
  };
}

/** The chart ClusterRole's rules with `verbs` taken off every rule naming `resource` (rules left empty are dropped). */
export function rulesWithout(resource: string, verbs: string[]): PolicyRule[] {
  // a rule naming several resources is split first, so only `resource` loses the verbs
  return chartClusterRole().rules.flatMap((r): PolicyRule[] => {
    const res = r.resources ?? [];
    if (!res.includes(resource)) return [r];
    const others = res.filter((x) => x !== resource);
    const kept = r.verbs.filter((v) => !verbs.includes(v));
    return [
      ...(others.length ? [{ ...r, resources: others }] : []),
      ...(kept.length ? [{ ...r, resources: [resource], verbs: kept }] : []),
    ];
  });
}

export interface RolePod {
  pod: PodProcess;
  files: PodFiles;
  stop(): Promise<number | null>;
}

/**
 * ServiceAccount `kube-system/<sa>` bound to ClusterRole `<sa>` with `rules`, a TokenRequest
 * token in the pod files, and `kubeloop run <args>` started as a pod with `env`.
 */
export async function runUnderRole(server: ApiServer, client: KubeClient, sa: string, rules: PolicyRule[], args: string[], env: Record<string, string>): Promise<RolePod> {
  await serviceAccountWithRole(client, 'kube-system', sa, sa, rules);
  const files = writePodFiles(server, await requestToken(server, 'kube-system', sa), 'kube-system');
  const pod = runAsPod(server, files, args, env);
  return { pod, files, async stop() { try { return await stopPod(pod); } finally { files.remove(); } } };
}
