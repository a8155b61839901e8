// What a status subresource write may change besides the status, kind by kind (status-writes.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { eventually } from '../semantics-testkit.js';
import { call } from '../test-client.js';
import { BUILTIN_STATUS_WRITES } from './status-writes.js';
import { builtinTypes } from './index.js';

const NODES = '/api/v1/nodes';
const PODS = '/api/v1/namespaces/default/pods';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const MERGE = { 'Content-Type': 'application/merge-patch+json' };

const deployment = (name: string) => ({
  metadata: { name, labels: { app: name } },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
});

describe('status subresource writes', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  it('has a rule for exactly the built-in kinds with a status subresource', () => {
    // one rule per group/resource: the versions of one storage (autoscaling/v1 and v2 HPAs) share it
    const withStatus = [...new Set(builtinTypes().filter((t) => t.hasStatus).map((t) => `${t.group}/${t.resource}`))].sort();
    assert.deepEqual(Object.keys(BUILTIN_STATUS_WRITES).sort(), withStatus);
  });

  it('a Node status write changes labels and annotations, never the spec', async () => {
    const c = await call(s, 'POST', NODES, { metadata: { name: 'n1', labels: { a: '1' } }, spec: { podCIDR: '10.0.0.0/24' } });
    assert.equal(c.status, 201, c.text);
    const u = await call(s, 'PUT', `${NODES}/n1/status`, {
      ...c.json, metadata: { ...c.json.metadata, labels: { a: '2' }, annotations: { seen: 'yes' } },
      spec: { podCIDR: '10.9.0.0/24', unschedulable: true }, status: { phase: 'Running' },
    });
    assert.equal(u.status, 200, u.text);
    assert.deepEqual(u.json.metadata.labels, { a: '2' });
    assert.deepEqual(u.json.metadata.annotations, { seen: 'yes' });
    assert.deepEqual(u.json.spec, { podCIDR: '10.0.0.0/24' });
    assert.equal(u.json.status.phase, 'Running');
  });

  it('a Deployment status write keeps the labels and bumps no generation, but sets annotations (the deployment controller\'s revision)', async () => {
    const c = await call(s, 'POST', DEPLOYS, deployment('d'));
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.metadata.generation, 1);
    const p = await call(s, 'PATCH', `${DEPLOYS}/d/status`, {
      metadata: { labels: { app: 'other' }, annotations: { 'deployment.kubernetes.io/revision': '1' } }, spec: { replicas: 5 }, status: { replicas: 1 },
    }, MERGE);
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(p.json.metadata.labels, { app: 'd' });
    assert.equal(p.json.metadata.annotations['deployment.kubernetes.io/revision'], '1');
    assert.equal(p.json.spec.replicas, 1);
    assert.equal(p.json.status.replicas, 1);
    assert.equal(p.json.metadata.generation, 1, 'a status write never bumps, even when annotations change');
  });

  it('a Pod status write keeps the owner references, takes finalizers, and backfills the QoS class', async () => {
    // a real owner: the garbage collector deletes dependents of a missing one
    const cm = await call(s, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'o' } });
    const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: cm.json.metadata.uid };
    const c = await call(s, 'POST', PODS, { metadata: { name: 'p', ownerReferences: [owner] }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    assert.equal(c.status, 201, c.text);
    const first = await call(s, 'PATCH', `${PODS}/p/status`, { status: { qosClass: 'BestEffort', phase: 'Pending' } }, MERGE);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.status.qosClass, 'BestEffort');
    const u = await call(s, 'PUT', `${PODS}/p/status`, {
      ...first.json, metadata: { ...first.json.metadata, ownerReferences: [], finalizers: ['example.com/keep'] }, status: { phase: 'Running' },
    });
    assert.equal(u.status, 200, u.text);
    assert.deepEqual(u.json.metadata.ownerReferences, [owner]);
    assert.deepEqual(u.json.metadata.finalizers, ['example.com/keep']);
    assert.equal(u.json.status.phase, 'Running');
    assert.equal(u.json.status.qosClass, 'BestEffort', 'an empty qosClass is taken from the stored status');
    const clear = await call(s, 'PATCH', `${PODS}/p`, { metadata: { finalizers: null } }, MERGE);
    assert.equal(clear.status, 200, clear.text);
  });

  it('a custom resource status write changes the status only', async () => {
    const crd = {
      metadata: { name: 'widgets.status.example.com' },
      spec: {
        group: 'status.example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    assert.equal((await call(s, 'POST', CRDS, crd)).status, 201);
    const WIDGETS = '/apis/status.example.com/v1/namespaces/default/widgets';
    await eventually(async () => (await call(s, 'GET', WIDGETS)).status === 200, 'widgets served');
    const c = await call(s, 'POST', WIDGETS, { apiVersion: 'status.example.com/v1', kind: 'Widget', metadata: { name: 'w', labels: { a: '1' } }, spec: { size: 1 } });
    assert.equal(c.status, 201, c.text);
    const p = await call(s, 'PATCH', `${WIDGETS}/w/status`, { metadata: { labels: { a: '2' }, annotations: { x: 'y' } }, spec: { size: 2 }, status: { ok: true } }, MERGE);
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(p.json.metadata.labels, { a: '1' });
    assert.equal(p.json.metadata.annotations, undefined);
    assert.deepEqual(p.json.spec, { size: 1 });
    assert.deepEqual(p.json.status, { ok: true });
  });
});
