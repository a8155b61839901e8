import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/index.js';
import { serverSideApply, updateManagedFields } from './index.js';

const gvk = { group: 'apps', version: 'v1', kind: 'Deployment' };
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

function manifest(replicas: number | undefined, image = 'nginx:1.25', extra: Record<string, unknown> = {}): Record<string, any> {
  const spec: Record<string, unknown> = {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image, ...extra }] } },
  };
  if (replicas !== undefined) spec.replicas = replicas;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec };
}

function conflictOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError);
    return e;
  }
  assert.fail('expected a conflict');
}

test('apply creates the object and records fieldsV1 with list-map keys', () => {
  const { object, managedFields } = serverSideApply({ applied: manifest(2), manager: 'kubectl', gvk, now: T0 });
  assert.equal(object.spec && (object.spec as any).replicas, 2);
  assert.equal(managedFields.length, 1);
  const mf = managedFields[0];
  assert.equal(mf.manager, 'kubectl');
  assert.equal(mf.operation, 'Apply');
  assert.equal(mf.apiVersion, 'apps/v1');
  assert.equal(mf.time, T0);
  assert.equal(mf.fieldsType, 'FieldsV1');
  assert.deepEqual(mf.fieldsV1, {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
      },
    },
  });
  assert.deepEqual((object.metadata as any).managedFields, managedFields);
});

test('apply conflicts with a field an update manager changed, and force moves ownership', () => {
  const created = serverSideApply({ applied: manifest(2), manager: 'kubectl', gvk, now: T0 }).object;
  // Someone scales with an ordinary update.
  const scaled = structuredClone(created) as any;
  scaled.spec.replicas = 5;
  scaled.metadata.managedFields = updateManagedFields(created, scaled, 'kubectl-client-side-apply', 'Update', gvk, { now: T1 });
  const upd = scaled.metadata.managedFields.find((e: any) => e.operation === 'Update');
  assert.deepEqual(upd.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  const applyEntry = scaled.metadata.managedFields.find((e: any) => e.operation === 'Apply');
  assert.ok(!('f:replicas' in applyEntry.fieldsV1['f:spec']), 'the updater took .spec.replicas over');

  // Re-applying replicas: 2 now conflicts.
  const err = conflictOf(() => serverSideApply({ current: scaled, applied: manifest(2), manager: 'kubectl', gvk, now: T1 }));
  assert.equal(err.code, 409);
  assert.equal(err.reason, 'Conflict');
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  assert.deepEqual(err.status.details!.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);

  // The same value is not a conflict: ownership is shared.
  const shared = serverSideApply({ current: scaled, applied: manifest(5), manager: 'kubectl', gvk, now: T1 });
  const fields = shared.managedFields.map((e) => [e.manager, 'f:replicas' in ((e.fieldsV1 as any)['f:spec'] ?? {})]);
  assert.deepEqual(fields, [['kubectl', true], ['kubectl-client-side-apply', true]]);

  // Force: the value is applied and the other manager loses the field (and its now-empty entry).
  const forced = serverSideApply({ current: scaled, applied: manifest(2), manager: 'kubectl', gvk, force: true, now: T1 });
  assert.equal((forced.object.spec as any).replicas, 2);
  assert.deepEqual(forced.managedFields.map((e) => e.manager), ['kubectl']);
});

test('apply removes fields the manager stopped applying unless someone else owns them', () => {
  const first = serverSideApply({ applied: manifest(2, 'nginx:1.25', { args: ['a'] }), manager: 'kubectl', gvk, now: T0 }).object;
  // Another applier co-owns the label.
  const second = serverSideApply({
    current: first,
    applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web', team: 'x' } } },
    manager: 'other',
    gvk,
    now: T0,
  }).object;
  const m = manifest(undefined);
  delete m.metadata.labels;
  const third = serverSideApply({ current: second, applied: m, manager: 'kubectl', gvk, now: T1 });
  const spec = third.object.spec as any;
  assert.ok(!('replicas' in spec), 'replicas no longer applied: removed');
  assert.ok(!('args' in spec.template.spec.containers[0]), 'args removed');
  assert.deepEqual((third.object.metadata as any).labels, { app: 'web', team: 'x' }, 'labels owned by "other" stay');
});

test('apply merges associative lists by key and keeps items of other managers', () => {
  const base = serverSideApply({ applied: manifest(1), manager: 'a', gvk, now: T0 }).object;
  const withSidecar = structuredClone(base) as any;
  withSidecar.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox' });
  withSidecar.metadata.managedFields = updateManagedFields(base, withSidecar, 'injector', 'Update', gvk, { now: T0 });
  const out = serverSideApply({ current: withSidecar, applied: manifest(1, 'nginx:1.27'), manager: 'a', gvk, now: T1 });
  const names = (out.object.spec as any).template.spec.containers.map((c: any) => `${c.name}=${c.image}`);
  assert.deepEqual(names, ['nginx=nginx:1.27', 'sidecar=busybox']);
  // The apply manager dropping a container it owns removes it.
  const m = manifest(1);
  m.spec.template.spec.containers = [{ name: 'other', image: 'x' }];
  const swapped = serverSideApply({ current: out.object, applied: m, manager: 'a', gvk, now: T1 });
  assert.deepEqual((swapped.object.spec as any).template.spec.containers.map((c: any) => c.name), ['sidecar', 'other']);
});

test('custom resources: lists atomic and maps granular without a schema, list-type honoured with one', () => {
  const cr = { group: 'example.com', version: 'v1', kind: 'Widget' };
  const applied = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1, tags: ['a'], items: [{ id: 'x', v: 1 }] } };
  const plain = serverSideApply({ applied, manager: 'm', gvk: cr, now: T0 });
  assert.deepEqual(plain.managedFields[0].fieldsV1, { 'f:spec': { 'f:items': {}, 'f:size': {}, 'f:tags': {} } });
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          size: { type: 'integer' },
          tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
          items: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'], items: { type: 'object', properties: { id: { type: 'string' }, v: { type: 'integer' } } } },
        },
      },
    },
  };
  const typed = serverSideApply({ applied, manager: 'm', gvk: cr, now: T0, schema });
  assert.deepEqual(typed.managedFields[0].fieldsV1, {
    'f:spec': { 'f:items': { 'k:{"id":"x"}': { '.': {}, 'f:id': {}, 'f:v': {} } }, 'f:size': {}, 'f:tags': { 'v:"a"': {} } },
  });
  // A second manager adds a tag to the set without conflict.
  const more = serverSideApply({ current: typed.object, applied: { ...applied, spec: { tags: ['b'] } }, manager: 'n', gvk: cr, now: T0, schema });
  assert.deepEqual((more.object.spec as any).tags, ['a', 'b']);
  // Conflicts on custom resources too.
  const err = conflictOf(() => serverSideApply({ current: typed.object, applied: { ...applied, spec: { size: 3 } }, manager: 'n', gvk: cr, now: T0, schema }));
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "m": .spec.size');
});

