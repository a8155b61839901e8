import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeObject, StatusError } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import { eventually, ownerRef, startTestServer, type TestServer } from '../semantics-testkit.js';
import { Store, Wal } from '../storage/index.js';

describe('garbage collector', () => {
  let s: TestServer;
  let cm: ResourceType;
  const cmObj = (name: string, extra: Partial<KubeObject['metadata']> = {}, ns = 'default'): KubeObject => ({ metadata: { name, namespace: ns, ...extra }, data: { a: '1' } } as KubeObject);
  before(async () => {
    s = await startTestServer();
    cm = s.type('', 'v1', 'configmaps');
  });
  after(async () => {
    await s.close();
  });

  it('Background: deletes dependents whose every owner is gone, drops references to gone owners of the rest', async () => {
    const o1 = await s.create(cm, cmObj('bg-owner1'));
    const o2 = await s.create(cm, cmObj('bg-owner2'));
    await s.create(cm, cmObj('bg-dep1', { ownerReferences: [ownerRef(o1)] }));
    await s.create(cm, cmObj('bg-dep2', { ownerReferences: [ownerRef(o1), ownerRef(o2)] }));
    await s.server.ops.delete(cm, 'default', 'bg-owner1');
    await eventually(() => !s.get(cm, 'default', 'bg-dep1'), 'bg-dep1 deleted');
    const d2 = await eventually(() => {
      const o = s.get(cm, 'default', 'bg-dep2');
      return o?.metadata.ownerReferences?.length === 1 ? o : undefined;
    }, 'reference to the gone owner removed');
    assert.equal(d2!.metadata.ownerReferences![0].uid, o2.metadata.uid);
  });

  it('Background cascades through several levels', async () => {
    const a = await s.create(cm, cmObj('lvl-a'));
    const b = await s.create(cm, cmObj('lvl-b', { ownerReferences: [ownerRef(a)] }));
    await s.create(cm, cmObj('lvl-c', { ownerReferences: [ownerRef(b)] }));
    const r = await s.kubectl(['delete', 'configmap', 'lvl-a']);
    assert.equal(r.code, 0, r.stderr);
    await eventually(() => !s.get(cm, 'default', 'lvl-b') && !s.get(cm, 'default', 'lvl-c'), 'two levels deleted');
  });

  it('Foreground: the owner waits with foregroundDeletion until blocking dependents are gone', async () => {
    const owner = await s.create(cm, cmObj('fg-owner'));
    await s.create(cm, cmObj('fg-block', { ownerReferences: [ownerRef(owner, { blockOwnerDeletion: true })], finalizers: ['example.com/hold'] }));
    await s.create(cm, cmObj('fg-free', { ownerReferences: [ownerRef(owner)] }));
    const r = await s.kubectl(['delete', 'configmap', 'fg-owner', '--cascade=foreground', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    const o = s.get(cm, 'default', 'fg-owner')!;
    assert.ok(o.metadata.deletionTimestamp);
    assert.deepEqual(o.metadata.finalizers, ['foregroundDeletion']);
    // The blocking dependent is being deleted but holds its own finalizer; the owner waits.
    await eventually(() => s.get(cm, 'default', 'fg-block')?.metadata.deletionTimestamp, 'blocking dependent marked');
    await eventually(() => !s.get(cm, 'default', 'fg-free'), 'non-blocking dependent deleted');
    assert.ok(s.get(cm, 'default', 'fg-owner'), 'owner still there while a blocking dependent exists');
    await s.server.ops.patch(cm, 'default', 'fg-block', 'application/merge-patch+json', Buffer.from('{"metadata":{"finalizers":null}}'));
    await eventually(() => !s.get(cm, 'default', 'fg-owner'), 'owner deleted after its dependents');
  });

  it('Orphan: dependents lose their reference to the owner and stay', async () => {
    const owner = await s.create(cm, cmObj('or-owner'));
    await s.create(cm, cmObj('or-dep', { ownerReferences: [ownerRef(owner)] }));
    const r = await s.kubectl(['delete', 'configmap', 'or-owner', '--cascade=orphan']);
    assert.equal(r.code, 0, r.stderr);
    await eventually(() => !s.get(cm, 'default', 'or-owner'), 'owner deleted');
    const d = s.get(cm, 'default', 'or-dep');
    assert.ok(d, 'dependent kept');
    assert.equal(d.metadata.ownerReferences, undefined);
  });

  it('orphanDependents: true means Orphan', async () => {
    const owner = await s.create(cm, cmObj('od-owner'));
    await s.create(cm, cmObj('od-dep', { ownerReferences: [ownerRef(owner)] }));
    await s.server.ops.delete(cm, 'default', 'od-owner', { propagationPolicy: 'Orphan' });
    assert.deepEqual(s.get(cm, 'default', 'od-owner')?.metadata.finalizers, ['orphan']);
    await eventually(() => !s.get(cm, 'default', 'od-owner'), 'owner deleted');
    assert.ok(s.get(cm, 'default', 'od-dep'));
  });

  it('matches owners by uid: a new incarnation with the same name does not adopt', async () => {
    const old = await s.create(cm, cmObj('inc-owner'));
    await s.server.ops.delete(cm, 'default', 'inc-owner');
    await s.create(cm, cmObj('inc-owner'));
    // A dependent still naming the old incarnation (same name, old uid) is an orphan of a gone owner.
    await s.create(cm, cmObj('inc-dep', { ownerReferences: [ownerRef(old)], finalizers: ['example.com/hold'] }));
    await eventually(() => s.get(cm, 'default', 'inc-dep')?.metadata.deletionTimestamp, 'dependent of the old incarnation deleted');
    assert.ok(s.get(cm, 'default', 'inc-owner'));
  });

  it('namespaced dependents: an owner in another namespace is absent, a cluster-scoped owner is valid', async () => {
    const cr = s.type('rbac.authorization.k8s.io', 'v1', 'clusterroles');
    const ns = s.type('', 'v1', 'namespaces');
    await s.create(ns, { metadata: { name: 'gc-other' } });
    const elsewhere = await s.create(cm, cmObj('x-owner', {}, 'gc-other'));
    const cluster = await s.create(cr, { metadata: { name: 'gc-owner-role' }, rules: [] } as KubeObject);
    await s.create(cm, cmObj('x-dep', { ownerReferences: [ownerRef(elsewhere)] }));
    await s.create(cm, cmObj('c-dep', { ownerReferences: [ownerRef(cluster)] }));
    await eventually(() => !s.get(cm, 'default', 'x-dep'), 'dependent with a cross-namespace owner deleted');
    assert.ok(s.get(cm, 'default', 'c-dep'), 'dependent of a cluster-scoped owner kept');
    await s.server.ops.delete(cr, undefined, 'gc-owner-role');
    await eventually(() => !s.get(cm, 'default', 'c-dep'), 'dependent deleted with its cluster-scoped owner');
  });
});

describe('ownerReferences validation', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.close();
  });

  it('requires apiVersion, kind, name and uid, and at most one controller (422)', async () => {
    const cm = s.type('', 'v1', 'configmaps');
    await assert.rejects(s.create(cm, { metadata: { name: 'bad', namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' } as never] } }), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 422);
      assert.equal(st.message, 'ConfigMap "bad" is invalid: metadata.ownerReferences.uid: Invalid value: "": must not be empty');
      return true;
    });
    const a = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true };
    const b = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true };
    const r = await s.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two', ownerReferences: [a, b] } }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Only one reference can have Controller set to true. Found "true" in references for ReplicaSet\/a and ReplicaSet\/b/);
  });
});

