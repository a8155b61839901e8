import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorText, newInvalid } from '../../api/index.js';
import { aliyunLogConfigCrd } from './testdata.js';
import { QUANTITY_ERRORS, quantityError } from './quantity.js';
import {
  decodeErrorBuiltin,
  pruneBuiltin,
  prepareCustomResource,
  applyDefaults,
  crdStorageVersion,
  defaultCrd,
  crdVersionSchema,
  prune,
  strictDecodingError,
  unknownFieldWarnings,
  validate,
  validateCrd,
  type JSONSchemaProps,
} from './index.js';

const crd = aliyunLogConfigCrd();
const schema = crdVersionSchema(crd, 'v1alpha1') as JSONSchemaProps;

function cr(spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'log.alibabacloud.com/v1alpha1', kind: 'AliyunLogConfig', metadata: { name: 'app', namespace: 'default', whatever: 1 }, spec };
}
const texts = (obj: unknown) => validate(schema, obj).map(fieldErrorText);

test('a valid custom resource has no errors (metadata is not validated here)', () => {
  assert.deepEqual(validate(schema, cr({ logstore: 'app-logs', shardCount: 3, inputDetail: { anything: [1, 2] }, port: 'http', indexes: [{ key: 'a', token: null }] })), []);
  assert.deepEqual(validate(schema, cr({ logstore: 'app-logs', port: 8080 })), []);
});

