import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldsV1FromObject, fieldSetFromObject } from './fieldpath.js';
import { managerOrUserAgent, prefixFromUserAgent, rootNode, updateManagedFields } from './index.js';
import { ANCIENT_CHANGES, MAX_UPDATE_MANAGERS } from './ssa.js';

test('managerOrUserAgent: fieldManager first, else the User-Agent before its first "/" (upstream create.go cases)', () => {
  assert.equal(managerOrUserAgent('manager', 'userAgent'), 'manager');
  assert.equal(managerOrUserAgent(undefined, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36'), 'Mozilla');
  assert.equal(managerOrUserAgent('', 'kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:x'), 'kube-controller-manager');
  assert.equal(managerOrUserAgent(undefined, 'no-slash'), 'no-slash');
  assert.equal(managerOrUserAgent(undefined, ''), '');
  assert.equal(managerOrUserAgent(undefined, undefined), '');
  // cut at 128 bytes, never inside a character; non-printable characters dropped
  assert.equal(prefixFromUserAgent(`${'f'.repeat(130)}/Something`), 'f'.repeat(128));
  assert.equal(prefixFromUserAgent('🍔'.repeat(60)), '🍔'.repeat(32));
  assert.equal(prefixFromUserAgent('a\u0000b\tc d/1'), 'abc d');
});

const pod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u', labels: { z: '1', a: '2' }, finalizers: ['x/y', 'a/b'], ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: 'o1' }] },
  spec: {
    containers: [
      { name: 'web', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443, protocol: 'TCP' }], env: [{ name: 'B', value: '1' }, { name: 'A', value: '2' }], resources: {} },
      { name: 'side', image: 'busybox', command: ['sh', '-c'] },
    ],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'k', operator: 'Exists' }],
  },
  status: { phase: 'Pending' },
};

