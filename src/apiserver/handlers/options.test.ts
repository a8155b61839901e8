// Write and delete options are checked as kube-apiserver checks them (apimachinery's
// ValidateCreateOptions / ValidateUpdateOptions / ValidatePatchOptions / ValidateDeleteOptions):
// 422 Invalid for the options' kind in meta.k8s.io, every problem named, before the body is read
// as an object and before anything is written.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } });
const MERGE = { 'Content-Type': 'application/merge-patch+json' };
const APPLY = { 'Content-Type': 'application/apply-patch+yaml' };

function assertInvalid(r: { status: number; json: any; text: string }, kind: string, message: string, causes: { reason: string; field: string }[]): void {
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.reason, 'Invalid');
  assert.equal(r.json.message, message);
  assert.deepEqual(r.json.details, {
    group: 'meta.k8s.io', kind,
    causes: r.json.details.causes, // (compared below without their messages)
  });
  assert.deepEqual(r.json.details.causes.map((c: { reason: string; field: string }) => ({ reason: c.reason, field: c.field })), causes);
}

describe('write and delete options', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
    assert.equal((await call(s, 'POST', CMS, cm('target'))).status, 201);
  });
  after(async () => {
    await s.stop();
  });

  it('refuses a dryRun other than All on every verb, and writes nothing', async () => {
    assertInvalid(await call(s, 'POST', `${CMS}?dryRun=bogus`, cm('dry')), 'CreateOptions',
      'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"bogus"}: supported values: "All"',
      [{ reason: 'FieldValueNotSupported', field: 'dryRun' }]);
    assert.equal((await call(s, 'GET', `${CMS}/dry`)).status, 404);
    assertInvalid(await call(s, 'PUT', `${CMS}/target?dryRun=All&dryRun=x`, cm('target')), 'UpdateOptions',
      'UpdateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"All", "x"}: supported values: "All"',
      [{ reason: 'FieldValueNotSupported', field: 'dryRun' }]);
    assertInvalid(await call(s, 'PATCH', `${CMS}/target?dryRun=x`, { data: { b: '2' } }, MERGE), 'PatchOptions',
      'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"x"}: supported values: "All"',
      [{ reason: 'FieldValueNotSupported', field: 'dryRun' }]);
    assertInvalid(await call(s, 'DELETE', `${CMS}/target?dryRun=x`), 'DeleteOptions',
      'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"x"}: supported values: "All"',
      [{ reason: 'FieldValueNotSupported', field: 'dryRun' }]);
    const kept = await call(s, 'GET', `${CMS}/target`);
    assert.deepEqual(kept.json.data, { a: '1' });
    // and dryRun=All still is a dry run
    assert.equal((await call(s, 'POST', `${CMS}?dryRun=All`, cm('dry'))).status, 201);
    assert.equal((await call(s, 'GET', `${CMS}/dry`)).status, 404);
  });

  it('refuses an unknown fieldValidation, listing the values as upstream sorts them', async () => {
    assertInvalid(await call(s, 'POST', `${CMS}?fieldValidation=Loose`, cm('fv')), 'CreateOptions',
      'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"',
      [{ reason: 'FieldValueNotSupported', field: 'fieldValidation' }]);
    assert.equal((await call(s, 'POST', `${CMS}?fieldValidation=`, cm('fv-empty'))).status, 201, 'the empty value is the default');
  });

  it('refuses a fieldManager longer than 128 bytes or with characters that do not print', async () => {
    const long = 'm'.repeat(129);
    assertInvalid(await call(s, 'POST', `${CMS}?fieldManager=${long}`, cm('long')), 'CreateOptions',
      'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
      [{ reason: 'FieldValueTooLong', field: 'fieldManager' }]);
    // 64 two-byte characters are 128 bytes: allowed; 65 are not
    assert.equal((await call(s, 'POST', `${CMS}?fieldManager=${encodeURIComponent('é'.repeat(64))}`, cm('wide'))).status, 201);
    assert.equal((await call(s, 'POST', `${CMS}?fieldManager=${encodeURIComponent('é'.repeat(65))}`, cm('wider'))).status, 422);
    assertInvalid(await call(s, 'PUT', `${CMS}/target?fieldManager=a%07b%09`, cm('target')), 'UpdateOptions',
      'UpdateOptions.meta.k8s.io "" is invalid: [fieldManager: Invalid value: "a\\ab\\t": invalid character U+0007 (at position 1), fieldManager: Invalid value: "a\\ab\\t": invalid character U+0009 (at position 3)]',
      [{ reason: 'FieldValueInvalid', field: 'fieldManager' }, { reason: 'FieldValueInvalid', field: 'fieldManager' }]);
  });

  it('requires a fieldManager for apply and forbids force on other patches', async () => {
    const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'target' }, data: { c: '3' } };
    assertInvalid(await call(s, 'PATCH', `${CMS}/target`, applied, APPLY), 'PatchOptions',
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      [{ reason: 'FieldValueRequired', field: 'fieldManager' }]);
    assertInvalid(await call(s, 'PATCH', `${CMS}/target?force=false`, { data: { b: '2' } }, MERGE), 'PatchOptions',
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
      [{ reason: 'FieldValueForbidden', field: 'force' }]);
    assert.deepEqual((await call(s, 'GET', `${CMS}/target`)).json.data, { a: '1' });
    // the same on subresources
    assertInvalid(await call(s, 'PATCH', `/apis/apps/v1/namespaces/default/deployments/none/scale?force=true`, { spec: { replicas: 2 } }, MERGE), 'PatchOptions',
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
      [{ reason: 'FieldValueForbidden', field: 'force' }]);
    // well-formed ones pass
    const ok = await call(s, 'PATCH', `${CMS}/target?fieldManager=me&force=true`, applied, APPLY);
    assert.equal(ok.status, 200, ok.text);
  });

  it('names every problem of a request at once', async () => {
    const r = await call(s, 'POST', `${CMS}?dryRun=no&fieldValidation=no&fieldManager=${'x'.repeat(200)}`, cm('many'));
    assertInvalid(r, 'CreateOptions',
      'CreateOptions.meta.k8s.io "" is invalid: [fieldManager: Too long: may not be more than 128 bytes, dryRun: Unsupported value: []string{"no"}: supported values: "All", fieldValidation: Unsupported value: "no": supported values: "", "Ignore", "Strict", "Warn"]',
      [{ reason: 'FieldValueTooLong', field: 'fieldManager' }, { reason: 'FieldValueNotSupported', field: 'dryRun' }, { reason: 'FieldValueNotSupported', field: 'fieldValidation' }]);
  });

  it('a DELETE takes its options from its body when it has one, else from its query, never both (delete.go)', async () => {
    assert.equal((await call(s, 'POST', CMS, cm('gone'))).status, 201);
    assert.equal((await call(s, 'POST', CMS, cm('kept'))).status, 201);
    // no body: the query's dryRun holds
    assert.equal((await call(s, 'DELETE', `${CMS}/kept?dryRun=All`)).status, 200);
    assert.equal((await call(s, 'GET', `${CMS}/kept`)).status, 200, 'a dry run deletes nothing');
    // a body: the query is not read (its dryRun, even a bad one, plays no part)
    const r = await call(s, 'DELETE', `${CMS}/gone?dryRun=bogus&propagationPolicy=Sideways`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    assert.equal(r.status, 200, r.text);
    assert.equal((await call(s, 'GET', `${CMS}/gone`)).status, 404, 'deleted: the body had no dryRun');
  });

  it('refuses a propagationPolicy it does not know and one given with orphanDependents', async () => {
    assertInvalid(await call(s, 'DELETE', `${CMS}/target?propagationPolicy=Sideways`), 'DeleteOptions',
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"',
      [{ reason: 'FieldValueNotSupported', field: 'propagationPolicy' }]);
    assertInvalid(await call(s, 'DELETE', `${CMS}/target`, { kind: 'DeleteOptions', apiVersion: 'v1', orphanDependents: true, propagationPolicy: 'Foreground' }), 'DeleteOptions',
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Foreground": orphanDependents and deletionPropagation cannot be both set',
      [{ reason: 'FieldValueInvalid', field: 'propagationPolicy' }]);
    assert.equal((await call(s, 'GET', `${CMS}/target`)).status, 200, 'nothing deleted');
  });
});
