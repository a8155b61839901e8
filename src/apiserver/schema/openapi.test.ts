import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aliyunLogConfigCrd } from './testdata.js';
import {
  builtinDefinitionName,
  builtinOpenAPIv3GroupVersions,
  builtinSchemaNode,
  crdSchemaName,
  crdToOpenAPIv3,
  isBuiltinKind,
  loadBuiltinOpenAPI,
  loadBuiltinOpenAPIv3,
  loadBuiltinSwagger,
  mergeOpenAPIDocs,
  openAPIDir,
  structuralSchemaNode,
  type CustomResourceDefinition,
} from './index.js';

test('built-in documents load lazily from the package\'s own copy and are cached', () => {
  assert.match(openAPIDir(), /src[/\\]apiserver[/\\]openapi[/\\]kubernetes-v1\.32$/);
  assert.equal(openAPIDir('/tmp/x'), '/tmp/x');
  const a = loadBuiltinSwagger();
  assert.equal(a, loadBuiltinSwagger(), 'parsed once');
  assert.ok(Object.keys(a.definitions).length > 600);
  assert.equal(builtinDefinitionName({ group: 'apps', version: 'v1', kind: 'Deployment' }), 'io.k8s.api.apps.v1.Deployment');
  assert.equal(builtinDefinitionName({ group: '', version: 'v1', kind: 'Pod' }), 'io.k8s.api.core.v1.Pod');
  assert.equal(isBuiltinKind({ group: 'log.alibabacloud.com', version: 'v1alpha1', kind: 'AliyunLogConfig' }), false);
  assert.equal(isBuiltinKind({ group: '', version: 'v1', kind: 'DeleteOptions' }), false, 'meta types listed for every group are not kinds');
  const gvs = builtinOpenAPIv3GroupVersions();
  assert.ok(gvs.some((g) => g.group === '' && g.version === 'v1' && g.path === 'api/v1'));
  assert.ok(gvs.some((g) => g.group === 'apps' && g.path === 'apis/apps/v1'));
  assert.ok(loadBuiltinOpenAPIv3('apps', 'v1')!.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']);
  assert.equal(loadBuiltinOpenAPIv3('nope.example.com', 'v1'), undefined);
  const handle = loadBuiltinOpenAPI();
  assert.ok(handle.definitionForGVK({ group: 'batch', version: 'v1', kind: 'Job' }));
  const prev = process.env.KUBELOOP_OPENAPI_DIR;
  process.env.KUBELOOP_OPENAPI_DIR = '/elsewhere';
  try {
    assert.equal(openAPIDir(), '/elsewhere');
  } finally {
    if (prev === undefined) delete process.env.KUBELOOP_OPENAPI_DIR;
    else process.env.KUBELOOP_OPENAPI_DIR = prev;
  }
});

test('schema nodes expose patch strategies and list semantics', () => {
  const pod = builtinSchemaNode({ group: '', version: 'v1', kind: 'Pod' })!;
  const containers = pod.field('spec')!.field('containers')!;
  assert.deepEqual(containers.patchStrategy, ['merge']);
  assert.equal(containers.patchMergeKey, 'name');
  assert.equal(containers.listType, 'map');
  assert.deepEqual(containers.listMapKeys, ['name']);
  const ports = containers.items()!.field('ports')!;
  assert.deepEqual(ports.listMapKeys, ['containerPort', 'protocol']);
  assert.equal(pod.field('spec')!.field('tolerations')!.listType, 'atomic');
  assert.equal(pod.field('metadata')!.field('finalizers')!.listType, 'set');
  assert.equal(pod.field('metadata')!.field('labels')!.field('anything')!.type, 'scalar');
  const deploy = builtinSchemaNode({ group: 'apps', version: 'v1', kind: 'Deployment' })!;
  assert.deepEqual(deploy.field('spec')!.field('strategy')!.patchStrategy, ['retainKeys']);
  assert.equal(deploy.field('spec')!.field('selector')!.mapType, 'atomic');
  assert.equal(builtinSchemaNode({ group: 'x.io', version: 'v1', kind: 'Y' }), undefined);

  const cr = structuralSchemaNode(aliyunLogConfigCrd().spec.versions[0].schema!.openAPIV3Schema!, { resourceRoot: true });
  assert.equal(cr.field('metadata')!.field('finalizers')!.listType, 'set', 'CR metadata is ObjectMeta');
  assert.equal(cr.field('spec')!.field('indexes')!.listType, 'map');
  assert.equal(cr.field('spec')!.field('inputDetail')!.type, 'any');
  assert.equal(cr.field('spec')!.field('nothere'), undefined);
});

test('crdToOpenAPIv3 publishes schemas and paths kubectl accepts', () => {
  const crd = aliyunLogConfigCrd();
  assert.equal(crdSchemaName('log.alibabacloud.com', 'v1alpha1', 'AliyunLogConfig'), 'com.alibabacloud.log.v1alpha1.AliyunLogConfig');
  const doc = crdToOpenAPIv3(crd, 'v1alpha1');
  assert.equal(doc.openapi, '3.0.0');
  const kind = doc.components.schemas['com.alibabacloud.log.v1alpha1.AliyunLogConfig'] as any;
  assert.deepEqual(kind['x-kubernetes-group-version-kind'], [{ group: 'log.alibabacloud.com', kind: 'AliyunLogConfig', version: 'v1alpha1' }]);
  assert.equal(kind.description, 'AliyunLogConfig ships container logs to an SLS logstore.');
  assert.equal(kind.properties.spec.properties.logstore.description, 'Logstore name.');
  assert.deepEqual(kind.properties.metadata.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
  assert.match(kind.properties.apiVersion.description, /APIVersion defines the versioned schema/);
  const list = doc.components.schemas['com.alibabacloud.log.v1alpha1.AliyunLogConfigList'] as any;
  assert.deepEqual(list['x-kubernetes-group-version-kind'], [{ group: 'log.alibabacloud.com', kind: 'AliyunLogConfigList', version: 'v1alpha1' }]);
  assert.equal(list.properties.items.items.$ref, '#/components/schemas/com.alibabacloud.log.v1alpha1.AliyunLogConfig');
  for (const meta of ['ObjectMeta', 'ListMeta', 'Status', 'DeleteOptions', 'Patch', 'ManagedFieldsEntry', 'OwnerReference', 'Time']) {
    assert.ok(doc.components.schemas[`io.k8s.apimachinery.pkg.apis.meta.v1.${meta}`], meta);
  }
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    '/apis/log.alibabacloud.com/v1alpha1/aliyunlogconfigs',
    '/apis/log.alibabacloud.com/v1alpha1/namespaces/{namespace}/aliyunlogconfigs',
    '/apis/log.alibabacloud.com/v1alpha1/namespaces/{namespace}/aliyunlogconfigs/{name}',
    '/apis/log.alibabacloud.com/v1alpha1/namespaces/{namespace}/aliyunlogconfigs/{name}/status',
  ]);
  const item = doc.paths['/apis/log.alibabacloud.com/v1alpha1/namespaces/{namespace}/aliyunlogconfigs/{name}'] as any;
  assert.deepEqual(Object.keys(item).sort(), ['delete', 'get', 'parameters', 'patch', 'put']);
  assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], { group: 'log.alibabacloud.com', kind: 'AliyunLogConfig', version: 'v1alpha1' });
  assert.ok(item.patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'));
  assert.equal(item.patch.operationId, 'patchLogAlibabacloudComV1alpha1NamespacedAliyunLogConfig');
  assert.equal(item.patch.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/com.alibabacloud.log.v1alpha1.AliyunLogConfig');
  assert.deepEqual(item.patch.tags, ['logAlibabacloudCom_v1alpha1']);
  assert.equal(item.parameters.find((p: any) => p.name === 'name').description, 'name of the AliyunLogConfig');
  const coll = doc.paths['/apis/log.alibabacloud.com/v1alpha1/namespaces/{namespace}/aliyunlogconfigs'] as any;
  assert.equal(coll.get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/com.alibabacloud.log.v1alpha1.AliyunLogConfigList');
  assert.ok(!JSON.stringify(doc).includes('io.k8s.api.apps.v1.Deployment'), 'nothing of the template leaks');
  // Every $ref resolves inside the document.
  const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[^"]+/g)!;
  for (const r of refs) assert.ok(doc.components.schemas[r.slice('#/components/schemas/'.length)], r);
});

test('cluster-scoped CRDs, scale subresources and merging documents', () => {
  const c: CustomResourceDefinition = aliyunLogConfigCrd();
  c.spec.scope = 'Cluster';
  c.spec.names = { plural: 'widgets', kind: 'Widget' };
  c.metadata.name = 'widgets.log.alibabacloud.com';
  c.spec.versions[0].subresources = {};
  const cdoc = crdToOpenAPIv3(c, 'v1alpha1');
  assert.deepEqual(Object.keys(cdoc.paths).sort(), ['/apis/log.alibabacloud.com/v1alpha1/widgets', '/apis/log.alibabacloud.com/v1alpha1/widgets/{name}']);
  assert.ok(cdoc.components.schemas['com.alibabacloud.log.v1alpha1.WidgetList'], 'listKind defaults to <Kind>List');
  assert.ok(!JSON.stringify(cdoc).includes('CustomResourceDefinition'), 'nothing of the template leaks');

  const scaled = aliyunLogConfigCrd();
  scaled.spec.versions[0].subresources = { status: {}, scale: { specReplicasPath: '.spec.shardCount', statusReplicasPath: '.status.shards' } };
  const sdoc = crdToOpenAPIv3(scaled, 'v1alpha1');
  const scale = sdoc.paths['/apis/log.alibabacloud.com/v1alpha1/namespaces/{namespace}/aliyunlogconfigs/{name}/scale'] as any;
  assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.ok(sdoc.components.schemas['io.k8s.api.autoscaling.v1.Scale']);

  const merged = mergeOpenAPIDocs([crdToOpenAPIv3(aliyunLogConfigCrd(), 'v1alpha1'), cdoc]);
  assert.ok(merged.components.schemas['com.alibabacloud.log.v1alpha1.Widget']);
  assert.ok(merged.components.schemas['com.alibabacloud.log.v1alpha1.AliyunLogConfig']);
  assert.ok(merged.paths['/apis/log.alibabacloud.com/v1alpha1/widgets/{name}']);
  assert.ok(merged.paths['/apis/log.alibabacloud.com/v1alpha1/namespaces/{namespace}/aliyunlogconfigs/{name}']);
  assert.ok(merged.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  assert.throws(() => crdToOpenAPIv3(c, 'v9'), /no version v9/);
});