test('fieldsV1FromObject writes what fieldSetFromObject(...).toFieldsV1() does, in one walk', () => {
  const gvk = { group: '', version: 'v1', kind: 'Pod' };
  const node = rootNode(gvk);
  assert.deepEqual(fieldsV1FromObject(pod, node), fieldSetFromObject(pod, node).toFieldsV1());
  assert.deepEqual(JSON.stringify(fieldsV1FromObject(pod, node)), JSON.stringify(fieldSetFromObject(pod, node).toFieldsV1()), 'same key order');
  const noStatus = fieldSetFromObject(pod, node);
  noStatus.deleteChild('f:status');
  assert.deepEqual(fieldsV1FromObject(pod, node, ['status']), noStatus.toFieldsV1());
  // two items with one key merge (the general walk's answer)
  const dup = structuredClone(pod);
  dup.spec.containers.push({ name: 'web', image: 'other', command: ['x', 'y'] });
  assert.deepEqual(fieldsV1FromObject(dup, node), fieldSetFromObject(dup, node).toFieldsV1());
  // free-form (a custom resource without a schema), and an object with nothing tracked
  const cr = { apiVersion: 'x.io/v1', kind: 'Thing', metadata: { name: 't' }, spec: { b: [1, 2], a: { y: 1, x: {} } } };
  assert.deepEqual(fieldsV1FromObject(cr, rootNode({ group: 'x.io', version: 'v1', kind: 'Thing' })), fieldSetFromObject(cr, undefined).toFieldsV1());
  assert.equal(fieldsV1FromObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n', uid: 'u' } }, undefined), undefined);
});

test('updateManagedFields on a create: one Update entry owning every tracked field; the empty manager has no manager key', () => {
  const gvk = { group: '', version: 'v1', kind: 'Pod' };
  const [e, ...rest] = updateManagedFields(undefined, { ...pod, metadata: { ...pod.metadata, managedFields: [{ manager: 'forged', operation: 'Apply' }] } }, '', 'Update', gvk, { now: '2026-01-01T00:00:00Z', ignore: ['status'] });
  assert.deepEqual(rest, []);
  assert.equal('manager' in e, false);
  assert.deepEqual(Object.keys(e), ['operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
  assert.equal((e.fieldsV1 as Record<string, unknown>)['f:status'], undefined);
  assert.ok((e.fieldsV1 as Record<string, Record<string, unknown>>)['f:spec']['f:containers']);
  assert.deepEqual(updateManagedFields(undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n' } }, 'm', 'Update', { group: '', version: 'v1', kind: 'ConfigMap' }), []);
});

test('a create reuses the last FieldsV1 of its type only when the object writes exactly those fields', async () => {
  const { writesFieldsV1 } = await import('./fieldpath.js');
  const gvk = { group: '', version: 'v1', kind: 'ConfigMap' };
  const node = rootNode(gvk);
  const cm = (data: Record<string, string>, labels?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', uid: 'u', ...(labels ? { labels } : {}) }, data });
  const shapes = [cm({ a: '1' }), cm({ a: '2' }), cm({ a: '1', b: '2' }), cm({ b: '1' }), cm({ a: '1' }, { x: 'y' }), cm({ a: '1' }, {}), cm({}), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, cm({ a: '1' })];
  for (const obj of shapes) {
    const built = fieldSetFromObject(obj, node);
    const got = updateManagedFields(undefined, obj, 'm', 'Update', gvk, { now: 'T' });
    assert.deepEqual(got.map((e) => e.fieldsV1), built.isEmpty() ? [] : [built.toFieldsV1()], JSON.stringify(obj));
  }
  const f = fieldsV1FromObject(cm({ a: '1' }, { x: 'y' }), node)!;
  assert.equal(writesFieldsV1(cm({ a: '9' }, { x: 'z' }), node, f), true);
  assert.equal(writesFieldsV1(cm({ a: '9' }), node, f), false);
  assert.equal(writesFieldsV1(cm({ a: '9', b: '1' }, { x: 'z' }), node, f), false);
  assert.equal(writesFieldsV1(cm({ b: '9' }, { x: 'z' }), node, f), false);
  // lists with items are built, never matched
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x' }] } };
  const podNode = rootNode({ group: '', version: 'v1', kind: 'Pod' });
  assert.equal(writesFieldsV1(pod, podNode, fieldsV1FromObject(pod, podNode)!), false);
  // the shared FieldsV1 cannot be changed in place
  const [e] = updateManagedFields(undefined, cm({ q: '1' }), 'm', 'Update', gvk);
  const [e2] = updateManagedFields(undefined, cm({ q: '2' }), 'n', 'Update', gvk);
  assert.equal(e.fieldsV1, e2.fieldsV1);
  assert.ok(Object.isFrozen(e.fieldsV1) && Object.isFrozen((e.fieldsV1 as Record<string, unknown>)['f:data']));
});

test('creates that would record the same entry share one frozen managedFields list; each later write records its own', () => {
  const gvk = { group: '', version: 'v1', kind: 'ConfigMap' };
  const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, uid: name }, data });
  const a = updateManagedFields(undefined, cm('a', { k: '1' }), 'm', 'Update', gvk, { now: 'T1' });
  const b = updateManagedFields(undefined, cm('b', { k: '2' }), 'm', 'Update', gvk, { now: 'T1' });
  assert.equal(a, b, 'the same manager, version, fields and second: one list');
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a[0]));
  assert.deepEqual(a, [{ manager: 'm', operation: 'Update', apiVersion: 'v1', time: 'T1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:k': {} } } }]);
  assert.deepEqual(Object.keys(a[0]), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1'], 'upstream\'s key order');
  // anything that differs gets an entry of its own
  const other = [
    updateManagedFields(undefined, cm('c', { k: '3' }), 'n', 'Update', gvk, { now: 'T1' }),
    updateManagedFields(undefined, cm('d', { k: '4' }), 'm', 'Update', gvk, { now: 'T2' }),
    updateManagedFields(undefined, cm('e', { k: '5' }), 'm', 'Update', gvk, { now: 'T2', subresource: 'status' }),
    updateManagedFields(undefined, cm('f', { j: '6' }), 'm', 'Update', gvk, { now: 'T2' }),
    updateManagedFields(undefined, cm('g', { k: '7' }), '', 'Update', gvk, { now: 'T2' }),
  ];
  assert.deepEqual(other.map(([e]) => [e.manager, e.time, e.subresource, e.fieldsV1]), [
    ['n', 'T1', undefined, { 'f:data': { 'f:k': {} } }],
    ['m', 'T2', undefined, { 'f:data': { 'f:k': {} } }],
    ['m', 'T2', 'status', { 'f:data': { 'f:k': {} } }],
    ['m', 'T2', undefined, { 'f:data': { 'f:j': {} } }],
    [undefined, 'T2', undefined, { 'f:data': { 'f:k': {} } }],
  ]);
  assert.ok(!('manager' in other[4][0]), 'the empty manager: an entry without one');
  // an update of an object holding the shared list records into a list of its own, leaving the shared one as it was
  const stored = { ...cm('a', { k: '1' }), metadata: { name: 'a', uid: 'a', managedFields: a } };
  const next = { ...cm('a', { k: '1', l: '2' }), metadata: { name: 'a', uid: 'a', managedFields: a } };
  const updated = updateManagedFields(stored, next, 'other', 'Update', gvk, { now: 'T3' });
  assert.notEqual(updated, a);
  assert.deepEqual(updated.map((e) => [e.manager, e.time, e.fieldsV1]), [['m', 'T1', { 'f:data': { 'f:k': {} } }], ['other', 'T3', { 'f:data': { 'f:l': {} } }]]);
  assert.deepEqual(b, [{ manager: 'm', operation: 'Update', apiVersion: 'v1', time: 'T1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:k': {} } } }]);
});

