import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type https from 'node:https';
import { expandHome, inClusterConfig, loadKubeConfig } from './config.js';

test('in-cluster config: server from env-style options, namespace file, token file re-read after rotation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sa-'));
  try {
    writeFileSync(join(dir, 'token'), 'token-1\n');
    writeFileSync(join(dir, 'namespace'), 'kube-system');
    const cfg = inClusterConfig({ host: 'fd00::1', port: 6443, tokenPath: join(dir, 'token'), caPath: join(dir, 'ca.crt'), namespacePath: join(dir, 'namespace'), tokenRefreshMs: 0 });
    assert.equal(cfg.namespace, 'kube-system');
    assert.equal(cfg.kubeConfig.getCurrentCluster()?.server, 'https://[fd00::1]:6443');
    const headers = async () => {
      const o: https.RequestOptions = { headers: {} };
      await cfg.kubeConfig.applyToHTTPSOptions(o);
      return (o.headers as Record<string, string>).Authorization;
    };
    assert.equal(await headers(), 'Bearer token-1');
    writeFileSync(join(dir, 'token'), 'token-2');
    assert.equal(await headers(), 'Bearer token-2');
    assert.throws(() => inClusterConfig({ host: '', port: '' }), /KUBERNETES_SERVICE_HOST/);
    assert.throws(() => inClusterConfig({ host: 'h', port: 1, tokenPath: join(dir, 'missing') }), /does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kubeconfig: context selection, namespace, clear errors', () => {
  const text = `apiVersion: v1
kind: Config
clusters: [{name: a, cluster: {server: "https://a:6443"}}, {name: b, cluster: {server: "https://b:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: ca, context: {cluster: a, user: u}}, {name: cb, context: {cluster: b, user: u, namespace: team}}]
current-context: ca
`;
  assert.equal(loadKubeConfig({ kubeconfig: text }).namespace, 'default');
  const b = loadKubeConfig({ kubeconfig: text, context: 'cb' });
  assert.equal(b.kubeConfig.getCurrentCluster()?.server, 'https://b:6443');
  assert.equal(b.namespace, 'team');
  assert.throws(() => loadKubeConfig({ kubeconfig: text, context: 'nope' }), /context "nope" not found/);
  assert.throws(() => loadKubeConfig({ path: '/nonexistent/kubeconfig' }), /does not exist/);
});

test('kubeconfig paths starting with ~ are the home directory, as kubectl reads them', () => {
  const home = mkdtempSync(join(tmpdir(), 'kubeloop-home-'));
  const prev = process.env.HOME;
  process.env.HOME = home;
  try {
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), [
      'apiVersion: v1', 'kind: Config', 'current-context: c',
      'clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: c, context: {cluster: k, user: u, namespace: team}}]', '',
    ].join('\n'));
    assert.equal(expandHome('~/.kube/config'), join(home, '.kube', 'config'));
    assert.equal(expandHome('/etc/x'), '/etc/x');
    assert.equal(loadKubeConfig({ path: '~/.kube/config' }).namespace, 'team');
  } finally {
    process.env.HOME = prev;
    rmSync(home, { recursive: true, force: true });
  }
});
