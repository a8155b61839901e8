import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type KubeObject, StatusError } from '../../api/index.js';
import { eventually, ownerRef, startTestServer, type TestServer } from '../semantics-testkit.js';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: aliyunlogconfigs.log.alibabacloud.com}
spec:
  group: log.alibabacloud.com
  scope: Namespaced
  names: {plural: aliyunlogconfigs, kind: AliyunLogConfig, shortNames: [alc]}
  versions:
  - name: v1alpha1
    served: true
    storage: false
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Logstore, type: string, jsonPath: .spec.logstore}
    - {name: Shards, type: integer, jsonPath: .spec.shardCount}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: Desired log collection.
            required: [logstore]
            properties:
              logstore: {type: string, description: Logstore name.}
              shardCount: {type: integer, minimum: 1, maximum: 10, default: 2}
              replicas: {type: integer}
              indexes:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [key]
                items: {type: object, required: [key], properties: {key: {type: string}, token: {type: string}}}
          status:
            type: object
            properties:
              phase: {type: string}
              replicas: {type: integer}
              indexes:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [key]
                items: {type: object, required: [key], properties: {key: {type: string}, token: {type: string}}}
`;

const CR = (name: string, extra = '') => `apiVersion: log.alibabacloud.com/v1
kind: AliyunLogConfig
metadata: {name: ${name}}
spec:
  logstore: app-logs
${extra}`;

const CLUSTER_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {plural: widgets, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    selectableFields: [{jsonPath: .spec.size}]
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
`;