test('updateManagedFields keeps at most 10 Update entries: the oldest are merged per apiVersion into ancient-changes, as upstream capManagersManager', () => {
  const gvk = { group: '', version: 'v1', kind: 'ConfigMap' };
  type Obj = { apiVersion: string; kind: string; metadata: { name: string; managedFields?: unknown[] }; data: Record<string, string> };
  let obj: Obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n' }, data: {} };
  const write = (manager: string, key: string, now: string, apiVersion = 'v1') => {
    const next: Obj = { ...obj, metadata: { ...obj.metadata }, data: { ...obj.data, [key]: '1' } };
    next.metadata.managedFields = updateManagedFields(obj, next, manager, 'Update', { ...gvk, version: apiVersion }, { now });
    obj = next;
  };
  // an apply entry is never merged nor counted
  obj.metadata.managedFields = [{ manager: 'applier', operation: 'Apply', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:applied': {} } } }];
  obj.data.applied = '1';
  for (let i = 1; i <= MAX_UPDATE_MANAGERS; i++) write(`m${String(i).padStart(2, '0')}`, `k${i}`, `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`);
  const managers = () => (obj.metadata.managedFields as Array<{ manager: string }>).map((e) => e.manager);
  assert.equal(managers().length, 11, 'ten Update entries and the apply: nothing merged yet');
  write('m11', 'k11', '2026-01-01T00:00:11Z');
  const entries = obj.metadata.managedFields as Array<{ manager: string; time: string; apiVersion: string; fieldsV1: unknown }>;
  assert.deepEqual(managers(), ['applier', ANCIENT_CHANGES, 'm03', 'm04', 'm05', 'm06', 'm07', 'm08', 'm09', 'm10', 'm11']);
  const bucket = entries[1];
  assert.equal(bucket.time, '2026-01-01T00:00:02Z', 'the bucket takes the newest merged entry\'s time');
  assert.deepEqual(bucket.fieldsV1, { 'f:data': { 'f:k1': {}, 'f:k2': {} } });
  // the next update merges the oldest remaining updater into the existing bucket
  write('m12', 'k12', '2026-01-01T00:00:12Z');
  assert.deepEqual(managers(), ['applier', ANCIENT_CHANGES, 'm04', 'm05', 'm06', 'm07', 'm08', 'm09', 'm10', 'm11', 'm12']);
  assert.deepEqual((obj.metadata.managedFields as typeof entries)[1].fieldsV1, { 'f:data': { 'f:k1': {}, 'f:k2': {}, 'f:k3': {} } });
  // an Update entry of another apiVersion counts too (the v1 bucket takes the oldest v1 updater)
  write('other', 'k13', '2026-01-01T00:00:13Z', 'v2');
  assert.deepEqual(managers(), ['applier', ANCIENT_CHANGES, 'm05', 'm06', 'm07', 'm08', 'm09', 'm10', 'm11', 'm12', 'other']);
});