describe('garbage collector at startup', () => {
  it('deletes dependents whose owners vanished while the server was down', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kubeloop-gc-'));
    try {
      let s = await startTestServer({ dataDir });
      const cm = s.type('', 'v1', 'configmaps');
      const owner = await s.create(cm, { metadata: { name: 'owner', namespace: 'default' } });
      await s.create(cm, { metadata: { name: 'dep', namespace: 'default', ownerReferences: [ownerRef(owner)] } });
      await s.close();
      // Remove the owner behind the server's back, as if deleted from another process.
      const store = new Store({ wal: new Wal(join(dataDir, 'data')) });
      const o = store.get('/configmaps', 'default/owner')!;
      store.remove('/configmaps', 'default/owner', { ...o.obj, metadata: { ...o.obj.metadata } });
      await store.close();
      s = await startTestServer({ dataDir });
      try {
        await eventually(() => !s.get(cm, 'default', 'dep'), 'dangling dependent deleted at startup');
      } finally {
        await s.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('garbage collector uid index', () => {
  // The index from uid to object is built on its first use, from the store: it must know every
  // object written before then (created, updated, deleted), as the one kept from the start did.
  it('built late, judges owners written before it as the index kept from the start', async () => {
    const s = await startTestServer();
    try {
      const cm = s.type('', 'v1', 'configmaps');
      const cmObj = (name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({ metadata: { name, namespace: 'default', ...extra }, data: { a: '1' } } as KubeObject);
      const kept = await s.create(cm, cmObj('late-owner'));
      await s.server.ops.update(cm, 'default', 'late-owner', { ...kept, data: { a: '2' } });
      const gone = await s.create(cm, cmObj('late-gone'));
      await s.server.ops.delete(cm, 'default', 'late-gone');
      // The first use: a foreground deletion of an object no one depends on.
      const fg = await s.create(cm, cmObj('late-fg'));
      await s.server.ops.delete(cm, 'default', 'late-fg', { propagationPolicy: 'Foreground' });
      await eventually(() => !s.get(cm, 'default', 'late-fg'), 'foreground deletion without dependents finished');
      assert.notEqual(fg.metadata.uid, kept.metadata.uid);
      // Then dependents of an owner updated before, and of one deleted before.
      await s.create(cm, cmObj('late-dep', { ownerReferences: [ownerRef(kept)] }));
      await s.create(cm, cmObj('late-orphan', { ownerReferences: [ownerRef(gone)] }));
      await eventually(() => !s.get(cm, 'default', 'late-orphan'), 'dependent of the owner deleted before is deleted');
      assert.ok(s.get(cm, 'default', 'late-dep'), 'dependent of the live owner kept');
      await s.server.ops.delete(cm, 'default', 'late-owner');
      await eventually(() => !s.get(cm, 'default', 'late-dep'), 'dependent deleted with its owner');
    } finally {
      await s.close();
    }
  });
});
