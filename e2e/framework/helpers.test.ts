// Write helpers against the built-in API server: createOrUpdate and conflict-safe patches.
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigMap, createOrUpdate, patchObject, patchWithRetry, isConflict, setControllerReference, addFinalizer, removeFinalizer,
  type ConfigMapObject, type KubeClient,
} from '../../src/index.js';
import { startServer, clientFor, type ServerHandle } from './harness.js';

let server: ServerHandle;
let client: KubeClient;

before(async () => {
  server = await startServer();
  client = clientFor(server);
});
after(async () => {
  client?.close();
  await server?.stop();
});

const ref = (name: string): ConfigMapObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } });

test('createOrUpdate creates, updates only on change, and reports unchanged', async () => {
  let r = await createOrUpdate(client, ref('cou'), (o) => {
    o.data = { a: '1' };
  });
  assert.equal(r.operation, 'created');
  assert.equal(r.object.data?.a, '1');
  r = await createOrUpdate(client, ref('cou'), (o) => {
    o.data = { ...o.data, a: '1' };
  });
  assert.equal(r.operation, 'unchanged');
  const rv = r.object.metadata.resourceVersion;
  r = await createOrUpdate(client, ref('cou'), (o) => {
    o.data = { ...o.data, b: '2' };
  });
  assert.equal(r.operation, 'updated');
  assert.deepEqual(r.object.data, { a: '1', b: '2' });
  assert.notEqual(r.object.metadata.resourceVersion, rv);
  await assert.rejects(
    createOrUpdate(client, ref('cou'), (o) => {
      o.metadata.name = 'other';
    }),
    /must not change the name/,
  );
});

test('patchObject sends only the change, fails with 409 on a concurrent write, patchWithRetry re-reads', async () => {
  const base = await client.create<ConfigMapObject>({ ...ref('pat'), data: { keep: 'x', mine: '0' } });
  // someone else writes in between
  await client.patch(ConfigMap, 'pat', { data: { theirs: '1' } }, { namespace: 'default' });
  const err = await patchObject(client, base, (o) => {
    o.data!.mine = '1';
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(isConflict(err), `expected 409, got ${String(err)}`);
  const updated = await patchWithRetry(client, base, (o) => {
    o.data!.mine = '1';
  });
  assert.deepEqual(updated.data, { keep: 'x', mine: '1', theirs: '1' }, 'the concurrent write is kept');
  // unchanged: no request, same object back
  const same = await patchObject(client, updated, () => {});
  assert.equal(same, updated);
  // finalizers and owner references through the same helper
  const owner = await client.create<ConfigMapObject>(ref('owner'));
  const owned = await patchObject(client, updated, (o) => {
    setControllerReference(owner, o);
    addFinalizer(o, 'test.kubeloop.io/x');
  });
  assert.equal(owned.metadata.ownerReferences?.[0]?.uid, owner.metadata.uid);
  assert.deepEqual(owned.metadata.finalizers, ['test.kubeloop.io/x']);
  const cleared = await patchObject(client, owned, (o) => void removeFinalizer(o, 'test.kubeloop.io/x'));
  assert.deepEqual(cleared.metadata.finalizers ?? [], []);
});

test('event recorder: core/v1 Events, identical events aggregated into count', async () => {
  const { createEventRecording } = await import('../../src/index.js');
  const silent = { child: () => silent, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const cmObj = await client.create<ConfigMapObject>(ref('evented'));
  const recording = createEventRecording(client, silent);
  const rec = recording.recorder('test-controller');
  rec.event(cmObj, 'Warning', 'Broken', 'it broke');
  type Ev = { reason?: string; count?: number; type?: string; source?: { component?: string }; involvedObject: { name?: string; uid?: string } };
  const events = async () =>
    (await client.list<Ev>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'evented');
  const { eventually } = await import('./harness.js');
  await eventually('first event', async () => (await events()).length === 1);
  rec.event(cmObj, 'Warning', 'Broken', 'it broke');
  await eventually('count 2', async () => (await events())[0]?.count === 2);
  rec.event(cmObj, 'Normal', 'Fixed', 'all good');
  await eventually('second event', async () => (await events()).length === 2);
  const all = await events();
  const broken = all.find((e) => e.reason === 'Broken')!;
  assert.equal(broken.type, 'Warning');
  assert.equal(broken.source?.component, 'test-controller');
  assert.equal(broken.involvedObject.uid, cmObj.metadata.uid);
  rec.recordf(cmObj, 'Normal', 'Formatted', 'value %d of %s', 3, 'x');
  await recording.shutdown();
  assert.ok((await events()).some((e) => e.reason === 'Formatted'));
});
