// The chart's ClusterRole carries exactly the rules `kubeloop generate rbac` derives from the
// controllers' declarations: the generator writes charts/kubeloop/files/rbac/clusterrole.yaml
// (make chart-rbac) and templates/clusterrole.yaml takes its rules with .Files.Get + fromYaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { GENERATED_HEADER } from '../../src/controller/index.js';
import { chartDir, render, root, type Values } from './harness.js';
import { KUBELOOP_BIN } from '../support/bin.js';

const rulesFile = join(chartDir, 'files/rbac/clusterrole.yaml');

function generatedRole(): { metadata: { name: string }; rules: unknown[] } {
  const docs = parseAllDocuments(readFileSync(rulesFile, 'utf8')).map((d) => d.toJS()).filter((d) => d !== null);
  assert.equal(docs.length, 1, 'one ClusterRole in files/rbac/clusterrole.yaml');
  assert.equal(docs[0].kind, 'ClusterRole');
  return docs[0];
}

const variants: Record<string, Values> = {
  default: {},
  cloudsim: { cloudsim: { enabled: true } },
  rrsa: { cloud: { credentials: { mode: 'rrsa', rrsa: { roleArn: 'acs:ram::1:role/r', oidcProviderArn: 'acs:ram::1:oidc-provider/p' } } } },
  replicas2: { replicaCount: 2 },
  serviceMonitor: { metrics: { serviceMonitor: { enabled: true } } },
  perController: { layout: 'perController', controllers: { route: { enabled: false } } },
};

test('files/rbac/clusterrole.yaml is what `make chart-rbac` (kubeloop generate rbac) writes for the controllers', () => {
  const text = readFileSync(rulesFile, 'utf8');
  assert.ok(text.startsWith(GENERATED_HEADER), 'the rules file is generated, not hand-written');
  const role = generatedRole();
  assert.ok(Array.isArray(role.rules) && role.rules.length > 0);
  // exactly what the Makefile target runs, in check mode: fails when the committed file is stale
  const r = spawnSync(process.execPath, [KUBELOOP_BIN, 'generate', 'rbac', '--out', rulesFile, '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `kubeloop generate rbac --check failed (when stale: run \`make chart-rbac\`):\n${r.stderr}`);
  assert.match(r.stdout, /rbac: 1 file\(s\) up to date/);
});

test('the rendered ClusterRole has exactly the generated rules, for every variant, bound to the chart\'s ServiceAccount', () => {
  const expected = generatedRole().rules;
  for (const [name, values] of Object.entries(variants)) {
    const r = render({ values });
    const roles = r.all('ClusterRole');
    assert.equal(roles.length, 1, name);
    assert.deepEqual((roles[0] as { rules?: unknown }).rules, expected, `${name}: rules`);
    assert.equal(r.all('Role').length, 0, `${name}: every permission comes from the generated ClusterRole`);
    const binding = r.find('ClusterRoleBinding') as unknown as { roleRef: unknown; subjects: unknown[] };
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roles[0].metadata.name });
    const sa = r.find('ServiceAccount');
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'kubeloop-system' }]);
    const managers = r.all('Deployment').filter((d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'manager') as unknown as Array<{ spec: { template: { spec: { serviceAccountName: string } } } }>;
    assert.ok(managers.length >= 1);
    for (const d of managers) assert.equal(d.spec.template.spec.serviceAccountName, sa.metadata.name, `${name}: the manager runs as the bound ServiceAccount`);
  }
});

test('rbac.create=false and serviceAccount.create=false leave RBAC to the user', () => {
  const r = render({ values: { rbac: { create: false }, serviceAccount: { create: false, name: 'preexisting' } } });
  assert.equal(r.all('ClusterRole').length + r.all('ClusterRoleBinding').length + r.all('ServiceAccount').length, 0);
  const pod = (r.find('Deployment', 'kubeloop') as unknown as { spec: { template: { spec: { serviceAccountName: string } } } }).spec.template.spec;
  assert.equal(pod.serviceAccountName, 'preexisting');
});