test('messages match the API server', () => {
  assert.deepEqual(validate(schema, cr({ logstore: 'app-logs', shardCount: 50 })), [
    { type: 'FieldValueInvalid', field: 'spec.shardCount', message: '50: spec.shardCount in body should be less than or equal to 10' },
  ]);
  assert.deepEqual(validate(schema, cr({})), [{ type: 'FieldValueRequired', field: 'spec.logstore', message: '' }]);
  assert.deepEqual(texts(cr({})), ['spec.logstore: Required value']);
  assert.deepEqual(texts(cr({ logstore: 'abc', inputType: 'xml' })), ['spec.inputType: Unsupported value: "xml": supported values: "file", "plugin"']);
  assert.deepEqual(texts(cr({ logstore: 'abc', shardCount: 'string' })), ['spec.shardCount: Invalid value: "string": spec.shardCount in body must be of type integer: "string"']);
  assert.equal(validate(schema, cr({ logstore: 'abc', shardCount: 'x' }))[0].type, 'FieldValueTypeInvalid');
  assert.deepEqual(texts(cr({ logstore: 'abc', lifeCycle: 0 })), ['spec.lifeCycle: Invalid value: 0: spec.lifeCycle in body should be greater than or equal to 1']);
  assert.deepEqual(texts(cr({ logstore: 'ab' })), ['spec.logstore: Invalid value: "ab": spec.logstore in body should be at least 3 chars long']);
  assert.deepEqual(texts(cr({ logstore: 'x'.repeat(64) })), ['spec.logstore: Too long: may not be more than 63 bytes']);
  assert.deepEqual(texts(cr({ logstore: 'Bad Name' })), ["spec.logstore: Invalid value: \"Bad Name\": spec.logstore in body should match '^[a-z0-9][a-z0-9_-]*$'"]);
  assert.deepEqual(texts(cr({ logstore: 'abc', machineGroups: ['a', 'b', 'a'] })), ['spec.machineGroups[2]: Duplicate value: "a"']);
  assert.deepEqual(texts(cr({ logstore: 'abc', machineGroups: ['a', 'b', 'c', 'd'] })), ['spec.machineGroups: Too many: 4: must have at most 3 items']);
  assert.deepEqual(texts(cr({ logstore: 'abc', indexes: [{ key: 'a' }, { key: 'a' }] })), ['spec.indexes[1]: Duplicate value: {"key":"a"}']);
  assert.deepEqual(texts(cr({ logstore: 'abc', indexes: [{ token: 'x' }] })), ['spec.indexes[0].key: Required value']);
  assert.deepEqual(texts(cr({ logstore: 'abc', port: true })), ['spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"']);
  assert.deepEqual(texts(cr({ logstore: 'abc', createdAfter: 'yesterday' })), ['spec.createdAfter: Invalid value: "yesterday": spec.createdAfter in body must be of type date-time: "yesterday"']);
  assert.deepEqual(validate(schema, cr({ logstore: 'abc', createdAfter: '2026-01-01T00:00:00Z' })), []);
  assert.deepEqual(texts(cr({ logstore: 'abc', labels: { a: 'toolong' } })), ['spec.labels.a: Too long: may not be more than 5 bytes']);
  assert.deepEqual(texts(cr({ logstore: 'abc', shardCount: null })), ['spec.shardCount: Invalid value: "null": spec.shardCount in body must be of type integer: "null"']);
  assert.deepEqual(texts(cr({ logstore: 'abc', template: { spec: {} } })), ['spec.template.apiVersion: Required value: must not be empty', 'spec.template.kind: Required value: must not be empty']);
  assert.deepEqual(texts({ ...cr({ logstore: 'abc' }), spec: 'nope' }), ['spec: Invalid value: "string": spec in body must be of type object: "string"']);
  // The 422 the server builds from them.
  const err = newInvalid('log.alibabacloud.com', 'AliyunLogConfig', 'app', validate(schema, cr({ shardCount: 50 })));
  assert.equal(
    err.message,
    'AliyunLogConfig.log.alibabacloud.com "app" is invalid: [spec.logstore: Required value, spec.shardCount: Invalid value: 50: spec.shardCount in body should be less than or equal to 10]',
  );
  assert.deepEqual(err.status.details!.causes![0], { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.logstore' });
});

test('numeric, size and combinator keywords', () => {
  const s: JSONSchemaProps = {
    type: 'object',
    minProperties: 1,
    maxProperties: 3,
    properties: {
      n: { type: 'number', exclusiveMinimum: true, minimum: 0, exclusiveMaximum: true, maximum: 1, multipleOf: 0.25 },
      u: { type: 'array', uniqueItems: true, minItems: 1, items: { type: 'integer' } },
      a: { anyOf: [{ type: 'string' }, { type: 'integer' }] } as JSONSchemaProps,
      o: { oneOf: [{ type: 'integer', minimum: 0 }, { type: 'integer', maximum: 10 }] } as JSONSchemaProps,
      x: { type: 'string', not: { enum: ['forbidden'] } },
      all: { type: 'integer', allOf: [{ minimum: 2 }, { maximum: 3 }] },
    },
  };
  const t = (v: unknown) => validate(s, v, 'spec').map(fieldErrorText);
  assert.deepEqual(t({ n: 0.5 }), []);
  assert.deepEqual(t({ n: 0 }), ['spec.n: Invalid value: 0: spec.n in body should be greater than 0']);
  assert.deepEqual(t({ n: 1 }), ['spec.n: Invalid value: 1: spec.n in body should be less than 1']);
  assert.deepEqual(t({ n: 0.3 }), ['spec.n: Invalid value: 0.3: spec.n in body should be a multiple of 0.25']);
  assert.deepEqual(t({ u: [1, 1] }), ['spec.u: Invalid value: [1,1]: spec.u in body shouldn\'t contain duplicates']);
  assert.deepEqual(t({ u: [] }), ['spec.u: Invalid value: []: spec.u in body should have at least 1 items']);
  assert.deepEqual(t({}), ['spec: Invalid value: {}: spec in body should have at least 1 properties']);
  assert.deepEqual(t({ n: 0.5, u: [1], a: 1, x: 'y' }), ['spec: Too many: 4: must have at most 3 items']);
  assert.equal(t({ a: true })[0], 'spec.a: Invalid value: true: spec.a in body must validate at least one schema (anyOf)');
  assert.deepEqual(t({ o: 5 }), ['spec.o: Invalid value: 5: spec.o in body must validate one and only one schema (oneOf)']);
  assert.deepEqual(t({ o: 11 }), []);
  assert.deepEqual(t({ x: 'forbidden' }), ['spec.x: Invalid value: "forbidden": spec.x in body must not validate the schema (not)']);
  assert.deepEqual(t({ all: 4 }), ['spec.all: Invalid value: 4: spec.all in body should be less than or equal to 3']);
});

test('prune drops undeclared fields, keeps preserved ones and resource fields', () => {
  const input = cr({
    logstore: 'abc',
    foo: 1,
    inputDetail: { anything: { goes: true } },
    indexes: [{ key: 'a', extra: 'x' }],
    labels: { a: 'b' },
    template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 1 } },
  });
  (input as any).status = { conditions: [{ type: 'Ready', status: 'True', bogus: 1 }] };
  (input as any).junk = true;
  const { object, pruned } = prune(schema, input);
  assert.deepEqual(pruned, ['spec.foo', 'spec.indexes[0].extra', 'status.conditions[0].bogus', 'junk']);
  const o = object as any;
  assert.equal(o.spec.foo, undefined);
  assert.deepEqual(o.spec.inputDetail, { anything: { goes: true } });
  assert.deepEqual(o.spec.template, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 1 } });
  assert.deepEqual(o.metadata, { name: 'app', namespace: 'default', whatever: 1 }, 'root metadata is the server\'s business');
  assert.equal((input as any).spec.foo, 1, 'input untouched');
  assert.deepEqual(unknownFieldWarnings(['spec.foo']), ['unknown field "spec.foo"']);
  const strict = strictDecodingError({ group: 'log.alibabacloud.com', version: 'v1alpha1', kind: 'AliyunLogConfig' }, ['spec.foo', 'junk']);
  assert.equal(strict.code, 400);
  assert.equal(strict.reason, 'BadRequest');
  assert.equal(strict.message, 'AliyunLogConfig in version "v1alpha1" cannot be handled as a AliyunLogConfig: strict decoding error: unknown field "spec.foo", unknown field "junk"');
});

