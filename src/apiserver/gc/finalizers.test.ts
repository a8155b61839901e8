import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KubeObject, StatusError } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import { eventually, startTestServer, type TestServer } from '../semantics-testkit.js';

describe('finalizers and deletionTimestamp', () => {
  let s: TestServer;
  let cm: ResourceType;
  before(async () => {
    s = await startTestServer();
    cm = s.type('', 'v1', 'configmaps');
  });
  after(async () => {
    await s.close();
  });

  it('delete --wait=false keeps an object with finalizers, marked with deletionTimestamp', async () => {
    let r = await s.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fin, finalizers: [example.com/a, example.com/b]}\n');
    assert.equal(r.code, 0, r.stderr);
    r = await s.kubectl(['delete', 'configmap', 'fin', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse((await s.kubectl(['get', 'configmap', 'fin', '-o', 'json'])).stdout) as KubeObject;
    assert.ok(o.metadata.deletionTimestamp);
    assert.deepEqual(o.metadata.finalizers, ['example.com/a', 'example.com/b']);
  });

  it('no new finalizers can be added while deleting (422)', async () => {
    const r = await s.kubectl(['patch', 'configmap', 'fin', '--type', 'json', '-p', '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/c"}]']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Forbidden: no new finalizers can be added if the object is being deleted/);
    const cur = s.get(cm, 'default', 'fin')!;
    await assert.rejects(s.server.ops.update(cm, 'default', 'fin', { ...cur, metadata: { ...cur.metadata, finalizers: [...cur.metadata.finalizers!, 'example.com/c'] } }), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 422);
      assert.equal(st.details?.causes?.[0].field, 'metadata.finalizers');
      return true;
    });
  });

  it('removing finalizers one by one: the object goes with the last one', async () => {
    let r = await s.kubectl(['patch', 'configmap', 'fin', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers/0"}]']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.get(cm, 'default', 'fin')?.metadata.finalizers, ['example.com/b']);
    const deleted = eventually(async () => {
      const w = await s.kubectl(['get', 'configmap', 'fin', '--ignore-not-found', '-o', 'name']);
      return w.stdout.trim() === '';
    }, 'gone');
    r = await s.kubectl(['patch', 'configmap', 'fin', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    assert.equal(r.code, 0, r.stderr);
    await deleted;
    assert.equal(s.get(cm, 'default', 'fin'), undefined);
  });

  it('kubectl delete waits until the finalizer is removed', async () => {
    await s.create(cm, { metadata: { name: 'waiting', namespace: 'default', finalizers: ['example.com/x'] } });
    const del = s.kubectl(['delete', 'configmap', 'waiting', '--timeout=20s']);
    await eventually(() => s.get(cm, 'default', 'waiting')?.metadata.deletionTimestamp, 'marked');
    await s.server.ops.patch(cm, 'default', 'waiting', 'application/merge-patch+json', Buffer.from('{"metadata":{"finalizers":[]}}'));
    const r = await del;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap "waiting" deleted/);
  });
});
