// The strongest check short of a cluster: kubectl (a real client) applies the rendered chart to
// the built-in API server (namespaced objects in their namespaces, CRDs from the chart's crds/
// installed first as Helm does, create then update). Field-level strictness for built-in kinds
// is checked by builtinValidator() in chart.test.ts: the built-in server does not yet refuse
// unknown fields or wrong types of built-in kinds (kubectl asks for fieldValidation=Strict).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { chartDir, render, type Rendered, type Values } from './harness.js';

let server: ApiServer;
let dir: string;

function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args],
      { env: { ...process.env, HOME: dir }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

/** apiVersion/kind pairs the server serves (from discovery, as kubectl sees them). */
let served = new Set<string>();
/** Kinds the chart may render that the built-in server does not serve; checked by chart.test.ts instead. */
const NOT_SERVED_OK = new Set(['monitoring.coreos.com/v1/ServiceMonitor', 'networking.k8s.io/v1/NetworkPolicy']);

function applicable(r: Rendered): Rendered['objects'] {
  return r.objects.filter((o) => {
    const key = `${o.apiVersion}/${o.kind}`;
    if (served.has(key)) return true;
    assert.ok(NOT_SERVED_OK.has(key), `${key} is not served by the built-in API server`);
    return false;
  });
}

/** The manifest stream of the objects the server serves. */
function manifests(r: Rendered, name: string, mutate?: (objs: Rendered['objects']) => void): string {
  const objs = structuredClone(applicable(r));
  mutate?.(objs);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, objs.map(({ source: _source, ...o }) => `---\n${JSON.stringify(o)}\n`).join(''));
  return file;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubeloop-chart-apply-'));
  server = await startApiServer({ port: 0, kubeconfigPath: join(dir, 'kubeconfig') });
  const resources = await kubectl('api-resources', '--no-headers', '-o', 'wide');
  assert.equal(resources.code, 0, resources.stderr);
  // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND VERBS...: the apiVersion is the column before true/false
  served = new Set(resources.stdout.trim().split('\n').map((l) => {
    const cols = l.trim().split(/\s+/);
    const i = cols.findIndex((c) => c === 'true' || c === 'false');
    return `${cols[i - 1]}/${cols[i + 1]}`;
  }));
  assert.ok(served.has('apps/v1/Deployment') && served.has('v1/ConfigMap') && served.has('rbac.authorization.k8s.io/v1/ClusterRole'));
  const ns = await kubectl('create', 'namespace', 'kubeloop-system');
  assert.equal(ns.code, 0, ns.stderr);
  // Helm installs crds/ before the templates
  const crds = readdirSync(join(chartDir, 'crds')).filter((f) => f.endsWith('.yaml'));
  for (const f of crds) {
    const r = await kubectl('apply', '--server-side', '-f', join(chartDir, 'crds', f));
    assert.equal(r.code, 0, `${f}: ${r.stderr}`);
  }
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const variants: Record<string, Values> = {
  default: {},
  cloudsim: { cloudsim: { enabled: true }, replicaCount: 2 },
  perController: { layout: 'perController', replicaCount: 2, controllers: { logConfig: { enabled: false } } },
  rrsa: { cloud: { credentials: { mode: 'rrsa', rrsa: { roleArn: 'acs:ram::1:role/r', oidcProviderArn: 'acs:ram::1:oidc-provider/p', roleName: 'r' } } } },
  acrWebhook: { controllers: { acrCredentialHelper: { config: { webhook: { enable: true } } } } },
  tuned: {
    podDisruptionBudget: { enabled: true, minAvailable: '50%' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }],
    affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'kubeloop' } } } }] } },
    controllers: { clusterAutoscaler: { nodes: [{ min: 1, max: 3, id: 'asg-1' }], expander: 'priority', priorities: { '10': ['asg-1'] } } },
  },
};

test('kubectl apply --dry-run=server accepts every object of every variant', async () => {
  for (const [name, values] of Object.entries(variants)) {
    const r = render({ values });
    const res = await kubectl('apply', '--dry-run=server', '-f', manifests(r, name));
    assert.equal(res.code, 0, `${name}: ${res.stderr}`);
    const lines = res.stdout.trim().split('\n');
    assert.equal(lines.length, applicable(r).length, `${name}: ${res.stdout}`);
    for (const l of lines) assert.match(l, /created \(server dry run\)$/, name);
  }
});

test('installed for real, then upgraded to another variant, the objects are there as rendered', async () => {
  let res = await kubectl('apply', '-f', manifests(render(), 'install'));
  assert.equal(res.code, 0, res.stderr);
  res = await kubectl('-n', 'kubeloop-system', 'get', 'deployment', 'kubeloop', '-o', 'json');
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout).spec.template.spec.containers[0].args.slice(0, 2), ['run', 'all']);
  res = await kubectl('apply', '-f', manifests(render({ values: { replicaCount: 2 } }), 'upgrade'));
  assert.equal(res.code, 0, res.stderr);
  const d = JSON.parse((await kubectl('-n', 'kubeloop-system', 'get', 'deployment', 'kubeloop', '-o', 'json')).stdout);
  assert.equal(d.spec.replicas, 2);
  assert.ok(d.spec.template.spec.containers[0].args.includes('--leader-elect'));
  res = await kubectl('-n', 'kubeloop-system', 'get', 'poddisruptionbudget', 'kubeloop', '-o', 'jsonpath={.spec.maxUnavailable}');
  assert.equal(res.stdout, '1');
  res = await kubectl('-n', 'kube-system', 'get', 'configmap', 'acr-configuration', '-o', 'jsonpath={.data.watch-namespace}');
  assert.equal(res.stdout, 'default');
});
