import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '../index.js';
import { call } from '../test-client.js';

test('objects read back from the data dir get the defaults they were stored without', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-defaults-'));
  try {
    let s = await startApiServer({ port: 0, dataDir: dir });
    // As a data dir written before these defaults existed holds it (stored as sent).
    const legacy = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'old', namespace: 'default', uid: 'u-1', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'old' } }, template: { metadata: { labels: { app: 'old' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    };
    await s.store.durable(s.store.put('apps/deployments', 'default/old', legacy, null));
    await s.stop();
    s = await startApiServer({ port: 0, dataDir: dir });
    try {
      const d = (await call(s, 'GET', '/apis/apps/v1/namespaces/default/deployments/old')).json;
      assert.equal(d.spec.replicas, 2);
      assert.equal(d.spec.revisionHistoryLimit, 10);
      assert.deepEqual(d.spec.strategy, { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' });
      assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'Always');
      // An update that sends the object back unchanged stays a no-op (same resourceVersion, generation).
      const u = (await call(s, 'PUT', '/apis/apps/v1/namespaces/default/deployments/old', d)).json;
      assert.equal(u.metadata.resourceVersion, d.metadata.resourceVersion);
      assert.equal(u.metadata.generation, 1);
    } finally {
      await s.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
