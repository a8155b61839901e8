// A controller whose identity lacks a list/watch permission must say so in its log: the
// informer retries with backoff forever and the caches never sync, so a silent 403 would leave
// an operator author guessing.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { EXTERNAL, inProcessOnly } from '../support/index.js';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { Controller, Manager, Node, type NodeObject, type Reconciler } from '../../src/index.js';
import { createLogger } from '../../src/observability/index.js';
import { eventually } from '../support/index.js';

let server: ApiServer;
before(async () => {
  if (EXTERNAL) return;
  server = await startApiServer({ port: 0, tokens: [{ token: 'nobody-token', user: 'nobody', groups: [] }] });
});
after(async () => {
  await server?.stop();
});

@Controller({ for: Node, name: 'forbidden-nodes' })
class NodeWatcher implements Reconciler<NodeObject> {
  reconcile() {}
}

inProcessOnly('a 403 on list/watch is logged with the kind and the reason while the informer keeps retrying', 'needs a static token of a user without rights on a server of its own', async () => {
  // the admin kubeconfig with its client certificate swapped for a token of a user without rights
  const kubeconfig = server.kubeconfig
    .replace(/client-certificate-data: .*\n/, '')
    .replace(/client-key-data: .*\n/, 'token: nobody-token\n');
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } });
  const manager = new Manager({ kubeconfig, logger, metricsBindAddress: false, handleSignals: false, cacheSyncTimeoutMs: 60_000 });
  manager.register(NodeWatcher);
  const started = manager.start().catch(() => undefined);
  try {
    const hit = await eventually('the list/watch error logged', () =>
      lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => String(r.msg).startsWith('failed to list/watch Node')), 20_000, 100)
      .catch(() => assert.fail(`no list/watch error logged; log was:\n${lines.join('')}`));
    assert.equal(hit.code, 403);
    assert.equal(hit.reason, 'Forbidden');
    assert.match(String(hit.msg), /User "nobody" cannot (list|watch) resource "nodes" in API group "" at the cluster scope/);
  } finally {
    await manager.stop();
    await started;
  }
});