test('applyDefaults fills absent fields, nested defaults inside defaulted objects, and non-nullable nulls', () => {
  const input = cr({ logstore: 'abc', lifeCycle: 30, inputType: null, indexes: [{ key: 'a', token: null }] });
  const out = applyDefaults(schema, input) as any;
  assert.equal(out.spec.shardCount, 2);
  assert.equal(out.spec.lifeCycle, 30);
  assert.equal(out.spec.inputType, 'file', 'null on a non-nullable field with a default is defaulted');
  assert.deepEqual(out.spec.retention, { hotTTL: 7, mode: 'standard' });
  assert.equal(out.spec.indexes[0].token, null, 'nullable nulls stay');
  assert.equal((input as any).spec.shardCount, undefined, 'input untouched');
  const noDefault = applyDefaults(schema, cr({ logstore: 'abc', project: null })) as any;
  assert.ok(!('project' in noDefault.spec), 'null without a default is dropped');
  assert.deepEqual(validate(schema, out), []);
});

test('validateCrd accepts a good CRD and reports upstream-style errors', () => {
  assert.deepEqual(validateCrd(crd), []);
  const bad = aliyunLogConfigCrd() as any;
  bad.metadata.name = 'wrong';
  bad.spec.group = 'nodots';
  bad.spec.scope = 'Global';
  bad.spec.names.plural = 'AliyunLogConfigs';
  bad.spec.versions.push({ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { properties: { a: { type: 'string' } } } } } } });
  const errs = validateCrd(bad).map(fieldErrorText);
  assert.ok(errs.includes('spec.group: Invalid value: "nodots": should be a domain with at least one dot'), errs.join('\n'));
  assert.ok(errs.includes('metadata.name: Invalid value: "wrong": must be spec.names.plural+"."+spec.group'));
  assert.ok(errs.includes('spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"'));
  assert.ok(errs.some((e) => e.startsWith('spec.names.plural: Invalid value: "AliyunLogConfigs": a DNS-1035 label')));
  assert.ok(errs.includes('spec.versions: Invalid value: ["v1alpha1","v1alpha1"]: must have exactly one version marked as storage version'));
  assert.ok(errs.includes('spec.versions[1].name: Duplicate value: "v1alpha1"'));
  assert.ok(errs.includes('spec.versions[1].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields'));

  const noSchema = aliyunLogConfigCrd() as any;
  delete noSchema.spec.versions[0].schema;
  noSchema.spec.versions[0].additionalPrinterColumns.push({ name: 'X', type: 'color', jsonPath: 'spec.x' });
  const e2 = validateCrd(noSchema).map(fieldErrorText);
  assert.ok(e2.includes('spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required'));
  assert.ok(e2.includes('spec.versions[0].additionalPrinterColumns[5].type: Unsupported value: "color": supported values: "boolean", "date", "integer", "number", "string"'));
  assert.ok(e2.some((e) => e.startsWith('spec.versions[0].additionalPrinterColumns[5].jsonPath: Invalid value')));

  const structural = aliyunLogConfigCrd() as any;
  const spec = structural.spec.versions[0].schema.openAPIV3Schema.properties.spec;
  spec.properties.shardCount.default = 50;
  spec.properties.mixed = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } };
  spec.properties.list = { type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object' } };
  spec.properties.ios = { type: 'string', 'x-kubernetes-int-or-string': true };
  structural.spec.versions[0].served = false;
  const e3 = validateCrd(structural).map(fieldErrorText);
  const p = 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties';
  assert.ok(e3.some((e) => e.startsWith(`${p}[shardCount].default: Invalid value: 50:`)), e3.join('\n'));
  assert.ok(e3.includes(`${p}[mixed].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`));
  assert.ok(e3.includes(`${p}[list].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`));
  assert.ok(e3.includes(`${p}[ios].type: Forbidden: must be empty if x-kubernetes-int-or-string is true`));
  assert.ok(e3.includes('spec.versions: Invalid value: ["v1alpha1"]: must have at least one version marked as served'));
});

