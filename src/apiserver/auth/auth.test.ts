import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from '../index.js';
import { call } from '../test-client.js';
import { DEFAULT_ISSUER, serviceAccountClaims, signJwt } from './index.js';

function get(s: ApiServer, path: string, token: string) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const req = httpsRequest(new URL(path, s.url), { ca: s.caPem, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const whoami = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

describe('ServiceAccount tokens (serviceaccounts/token)', () => {
  let s: ApiServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeloop-auth-'));
    s = await startApiServer({ dataDir: dir });
    await call(s, 'POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'app' } });
  });
  after(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const requestToken = async (sa: string, spec: object = {}) => {
    const r = await call(s, 'POST', `/api/v1/namespaces/default/serviceaccounts/${sa}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
    return r;
  };
  const post = (token: string) => new Promise<{ status: number; user?: { username: string; groups: string[] } }>((resolve, reject) => {
    const req = httpsRequest(new URL(whoami, s.url), { method: 'POST', ca: s.caPem, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const j = JSON.parse(Buffer.concat(chunks).toString());
        resolve({ status: res.statusCode ?? 0, user: j.status?.userInfo });
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));
  });

  it('issues a signed token with the upstream claims that authenticates as the ServiceAccount', async () => {
    const r = await requestToken('app');
    assert.equal(r.status, 201);
    assert.equal(r.json.kind, 'TokenRequest');
    const token: string = r.json.status.token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, 'system:serviceaccount:default:app');
    assert.deepEqual(claims.aud, ['https://kubernetes.default.svc']);
    assert.equal(claims.iss, DEFAULT_ISSUER);
    assert.equal(claims.exp - claims.nbf, 3600);
    assert.equal(claims['kubernetes.io'].namespace, 'default');
    assert.equal(claims['kubernetes.io'].serviceaccount.name, 'app');
    const me = await post(token);
    assert.equal(me.status, 201);
    assert.equal(me.user?.username, 'system:serviceaccount:default:app');
    assert.deepEqual(me.user?.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    // Authenticated but not authorized: 403, not 401.
    assert.equal((await get(s, '/api/v1/nodes', token)).status, 403);
  });

  it('validates the request (lifetime, bound object, missing ServiceAccount)', async () => {
    assert.equal((await requestToken('app', { expirationSeconds: 60 })).status, 422);
    assert.equal((await requestToken('nobody')).status, 404);
    assert.equal((await requestToken('app', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'missing' } })).status, 404);
    assert.equal((await requestToken('app', { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } })).status, 400);
  });

  it('rejects wrong-audience, expired and tampered tokens with 401', async () => {
    const other = await requestToken('app', { audiences: ['vault'] });
    assert.equal(other.status, 201);
    assert.deepEqual(other.json.spec.audiences, ['vault']);
    const wrongAud = await get(s, '/version', other.json.status.token);
    assert.equal(wrongAud.status, 401);
    assert.equal(wrongAud.json.reason, 'Unauthorized');

    const key = createPrivateKey(readFileSync(join(dir, 'pki', 'sa.key'), 'utf8'));
    const sa = (await call(s, 'GET', '/api/v1/namespaces/default/serviceaccounts/app')).json;
    const base = { namespace: 'default', serviceAccount: { name: 'app', uid: sa.metadata.uid }, audiences: ['https://kubernetes.default.svc'] };
    const now = Math.floor(Date.now() / 1000);
    const valid = signJwt(serviceAccountClaims(DEFAULT_ISSUER, { ...base, expirationSeconds: 600, now }), key);
    assert.equal((await get(s, '/version', valid)).status, 200);
    const expired = signJwt(serviceAccountClaims(DEFAULT_ISSUER, { ...base, expirationSeconds: 600, now: now - 4000 }), key);
    assert.equal((await get(s, '/version', expired)).status, 401);

    const [h, p, sig] = valid.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims['kubernetes.io'].serviceaccount.name = 'admin';
    claims.sub = 'system:serviceaccount:default:admin';
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
    assert.equal((await get(s, '/version', tampered)).status, 401);
    assert.equal((await get(s, '/version', `${h}.${p}.${sig.slice(0, -4)}AAAA`)).status, 401);
    assert.equal((await get(s, '/version', 'not-a-jwt')).status, 401);
  });

  it('stops accepting a token when its ServiceAccount is deleted or recreated', async () => {
    await call(s, 'POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'short' } });
    const token = (await requestToken('short')).json.status.token;
    assert.equal((await get(s, '/version', token)).status, 200);
    await call(s, 'DELETE', '/api/v1/namespaces/default/serviceaccounts/short');
    assert.equal((await get(s, '/version', token)).status, 401);
    await call(s, 'POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'short' } });
    assert.equal((await get(s, '/version', token)).status, 401, 'a recreated ServiceAccount has another uid');
  });

  it('binds a token to a pod: it stops working when the pod goes', async () => {
    await call(s, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { serviceAccountName: 'app', containers: [{ name: 'c', image: 'x' }] } });
    const r = await requestToken('app', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p' } });
    assert.equal(r.status, 201);
    const token = r.json.status.token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(claims['kubernetes.io'].pod.name, 'p');
    assert.equal((await get(s, '/version', token)).status, 200);
    await call(s, 'DELETE', '/api/v1/namespaces/default/pods/p');
    assert.equal((await get(s, '/version', token)).status, 401);
  });

  it('keeps the signing key in the data dir: tokens survive a restart', async () => {
    const token = (await requestToken('app')).json.status.token;
    await s.stop();
    s = await startApiServer({ dataDir: dir });
    assert.equal((await get(s, '/version', token)).status, 200);
  });
});
