// Namespace deletion with kubectl 1.32, as on a real cluster: DELETE answers at once with the
// namespace Terminating; the namespace controller starts on it after upstream's 5 s grace
// period, so `kubectl delete -f` of a namespace and its objects deletes them all.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/index.js';
import { eventually, startHarness, type Harness } from './harness.js';

type Ns = KubeObject & { spec?: { finalizers?: string[] }; status?: { phase?: string; conditions?: unknown[] } };

const SEEDS = `apiVersion: v1
kind: Namespace
metadata: {name: seeds}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: seeds}
data: {a: "1"}
---
apiVersion: v1
kind: Secret
metadata: {name: token, namespace: seeds}
stringData: {t: x}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: seeds}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
`;

describe('namespace deletion (default grace period)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const ns = (name: string): Ns | undefined => {
    try {
      return h.server.ops.get(h.server.registry.get('', 'v1', 'namespaces')!, undefined, name).obj as Ns;
    } catch {
      return undefined;
    }
  };

  it('DELETE answers with the namespace Terminating; its content goes after the grace period', async () => {
    const c = await h.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: later}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: later}\n');
    assert.equal(c.code, 0, c.stderr);
    const r = await h.request('DELETE', '/api/v1/namespaces/later');
    assert.equal(r.status, 200, r.body);
    const answered = JSON.parse(r.body) as Ns;
    assert.equal(answered.status?.phase, 'Terminating');
    assert.ok(answered.metadata.deletionTimestamp);
    assert.deepEqual(answered.spec?.finalizers, ['kubernetes']);
    // Within the grace period the content is still there and may be deleted by clients.
    const cm = await h.kubectl(['get', 'configmap', 'c', '-n', 'later', '-o', 'name']);
    assert.equal(cm.stdout.trim(), 'configmap/c');
    await eventually(() => !ns('later'), 15_000, 'namespace gone');
  });

  it('kubectl delete -f of a namespace and the objects in it succeeds', async () => {
    const file = h.file('seeds.yaml', SEEDS);
    const a = await h.kubectl(['apply', '-f', file]);
    assert.equal(a.code, 0, a.stderr);
    const d = await h.kubectl(['delete', '-f', file]);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stderr, '');
    for (const line of ['namespace "seeds" deleted', 'configmap "settings" deleted', 'secret "token" deleted', 'deployment.apps "web" deleted']) {
      assert.ok(d.stdout.includes(line), `${line} in ${d.stdout}`);
    }
    // kubectl waits for the deletions: the namespace is gone when it returns.
    assert.equal(ns('seeds'), undefined);
  });
});