test('defaultCrd fills singular, listKind and conversion without touching the input', () => {
  const c = aliyunLogConfigCrd();
  delete c.spec.names.singular;
  delete c.spec.names.listKind;
  const d = defaultCrd(c);
  assert.equal(d.spec.names.singular, 'aliyunlogconfig');
  assert.equal(d.spec.names.listKind, 'AliyunLogConfigList');
  assert.deepEqual(d.spec.conversion, { strategy: 'None' });
  assert.equal(c.spec.names.listKind, undefined);
  assert.equal(crdStorageVersion(d), 'v1alpha1');
});

test('field names that shadow Object.prototype members are ordinary fields', () => {
  const s: JSONSchemaProps = { type: 'object', required: ['constructor'], properties: { toString: { type: 'integer', default: 1 } } };
  assert.deepEqual(validate(s, {}, 'spec').map(fieldErrorText), ['spec.constructor: Required value']);
  assert.deepEqual(validate(s, { constructor: 1, toString: 'x' }, 'spec').map((e) => e.field), ['spec.toString']);
  assert.deepEqual(prune(s, { constructor: 1, hasOwnProperty: 2, toString: 3 }).pruned, ['constructor', 'hasOwnProperty']);
  assert.deepEqual(applyDefaults(s, {}), { toString: 1 });
});

test('metadata.name and generateName constraints declared by the CRD are checked', () => {
  const s: JSONSchemaProps = { type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 5 } } } } };
  assert.deepEqual(validate(s, { metadata: { name: 'toolongname', labels: { a: 'b' } } }).map(fieldErrorText), ['metadata.name: Too long: may not be more than 5 bytes']);
  assert.deepEqual(validate(s, { metadata: { name: 'ok' } }), []);
});

test('prepareCustomResource: prune, default, validate with fieldValidation modes', () => {
  const gvk = { group: 'log.alibabacloud.com', version: 'v1alpha1', kind: 'AliyunLogConfig' };
  const input = cr({ logstore: 'abc', foo: 1, shardCount: 11 });
  const warn = prepareCustomResource(schema, input, { gvk });
  assert.deepEqual(warn.warnings, ['unknown field "spec.foo"']);
  assert.equal((warn.object as any).spec.lifeCycle, 90);
  assert.deepEqual(warn.errors.map(fieldErrorText), ['spec.shardCount: Invalid value: 11: spec.shardCount in body should be less than or equal to 10']);
  assert.deepEqual(prepareCustomResource(schema, input, { gvk, fieldValidation: 'Ignore' }).warnings, []);
  assert.throws(() => prepareCustomResource(schema, input, { gvk, fieldValidation: 'Strict' }), /strict decoding error: unknown field "spec.foo"/);
  assert.deepEqual(prepareCustomResource(schema, cr({ logstore: 'abc' }), { gvk, fieldValidation: 'Strict' }).errors, []);
});

test('pruneBuiltin drops what the Go types would not decode', () => {
  const gvk = { group: 'apps', version: 'v1', kind: 'Deployment' };
  const d = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'w', labels: { any: 'thing' }, bogus: 1, managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': {} } }] },
    spec: {
      replica: 3,
      selector: { matchLabels: { a: 'b' } },
      template: { spec: { containers: [{ name: 'c', image: 'i', imagePullPolicy: 'Always', colour: 'red', resources: { limits: { cpu: '1' } } }] } },
    },
    status: {},
  };
  const r = pruneBuiltin(gvk, d)!;
  assert.deepEqual(r.pruned, ['metadata.bogus', 'spec.replica', 'spec.template.spec.containers[0].colour']);
  assert.deepEqual((r.object as any).metadata.managedFields, d.metadata.managedFields, 'FieldsV1 is free-form');
  assert.deepEqual((r.object as any).spec.template.spec.containers[0].resources, { limits: { cpu: '1' } });
  assert.equal((d.spec as any).replica, 3, 'input untouched');
  assert.equal(pruneBuiltin({ group: 'x.io', version: 'v1', kind: 'Y' }, {}), undefined);
  const crdGvk = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' };
  assert.deepEqual(pruneBuiltin(crdGvk, aliyunLogConfigCrd())!.pruned, [], 'a CRD with a full schema has nothing unknown');
  assert.equal(
    strictDecodingError(gvk, r.pruned).message,
    'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "metadata.bogus", unknown field "spec.replica", unknown field "spec.template.spec.containers[0].colour"',
  );
});

