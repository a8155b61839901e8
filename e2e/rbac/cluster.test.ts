// The controllers' ServiceAccounts hold exactly the chart's ClusterRole, in both modes: in-process
// the chart's role is bound to a ServiceAccount here; in external mode (E2E_TARGET=external) the
// ServiceAccounts are found through the ClusterRoleBindings of the installed chart's ClusterRole
// (label app.kubernetes.io/name=kubeloop), whose rules must be the generated ones. Every rule is
// checked with `kubectl auth can-i --as` the ServiceAccount, and so are a few things it must not do.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXTERNAL, externalTarget, kubectlFor, root, startStack, type Obj } from '../support/index.js';
import { chartClusterRole, serviceAccountWithRole, type PolicyRule } from './harness.js';
import type { KubeClient } from '../../src/client/index.js';

const CRB = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' };
const CR = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' };

interface Target { client: KubeClient; kubeconfigPath: string; stop(): Promise<void> }

/** Sorted, comparable form of a rule list. */
const normal = (rules: PolicyRule[]) => rules.map((r) => JSON.stringify({
  apiGroups: [...(r.apiGroups ?? [])].sort(), resources: [...(r.resources ?? [])].sort(), verbs: [...r.verbs].sort(),
  resourceNames: r.resourceNames ? [...r.resourceNames].sort() : undefined, nonResourceURLs: r.nonResourceURLs ? [...r.nonResourceURLs].sort() : undefined,
})).sort();

describe('the controllers\' ServiceAccounts and the chart\'s ClusterRole (in-process or the cluster\'s)', () => {
  let t: Target;
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-rbac-cluster-'));
  before(async () => {
    if (EXTERNAL) {
      const x = externalTarget();
      const client = x.client();
      t = { client, kubeconfigPath: x.kubeconfigPath, stop: async () => client.close() };
      return;
    }
    const stack = await startStack();
    const role = chartClusterRole();
    await stack.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubeloop-system' } });
    await serviceAccountWithRole(stack.client, 'kubeloop-system', 'kubeloop', 'kubeloop', role.rules);
    await stack.client.patch(CR, 'kubeloop', { metadata: { labels: { 'app.kubernetes.io/name': 'kubeloop' } } }, { type: 'merge' });
    t = { client: stack.client, kubeconfigPath: stack.server.kubeconfigPath!, stop: () => stack.stop() };
    // the CRDs the chart installs (kubectl resolves a resource through discovery)
    const r = await kubectl(['apply', '-f', join(root, 'crds')]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const kubectl = (args: string[]) => kubectlFor(t.kubeconfigPath, dir)(args);
  const can = (sa: string, ...args: string[]) => new Promise<string>((res) => {
    execFile('kubectl', ['--kubeconfig', t.kubeconfigPath, '--cache-dir', join(dir, 'cache'), 'auth', 'can-i', ...args, '--as', sa],
      { env: { ...process.env, HOME: dir }, timeout: 30_000 }, (_err, stdout) => res(String(stdout).trim()));
  });

  it('every ServiceAccount bound to the chart\'s ClusterRole may do what each rule says, and not more', async () => {
    const roles = ((await t.client.list<Obj>(CR, { labelSelector: 'app.kubernetes.io/name=kubeloop' })).items as Obj[]);
    assert.ok(roles.length >= 1, 'the chart\'s ClusterRole is installed');
    const generated = chartClusterRole().rules;
    for (const r of roles) assert.deepEqual(normal(r.rules), normal(generated), `ClusterRole ${r.metadata.name} has the generated rules`);
    const names = new Set(roles.map((r) => r.metadata.name));
    const subjects = ((await t.client.list<Obj>(CRB)).items as Obj[])
      .filter((b) => b.roleRef?.kind === 'ClusterRole' && names.has(b.roleRef.name))
      .flatMap((b) => (b.subjects ?? []) as Array<{ kind: string; name: string; namespace: string }>)
      .filter((s) => s.kind === 'ServiceAccount')
      .map((s) => `system:serviceaccount:${s.namespace}:${s.name}`);
    assert.ok(subjects.length >= 1, 'a ServiceAccount is bound to it');
    for (const sa of subjects) {
      for (const rule of generated) {
        if (rule.resourceNames?.length || rule.nonResourceURLs?.length) continue;
        for (const group of rule.apiGroups ?? ['']) {
          for (const res of rule.resources ?? []) {
            const [resource, sub] = res.split('/');
            const target = group ? `${resource}.${group}` : resource;
            for (const verb of new Set([rule.verbs[0], rule.verbs[rule.verbs.length - 1]])) {
              const args = [verb, target, ...(sub ? ['--subresource', sub] : []), '-A'];
              assert.equal(await can(sa, ...args), 'yes', `${sa}: can-i ${args.join(' ')}`);
            }
          }
        }
      }
      for (const args of [['delete', 'nodes'], ['create', 'clusterroles.rbac.authorization.k8s.io'], ['impersonate', 'users'], ['create', 'pods', '--subresource', 'exec', '-A']]) {
        assert.equal(await can(sa, ...args), 'no', `${sa}: can-i ${args.join(' ')}`);
      }
    }
  });
});
