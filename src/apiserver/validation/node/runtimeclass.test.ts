// node.k8s.io/v1 RuntimeClass as kube-apiserver v1.32 serves it: discovery, printing, and
// ValidateRuntimeClass / ValidateRuntimeClassUpdate's rules through kubectl.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../semantics-testkit.js';

describe('RuntimeClass (upstream v1.32 validation)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
  });
  after(async () => {
    await s.close();
  });

  it('is served cluster-scoped; handler a DNS label, immutable; printed with its handler', async () => {
    const r = await s.kubectl(['api-resources', '--api-group=node.k8s.io']);
    assert.match(r.stdout, /runtimeclasses\s+node\.k8s\.io\/v1\s+false\s+RuntimeClass/);
    const bad = await s.kubectl(['apply', '-f', '-'], 'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: bad}\nhandler: Run.C\nscheduling: {tolerations: [{key: a, operator: Exists, value: b}]}\n');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /The RuntimeClass "bad" is invalid: \n\* handler: Invalid value: "Run.C": a lowercase RFC 1123 label must consist of/);
    assert.match(bad.stderr, /scheduling.tolerations\[0\].operator: Invalid value: "b": value must be empty when `operator` is 'Exists'/);
    const ok = await s.kubectl(['apply', '-f', '-'], 'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: gvisor}\nhandler: runsc\n');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match((await s.kubectl(['get', 'runtimeclass'])).stdout, /NAME\s+HANDLER\s+AGE\ngvisor\s+runsc\s+\d+s/);
    const upd = await s.kubectl(['patch', 'runtimeclass', 'gvisor', '--type=merge', '-p', '{"handler":"kata"}']);
    assert.equal(upd.code, 1);
    assert.match(upd.stderr, /handler: Invalid value: "kata": field is immutable/);
  });
});