test('several conflicts are grouped per manager', () => {
  const created = serverSideApply({ applied: manifest(2), manager: 'a', gvk, now: T0 }).object;
  const err = conflictOf(() => serverSideApply({ current: created, applied: manifest(3, 'nginx:2'), manager: 'b', gvk, now: T0 }));
  assert.equal(
    err.message,
    'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
  );
  assert.equal(err.status.details!.causes!.length, 2);
});

test('updateManagedFields: create owns everything, unchanged writes change nothing, removals drop ownership', () => {
  const obj = manifest(2);
  const created = updateManagedFields(undefined, obj, 'kube-controller', 'Update', gvk, { now: T0 });
  assert.equal(created.length, 1);
  assert.equal(created[0].operation, 'Update');
  assert.ok((created[0].fieldsV1 as any)['f:spec']['f:replicas']);
  const withMf = { ...obj, metadata: { ...obj.metadata, managedFields: created } };
  assert.deepEqual(updateManagedFields(withMf, structuredClone(withMf), 'x', 'Update', gvk, { now: T1 }), created);
  const noReplicas = structuredClone(withMf) as any;
  delete noReplicas.spec.replicas;
  const after = updateManagedFields(withMf, noReplicas, 'x', 'Update', gvk, { now: T1 });
  assert.equal(after.length, 1, 'a pure removal gives x nothing to own');
  assert.ok(!('f:replicas' in (after[0].fieldsV1 as any)['f:spec']));
});

test('apply rejects bodies carrying managedFields and requires a manager', () => {
  const m = manifest(1);
  m.metadata.managedFields = [{ manager: 'x' }];
  assert.equal(conflictOf(() => serverSideApply({ applied: m, manager: 'k', gvk })).code, 400);
  assert.equal(conflictOf(() => serverSideApply({ applied: manifest(1), manager: '', gvk })).code, 400);
});

test('an object without managedFields: its fields belong to "before-first-apply" on the first apply', () => {
  const live = manifest(3);
  const err = conflictOf(() => serverSideApply({ current: live, applied: manifest(1), manager: 'helm', gvk, now: T0 }));
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
  const ok = serverSideApply({ current: live, applied: manifest(3, 'nginx:1.25'), manager: 'helm', gvk, now: T0 });
  assert.deepEqual(ok.managedFields.map((e) => `${e.manager}/${e.operation}`), ['helm/Apply', 'before-first-apply/Update']);
  const forced = serverSideApply({ current: live, applied: manifest(1), manager: 'helm', gvk, now: T0, force: true });
  assert.equal((forced.object.spec as any).replicas, 1);
});

