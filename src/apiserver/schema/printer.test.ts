import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aliyunLogConfigCrd } from './testdata.js';
import { evaluateJSONPath, humanDuration, parseJSONPath, printerColumns, printerColumnsTable } from './index.js';

const now = Date.parse('2026-01-02T00:00:00Z');

function obj(name: string, created: string, spec: Record<string, unknown>, conditions?: unknown[]) {
  return { apiVersion: 'log.alibabacloud.com/v1alpha1', kind: 'AliyunLogConfig', metadata: { name, namespace: 'default', creationTimestamp: created }, spec, status: { conditions } };
}

test('jsonpath subset', () => {
  const o = {
    spec: { a: { b: 1 }, list: [{ n: 'x', v: 1 }, { n: 'y', v: 2 }] },
    metadata: { labels: { 'app.kubernetes.io/name': 'web' } },
    status: { conditions: [{ type: 'Synced', status: 'False' }, { type: 'Ready', status: 'True' }] },
  };
  assert.deepEqual(evaluateJSONPath(o, '.spec.a.b'), [1]);
  assert.deepEqual(evaluateJSONPath(o, '{.spec.a.b}'), [1]);
  assert.deepEqual(evaluateJSONPath(o, '$.spec.list[0].n'), ['x']);
  assert.deepEqual(evaluateJSONPath(o, '.spec.list[-1].v'), [2]);
  assert.deepEqual(evaluateJSONPath(o, '.spec.list[*].n'), ['x', 'y']);
  assert.deepEqual(evaluateJSONPath(o, '.status.conditions[?(@.type=="Ready")].status'), ['True']);
  assert.deepEqual(evaluateJSONPath(o, ".status.conditions[?(@.type!='Ready')].type"), ['Synced']);
  assert.deepEqual(evaluateJSONPath(o, '.spec.list[?(@.v==2)].n'), ['y']);
  assert.deepEqual(evaluateJSONPath(o, '.metadata.labels.app\\.kubernetes\\.io/name'), ['web']);
  assert.deepEqual(evaluateJSONPath(o, ".metadata.labels['app.kubernetes.io/name']"), ['web']);
  assert.deepEqual(evaluateJSONPath(o, '.spec.missing.deep'), []);
  assert.throws(() => parseJSONPath('..spec'), /recursive descent/);
  assert.throws(() => parseJSONPath('.spec[1:2]'), /unsupported subscript/);
});

test('humanDuration matches kubectl ages', () => {
  assert.equal(humanDuration(5_000), '5s');
  assert.equal(humanDuration(-500), '0s');
  assert.equal(humanDuration(-5_000), '<invalid>');
  assert.equal(humanDuration(150_000), '2m30s');
  assert.equal(humanDuration(30 * 60_000), '30m');
  assert.equal(humanDuration(5 * 3600_000 + 7 * 60_000), '5h7m');
  assert.equal(humanDuration(20 * 3600_000), '20h');
  assert.equal(humanDuration(3 * 86400_000 + 4 * 3600_000), '3d4h');
  assert.equal(humanDuration(100 * 86400_000), '100d');
  assert.equal(humanDuration(3 * 365 * 86400_000 + 10 * 86400_000), '3y10d');
});

test('printer columns Table: Name first, typed cells, priority kept', () => {
  const v = aliyunLogConfigCrd().spec.versions[0];
  const cols = printerColumns(v);
  assert.deepEqual(cols.map((c) => c.name), ['Name', 'Logstore', 'Shards', 'Ready', 'Age', 'Project']);
  assert.equal(cols[0].format, 'name');
  assert.match(cols[0].description, /Name must be unique within a namespace/);
  assert.equal(cols[1].description, 'Target logstore');
  assert.equal(cols[5].priority, 1);
  const t = printerColumnsTable(v, [obj('a', '2026-01-01T23:55:00Z', { logstore: 'ls', shardCount: 3, project: 'p' }, [{ type: 'Ready', status: 'True' }]), obj('b', '2026-01-01T00:00:00Z', { logstore: 'ls2' })], { now });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.rows[0].cells, ['a', 'ls', 3, 'True', '5m', 'p']);
  assert.deepEqual(t.rows[1].cells, ['b', 'ls2', null, null, '24h', null]);
  assert.deepEqual(t.rows[0].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'a', namespace: 'default', creationTimestamp: '2026-01-01T23:55:00Z' } });
  assert.equal(printerColumnsTable(v, [obj('a', 'x', {})], { now, includeObject: 'None' }).rows[0].object, undefined);
  assert.deepEqual(printerColumnsTable(v, [obj('a', 'garbage', { shardCount: 'x' })], { now }).rows[0].cells.slice(2, 5), [null, null, '<invalid>']);
});

test('a CRD version without columns gets Name and Age', () => {
  const v = aliyunLogConfigCrd().spec.versions[0];
  delete v.additionalPrinterColumns;
  const t = printerColumnsTable(v, [obj('a', '2026-01-01T00:00:00Z', {})], { now });
  assert.deepEqual(t.columnDefinitions.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
  assert.deepEqual(t.rows[0].cells, ['a', '24h']);
});
