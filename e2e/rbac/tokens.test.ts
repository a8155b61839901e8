// ServiceAccount tokens seen by an in-cluster client (src/client inClusterConfig reading the
// token file): a good token works; expired, wrong-audience and tampered tokens get 401; the token
// of a deleted (or deleted and recreated) ServiceAccount stops working. Also `kubectl create
// token` (protobuf TokenRequest) and kubectl with that token.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { DEFAULT_ISSUER, serviceAccountClaims, signJwt } from '../../src/apiserver/auth/index.js';
import { inClusterConfig, KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { requestToken, serviceAccountWithRole, writePodFiles, type PodFiles } from './harness.js';

const exec = promisify(execFile);

describeInProcess('ServiceAccount tokens against an in-cluster client', 'signs and expires tokens of an API server of its own (data directory, audiences)', () => {
  let server: ApiServer;
  let dataDir: string;
  let admin: KubeClient;
  const files: PodFiles[] = [];
  const clients: KubeClient[] = [];
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kubeloop-rbac-tokens-'));
    server = await startApiServer({ dataDir });
    admin = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
    await serviceAccountWithRole(admin, 'kube-system', 'reader', 'node-reader', [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }]);
  });
  after(async () => {
    for (const c of clients) c.close();
    admin.close();
    for (const f of files) f.remove();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Lists nodes as a pod holding `token` would; returns the HTTP status. */
  const listNodesWith = async (token: string): Promise<number> => {
    const f = writePodFiles(server, token, 'kube-system');
    files.push(f);
    const c = new KubeClient(inClusterConfig({ tokenPath: join(f.dir, 'token'), caPath: join(f.dir, 'ca.crt'), namespacePath: join(f.dir, 'namespace'), host: '127.0.0.1', port: server.port }));
    clients.push(c);
    try {
      await c.list({ apiVersion: 'v1', kind: 'Node' });
      return 200;
    } catch (e) {
      return (e as { status?: { code?: number }; code?: number }).status?.code ?? (e as { code?: number }).code ?? -1;
    }
  };

  const forge = async (name: string, mod: { expirationSeconds?: number; now?: number; audiences?: string[] } = {}) => {
    const key = createPrivateKey(readFileSync(join(dataDir, 'pki', 'sa.key'), 'utf8'));
    const sa = await admin.get<{ metadata: { uid: string } }>({ apiVersion: 'v1', kind: 'ServiceAccount' }, name, { namespace: 'kube-system' });
    return signJwt(serviceAccountClaims(DEFAULT_ISSUER, {
      namespace: 'kube-system', serviceAccount: { name, uid: sa.metadata.uid }, audiences: mod.audiences ?? ['https://kubernetes.default.svc'],
      expirationSeconds: mod.expirationSeconds ?? 600, now: mod.now,
    }), key);
  };

  it('a TokenRequest token authorizes the client as the ServiceAccount', async () => {
    assert.equal(await listNodesWith(await requestToken(server, 'kube-system', 'reader')), 200);
  });

  it('expired, wrong-audience and tampered tokens get 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    assert.equal(await listNodesWith(await forge('reader', { now: now - 7200 })), 401, 'expired');
    assert.equal(await listNodesWith(await requestToken(server, 'kube-system', 'reader', { audiences: ['https://vault.example'] })), 401, 'wrong audience');
    const good = await forge('reader');
    assert.equal(await listNodesWith(good), 200, 'the forged-but-valid control token works');
    const [h, p, s] = good.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.exp += 86400;
    assert.equal(await listNodesWith(`${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`), 401, 'tampered');
  });

  it("a deleted ServiceAccount's token stops working, also after the name is recreated", async () => {
    await serviceAccountWithRole(admin, 'kube-system', 'temp', 'node-reader-temp', [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }]);
    const token = await requestToken(server, 'kube-system', 'temp');
    assert.equal(await listNodesWith(token), 200);
    await admin.delete({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'temp', { namespace: 'kube-system' });
    assert.equal(await listNodesWith(token), 401);
    await admin.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'temp', namespace: 'kube-system' } });
    assert.equal(await listNodesWith(token), 401);
  });

  it('kubectl create token issues a token kubectl can use; can-i answers for it', async () => {
    const kc = ['--kubeconfig', server.kubeconfigPath];
    const { stdout } = await exec('kubectl', [...kc, 'create', 'token', 'reader', '-n', 'kube-system', '--duration', '15m']);
    const token = stdout.trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, 'system:serviceaccount:kube-system:reader');
    assert.equal(claims.exp - claims.iat, 900);
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-kubectl-'));
    try {
      const ca = join(dir, 'ca.crt');
      writeFileSync(ca, server.caPem);
      const asSa = ['--kubeconfig', '/dev/null', '--server', server.url, '--certificate-authority', ca, '--token', token];
      const who = await exec('kubectl', [...asSa, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      assert.equal(who.stdout.trim(), 'system:serviceaccount:kube-system:reader');
      const yes = await exec('kubectl', [...asSa, 'auth', 'can-i', 'list', 'nodes']);
      assert.equal(yes.stdout.trim(), 'yes');
      const no = await exec('kubectl', [...asSa, 'get', 'pods', '-A']).catch((e) => e);
      assert.match(String(no.stderr), /pods is forbidden: User "system:serviceaccount:kube-system:reader" cannot list resource "pods" in API group "" at the cluster scope/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