test('updateManagedFields: managedFields [{}] and [] reset tracking (upstream isResetManagedFields; TestClearManagedFieldsWithUpdateEmptyList)', () => {
  const obj = manifest(2);
  const created = updateManagedFields(undefined, obj, 'a', 'Update', gvk, { now: T0 });
  const live = { ...obj, metadata: { ...obj.metadata, managedFields: created } };
  const cleared = structuredClone(live) as any;
  cleared.metadata.managedFields = [{}];
  assert.deepEqual(updateManagedFields(live, cleared, 'b', 'Update', gvk, { now: T1 }), []);
  cleared.spec.replicas = 9;
  const after = updateManagedFields(live, cleared, 'b', 'Update', gvk, { now: T1 });
  assert.deepEqual(after.map((e) => [e.manager, e.fieldsV1]), [['b', { 'f:spec': { 'f:replicas': {} } }]]);
  const emptied = structuredClone(live) as any;
  emptied.metadata.managedFields = [];
  assert.deepEqual(updateManagedFields(live, emptied, 'b', 'Update', gvk, { now: T1 }), []);
  // absent: the stored entries stay (clients that drop managedFields do not lose them)
  const absent = structuredClone(live) as any;
  delete absent.metadata.managedFields;
  assert.deepEqual(updateManagedFields(live, absent, 'b', 'Update', gvk, { now: T1 }), created);
});

test('updateManagedFields: an update\'s own managedFields replace the stored ones when they decode, else the stored ones stay (upstream decodeLiveOrNew)', () => {
  const obj = manifest(2);
  const created = updateManagedFields(undefined, obj, 'a', 'Update', gvk, { now: T0 });
  const live = { ...obj, metadata: { ...obj.metadata, managedFields: created } };
  const mine = [{ manager: 'mine', operation: 'Update', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
  const next = structuredClone(live) as any;
  next.metadata.managedFields = mine;
  assert.deepEqual(updateManagedFields(live, next, 'b', 'Update', gvk, { now: T1 }), mine, 'taken as they are when nothing else changed');
  next.spec.replicas = 5;
  assert.deepEqual(updateManagedFields(live, next, 'b', 'Update', gvk, { now: T1 }).map((e) => [e.manager, e.fieldsV1]), [['b', { 'f:spec': { 'f:replicas': {} } }]], 'the write takes replicas from them');
  // entries that do not decode (operation, apiVersion, fieldsType) leave the stored ones in place
  for (const bad of [{ operation: 'Foo' }, { apiVersion: '' }, { fieldsType: '' }, { fieldsType: 'FieldsV2' }, { fieldsV1: 'x' }]) {
    const n = structuredClone(live) as any;
    n.metadata.managedFields = [{ ...mine[0], ...bad }];
    assert.deepEqual(updateManagedFields(live, n, 'b', 'Update', gvk, { now: T1 }), created, JSON.stringify(bad));
  }
  // a subresource write never takes them from the body
  const status = structuredClone(live) as any;
  status.metadata.managedFields = mine;
  assert.deepEqual(updateManagedFields(live, status, 'b', 'Update', gvk, { now: T1, subresource: 'status' }), created);
});

test('a repeated identical apply changes nothing, not even the entry time', () => {
  const first = serverSideApply({ applied: manifest(2), manager: 'ctrl', gvk, now: T0 }).object;
  const again = serverSideApply({ current: first, applied: manifest(2), manager: 'ctrl', gvk, now: T1 }).object;
  assert.deepEqual(again, first);
  const changed = serverSideApply({ current: first, applied: manifest(3), manager: 'ctrl', gvk, now: T1 });
  assert.equal(changed.managedFields[0].time, T1);
});

test('entries of one time are ordered by manager as Go compares strings (upper case first), as upstream sortEncodedManagedFields', () => {
  // k8s.io/apiserver fieldmanager/internal/managedfields.go: operation, time, then p.Manager < q.Manager
  const obj = manifest(1);
  const first = updateManagedFields(undefined, obj, 'alpha', 'Update', gvk, { now: T0 });
  const relabeled = { ...obj, metadata: { ...obj.metadata, labels: { app: 'web', tier: 'front' }, managedFields: first } };
  const second = updateManagedFields({ ...obj, metadata: { ...obj.metadata, managedFields: first } }, relabeled, 'Zeta', 'Update', gvk, { now: T0 });
  assert.deepEqual(second.map((e) => e.manager), ['Zeta', 'alpha'], 'same operation and time: "Zeta" < "alpha" in Go');
  const later = updateManagedFields({ ...obj, metadata: { ...obj.metadata, managedFields: first } }, relabeled, 'Zeta', 'Update', gvk, { now: T1 });
  assert.deepEqual(later.map((e) => e.manager), ['alpha', 'Zeta'], 'older first');
});
