import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/index.js';
import { defineKind, kindRefOf, guessPlural, Pod, Node, ConfigMap, type ObjectOf } from './kinds.js';
import { defineCustomResource, crdManifest, definedCustomResources } from './crd.js';
import { generationChanged, labelsChanged, annotationsChanged, resourceVersionChanged, labelSelector, and, or, not, admits, newPredicate } from './predicates.js';
import { setCondition, findCondition, isTrue, removeCondition } from './conditions.js';
import { setControllerReference, setOwnerReference, AlreadyOwnedError, addFinalizer, removeFinalizer, hasFinalizer } from './ownership.js';
import { Controller, Index, controllerMetadata, registeredControllers, toRequests } from './metadata.js';
import { TerminalError, isTerminalError, isPanic } from './errors.js';

const obj = (meta: Partial<KubeObject['metadata']> = {}, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'a', namespace: 'ns', ...meta },
  ...extra,
});

test('kinds: built-ins carry plural and scope; classes with static fields are kind refs', () => {
  assert.equal(Pod.plural, 'pods');
  assert.equal(Node.namespaced, false);
  class Foo {
    static apiVersion = 'example.com/v1';
    static kind = 'Policy';
  }
  const r = kindRefOf(Foo);
  assert.equal(r.group, 'example.com');
  assert.equal(r.plural, 'policies');
  assert.equal(kindRefOf(Foo), r);
  assert.equal(guessPlural('Ingress'), 'ingresses');
  assert.throws(() => kindRefOf({}), /no string apiVersion and kind/);
  assert.throws(() => kindRefOf(undefined), /not a kind reference/);
  assert.throws(() => defineKind({ apiVersion: '', kind: 'X' }), /apiVersion is required/);
});

test('defineCustomResource: typed object and CRD manifest from one schema', () => {
  const Widget = defineCustomResource({
    group: 'test.kubeloop.io',
    version: 'v1',
    kind: 'Gadget',
    plural: 'gadgets',
    shortNames: ['gd'],
    schema: {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          required: ['size'],
          properties: { size: { type: 'integer', minimum: 1 }, color: { type: 'string', enum: ['red', 'blue'] }, tags: { type: 'array', items: { type: 'string' } } },
        },
        status: { type: 'object', properties: { ready: { type: 'boolean' } } },
      },
    },
    subresources: { status: true },
    printerColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
  });
  // compile-time: the object type follows the schema
  const w: ObjectOf<typeof Widget> = { metadata: { name: 'x' }, spec: { size: 3, color: 'red', tags: ['a'] }, status: { ready: true } };
  const size: number = w.spec!.size;
  assert.equal(size, 3);
  assert.equal(Widget.hasStatus, true);
  assert.ok(definedCustomResources().includes(Widget as never));
  const crd = crdManifest(Widget) as any;
  assert.equal(crd.metadata.name, 'gadgets.test.kubeloop.io');
  assert.deepEqual(crd.spec.names, { kind: 'Gadget', listKind: 'GadgetList', plural: 'gadgets', singular: 'gadget', shortNames: ['gd'] });
  assert.equal(crd.spec.scope, 'Namespaced');
  const v = crd.spec.versions[0];
  assert.equal(v.storage, true);
  assert.deepEqual(v.subresources, { status: {} });
  assert.equal(v.schema.openAPIV3Schema.properties.spec.properties.size.minimum, 1);
  assert.equal(v.schema.openAPIV3Schema.properties.metadata.type, 'object');
  assert.throws(() => defineCustomResource({ group: 'nodots', version: 'v1', kind: 'x', plural: 'X', schema: { type: 'object' } }), /group "nodots".*kind "x".*plural "X"/);
  assert.throws(
    () =>
      defineCustomResource({
        group: 'a.b', version: 'v1', kind: 'Bad', plural: 'bads',
        schema: { type: 'object', properties: { spec: { type: 'object', required: ['nope'], properties: { list: { type: 'array' }, free: {} } } } },
      }),
    /spec\.properties\.list\.items must be set.*spec\.properties\.free\.type must be set.*"nope" is not a declared property/,
  );
});

