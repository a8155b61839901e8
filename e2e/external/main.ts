/**
 * `npm run e2e:external`: the e2e suites in external mode (e2e/support/target.ts) against a
 * cluster that is not the test process — proven here without docker or kind:
 *
 * 1. `kubeloop dev --no-controllers` in its own process: the built-in API server, the simulated
 *    cluster and the cloud emulator, set up as ACK's cluster would be, with no controller.
 * 2. The chart rendered (e2e/chart's Go text/template renderer) with e2e/external/values.yaml —
 *    the values `make e2e-kind` installs — plus this cluster's pod CIDR: its ClusterRole is
 *    applied, and each controller gets a ServiceAccount in kubeloop-system bound to it, a
 *    TokenRequest token and a kubeconfig of its own (no admin rights anywhere).
 * 3. Each controller as a separate `kubeloop run <controller>` process with the rendered
 *    Deployment's arguments (metrics and probes on free loopback ports instead of :8080/:8081)
 *    and the emulator's endpoint and AccessKey in the environment, as the chart's pods get them.
 * 4. scripts/run-tests.mjs on the converted suites with E2E_TARGET=external, the admin
 *    kubeconfig, E2E_CLOUD_URL and E2E_SIMULATED_NODES=1; one test file at a time, since the
 *    suites share the cluster, its controllers and the emulator. It prints the skipped scenarios.
 *
 * Everything started is stopped at the end; on failure the controllers' and the cluster's logs
 * are printed. Usage: node dist/e2e/external/main.js [substring of test file path ...]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { render, root, type RenderedObject } from '../chart/harness.js';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { isAlreadyExists } from '../../src/index.js';
import { eventually } from '../support/eventually.js';
import { KUBELOOP_BIN } from '../support/bin.js';

/** The suites converted to run in external mode (each also runs in-process, the default). */
export const EXTERNAL_SUITES = ['e2e/simcluster/', 'e2e/route/', 'e2e/log-config/', 'e2e/acr-credential-helper/', 'e2e/framework/', 'e2e/informer/', 'e2e/cluster-autoscaler/', 'e2e/rbac/'];

/** The controllers the chart runs (layout perController), by their `kubeloop run` names. */
export const CONTROLLERS = ['acr-credential-helper', 'route', 'log-config', 'cluster-autoscaler'];

export const NAMESPACE = 'kubeloop-system';
const MAIN = KUBELOOP_BIN;
export const VALUES_FILE = join(root, 'e2e/external/values.yaml');

interface Proc { name: string; child: ChildProcess; log: string[]; exited: Promise<number | null> }

function start(name: string, args: string[], env: Record<string, string>, cwd?: string): Proc {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, cwd });
  const log: string[] = [];
  child.stdout!.on('data', (b: Buffer) => log.push(b.toString()));
  child.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { name, child, log, exited };
}

async function stop(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await p.exited;
  clearTimeout(t);
}

/** The chart's objects for this run: e2e values, the dev cluster's pod CIDR, no emulator in the chart (dev has one). */
export function renderForDev(clusterCidr: string): RenderedObject[] {
  const values = parseYaml(readFileSync(VALUES_FILE, 'utf8')) as Record<string, any>;
  values.cloudsim = { ...values.cloudsim, enabled: false };
  values.controllers.route.clusterCIDR = clusterCidr;
  return render({ values, namespace: NAMESPACE }).objects;
}

/** The `kubeloop run` arguments of the rendered Deployment running `controller`, with loopback listeners. */
export function runArgs(objects: RenderedObject[], controller: string): string[] {
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    const c = (d as any).spec.template.spec.containers.find((x: any) => x.args?.[0] === 'run' && x.args[1] === controller);
    if (!c) continue;
    return (c.args as string[]).map((a) => (a.startsWith('--metrics-bind-address=') ? '--metrics-bind-address=127.0.0.1:0'
      : a.startsWith('--health-probe-bind-address=') ? '--health-probe-bind-address=127.0.0.1:0' : a));
  }
  throw new Error(`the chart renders no Deployment running ${controller}`);
}

