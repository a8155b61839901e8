import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KubeObject, StatusError } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import { eventually, startTestServer, type TestServer } from '../semantics-testkit.js';

type Pod = KubeObject & { spec: { serviceAccountName?: string; serviceAccount?: string; imagePullSecrets?: { name: string }[]; containers: unknown[]; automountServiceAccountToken?: boolean } };
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
    const p = (await s.server.ops.create(pods, 'default', { ...pod('mirror'), metadata: { name: 'mirror', annotations: { 'kubernetes.io/config.mirror': 'x' } }, spec: { ...pod('mirror').spec, nodeName: 'node-1' } })).object as Pod;
    assert.equal(p.spec.serviceAccountName, undefined);
  });

  it('mounts the projected token volume kube-api-access-* into every container and init container', async () => {
    const r = await s.kubectl(['apply', '-o', 'json', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: tok}\nspec:\n  initContainers: [{name: i, image: busybox}]\n  containers: [{name: a, image: nginx}, {name: b, image: nginx, volumeMounts: [{name: own, mountPath: /data}]}]\n  volumes: [{name: own, emptyDir: {}}]\n');
    assert.equal(r.code, 0, r.stderr);
    const p = JSON.parse(r.stdout) as KubeObject & { spec: { volumes: { name: string }[]; containers: { volumeMounts: unknown[] }[]; initContainers: { volumeMounts: unknown[] }[] } };
    assert.equal(p.spec.volumes.length, 2);
    const vol = p.spec.volumes[1];
    assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(vol, {
      name: vol.name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
    const mount = { name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };
    assert.deepEqual(p.spec.initContainers[0].volumeMounts, [mount]);
    assert.deepEqual(p.spec.containers[0].volumeMounts, [mount]);
    assert.deepEqual(p.spec.containers[1].volumeMounts, [{ name: 'own', mountPath: '/data' }, mount]);
  });

  it('no token volume when automountServiceAccountToken is false (pod first, then ServiceAccount) or the path is mounted', async () => {
    type P = KubeObject & { spec: { volumes?: { name: string }[]; containers: { volumeMounts?: { name: string; mountPath: string }[] }[] } };
    const create = async (p: Pod) => (await s.server.ops.create(pods, 'default', p)).object as P;
    assert.equal((await create({ ...pod('off'), spec: { ...pod('off').spec, automountServiceAccountToken: false } as Pod['spec'] })).spec.volumes, undefined);
    await s.create(sas, { metadata: { name: 'quiet', namespace: 'default' }, automountServiceAccountToken: false } as KubeObject);
    assert.equal((await create(pod('quiet', { serviceAccountName: 'quiet' }))).spec.volumes, undefined);
    const on = await create({ ...pod('on'), spec: { ...pod('on', { serviceAccountName: 'quiet' }).spec, automountServiceAccountToken: true } as Pod['spec'] });
    assert.match(on.spec.volumes?.[0]?.name ?? '', /^kube-api-access-/);
    const own = { name: 'mine', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };
    const mine = await create({ metadata: { name: 'mine' }, spec: { containers: [{ name: 'c', image: 'nginx', volumeMounts: [own] }], volumes: [{ name: 'mine', emptyDir: {} }] } as unknown as Pod['spec'] });
    assert.deepEqual(mine.spec.volumes?.map((v) => v.name), ['mine']);
    assert.deepEqual(mine.spec.containers[0].volumeMounts, [own]);
  });

  it('every namespace has kube-root-ca.crt with the cluster CA, kept as kube-controller-manager keeps it', async () => {
    const cms = s.type('', 'v1', 'configmaps');
    type CM = KubeObject & { data?: Record<string, string> };
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const cm = await eventually(() => s.get(cms, n, 'kube-root-ca.crt') as CM | undefined, `kube-root-ca.crt in ${n}`);
      assert.deepEqual(cm.data, { 'ca.crt': s.server.caPem });
      assert.match(cm.metadata.annotations?.['kubernetes.io/description'] ?? '', /^Contains a CA bundle that can be used to verify the kube-apiserver/);
    }
    await s.create(ns, { metadata: { name: 'rootca' } });
    await eventually(() => s.get(cms, 'rootca', 'kube-root-ca.crt'), 'published in a new namespace');
    const g = await s.kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', 'rootca', '-o', 'jsonpath={.data.ca\\.crt}']);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(g.stdout, s.server.caPem);
    const before = s.get(cms, 'rootca', 'kube-root-ca.crt')!.metadata.uid;
    await s.server.ops.delete(cms, 'rootca', 'kube-root-ca.crt');
    await eventually(() => { const c = s.get(cms, 'rootca', 'kube-root-ca.crt'); return c && c.metadata.uid !== before; }, 're-created');
    const e = await s.kubectl(['patch', 'configmap', 'kube-root-ca.crt', '-n', 'rootca', '--type=merge', '-p', '{"data":{"ca.crt":"tampered","x":"y"}}']);
    assert.equal(e.code, 0, e.stderr);
    await eventually(() => { const c = s.get(cms, 'rootca', 'kube-root-ca.crt') as CM | undefined; return c?.data?.['ca.crt'] === s.server.caPem && c.data.x === undefined; }, 'data put back');
  });
});
