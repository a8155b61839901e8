import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalTarget, recordSkip, targetMode } from './target.js';

test('E2E_TARGET names the mode; kind is external; anything else is a clear error', () => {
  assert.equal(targetMode({}), 'in-process');
  assert.equal(targetMode({ E2E_TARGET: 'in-process' }), 'in-process');
  assert.equal(targetMode({ E2E_TARGET: 'external' }), 'external');
  assert.equal(targetMode({ E2E_TARGET: 'kind' }), 'external');
  assert.throws(() => targetMode({ E2E_TARGET: 'kinf' }), /E2E_TARGET=kinf: expected "in-process" \(the default\) or "external"/);
});

test('the external target comes from KUBECONFIG and E2E_* variables, with clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-target-'));
  try {
    assert.throws(() => externalTarget({ KUBECONFIG: join(dir, 'absent') }), /cannot read the kubeconfig .*absent \(set KUBECONFIG\)/);
    const kc = join(dir, 'kubeconfig');
    writeFileSync(kc, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
      clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:6443' } }], users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
    }));
    const bare = externalTarget({ KUBECONFIG: kc });
    assert.equal(bare.url, 'https://127.0.0.1:6443');
    assert.equal(bare.cloud, undefined);
    assert.equal(bare.clusterCidr, '10.244.0.0/16');
    assert.equal(bare.simulatedNodes, false);
    assert.equal(bare.controllersNamespace, 'kubeloop-system');
    assert.throws(() => externalTarget({ KUBECONFIG: kc, E2E_CLOUD_URL: 'http://127.0.0.1:8090' }), /set E2E_CLOUD_ACCESS_KEY_ID and E2E_CLOUD_ACCESS_KEY_SECRET/);
    const full = externalTarget({
      KUBECONFIG: kc, E2E_CLOUD_URL: 'http://127.0.0.1:8090/', ALIBABA_CLOUD_ACCESS_KEY_ID: 'id', E2E_CLOUD_ACCESS_KEY_SECRET: 'secret',
      E2E_CLUSTER_CIDR: '172.16.0.0/16', E2E_SIMULATED_NODES: '1',
    });
    assert.deepEqual(full.cloud, { url: 'http://127.0.0.1:8090', regionId: 'cn-hangzhou', accessKeyId: 'id', accessKeySecret: 'secret' });
    assert.equal(full.clusterCidr, '172.16.0.0/16');
    assert.equal(full.simulatedNodes, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a skip is appended to $E2E_SKIP_LOG with the test file, the scenario and the reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-skips-'));
  const before = process.env.E2E_SKIP_LOG;
  process.env.E2E_SKIP_LOG = join(dir, 'skips.ndjson');
  try {
    assert.equal(recordSkip('scenario one', 'needs a fake clock'), 'skipped in external mode: needs a fake clock');
    recordSkip('scenario two', 'needs fault injection');
    const lines = readFileSync(process.env.E2E_SKIP_LOG, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.name, l.reason]), [['scenario one', 'needs a fake clock'], ['scenario two', 'needs fault injection']]);
    assert.match(lines[0].file, /target\.test\.js$/);
  } finally {
    if (before === undefined) delete process.env.E2E_SKIP_LOG; else process.env.E2E_SKIP_LOG = before;
    rmSync(dir, { recursive: true, force: true });
  }
});