async function createOrReplace(client: KubeClient, obj: RenderedObject): Promise<void> {
  const { source: _s, ...o } = obj as RenderedObject & { source?: string };
  try {
    await client.create(o as never);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const cur = await client.get<any>({ apiVersion: o.apiVersion, kind: o.kind }, o.metadata.name, { namespace: o.metadata.namespace });
    await client.update({ ...o, metadata: { ...o.metadata, resourceVersion: cur.metadata.resourceVersion } } as never);
  }
}

/** A kubeconfig for ServiceAccount `sa` with a TokenRequest token (kubectl create token). */
function serviceAccountKubeconfig(adminPath: string, dir: string, sa: string): string {
  const r = spawnSync('kubectl', ['--kubeconfig', adminPath, '--cache-dir', join(dir, 'cache'), '-n', NAMESPACE, 'create', 'token', sa, '--duration=24h'], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
  if (r.status !== 0) throw new Error(`kubectl create token ${sa}: ${r.error?.message ?? r.stderr}`);
  const token = r.stdout.trim();
  const kc = loadKubeConfig({ path: adminPath }).kubeConfig;
  const cluster = kc.getCurrentCluster()!;
  const file = join(dir, `${sa}.kubeconfig`);
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': sa,
    clusters: [{ name: 'dev', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData ?? Buffer.from(readFileSync(cluster.caFile!)).toString('base64') } }],
    users: [{ name: sa, user: { token } }],
    contexts: [{ name: sa, context: { cluster: 'dev', user: sa, namespace: NAMESPACE } }],
  }, null, 2), { mode: 0o600 });
  return file;
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-e2e-external-'));
  const procs: Proc[] = [];
  let failed = true;
  try {
    // 1. the cluster, in its own process, with no controllers
    const dev = start('kubeloop dev', ['dev', '--no-controllers', '--state-dir', join(dir, 'dev'), '--nodes', '2'], { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' });
    procs.push(dev);
    const devJson = join(dir, 'dev', 'dev.json');
    await eventually('kubeloop dev running (dev.json)', () => {
      if (dev.child.exitCode !== null) throw new Error(`kubeloop dev exited (${dev.child.exitCode}):\n${dev.log.join('')}`);
      return existsSync(devJson) && dev.log.join('').includes('Ctrl-C stops everything');
    }, 60_000, 100);
    const info = JSON.parse(readFileSync(devJson, 'utf8')) as { kubeconfig: string; clusterCidr: string; cloud: { url: string; regionId: string; accessKeyId: string; accessKeySecret: string } };
    console.log(`# kubeloop dev --no-controllers: API server ${loadKubeConfig({ path: info.kubeconfig }).kubeConfig.getCurrentCluster()!.server}, emulator ${info.cloud.url}`);

    // 2. the chart's RBAC, one ServiceAccount and kubeconfig per controller
    const objects = renderForDev(info.clusterCidr);
    const roles = objects.filter((o) => o.kind === 'ClusterRole');
    if (roles.length === 0) throw new Error('the chart rendered no ClusterRole');
    const admin = new KubeClient(loadKubeConfig({ path: info.kubeconfig }));
    const kubeconfigs: Record<string, string> = {};
    try {
      await createOrReplace(admin, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
      for (const r of roles) await createOrReplace(admin, r);
      for (const c of CONTROLLERS) {
        const sa = `kubeloop-${c}`;
        await createOrReplace(admin, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: NAMESPACE } });
        for (const r of roles) {
          await createOrReplace(admin, {
            apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${r.metadata.name}-${c}` },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: r.metadata.name },
            subjects: [{ kind: 'ServiceAccount', name: sa, namespace: NAMESPACE }],
          });
        }
        kubeconfigs[c] = serviceAccountKubeconfig(info.kubeconfig, dir, sa);
      }
    } finally {
      admin.close();
    }

    // 3. the controllers, each its own process under its own ServiceAccount
    const cloudEnv = {
      KUBELOOP_CLOUD_EMULATOR: info.cloud.url, ALIBABA_CLOUD_REGION_ID: info.cloud.regionId,
      ALIBABA_CLOUD_ACCESS_KEY_ID: info.cloud.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: info.cloud.accessKeySecret,
      POD_NAMESPACE: NAMESPACE,
    };
    const metrics: Record<string, string> = {};
    for (const c of CONTROLLERS) {
      const args = runArgs(objects, c);
      const p = start(`kubeloop run ${c}`, [...args, '--kubeconfig', kubeconfigs[c]], { ...cloudEnv, POD_NAME: `kubeloop-${c}-0`, KUBECONFIG: '' });
      procs.push(p);
      console.log(`# kubeloop ${args.join(' ')} (ServiceAccount ${NAMESPACE}/kubeloop-${c})`);
    }
    for (const p of procs.slice(1)) {
      const line = await eventually(`${p.name} started`, () => {
        if (p.child.exitCode !== null) throw new Error(`${p.name} exited (${p.child.exitCode}):\n${p.log.join('')}`);
        return p.log.join('').split('\n').map((l) => { try { return JSON.parse(l); } catch { return undefined; } })
          .find((l) => l?.msg === 'kubeloop controllers started');
      }, 60_000, 100);
      metrics[p.name.replace('kubeloop run ', '')] = line.metrics;
    }

    // 4. the suites, in external mode
    const selected = filters.length ? EXTERNAL_SUITES.filter((s) => filters.some((f) => s.includes(f) || f.includes(s))) : EXTERNAL_SUITES;
    const testFilters = filters.length ? filters : selected;
    const r = spawnSync(process.execPath, [join(root, 'scripts/run-tests.mjs'), ...testFilters.map((s) => s.replace(/^e2e\//, 'dist/e2e/'))], {
      stdio: 'inherit', cwd: root,
      env: {
        ...process.env,
        E2E_TARGET: 'external', KUBECONFIG: info.kubeconfig,
        E2E_CLOUD_URL: info.cloud.url, E2E_CLOUD_REGION: info.cloud.regionId,
        E2E_CLOUD_ACCESS_KEY_ID: info.cloud.accessKeyId, E2E_CLOUD_ACCESS_KEY_SECRET: info.cloud.accessKeySecret,
        E2E_CLUSTER_CIDR: info.clusterCidr, E2E_SIMULATED_NODES: '1', E2E_CONTROLLERS_NAMESPACE: NAMESPACE,
        ...Object.fromEntries(Object.entries(metrics).map(([c, u]) => [`E2E_METRICS_URL_${c.toUpperCase().replace(/-/g, '_')}`, u])),
        TEST_CONCURRENCY: process.env.TEST_CONCURRENCY ?? '1',
      },
    });
    failed = r.status !== 0;
    return r.status ?? 1;
  } finally {
    for (const p of procs.slice(1).reverse()) await stop(p);
    if (procs[0]) await stop(procs[0], 'SIGINT');
    if (failed) {
      for (const p of procs) console.log(`\n---- ${p.name} (last 15 lines) ----\n${p.log.join('').split('\n').slice(-15).map((l) => l.slice(0, 400)).join('\n')}`);
      const devLog = join(dir, 'dev', 'dev.log');
      if (existsSync(devLog)) console.log(`\n---- dev.log (last 15 lines) ----\n${readFileSync(devLog, 'utf8').split('\n').slice(-15).map((l) => l.slice(0, 400)).join('\n')}`);
    }
    if (process.env.E2E_KEEP_DIR) console.log(`# kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === '--list-suites') {
  // for scripts/e2e-kind.sh: the suites' compiled folders
  console.log(EXTERNAL_SUITES.map((s) => s.replace(/^e2e\//, 'dist/e2e/')).join(' '));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(tmpdir(), { recursive: true });
  main().then((code) => process.exit(code), (err) => { console.error(`e2e:external: ${err instanceof Error ? err.message : String(err)}`); process.exit(1); });
}