type Crd = KubeObject & { status?: { acceptedNames?: { plural?: string; kind?: string }; conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
const cond = (o: Crd | undefined, type: string) => o?.status?.conditions?.find((c) => c.type === type);

describe('CustomResourceDefinitions', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.close();
  });

  it('kubectl apply of a CRD serves its custom resources at once, with printer columns and explain', async () => {
    let r = await s.kubectl(['apply', '-f', s.file('crd.yaml', CRD)]);
    assert.equal(r.code, 0, r.stderr);
    r = await s.kubectl(['apply', '-f', s.file('cr.yaml', CR('one', '  shardCount: 3\n'))]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /aliyunlogconfig.log.alibabacloud.com\/one created/);
    r = await s.kubectl(['get', 'aliyunlogconfigs']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+LOGSTORE\s+SHARDS\s+AGE\n/);
    assert.match(r.stdout, /one\s+app-logs\s+3\s+\d+s/);
    r = await s.kubectl(['get', 'alc', 'one', '-o', 'json']);
    assert.equal(JSON.parse(r.stdout).spec.shardCount, 3);
    r = await s.kubectl(['explain', 'aliyunlogconfig.spec']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Desired log collection/);
    assert.match(r.stdout, /logstore\s+<string> -required-/);
    r = await s.kubectl(['api-resources', '--api-group', 'log.alibabacloud.com']);
    assert.match(r.stdout, /aliyunlogconfigs\s+alc\s+log.alibabacloud.com\/v1\s+true\s+AliyunLogConfig/);
  });

  it('the CRD status says NamesAccepted and Established, with acceptedNames and storedVersions', async () => {
    const crd = await eventually(() => {
      const o = s.get(s.type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'), undefined, 'aliyunlogconfigs.log.alibabacloud.com') as Crd;
      return cond(o, 'Established')?.status === 'True' ? o : undefined;
    }, 'Established');
    assert.equal(cond(crd, 'NamesAccepted')?.status, 'True');
    assert.deepEqual(crd.status?.acceptedNames, { plural: 'aliyunlogconfigs', singular: 'aliyunlogconfig', kind: 'AliyunLogConfig', listKind: 'AliyunLogConfigList', shortNames: ['alc'] });
    assert.deepEqual((crd.status as { storedVersions?: string[] }).storedVersions, ['v1']);
    const r = await s.kubectl(['wait', '--for', 'condition=established', 'crd/aliyunlogconfigs.log.alibabacloud.com', '--timeout=5s']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('discovery prefers the highest version and OpenAPI has a document per group-version', async () => {
    const g = JSON.parse((await s.kubectl(['get', '--raw', '/apis/log.alibabacloud.com'])).stdout);
    assert.equal(g.preferredVersion.version, 'v1');
    assert.deepEqual(g.versions.map((v: { version: string }) => v.version), ['v1', 'v1alpha1']);
    const v1 = JSON.parse((await s.kubectl(['get', '--raw', '/apis/log.alibabacloud.com/v1'])).stdout);
    assert.deepEqual(v1.resources.map((x: { name: string }) => x.name).sort(), ['aliyunlogconfigs', 'aliyunlogconfigs/scale', 'aliyunlogconfigs/status']);
    const root = JSON.parse((await s.kubectl(['get', '--raw', '/openapi/v3'])).stdout);
    assert.ok(root.paths['apis/log.alibabacloud.com/v1']);
    assert.ok(root.paths['apis/log.alibabacloud.com/v1alpha1']);
  });

  it('validates custom resources with upstream messages and causes, defaults and prunes', async () => {
    let r = await s.kubectl(['apply', '-f', s.file('bad.yaml', CR('bad', '  shardCount: 50\n'))]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The AliyunLogConfig "bad" is invalid: spec.shardCount: Invalid value: 50: spec.shardCount in body should be less than or equal to 10/);
    const t = s.type('log.alibabacloud.com', 'v1', 'aliyunlogconfigs');
    await assert.rejects(s.server.ops.create(t, 'default', { metadata: { name: 'bad' }, spec: { logstore: 'x', shardCount: 50 } }), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.message, 'AliyunLogConfig.log.alibabacloud.com "bad" is invalid: spec.shardCount: Invalid value: 50: spec.shardCount in body should be less than or equal to 10');
      assert.deepEqual(st.details?.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 50: spec.shardCount in body should be less than or equal to 10', field: 'spec.shardCount' }]);
      return true;
    });
    await assert.rejects(s.server.ops.create(t, 'default', { metadata: { name: 'bad2' }, spec: {} }), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 422);
      assert.deepEqual(st.details?.causes, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.logstore' }]);
      return true;
    });
    // Defaults and pruning (fieldValidation unset: unknown fields are dropped).
    const o = (await s.server.ops.create(t, 'default', { metadata: { name: 'pruned' }, spec: { logstore: 'x', junk: 1 }, extra: true } as KubeObject)).object as KubeObject & { spec: Record<string, unknown> };
    assert.deepEqual(o.spec, { logstore: 'x', shardCount: 2 });
    assert.equal((o as Record<string, unknown>).extra, undefined);
  });

  it('ratchets validation on updates: unchanged invalid fields do not block other changes', async () => {
    let t = s.type('log.alibabacloud.com', 'v1', 'aliyunlogconfigs');
    const crds = s.type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    await s.server.ops.create(t, 'default', { metadata: { name: 'ratchet' }, spec: { logstore: 'x', shardCount: 8 } });
    // Tighten the schema: shardCount <= 5 makes the stored object invalid.
    const crd = JSON.parse(JSON.stringify(s.get(crds, undefined, 'aliyunlogconfigs.log.alibabacloud.com'))) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    crd.spec.versions.find((v: { name: string }) => v.name === 'v1').schema.openAPIV3Schema.properties.spec.properties.shardCount.maximum = 5;
    await s.server.ops.update(crds, undefined, crd.metadata.name, crd);
    t = s.type('log.alibabacloud.com', 'v1', 'aliyunlogconfigs'); // re-registered with the new schema
    const cur = s.get(t, 'default', 'ratchet')!;
    const labelled = (await s.server.ops.update(t, 'default', 'ratchet', { ...cur, metadata: { ...cur.metadata, labels: { a: 'b' } } })).object;
    assert.equal(labelled.metadata.labels?.a, 'b');
    await assert.rejects(s.server.ops.update(t, 'default', 'ratchet', { ...labelled, spec: { logstore: 'x', shardCount: 7 } }), /spec.shardCount in body should be less than or equal to 5/);
    crd.spec.versions.find((v: { name: string }) => v.name === 'v1').schema.openAPIV3Schema.properties.spec.properties.shardCount.maximum = 10;
    delete crd.metadata.resourceVersion;
    await s.server.ops.update(crds, undefined, crd.metadata.name, crd);
    await s.server.ops.delete(t, 'default', 'ratchet');
  });

  it('fieldValidation=Strict (kubectl default) refuses unknown fields with 400', async () => {
    const r = await s.kubectl(['apply', '-f', s.file('strict.yaml', CR('strict', '  foo: bar\n'))]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /strict decoding error: unknown field "spec.foo"/);
    const warn = await s.kubectl(['apply', '--validate=warn', '-f', s.file('strict.yaml', CR('strict', '  foo: bar\n'))]);
    assert.equal(warn.code, 0, warn.stderr);
    assert.match(warn.stderr, /Warning: unknown field "spec.foo"/);
    const ok = await s.kubectl(['apply', '--validate=false', '-f', s.file('strict.yaml', CR('strict', '  foo: baz\n'))]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.doesNotMatch(ok.stderr, /Warning/);
    const o = JSON.parse((await s.kubectl(['get', 'alc', 'strict', '-o', 'json'])).stdout);
    assert.equal(o.spec.foo, undefined);
  });

  it('status subresource: main updates ignore status, /status ignores the rest; generation bumps on spec only', async () => {
    const t = s.type('log.alibabacloud.com', 'v1', 'aliyunlogconfigs');
    const created = (await s.server.ops.create(t, 'default', { metadata: { name: 'st' }, spec: { logstore: 'x' }, status: { phase: 'Set' } } as KubeObject)).object as KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(created.status, undefined);
    const withStatus = { ...created, status: { phase: 'Ready' }, spec: { logstore: 'ignored' } };
    const st = (await s.server.ops.update(t, 'default', 'st', withStatus, { subresource: 'status' })).object as KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(st.status.phase, 'Ready');
    assert.equal(st.spec.logstore, 'x');
    assert.equal(st.metadata.generation, 1);
    const main = (await s.server.ops.update(t, 'default', 'st', { ...st, spec: { logstore: 'y' }, status: { phase: 'Lost' } })).object as KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(main.status.phase, 'Ready');
    assert.equal(main.spec.logstore, 'y');
    assert.equal(main.metadata.generation, 2);
  });

  it('server-side apply merges map lists of custom resources by key across managers', async () => {
    const doc = (items: string) => `apiVersion: log.alibabacloud.com/v1\nkind: AliyunLogConfig\nmetadata: {name: ssa}\nspec:\n  logstore: x\n  indexes: [${items}]\n`;
    let r = await s.kubectl(['apply', '--server-side', '--field-manager=alice', '-f', '-'], doc('{key: a, token: t1}'));
    assert.equal(r.code, 0, r.stderr);
    r = await s.kubectl(['apply', '--server-side', '--field-manager=bob', '-f', '-'], doc('{key: b, token: t2}'));
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse((await s.kubectl(['get', 'alc', 'ssa', '-o', 'json'])).stdout);
    assert.deepEqual(o.spec.indexes, [{ key: 'a', token: 't1' }, { key: 'b', token: 't2' }]);
  });

  it('scale subresource and 415 for strategic merge patches', async () => {
    let r = await s.kubectl(['apply', '-f', s.file('sc.yaml', CR('sc', '  replicas: 1\n'))]);
    assert.equal(r.code, 0, r.stderr);
    r = await s.kubectl(['scale', 'alc', 'sc', '--replicas=4']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse((await s.kubectl(['get', 'alc', 'sc', '-o', 'json'])).stdout).spec.replicas, 4);
    r = await s.kubectl(['patch', 'alc', 'sc', '--type', 'strategic', '-p', '{"spec":{"replicas":2}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /UnsupportedMediaType|415|not supported/i);
  });

  it('cluster-scoped CRDs; name conflicts leave NamesAccepted False', async () => {
    let r = await s.kubectl(['apply', '-f', s.file('w.yaml', CLUSTER_CRD)]);
    assert.equal(r.code, 0, r.stderr);
    r = await s.kubectl(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.type('example.com', 'v1', 'widgets').namespaced, false);
    await s.kubectl(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 5}\n');
    r = await s.kubectl(['get', 'widgets', '--field-selector', 'spec.size=5', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'widget.example.com/w2');
    r = await s.kubectl(['get', 'widgets', '--field-selector', 'spec.color=red']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /field label not supported: spec.color/);
    // Another CRD of the group claiming the kind Widget is not served.
    const clash = CLUSTER_CRD.replace('widgets.example.com', 'gadgets.example.com').replace('plural: widgets', 'plural: gadgets');
    r = await s.kubectl(['apply', '-f', s.file('g.yaml', clash)]);
    assert.equal(r.code, 0, r.stderr);
    const crds = s.type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    const g = await eventually(() => {
      const o = s.get(crds, undefined, 'gadgets.example.com') as Crd;
      return cond(o, 'NamesAccepted') ? o : undefined;
    }, 'gadgets status');
    assert.equal(cond(g, 'NamesAccepted')?.status, 'False');
    assert.equal(cond(g, 'NamesAccepted')?.message, '"widget" is already in use');
    assert.equal(cond(g, 'Established')?.status, 'False');
    assert.equal(s.server.registry.get('example.com', 'v1', 'gadgets'), undefined);
  });

  it('CRDs in Kubernetes-owned groups need the api-approved annotation', async () => {
    const k8s = CLUSTER_CRD.replace(/example\.com/g, 'demo.k8s.io');
    let r = await s.kubectl(['apply', '-f', '-'], k8s);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /metadata.annotations\[api-approved.kubernetes.io\]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https:\/\/github.com\/kubernetes\/enhancements\/pull\/1111/);
    r = await s.kubectl(['apply', '-f', '-'], k8s.replace('metadata: {name: widgets.demo.k8s.io}', 'metadata: {name: widgets.demo.k8s.io, annotations: {api-approved.kubernetes.io: "unapproved, testing"}}'));
    assert.equal(r.code, 0, r.stderr);
    const crds = s.type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    const c = await eventually(() => cond(s.get(crds, undefined, 'widgets.demo.k8s.io') as Crd, 'KubeAPIApproved'), 'KubeAPIApproved');
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'UnapprovedAnnotation');
  });

  it('invalid CRDs are refused with 422', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], CLUSTER_CRD.replace('scope: Cluster', 'scope: Galaxy').replace(/widgets/g, 'things').replace('Widget', 'Thing'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The CustomResourceDefinition "things.example.com" is invalid: spec.scope: Unsupported value: "Galaxy": supported values: "Cluster", "Namespaced"/);
  });

  it('updating a CRD to stop serving a version drops it from discovery and OpenAPI', async () => {
    const r = await s.kubectl(['apply', '-f', s.file('crd.yaml', CRD.replace('served: true\n    storage: false', 'served: false\n    storage: false'))]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.server.registry.get('log.alibabacloud.com', 'v1alpha1', 'aliyunlogconfigs'), undefined);
    assert.equal(s.server.openapi.get('log.alibabacloud.com', 'v1alpha1'), undefined);
    assert.ok(s.server.registry.get('log.alibabacloud.com', 'v1', 'aliyunlogconfigs'));
    const g = JSON.parse((await s.kubectl(['get', '--raw', '/apis/log.alibabacloud.com'])).stdout);
    assert.deepEqual(g.versions.map((v: { version: string }) => v.version), ['v1']);
  });

  it('custom resources are garbage collected as dependents too', async () => {
    const cm = s.type('', 'v1', 'configmaps');
    const t = s.type('log.alibabacloud.com', 'v1', 'aliyunlogconfigs');
    const owner = await s.create(cm, { metadata: { name: 'cr-owner', namespace: 'default' } });
    await s.server.ops.create(t, 'default', { metadata: { name: 'owned', ownerReferences: [ownerRef(owner)] }, spec: { logstore: 'x' } });
    await s.server.ops.delete(cm, 'default', 'cr-owner');
    await eventually(() => !s.get(t, 'default', 'owned'), 'custom resource collected');
  });

  it('deleting a CRD deletes its custom resources (respecting finalizers), then leaves discovery and OpenAPI', async () => {
    const t = s.type('log.alibabacloud.com', 'v1', 'aliyunlogconfigs');
    const cm = s.type('', 'v1', 'configmaps');
    const held = (await s.server.ops.create(t, 'default', { metadata: { name: 'held', finalizers: ['example.com/hold'] }, spec: { logstore: 'x' } })).object;
    // A dependent of a custom resource is garbage collected with it.
    await s.create(cm, { metadata: { name: 'cr-dep', namespace: 'default', ownerReferences: [ownerRef(held)] } });
    let r = await s.kubectl(['delete', 'crd', 'aliyunlogconfigs.log.alibabacloud.com', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    const crds = s.type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    const crd = s.get(crds, undefined, 'aliyunlogconfigs.log.alibabacloud.com') as Crd;
    assert.ok(crd.metadata.finalizers?.includes('customresourcecleanup.apiextensions.k8s.io'));
    assert.equal(cond(crd, 'Terminating')?.status, 'True');
    await eventually(() => s.get(t, 'default', 'one') === undefined, 'instances deleted');
    assert.ok(s.get(t, 'default', 'held')?.metadata.deletionTimestamp);
    await assert.rejects(s.server.ops.create(t, 'default', { metadata: { name: 'late' }, spec: { logstore: 'x' } }), /not allowed while custom resource definition is terminating/);
    await s.server.ops.patch(t, 'default', 'held', 'application/merge-patch+json', Buffer.from('{"metadata":{"finalizers":null}}'));
    await eventually(() => !s.get(crds, undefined, 'aliyunlogconfigs.log.alibabacloud.com'), 'CRD removed');
    assert.equal(s.server.registry.get('log.alibabacloud.com', 'v1', 'aliyunlogconfigs'), undefined);
    assert.equal(s.server.openapi.get('log.alibabacloud.com', 'v1'), undefined);
    await eventually(() => !s.get(cm, 'default', 'cr-dep'), 'dependent of the custom resource collected');
    r = await s.kubectl(['get', '--raw', '/apis/log.alibabacloud.com/v1']);
    assert.notEqual(r.code, 0);
  });

  it('namespace deletion removes custom resources too', async () => {
    const ns = s.type('', 'v1', 'namespaces');
    await s.create(ns, { metadata: { name: 'crns' } });
    const w = s.type('example.com', 'v1', 'widgets');
    assert.ok(w);
    await s.kubectl(['apply', '-f', s.file('crd2.yaml', CRD)]);
    const t = await eventually(() => s.server.registry.get('log.alibabacloud.com', 'v1', 'aliyunlogconfigs'), 'served again');
    await s.server.ops.create(t, 'crns', { metadata: { name: 'in-ns' }, spec: { logstore: 'x' } });
    await s.server.ops.delete(ns, undefined, 'crns');
    await eventually(() => !s.get(ns, undefined, 'crns'), 'namespace gone');
    assert.equal(s.get(t, 'crns', 'in-ns'), undefined);
  });
});

describe('CRDs across restarts', () => {
  it('re-registers persisted CRDs before serving', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kubeloop-crd-'));
    try {
      let s = await startTestServer({ dataDir });
      let r = await s.kubectl(['apply', '-f', s.file('w.yaml', CLUSTER_CRD)]);
      assert.equal(r.code, 0, r.stderr);
      r = await s.kubectl(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n');
      assert.equal(r.code, 0, r.stderr);
      // A clashing CRD that sorts first by name must not win the names after a restart.
      r = await s.kubectl(['apply', '-f', '-'], CLUSTER_CRD.replace('widgets.example.com', 'gadgets.example.com').replace('plural: widgets', 'plural: gadgets'));
      assert.equal(r.code, 0, r.stderr);
      const crds = s.type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
      await eventually(() => cond(s.get(crds, undefined, 'gadgets.example.com') as Crd, 'NamesAccepted')?.status === 'False'
        && cond(s.get(crds, undefined, 'widgets.example.com') as Crd, 'NamesAccepted')?.status === 'True', 'statuses written');
      await s.close();
      s = await startTestServer({ dataDir });
      try {
        assert.ok(s.server.registry.get('example.com', 'v1', 'widgets'));
        assert.equal(s.server.registry.get('example.com', 'v1', 'gadgets'), undefined);
        assert.ok(s.server.openapi.get('example.com', 'v1'));
        r = await s.kubectl(['get', 'widgets', 'w1', '-o', 'jsonpath={.spec.size}']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '3');
      } finally {
        await s.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
