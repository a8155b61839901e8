// storage.k8s.io/v1 (StorageClass, CSIDriver, CSINode, VolumeAttachment) as kube-apiserver
// v1.32 serves it, driven through kubectl: discovery, printing, defaults, status and 422s.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../semantics-testkit.js';

describe('storage.k8s.io/v1 (upstream v1.32 types, defaults and validation)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
  });
  after(async () => {
    await s.close();
  });

  it('is discovered, cluster-scoped, StorageClasses as sc', async () => {
    const r = await s.kubectl(['api-resources', '--api-group=storage.k8s.io']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /storageclasses\s+sc\s+storage\.k8s\.io\/v1\s+false\s+StorageClass/);
    for (const k of ['CSIDriver', 'CSINode', 'VolumeAttachment']) assert.match(r.stdout, new RegExp(`storage\\.k8s\\.io/v1\\s+false\\s+${k}\\n`));
  });

  it('StorageClass: defaults, the default-class marker, provisioner required, parameters/provisioner/reclaimPolicy/volumeBindingMode fixed', async () => {
    const ok = await s.kubectl(['apply', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: disk, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}\nprovisioner: diskplugin.csi.alibabacloud.com\nparameters: {type: cloud_essd}\n');
    assert.equal(ok.code, 0, ok.stderr);
    const got = JSON.parse((await s.kubectl(['get', 'sc', 'disk', '-o', 'json'])).stdout);
    assert.equal(got.reclaimPolicy, 'Delete');
    assert.equal(got.volumeBindingMode, 'Immediate');
    assert.match((await s.kubectl(['get', 'storageclass'])).stdout,
      /NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\ndisk \(default\)\s+diskplugin\.csi\.alibabacloud\.com\s+Delete\s+Immediate\s+false\s+\d+s/);
    const missing = await s.kubectl(['apply', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: bad}\nreclaimPolicy: Recycle\nvolumeBindingMode: Later\n');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /The StorageClass "bad" is invalid: \n\* provisioner: Required value\n\* reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"\n\* volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"/);
    const upd = await s.kubectl(['patch', 'sc', 'disk', '--type=merge', '-p', '{"provisioner":"other.example.com","parameters":{"type":"cloud_ssd"},"reclaimPolicy":"Retain","volumeBindingMode":"WaitForFirstConsumer"}']);
    assert.equal(upd.code, 1);
    assert.match(upd.stderr, /\* parameters: Forbidden: updates to parameters are forbidden\.\n\* provisioner: Forbidden: updates to provisioner are forbidden\.\n\* reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden\.\n\* volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable/);
    const expand = await s.kubectl(['patch', 'sc', 'disk', '--type=merge', '-p', '{"allowVolumeExpansion":true}']);
    assert.equal(expand.code, 0, expand.stderr);
    const d = await s.kubectl(['describe', 'sc', 'disk']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /IsDefaultClass:\s+Yes/);
    assert.match(d.stdout, /Provisioner:\s+diskplugin.csi.alibabacloud.com/);
  });

  it('CSIDriver defaults; CSINode printed with its driver count', async () => {
    const d = await s.kubectl(['apply', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata: {name: diskplugin.csi.alibabacloud.com}\nspec: {}\n');
    assert.equal(d.code, 0, d.stderr);
    const got = JSON.parse((await s.kubectl(['get', 'csidriver', 'diskplugin.csi.alibabacloud.com', '-o', 'json'])).stdout);
    assert.deepEqual(got.spec, { attachRequired: true, podInfoOnMount: false, storageCapacity: false, fsGroupPolicy: 'ReadWriteOnceWithFSType', volumeLifecycleModes: ['Persistent'], requiresRepublish: false });
    const n = await s.kubectl(['apply', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: CSINode\nmetadata: {name: node-a}\nspec: {drivers: [{name: diskplugin.csi.alibabacloud.com, nodeID: i-abc, allocatable: {count: 15}}]}\n');
    assert.equal(n.code, 0, n.stderr);
    assert.match((await s.kubectl(['get', 'csinodes'])).stdout, /NAME\s+DRIVERS\s+AGE\nnode-a\s+1\s+\d+s/);
  });

  it('VolumeAttachment: attacher, source and node required; status through /status only', async () => {
    const bad = await s.kubectl(['apply', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: VolumeAttachment\nmetadata: {name: va}\nspec: {source: {}}\n');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\* spec.attacher: Required value\n\* spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName\n\* spec.nodeName: Required value/);
    const ok = await s.kubectl(['apply', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: VolumeAttachment\nmetadata: {name: va}\nspec: {attacher: diskplugin.csi.alibabacloud.com, nodeName: node-a, source: {persistentVolumeName: pv-1}}\nstatus: {attached: true}\n');
    assert.equal(ok.code, 0, ok.stderr);
    const got = JSON.parse((await s.kubectl(['get', 'volumeattachment', 'va', '-o', 'json'])).stdout);
    assert.deepEqual(got.status, { attached: false });
    const st = await s.kubectl(['patch', 'volumeattachment', 'va', '--subresource=status', '--type=merge', '-p', '{"status":{"attached":true}}']);
    assert.equal(st.code, 0, st.stderr);
    assert.match((await s.kubectl(['get', 'volumeattachments'])).stdout, /NAME\s+ATTACHER\s+PV\s+NODE\s+ATTACHED\s+AGE\nva\s+diskplugin\.csi\.alibabacloud\.com\s+pv-1\s+node-a\s+true\s+\d+s/);
  });
});
