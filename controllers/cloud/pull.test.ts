// The Docker registry token flow, step by step as a container runtime performs it,
// against the emulated ACR registry; then the same through `pullManifest`.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from 'kubeloop/testing';
import http from 'node:http';
import { startCloudSim, type CloudSim } from '../cloudsim/index.js';
import { createAlibabaCloud, pullManifest, parseImageReference, credentialsFor, ImagePullError, type AlibabaCloud } from './index.js';

/** Plain HTTP GET to the emulator with an explicit Host header (what a runtime sends for the registry domain). */
function get(sim: CloudSim, host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: sim.port, path, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const isPullError = (reason: string) => (e: unknown) => e instanceof ImagePullError && e.reason === reason;

describe('registry token flow', () => {
  let sim: CloudSim;
  let cloud: AlibabaCloud;
  let domain: string;
  let instanceId: string;
  before(async () => {
    sim = await startCloudSim({
      timings: { registryTokenLifetimeMs: 3_600_000 },
      cloud: {
        repositories: [
          { namespace: 'team', name: 'web', tags: { v1: {}, v2: { labels: { tier: 'frontend' } } } },
          { namespace: 'team', name: 'secret', tags: { latest: {} } },
          { namespace: 'library', name: 'busybox', public: true, tags: { latest: {} } },
        ],
      },
    });
    cloud = createAlibabaCloud({ regionId: sim.regionId, emulator: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
    instanceId = (await cloud.registry.listInstances())[0].instanceId;
    domain = (await cloud.registry.registryDomains(instanceId))[0];
  });
  after(() => sim.stop());

  test('anonymous /v2/ -> 401 challenge -> token with temporary credentials -> manifest with the bearer token', async () => {
    const ping = await get(sim, domain, '/v2/');
    assert.equal(ping.status, 401);
    assert.equal(ping.headers['docker-distribution-api-version'], 'registry/2.0');
    const challenge = String(ping.headers['www-authenticate']);
    const m = /^Bearer realm="([^"]+)",service="([^"]+)"$/.exec(challenge);
    assert.ok(m, challenge);
    const [, realm, service] = m;
    assert.equal(service, `registry.aliyuncs.com:${sim.regionId}:26842`);

    const tok = await cloud.registry.getAuthorizationToken(instanceId);
    const realmUrl = new URL(realm);
    const basic = Buffer.from(`${tok.tempUsername}:${tok.authorizationToken}`).toString('base64');
    const tokenRes = await get(sim, realmUrl.host, `${realmUrl.pathname}?service=${encodeURIComponent(service)}&scope=${encodeURIComponent('repository:team/web:pull')}`, { authorization: `Basic ${basic}` });
    assert.equal(tokenRes.status, 200);
    const { token, expires_in: expiresIn } = JSON.parse(tokenRes.body);
    assert.ok(token && expiresIn > 0);

    const manifest = await get(sim, domain, '/v2/team/web/manifests/v2', { authorization: `Bearer ${token}`, accept: 'application/vnd.docker.distribution.manifest.v2+json' });
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers['content-type'], 'application/vnd.docker.distribution.manifest.v2+json');
    const digest = String(manifest.headers['docker-content-digest']);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    const body = JSON.parse(manifest.body);
    assert.equal(body.schemaVersion, 2);
    // by digest too, and the config blob it points to
    assert.equal((await get(sim, domain, `/v2/team/web/manifests/${digest}`, { authorization: `Bearer ${token}` })).status, 200);
    const blob = await get(sim, domain, `/v2/team/web/blobs/${body.config.digest}`, { authorization: `Bearer ${token}` });
    assert.equal(JSON.parse(blob.body).config.Labels.tier, 'frontend');
    assert.deepEqual(JSON.parse((await get(sim, domain, '/v2/team/web/tags/list', { authorization: `Bearer ${token}` })).body).tags, ['v1', 'v2']);

    // the token is scoped: another repository is refused with a challenge for its own scope
    const other = await get(sim, domain, '/v2/team/secret/manifests/latest', { authorization: `Bearer ${token}` });
    assert.equal(other.status, 401);
    assert.match(String(other.headers['www-authenticate']), /scope="repository:team\/secret:pull"/);
    // no token at all
    assert.equal((await get(sim, domain, '/v2/team/web/manifests/v1')).status, 401);
  });

  test('wrong credentials are refused at the token endpoint', async () => {
    const bad = Buffer.from('cr_temp_user:not-a-token').toString('base64');
    const r = await get(sim, domain, `/auth?service=x&scope=repository:team/web:pull`, { authorization: `Basic ${bad}` });
    assert.equal(r.status, 401);
    await assert.rejects(pullManifest(`${domain}/team/web:v1`, { [domain]: { username: 'cr_temp_user', password: 'nope' } }), isPullError('Unauthorized'));
  });

  test('pullManifest: private with credentials, public anonymously, unknown tag, missing credentials', async () => {
    const tok = await cloud.registry.getAuthorizationToken(instanceId);
    const auth = Buffer.from(`${tok.tempUsername}:${tok.authorizationToken}`).toString('base64');
    // dockerconfigjson written by the credential helper uses `auth` (and may carry a scheme)
    const auths = { [`https://${domain}`]: { auth } };
    const pulled = await pullManifest(`${domain}/team/web:v1`, auths);
    assert.match(pulled.digest, /^sha256:/);
    assert.equal(pulled.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    await pullManifest(`${domain}/library/busybox`, undefined);
    await assert.rejects(pullManifest(`${domain}/team/web:v9`, auths), isPullError('NotFound'));
    await assert.rejects(pullManifest(`${domain}/team/web:v1`, {}), isPullError('Unauthorized'));
    await assert.rejects(pullManifest(`${domain}/team/nope:v1`, auths), isPullError('Unauthorized'));
  });

  test('repositories added at run time can be pulled', async () => {
    const r = await fetch(`${sim.url}/_sim/registries/${instanceId}/repositories`, { method: 'POST', body: JSON.stringify({ namespace: 'team', name: 'api', tags: { '1.0': {} } }) });
    assert.equal(r.status, 200);
    const tok = await cloud.registry.getAuthorizationToken(instanceId);
    await pullManifest(`${domain}/team/api:1.0`, { [domain]: { username: tok.tempUsername, password: tok.authorizationToken } });
  });

  test('expired temporary credentials fail with 401', async () => {
    const short = await startCloudSim({ timings: { registryTokenLifetimeMs: 1500 } });
    try {
      const c = createAlibabaCloud({ regionId: short.regionId, emulator: short.url, credentials: { accessKeyId: short.accessKeyId, accessKeySecret: short.accessKeySecret } });
      const id = (await c.registry.listInstances())[0].instanceId;
      const d = (await c.registry.registryDomains(id))[0];
      const tok = await c.registry.getAuthorizationToken(id);
      const auths = { [d]: { username: tok.tempUsername, password: tok.authorizationToken } };
      await pullManifest(`${d}/kubeloop/app:latest`, auths);
      await eventually('the registry token expired', () => Date.now() > tok.expireTime, 10_000, 20);
      await assert.rejects(pullManifest(`${d}/kubeloop/app:latest`, auths), isPullError('Unauthorized'));
    } finally {
      await short.stop();
    }
  });
});

test('image references and docker config lookup', () => {
  assert.deepEqual(parseImageReference('reg.example.com:5000/ns/app:1.2'), { registry: 'reg.example.com:5000', repository: 'ns/app', reference: '1.2' });
  assert.deepEqual(parseImageReference('reg.example.com/ns/app'), { registry: 'reg.example.com', repository: 'ns/app', reference: 'latest' });
  assert.equal(parseImageReference(`reg.example.com/ns/app@sha256:${'a'.repeat(64)}`).reference, `sha256:${'a'.repeat(64)}`);
  assert.throws(() => parseImageReference('busybox'), isPullError('InvalidImageName'));
  assert.throws(() => parseImageReference('reg.example.com/UPPER/app'), isPullError('InvalidImageName'));
  const auth = Buffer.from('u:p:with:colons').toString('base64');
  assert.deepEqual(credentialsFor({ 'https://reg.example.com/v1/': { auth } }, 'reg.example.com'), { username: 'u', password: 'p:with:colons' });
  assert.equal(credentialsFor({ 'other.example.com': { auth } }, 'reg.example.com'), undefined);
});

test('a registry with an anonymous /v2/ that challenges on the manifest', async () => {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/') { res.writeHead(200).end('{}'); return; }
    if (url.pathname === '/token') {
      const ok = req.headers.authorization === `Basic ${Buffer.from('u:p').toString('base64')}` && url.searchParams.get('scope') === 'repository:ns/app:pull';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? '{"token":"t0k"}' : '{}');
      return;
    }
    if (url.pathname === '/v2/ns/app/manifests/1') {
      if (req.headers.authorization !== 'Bearer t0k') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${req.headers.host}/token",service="test"` }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': 'sha256:abc' }).end('{"schemaVersion":2}');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const reg = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const pulled = await pullManifest(`${reg}/ns/app:1`, { [reg]: { username: 'u', password: 'p' } });
    assert.equal(pulled.digest, 'sha256:abc');
    await assert.rejects(pullManifest(`${reg}/ns/app:1`, { [reg]: { username: 'u', password: 'wrong' } }), isPullError('Unauthorized'));
  } finally {
    await new Promise((r) => server.close(r));
  }
});