test('decodeErrorBuiltin reports what Go decoding of a built-in kind rejects', () => {
  const gvk = { group: 'apps', version: 'v1', kind: 'Deployment' };
  const base = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', labels: { a: 'b' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }], resources: { limits: { cpu: 1, memory: '1Gi' } } }] } } } }) as any;
  assert.equal(decodeErrorBuiltin(gvk, base()), undefined);
  const d1 = base();
  d1.spec.replicas = 'three';
  const e1 = decodeErrorBuiltin(gvk, d1)!;
  assert.equal(e1.code, 400);
  assert.equal(e1.message, 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
  const d2 = base();
  d2.spec.template.spec.containers[0].ports[0].containerPort = 80.5;
  assert.match(decodeErrorBuiltin(gvk, d2)!.message, /cannot unmarshal number 80.5 into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32$/);
  const d3 = base();
  d3.metadata.labels = ['x'];
  assert.match(decodeErrorBuiltin(gvk, d3)!.message, /cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map\[string\]string$/);
  const d4 = base();
  d4.spec.template.spec.containers = 'c';
  assert.match(decodeErrorBuiltin(gvk, d4)!.message, /cannot unmarshal string into Go struct field PodSpec.spec.template.spec.containers of type \[\]v1.Container$/);
  const d5 = base();
  d5.spec.paused = 'yes';
  assert.match(decodeErrorBuiltin(gvk, d5)!.message, /of type bool$/);
  const d6 = base();
  d6.spec.strategy = { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } };
  d6.spec.replicas = null;
  assert.equal(decodeErrorBuiltin(gvk, d6), undefined, 'int-or-string, nulls');
  assert.equal(decodeErrorBuiltin({ group: 'x.io', version: 'v1', kind: 'Y' }, { spec: 1 }), undefined);
  // a number out of the Go type's range is refused as Go's decoder does (UnmarshalTypeError)
  const d7 = base();
  d7.spec.replicas = 2147483648;
  assert.match(decodeErrorBuiltin(gvk, d7)!.message, /cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32$/);
  const d8 = base();
  d8.spec.replicas = -2147483649;
  assert.match(decodeErrorBuiltin(gvk, d8)!.message, /cannot unmarshal number -2147483649 into Go struct field DeploymentSpec.spec.replicas of type int32$/);
  const d9 = base();
  d9.spec.replicas = 2147483647;
  d9.spec.template.spec.terminationGracePeriodSeconds = 2 ** 63; // 9223372036854775807 parses to this double: kept
  assert.equal(decodeErrorBuiltin(gvk, d9), undefined);
  d9.spec.template.spec.terminationGracePeriodSeconds = 1e19;
  assert.match(decodeErrorBuiltin(gvk, d9)!.message, /into Go struct field PodSpec.spec.template.spec.terminationGracePeriodSeconds of type int64$/);
});

test('quantityError gives ParseQuantity\'s error for the strings Go refuses, and none for those it takes', () => {
  for (const ok of ['0', '1', '100m', '1.5Gi', '+1', '-1', '1e3', '1E3', '1e-3', '1E', '.5', '1.', '.', '5n', '12Ki', '0.0001', ' 2 ', '1Ei', '-0']) {
    assert.equal(quantityError(ok), undefined, ok);
  }
  for (const [bad, error] of [
    ['', 'format'], ['lots', 'format'], ['1 Gi', 'format'], ['1.2.3', 'format'], ['1Gi1x', 'format'], ['--1', 'suffix'],
    ['1Qi', 'format'], ['1e', 'suffix'], ['1ki', 'suffix'], ['1KiB', 'format'], ['1mi', 'suffix'], ['1e99999999999999999999', 'suffix'],
    ['.Ei', 'numeric'], ['-.e-10', 'numeric'],
  ] as const) {
    assert.equal(quantityError(bad), QUANTITY_ERRORS[error], bad);
  }
});
