// coordination.k8s.io/v1 Lease validation as kube-apiserver v1.32 answers it (ValidateLeaseSpec).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../semantics-testkit.js';

describe('Lease validation (upstream v1.32 rules and messages)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
  });
  after(async () => {
    await s.close();
  });

  it('leaseDurationSeconds above 0, leaseTransitions not negative, on create and update', async () => {
    const bad = await s.kubectl(['apply', '-f', '-'], 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l}\nspec: {holderIdentity: a, leaseDurationSeconds: 0, leaseTransitions: -1}\n');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /The Lease "l" is invalid: \n\* spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0\n\* spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0/);
    const ok = await s.kubectl(['apply', '-f', '-'], 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l}\nspec: {holderIdentity: a, leaseDurationSeconds: 15, leaseTransitions: 0}\n');
    assert.equal(ok.code, 0, ok.stderr);
    const upd = await s.kubectl(['patch', 'lease', 'l', '-p', '{"spec":{"leaseDurationSeconds":-5}}']);
    assert.equal(upd.code, 1);
    assert.match(upd.stderr, /The Lease "l" is invalid: spec.leaseDurationSeconds: Invalid value: -5: must be greater than 0/);
  });
});
