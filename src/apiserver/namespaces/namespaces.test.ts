import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KubeObject, StatusError } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import { eventually, startTestServer, type TestServer } from '../semantics-testkit.js';

type Ns = KubeObject & { spec?: { finalizers?: string[] }; status?: { phase?: string; conditions?: { type: string; status: string; message: string }[] } };

describe('namespace lifecycle', () => {
  let s: TestServer;
  let ns: ResourceType;
  let cm: ResourceType;
  before(async () => {
    // No grace period before content deletion (upstream's 5 s is covered by e2e/apiserver/namespace-deletion).
    s = await startTestServer({ namespaceDeletionGracePeriodMs: 0 });
    ns = s.type('', 'v1', 'namespaces');
    cm = s.type('', 'v1', 'configmaps');
  });
  after(async () => {
    await s.close();
  });

  it('system namespaces exist with the kubernetes finalizer and cannot be deleted', async () => {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const o = s.get(ns, undefined, name) as Ns;
      assert.deepEqual(o.spec?.finalizers, ['kubernetes']);
      assert.equal(o.metadata.labels?.['kubernetes.io/metadata.name'], name);
    }
    const r = await s.kubectl(['delete', 'namespace', 'default']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(Forbidden\): namespaces "default" is forbidden: this namespace may not be deleted/);
    assert.ok(s.get(ns, undefined, 'default'));
  });

  it('new namespaces are Active with the kubernetes finalizer and the name label', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: fresh}\n');
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse((await s.kubectl(['get', 'ns', 'fresh', '-o', 'json'])).stdout) as Ns;
    assert.equal(o.status?.phase, 'Active');
    assert.deepEqual(o.spec?.finalizers, ['kubernetes']);
    assert.equal(o.metadata.labels?.['kubernetes.io/metadata.name'], 'fresh');
    // spec.finalizers only changes through /finalize: a plain update keeps it.
    const upd = JSON.parse(JSON.stringify(s.get(ns, undefined, 'fresh'))) as Ns;
    upd.spec = { finalizers: [] };
    upd.metadata.labels = {};
    const after = (await s.server.ops.update(ns, undefined, 'fresh', upd)).object as Ns;
    assert.deepEqual(after.spec?.finalizers, ['kubernetes']);
    assert.equal(after.metadata.labels?.['kubernetes.io/metadata.name'], 'fresh');
  });

  it('creating in a missing namespace is 404', async () => {
    const r = await s.kubectl(['create', '-n', 'nope', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /namespaces "nope" not found/);
  });

  it('deleting a namespace terminates it: content deleted, finalizers respected, conditions, then gone', async () => {
    await s.create(ns, { metadata: { name: 'term' } });
    await s.create(cm, { metadata: { name: 'plain', namespace: 'term' } });
    await s.create(cm, { metadata: { name: 'held', namespace: 'term', finalizers: ['example.com/hold'] } });
    await s.create(s.type('', 'v1', 'secrets'), { metadata: { name: 'sec', namespace: 'term' } });
    const r = await s.kubectl(['delete', 'namespace', 'term', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    const o = s.get(ns, undefined, 'term') as Ns;
    assert.equal(o.status?.phase, 'Terminating');
    assert.ok(o.metadata.deletionTimestamp);
    const again = await s.kubectl(['delete', 'namespace', 'term', '--wait=false']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Error from server \(Conflict\): Operation cannot be fulfilled on namespaces "term": The system is ensuring all content is removed from this namespace./);
    const shown = await s.kubectl(['get', 'namespace', 'term']);
    assert.match(shown.stdout, /term\s+Terminating\s+\d+s/);
    const waiting = await eventually(() => {
      const n = s.get(ns, undefined, 'term') as Ns;
      const c = n.status?.conditions?.find((x) => x.type === 'NamespaceFinalizersRemaining');
      return c?.status === 'True' ? n : undefined;
    }, 'finalizers-remaining condition');
    const content = waiting.status!.conditions!.find((x) => x.type === 'NamespaceContentRemaining')!;
    assert.equal(content.status, 'True');
    assert.equal(content.message, 'Some resources are remaining: configmaps has 1 resource instances');
    assert.equal(waiting.status!.conditions!.find((x) => x.type === 'NamespaceFinalizersRemaining')!.message,
      'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    assert.equal(s.get(cm, 'term', 'plain'), undefined);
    assert.ok(s.get(cm, 'term', 'held')?.metadata.deletionTimestamp);
    assert.deepEqual((s.get(ns, undefined, 'term') as Ns).spec?.finalizers, ['kubernetes']);

    // Nothing new may be created meanwhile.
    const c = await s.kubectl(['create', '-n', 'term', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late}\n');
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, /Error from server \(Forbidden\).*configmaps "late" is forbidden: unable to create new content in namespace term because it is being terminated/);
    await assert.rejects(s.server.ops.create(cm, 'term', { metadata: { name: 'late2' } }), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 403);
      assert.equal(st.reason, 'Forbidden');
      assert.deepEqual(st.details?.causes?.[0], { reason: 'NamespaceTerminating', message: 'namespace term is being terminated', field: 'metadata.namespace' });
      return true;
    });

    await s.kubectl(['patch', 'configmap', 'held', '-n', 'term', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    await eventually(() => !s.get(ns, undefined, 'term'), 'namespace removed');
    const g = await s.kubectl(['get', 'ns', 'term']);
    assert.match(g.stderr, /namespaces "term" not found/);
  });

  it('the /finalize subresource replaces spec.finalizers; other finalizers hold the namespace', async () => {
    await s.create(ns, { metadata: { name: 'fin' }, spec: { finalizers: ['example.com/ns'] } } as KubeObject);
    assert.deepEqual((s.get(ns, undefined, 'fin') as Ns).spec?.finalizers, ['example.com/ns', 'kubernetes']);
    await s.server.ops.delete(ns, undefined, 'fin');
    await eventually(() => {
      const f = (s.get(ns, undefined, 'fin') as Ns | undefined)?.spec?.finalizers;
      return f?.length === 1 && f[0] === 'example.com/ns';
    }, 'kubernetes finalizer removed by the controller');
    const body = s.file('fin.json', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fin' }, spec: { finalizers: [] } }));
    const r = await s.kubectl(['replace', '--raw', '/api/v1/namespaces/fin/finalize', '-f', body]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.get(ns, undefined, 'fin'), undefined);
  });

  it('content whose deletion is refused is reported in NamespaceDeletionContentFailure and retried', async () => {
    await s.create(ns, { metadata: { name: 'stuck' } });
    await s.create(cm, { metadata: { name: 'guarded', namespace: 'stuck' } });
    let refuse = true;
    s.server.admission.add({
      name: 'test-refuse-delete',
      validate(req) {
        if (refuse && req.operation === 'DELETE' && req.name === 'guarded') throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not now', reason: 'Forbidden', code: 403 });
      },
    });
    try {
      await s.server.ops.delete(ns, undefined, 'stuck');
      const c = await eventually(() => (s.get(ns, undefined, 'stuck') as Ns).status?.conditions?.find((x) => x.type === 'NamespaceDeletionContentFailure' && x.status === 'True'), 'failure condition');
      assert.equal(c.message, 'Failed to delete all resource types, 1 remaining: configmaps "guarded": not now');
      refuse = false;
      await eventually(() => !s.get(ns, undefined, 'stuck'), 'namespace removed after the retry');
    } finally {
      s.server.admission.remove('test-refuse-delete');
    }
  });

  it('discovery lists namespaces/finalize', async () => {
    const r = await s.kubectl(['get', '--raw', '/api/v1']);
    const list = JSON.parse(r.stdout) as { resources: { name: string; verbs: string[] }[] };
    assert.deepEqual(list.resources.find((x) => x.name === 'namespaces/finalize')?.verbs, ['update']);
  });
});