test('predicates: change detectors and combinators', () => {
  const a = obj({ generation: 1, resourceVersion: '1', labels: { app: 'a' }, annotations: { x: '1' } });
  const b = obj({ generation: 1, resourceVersion: '2', labels: { app: 'a' }, annotations: { x: '1' } });
  const c = obj({ generation: 2, resourceVersion: '3', labels: { app: 'b' }, annotations: { x: '2' } });
  assert.equal(admits(generationChanged(), 'update', b, a), false);
  assert.equal(admits(generationChanged(), 'update', c, b), true);
  assert.equal(admits(generationChanged(), 'create', a), true);
  assert.equal(admits(generationChanged(), 'update', obj({ generation: 1, deletionTimestamp: 'x' }), a), true);
  assert.equal(admits(resourceVersionChanged(), 'update', a, a), false);
  assert.equal(admits(resourceVersionChanged(), 'update', b, a), true);
  assert.equal(admits(labelsChanged(), 'update', b, a), false);
  assert.equal(admits(labelsChanged(), 'update', c, b), true);
  assert.equal(admits(labelsChanged(), 'update', obj({ labels: { app: 'a', x: 'y' } }), a), true);
  assert.equal(admits(annotationsChanged(), 'update', c, b), true);
  assert.equal(admits(labelSelector('app=a'), 'create', a), true);
  assert.equal(admits(labelSelector({ matchLabels: { app: 'b' } }), 'delete', a), false);
  assert.equal(admits(and(generationChanged(), labelsChanged()), 'update', c, b), true);
  assert.equal(admits(and(generationChanged(), labelSelector('app=a')), 'update', c, b), false);
  assert.equal(admits(or(generationChanged(), labelSelector('app=a')), 'update', b, a), true);
  assert.equal(admits(or(), 'create', a), false);
  assert.equal(admits(not(labelSelector('app=a')), 'generic', a), false);
  assert.equal(admits(newPredicate((o) => o.metadata.name === 'a'), 'update', a, a), true);
  assert.throws(() => labelSelector('app in ('), /./);
});

test('conditions: lastTransitionTime changes only with status', () => {
  const t1 = new Date('2026-01-01T00:00:00Z');
  const t2 = new Date('2026-01-02T00:00:00Z');
  let { list, changed } = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Init', message: 'starting' }, t1);
  assert.equal(changed, true);
  assert.equal(list[0].lastTransitionTime, '2026-01-01T00:00:00Z');
  ({ changed } = setCondition(list, { type: 'Ready', status: 'False', reason: 'Still', message: 'm' }, t2));
  assert.equal(changed, true);
  assert.equal(findCondition(list, 'Ready')!.lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.equal(findCondition(list, 'Ready')!.reason, 'Still');
  ({ changed } = setCondition(list, { type: 'Ready', status: 'False', reason: 'Still', message: 'm' }, t2));
  assert.equal(changed, false);
  setCondition(list, { type: 'Ready', status: 'True', reason: 'Done', observedGeneration: 4 }, t2);
  assert.equal(findCondition(list, 'Ready')!.lastTransitionTime, '2026-01-02T00:00:00Z');
  assert.equal(findCondition(list, 'Ready')!.observedGeneration, 4);
  assert.equal(isTrue(list, 'Ready'), true);
  assert.equal(isTrue(list, 'Other'), false);
  assert.equal(removeCondition(list, 'Ready'), true);
  assert.equal(list.length, 0);
  assert.throws(() => setCondition([], { type: 'X', status: 'yes' as never }), /status must be/);
});

test('ownership: controller references and finalizers', () => {
  const owner = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns', uid: 'u1' } };
  const other = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'e', namespace: 'ns', uid: 'u2' } };
  const o = obj();
  setControllerReference(owner, o);
  setControllerReference(owner, o);
  assert.deepEqual(o.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
  assert.throws(() => setControllerReference(other, o), AlreadyOwnedError);
  setOwnerReference(other, o);
  assert.equal(o.metadata.ownerReferences!.length, 2);
  assert.throws(() => setControllerReference({ ...owner, metadata: { ...owner.metadata, namespace: 'x' } }, obj()), /cross-namespace/);
  assert.throws(() => setControllerReference({ kind: 'X', metadata: { name: 'n' } } as KubeObject, obj()), /apiVersion/);
  assert.equal(addFinalizer(o, 'x.io/f'), true);
  assert.equal(addFinalizer(o, 'x.io/f'), false);
  assert.equal(hasFinalizer(o, 'x.io/f'), true);
  assert.equal(removeFinalizer(o, 'x.io/f'), true);
  assert.deepEqual(o.metadata.finalizers, []);
});

test('decorators: metadata, defaults, validation, registry', () => {
  @Controller({ for: ConfigMap, owns: [Pod, { kind: Node, predicates: [labelsChanged()] }], watches: [{ kind: Node, map: (n) => ({ name: n.metadata.name! }) }] })
  @Index({ kind: Pod, name: 'spec.nodeName', extract: (p: any) => [p.spec?.nodeName ?? ''] })
  class C { reconcile() {} }
  const m = controllerMetadata(C);
  assert.equal(m.name, 'configmap');
  assert.equal(m.maxConcurrentReconciles, 1);
  assert.equal(m.owns.length, 2);
  assert.equal(m.owns[1].predicates.length, 1);
  assert.equal(m.indexes[0].name, 'spec.nodeName');
  assert.ok(registeredControllers().includes(C));
  assert.throws(() => controllerMetadata(class Plain { reconcile() {} }), /not a controller/);
  assert.throws(() => {
    @Controller({ for: ConfigMap, maxConcurrentReconciles: 0 })
    class Bad { reconcile() {} }
    return Bad;
  }, /maxConcurrentReconciles/);
  assert.throws(() => {
    @Controller({ for: {} as never })
    class Bad { reconcile() {} }
    return Bad;
  }, /"for"/);
  assert.deepEqual(toRequests([{ name: 'a' }, { name: '' }]), [{ name: 'a' }]);
  assert.deepEqual(toRequests(undefined), []);
});

