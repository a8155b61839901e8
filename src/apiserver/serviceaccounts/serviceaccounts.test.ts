import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KubeObject, StatusError } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import { eventually, startTestServer, type TestServer } from '../semantics-testkit.js';

type Pod = KubeObject & { spec: { serviceAccountName?: string; serviceAccount?: string; imagePullSecrets?: { name: string }[]; containers: unknown[] } };
const pod = (name: string, spec: Partial<Pod['spec']> = {}): Pod => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec } });

describe('ServiceAccounts', () => {
  let s: TestServer;
  let pods: ResourceType;
  let sas: ResourceType;
  let ns: ResourceType;
  before(async () => {
    s = await startTestServer();
    pods = s.type('', 'v1', 'pods');
    sas = s.type('', 'v1', 'serviceaccounts');
    ns = s.type('', 'v1', 'namespaces');
  });
  after(async () => {
    await s.close();
  });

  it('every namespace gets a default ServiceAccount, re-created when deleted', async () => {
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await eventually(() => s.get(sas, n, 'default'), `default SA in ${n}`);
    }
    const r = await s.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n');
    assert.equal(r.code, 0, r.stderr);
    const g = await s.kubectl(['get', 'serviceaccount', 'default', '-n', 'team-a', '-o', 'name']);
    assert.equal(g.stdout.trim(), 'serviceaccount/default');
    const before = s.get(sas, 'team-a', 'default')!.metadata.uid;
    await s.server.ops.delete(sas, 'team-a', 'default');
    const again = await eventually(() => s.get(sas, 'team-a', 'default'), 're-created');
    assert.notEqual(again.metadata.uid, before);
  });

  it('pods without serviceAccountName get default, in a namespace created just before', async () => {
    await s.create(ns, { metadata: { name: 'fresh' } });
    const p = (await s.server.ops.create(pods, 'fresh', pod('p1'))).object as Pod;
    assert.equal(p.spec.serviceAccountName, 'default');
    assert.equal(p.spec.serviceAccount, 'default');
    const r = await s.kubectl(['apply', '-n', 'fresh', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: p2}\nspec: {containers: [{name: c, image: nginx}]}\n');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse((await s.kubectl(['get', 'pod', 'p2', '-n', 'fresh', '-o', 'json'])).stdout) as Pod;
    assert.equal(j.spec.serviceAccountName, 'default');
  });

  it('refuses pods whose ServiceAccount does not exist', async () => {
    await assert.rejects(s.server.ops.create(pods, 'default', pod('nosa', { serviceAccountName: 'robot' })), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 403);
      assert.equal(st.message, 'pods "nosa" is forbidden: error looking up service account default/robot: serviceaccount "robot" not found');
      return true;
    });
    const r = await s.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: nosa}\nspec: {serviceAccountName: robot, containers: [{name: c, image: nginx}]}\n');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /error looking up service account default\/robot: serviceaccount "robot" not found/);
  });

  it('copies the ServiceAccount imagePullSecrets into new pods that have none', async () => {
    await s.create(sas, { metadata: { name: 'puller', namespace: 'default' }, imagePullSecrets: [{ name: 'regcred' }] } as KubeObject);
    const p = (await s.server.ops.create(pods, 'default', pod('pull', { serviceAccountName: 'puller' }))).object as Pod;
    assert.deepEqual(p.spec.imagePullSecrets, [{ name: 'regcred' }]);
    const own = (await s.server.ops.create(pods, 'default', pod('own', { serviceAccountName: 'puller', imagePullSecrets: [{ name: 'mine' }] }))).object as Pod;
    assert.deepEqual(own.spec.imagePullSecrets, [{ name: 'mine' }]);
  });

  it('leaves mirror pods alone', async () => {
    const p = (await s.server.ops.create(pods, 'default', { ...pod('mirror'), metadata: { name: 'mirror', annotations: { 'kubernetes.io/config.mirror': 'x' } } })).object as Pod;
    assert.equal(p.spec.serviceAccountName, undefined);
  });
});
