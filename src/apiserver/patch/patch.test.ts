import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/index.js';
import { applyPatch, jsonPatch, mergePatch, patchTypeOf, strategicMergePatch } from './index.js';

const deployGVK = { group: 'apps', version: 'v1', kind: 'Deployment' };
const podGVK = { group: '', version: 'v1', kind: 'Pod' };
const crGVK = { group: 'log.alibabacloud.com', version: 'v1alpha1', kind: 'AliyunLogConfig' };

function deployment(): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, finalizers: ['a/x', 'b/y'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
            { name: 'sidecar', image: 'busybox', args: ['sleep', '1000'] },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'k1', operator: 'Exists' }],
        },
      },
    },
  };
}

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected StatusError, got ${e}`);
    return e;
  }
  assert.fail('expected an error');
}

test('json patch applies ops on a copy and maps failures to upstream status codes', () => {
  const cur = deployment();
  const out = jsonPatch(cur, [
    { op: 'replace', path: '/spec/replicas', value: 5 },
    { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
    { op: 'remove', path: '/spec/template/spec/containers/1' },
  ]);
  assert.equal(out.spec.replicas, 5);
  assert.equal(out.metadata.labels.tier, 'fe');
  assert.equal(out.spec.template.spec.containers.length, 1);
  assert.equal(cur.spec.replicas, 2, 'input untouched');
  assert.equal(cur.spec.template.spec.containers.length, 2);

  const failedTest = statusOf(() => jsonPatch(cur, [{ op: 'test', path: '/spec/replicas', value: 3 }]));
  assert.equal(failedTest.code, 422);
  assert.equal(failedTest.reason, 'Invalid');
  assert.match(failedTest.status.details!.causes![0].message!, /testing value \/spec\/replicas failed/);
  const missing = statusOf(() => jsonPatch(cur, [{ op: 'remove', path: '/spec/nothere' }]));
  assert.equal(missing.code, 422);
  assert.equal(statusOf(() => jsonPatch(cur, { op: 'add' })).code, 400);
  assert.equal(statusOf(() => jsonPatch(cur, [{ op: 'frobnicate', path: '/a' }])).code, 400);
  assert.equal(statusOf(() => jsonPatch(cur, [{ op: 'add', path: '/a' }])).code, 400);
  assert.equal(statusOf(() => jsonPatch(cur, [{ op: 'add', path: 'spec/replicas', value: 1 }])).code, 400, 'not a JSON pointer');
  assert.equal(statusOf(() => jsonPatch(cur, [{ op: 'add', path: '/spec/nothere/deeper', value: 1 }])).code, 422);
  assert.equal(statusOf(() => jsonPatch(cur, [{ op: 'replace', path: '/spec/nothere', value: 1 }])).code, 422);
  assert.equal(statusOf(() => jsonPatch(cur, [{ op: 'move', from: '/spec/nothere', path: '/spec/x' }])).code, 422);
  // A failing op leaves no partial result behind.
  assert.equal(cur.spec.replicas, 2);
  assert.deepEqual(jsonPatch(cur, [{ op: 'test', path: '/spec/replicas', value: 2 }, { op: 'copy', from: '/metadata/labels', path: '/spec/template/metadata/labels' }]).spec.template.metadata.labels, { app: 'web' });
});

test('merge patch: null deletes, objects merge, lists replace', () => {
  const cur = deployment();
  const out = mergePatch(cur, { metadata: { labels: { app: null, v: '2' } }, spec: { template: { spec: { volumes: [] } } } });
  assert.deepEqual(out.metadata.labels, { v: '2' });
  assert.deepEqual(out.spec.template.spec.volumes, []);
  assert.equal(out.spec.template.spec.containers.length, 2);
  assert.deepEqual(cur.metadata.labels, { app: 'web' });
});

test('strategic merge patch merges containers by name, env by name and unions finalizers', () => {
  const cur = deployment();
  const out = strategicMergePatch(
    cur,
    {
      metadata: { finalizers: ['c/z'] },
      spec: {
        template: {
          spec: {
            containers: [{ name: 'nginx', image: 'nginx:1.27', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }] }],
            tolerations: [{ key: 'k2', operator: 'Exists' }],
          },
        },
      },
    },
    deployGVK,
  );
  const [nginx, sidecar] = out.spec.template.spec.containers;
  assert.equal(nginx.image, 'nginx:1.27');
  assert.deepEqual(nginx.ports, [{ containerPort: 80 }]);
  assert.deepEqual(nginx.env, [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
  assert.equal(sidecar.name, 'sidecar');
  // tolerations are atomic: replaced
  assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'k2', operator: 'Exists' }]);
  // finalizers: merge strategy on a primitive list is a union (new patch items first, as upstream)
  assert.deepEqual([...out.metadata.finalizers].sort(), ['a/x', 'b/y', 'c/z']);
  assert.equal(cur.spec.template.spec.containers[0].image, 'nginx:1.25');
});

test('strategic merge patch directives: delete, replace, retainKeys, deleteFromPrimitiveList, null', () => {
  const cur = deployment();
  const out = strategicMergePatch(
    cur,
    {
      metadata: { labels: { app: null }, '$deleteFromPrimitiveList/finalizers': ['a/x'] },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
        template: {
          spec: {
            containers: [{ name: 'sidecar', $patch: 'delete' }],
            volumes: [{ $patch: 'replace' }, { name: 'cache', emptyDir: { medium: 'Memory' } }],
          },
        },
      },
    },
    deployGVK,
  );
  assert.deepEqual(out.metadata.labels, {});
  assert.deepEqual(out.metadata.finalizers, ['b/y']);
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  assert.deepEqual(out.spec.template.spec.containers.map((c: any) => c.name), ['nginx']);
  assert.deepEqual(out.spec.template.spec.volumes, [{ name: 'cache', emptyDir: { medium: 'Memory' } }]);
  const replaced = strategicMergePatch(cur, { spec: { selector: { $patch: 'replace', matchLabels: { x: 'y' } } } }, deployGVK);
  assert.deepEqual(replaced.spec.selector, { matchLabels: { x: 'y' } });
  assert.equal(statusOf(() => strategicMergePatch(cur, { spec: { $patch: 'explode' } }, deployGVK)).code, 400);
  assert.equal(statusOf(() => strategicMergePatch(cur, { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, deployGVK)).code, 400);
});

test('kubectl apply 3-way patch with $setElementOrder keeps the declared order', () => {
  // What `kubectl apply` sends after the manifest added container "init-logs" before "nginx",
  // dropped "sidecar", and changed the image; plus the new last-applied annotation.
  const lastApplied = '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"}}';
  const cur = deployment();
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'logs' }, { name: 'nginx' }],
          containers: [
            { name: 'logs', image: 'fluent-bit:3' },
            { name: 'nginx', image: 'nginx:1.27', '$setElementOrder/env': [{ name: 'B' }, { name: 'A' }] },
            { name: 'sidecar', $patch: 'delete' },
          ],
        },
      },
    },
  };
  const out = strategicMergePatch(cur, patch, deployGVK);
  assert.deepEqual(out.spec.template.spec.containers.map((c: any) => c.name), ['logs', 'nginx']);
  assert.equal(out.spec.template.spec.containers[1].image, 'nginx:1.27');
  assert.deepEqual(out.spec.template.spec.containers[1].env.map((e: any) => e.name), ['B', 'A']);
  assert.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], lastApplied);
});

test('strategic merge patch on pods: ports by containerPort, volumes by name, null on absent field dropped', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, name: 'http' }] }], volumes: [{ name: 'a', emptyDir: {} }] },
  };
  const out = strategicMergePatch(
    pod,
    { spec: { nodeName: null, containers: [{ name: 'c', ports: [{ containerPort: 443, name: 'https' }] }], volumes: [{ name: 'b', emptyDir: {} }] } },
    podGVK,
  ) as any;
  assert.deepEqual(out.spec.containers[0].ports.map((p: any) => p.containerPort).sort(), [443, 80]);
  assert.deepEqual(out.spec.volumes.map((v: any) => v.name).sort(), ['a', 'b']);
  assert.ok(!('nodeName' in out.spec));
});

test('strategic merge patch on a custom resource is 415 with the upstream message', () => {
  const err = statusOf(() => strategicMergePatch({ metadata: {} }, { spec: {} }, crGVK));
  assert.equal(err.code, 415);
  assert.equal(err.reason, 'UnsupportedMediaType');
  assert.equal(
    err.message,
    'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
  );
});

test('applyPatch dispatches on content type and rejects bad bodies', () => {
  const cur = deployment();
  assert.equal(patchTypeOf('application/merge-patch+json; charset=utf-8'), 'merge');
  assert.equal(patchTypeOf('application/json'), undefined);
  assert.equal((applyPatch('application/json-patch+json', cur, '[{"op":"replace","path":"/spec/replicas","value":1}]', deployGVK) as any).spec.replicas, 1);
  assert.equal((applyPatch('application/merge-patch+json', cur, Buffer.from('{"spec":{"replicas":7}}'), deployGVK) as any).spec.replicas, 7);
  assert.equal((applyPatch('application/strategic-merge-patch+json', cur, { spec: { replicas: 4 } }, deployGVK) as any).spec.replicas, 4);
  assert.equal(statusOf(() => applyPatch('application/merge-patch+json', cur, '{not json', deployGVK)).code, 400);
  assert.equal(statusOf(() => applyPatch('application/merge-patch+json', cur, '[1]', deployGVK)).code, 400);
  assert.equal(statusOf(() => applyPatch('text/plain', cur, '{}', deployGVK)).code, 415);
  assert.equal(statusOf(() => applyPatch('application/strategic-merge-patch+json', cur, '{}', crGVK)).code, 415);
  assert.equal(statusOf(() => applyPatch('application/apply-patch+yaml', cur, '{}', deployGVK)).code, 400, 'apply needs a fieldManager');
  const applied = applyPatch('application/apply-patch+yaml', undefined, '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3}}', deployGVK, {
    fieldManager: 'kubectl',
    now: '2026-01-01T00:00:00Z',
  }) as any;
  assert.equal(applied.spec.replicas, 3);
  assert.equal(applied.metadata.managedFields[0].manager, 'kubectl');
  const fromYaml = applyPatch('application/apply-patch+yaml', undefined, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 6\n', deployGVK, { fieldManager: 'm' }) as any;
  assert.equal(fromYaml.spec.replicas, 6);
});

test('strategic merge patch: volume source switch with $retainKeys, service ports by port', () => {
  const cur = deployment();
  const out = strategicMergePatch(
    cur,
    { spec: { template: { spec: { volumes: [{ name: 'data', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }] } } } },
    deployGVK,
  );
  assert.deepEqual(out.spec.template.spec.volumes, [{ name: 'data', configMap: { name: 'cm' } }]);
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }], selector: { app: 'a' } } };
  const s2 = strategicMergePatch(svc, { spec: { ports: [{ port: 443, targetPort: 9443 }, { port: 80, $patch: 'delete' }], selector: { app: 'b' } } }, { group: '', version: 'v1', kind: 'Service' }) as any;
  assert.deepEqual(s2.spec.ports, [{ port: 443, targetPort: 9443 }]);
  assert.deepEqual(s2.spec.selector, { app: 'b' });
  assert.deepEqual(jsonPatch(svc, [{ op: 'add', path: '/metadata/labels', value: {} }, { op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'x' }]).metadata, {
    name: 's',
    labels: { 'app.kubernetes.io/name': 'x' },
  });
});

test('strategic merge patch: a {$patch: replace} element on an atomic list is not kept as an item', () => {
  const out = strategicMergePatch(deployment(), { spec: { template: { spec: { tolerations: [{ $patch: 'replace' }, { key: 'k9', operator: 'Exists' }] } } } }, deployGVK);
  assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'k9', operator: 'Exists' }]);
});
