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

test('a kubeconfig read without client-node connects exactly as client-node\'s KubeConfig would', async () => {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-kc-'));
  try {
    mkdirSync(join(dir, 'certs'));
    writeFileSync(join(dir, 'certs', 'ca.crt'), 'CA FROM FILE');
    writeFileSync(join(dir, 'certs', 'admin.crt'), 'CERT FROM FILE');
    writeFileSync(join(dir, 'certs', 'admin.key'), 'KEY FROM FILE');
    writeFileSync(join(dir, 'token'), 'token-from-file\n');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const text = `apiVersion: v1
kind: Config
current-context: data
clusters:
- {name: data, cluster: {server: "https://127.0.0.1:6443/", certificate-authority-data: ${b64('CA DATA')}, tls-server-name: api.internal}}
- {name: files, cluster: {server: "https://files:6443", certificate-authority: certs/ca.crt}}
- {name: insecure, cluster: {server: "https://insecure:6443", insecure-skip-tls-verify: true}}
users:
- {name: certs-data, user: {client-certificate-data: ${b64('CERT DATA')}, client-key-data: ${b64('KEY DATA')}}}
- {name: certs-files, user: {client-certificate: certs/admin.crt, client-key: certs/admin.key, as: jane}}
- {name: token, user: {token: abc}}
- {name: token-file, user: {token-file: ${join(dir, 'token')}}}
- {name: basic, user: {username: u, password: p}}
contexts:
- {name: data, context: {cluster: data, user: certs-data, namespace: team}}
- {name: files, context: {cluster: files, user: certs-files}}
- {name: token, context: {cluster: insecure, user: token}}
- {name: token-file, context: {cluster: data, user: token-file}}
- {name: basic, context: {cluster: files, user: basic}}
- {name: nobody, context: {cluster: data}}
`;
    const file = join(dir, 'config');
    writeFileSync(file, text);
    for (const context of ['data', 'files', 'token', 'token-file', 'basic', 'nobody']) {
      const ours = loadKubeConfig({ path: file, context });
      assert.ok(ours.connection, 'read without client-node');
      const theirs = new KubeConfig();
      theirs.loadFromFile(file);
      theirs.setCurrentContext(context);
      assert.deepEqual(ours.connection.getCurrentCluster(), theirs.getCurrentCluster(), context);
      const a: https.RequestOptions = {};
      const b: https.RequestOptions = {};
      await ours.connection.applyToHTTPSOptions(a);
      await theirs.applyToHTTPSOptions(b);
      const pick = (o: https.RequestOptions) => ({ ca: o.ca, cert: o.cert, key: o.key, rejectUnauthorized: o.rejectUnauthorized, servername: (o as { servername?: string }).servername, headers: o.headers, auth: o.auth });
      assert.deepEqual(pick(a), pick(b), context);
      assert.equal(ours.namespace, context === 'data' ? 'team' : 'default');
      // and client-node's KubeConfig is still there for whoever reads it
      assert.equal(ours.kubeConfig.getCurrentCluster()?.server, theirs.getCurrentCluster()?.server);
      assert.equal(ours.kubeConfig.getCurrentContext(), context);
    }
    assert.throws(() => loadKubeConfig({ kubeconfig: 'clusters: [{cluster: {server: "https://x"}}]' }), /clusters\[0\]\.name is missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a kubeconfig with an exec plugin goes through client-node', async () => {
  const text = `apiVersion: v1
kind: Config
current-context: c
clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ${process.execPath}, args: ["-e", "process.stdout.write(JSON.stringify({apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: {token: 'from-exec'}}))"], interactiveMode: Never}}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
`;
  const cfg = loadKubeConfig({ kubeconfig: text });
  const o: https.RequestOptions = {};
  await cfg.connection!.applyToHTTPSOptions(o);
  assert.equal((o.headers as Record<string, string>).Authorization, 'Bearer from-exec');
});