test('errors: terminal and panics', () => {
  assert.equal(isTerminalError(new TerminalError('x')), true);
  assert.equal(isTerminalError(new Error('wrapped', { cause: new TerminalError('x') })), true);
  assert.equal(isTerminalError(new Error('x')), false);
  assert.equal(isPanic('string'), true);
  assert.equal(isPanic(new TypeError('x')), true);
  assert.equal(isPanic(new Error('x')), false);
});

test('rbac: rules derived from declarations, merged and sorted deterministically', async () => {
  const { rbacRules } = await import('./rbac.js');
  const { Secret, ServiceAccount, Namespace, Deployment } = await import('./kinds.js');
  const Thing = defineCustomResource({
    group: 'rbac.kubeloop.io', version: 'v1', kind: 'Thing', plural: 'things',
    schema: { type: 'object' }, subresources: { status: true },
  });
  @Controller({ for: Thing, owns: [Secret, Deployment], watches: [{ kind: Namespace, map: () => [] }], finalizer: 'rbac.kubeloop.io/f',
    rbac: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }, { nonResourceURLs: ['/metrics'], verbs: ['get'] }] })
  class A { reconcile() {} }
  @Controller({ for: ServiceAccount, owns: [Secret] })
  class B { reconcile() {} }
  const rules = rbacRules([B, A]);
  assert.deepEqual(rbacRules([A, B]), rules);
  assert.deepEqual(rules, [
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    { apiGroups: [''], resources: ['namespaces', 'serviceaccounts'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'update'] },
    { apiGroups: ['rbac.kubeloop.io'], resources: ['things'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
    { apiGroups: ['rbac.kubeloop.io'], resources: ['things/finalizers'], verbs: ['update'] },
    { apiGroups: ['rbac.kubeloop.io'], resources: ['things/status'], verbs: ['get', 'patch', 'update'] },
    { nonResourceURLs: ['/metrics'], verbs: ['get'] },
  ]);
});

test('patch helpers: merge patch diff', async () => {
  const { mergePatch } = await import('./patch.js');
  assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: 1, b: { c: 2 }, e: [1, 2], f: 'x' }), { b: { d: null }, e: [1, 2], f: 'x' });
  assert.deepEqual(mergePatch({ a: { b: 1 } }, { a: { b: 1 } }), {});
});

test('generate: collectExports finds exported controllers and custom resources only', async () => {
  const { collectExports } = await import('./generate.js');
  const Used = defineCustomResource({ group: 'collect.kubeloop.io', version: 'v1', kind: 'Used', plural: 'useds', schema: { type: 'object' } });
  const Listed = defineCustomResource({ group: 'collect.kubeloop.io', version: 'v1', kind: 'Listed', plural: 'listeds', schema: { type: 'object' } });
  defineCustomResource({ group: 'collect.kubeloop.io', version: 'v1', kind: 'Unexported', plural: 'unexporteds', schema: { type: 'object' } });
  @Controller({ for: Used, name: 'collect-a' })
  class A { reconcile() {} }
  @Controller({ for: ConfigMap, name: 'collect-b' })
  class B { reconcile() {} }
  @Controller({ for: ConfigMap, name: 'collect-hidden' })
  class Hidden { reconcile() {} }
  @Controller({ for: ConfigMap, name: 'collect-plugin' })
  class P { reconcile() {} }
  const found = collectExports([{ A, helper: () => 1, nested: { list: [B] } }, { kinds: [Listed], n: 3 }, { plugins: [{ name: 'p', setup() {}, controllers: [P] }] }]);
  assert.deepEqual(found.controllers, [A, B, P]);
  assert.deepEqual(found.customResources.map((c) => c.kind).sort(), ['Listed', 'Used']);
  assert.ok(registeredControllers().includes(Hidden));
});

test('crdManifest: several versions of one kind, exactly one storage version', () => {
  const schema = { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } as const;
  const v1alpha1 = defineCustomResource({ group: 'multi.kubeloop.io', version: 'v1alpha1', kind: 'Multi', plural: 'multis', schema, storage: false, deprecated: true });
  const v1 = defineCustomResource({ group: 'multi.kubeloop.io', version: 'v1', kind: 'Multi', plural: 'multis', schema, shortNames: ['mu'] });
  const crd = crdManifest(v1alpha1, v1) as any;
  assert.deepEqual(crd.spec.versions.map((v: any) => [v.name, v.storage, v.served, v.deprecated ?? false]), [
    ['v1', true, true, false],
    ['v1alpha1', false, true, true],
  ]);
  const both = defineCustomResource({ group: 'multi.kubeloop.io', version: 'v2', kind: 'Multi', plural: 'multis', schema });
  assert.throws(() => crdManifest(v1, both), /exactly one storage version, has 2/);
  const other = defineCustomResource({ group: 'multi.kubeloop.io', version: 'v1', kind: 'Other', plural: 'others', schema });
  assert.throws(() => crdManifest(v1, other), /mixed with/);
});
