// The client against the real built-in API server: CRUD, every patch type, server-side
// apply, optimistic concurrency, delete options, pagination, selectors, discovery of a
// CRD created after start, and Status errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isAlreadyExists, isConflict, isNotFound, type KubeObject } from '../../src/api/index.js';
import { KubeClient, isNoKindMatch, loadKubeConfig } from '../../src/client/index.js';
import { generateCa, issueCert } from '../../src/pki/index.js';
import { clientFor, eventually, startServer } from './harness.js';
import { EXTERNAL, uniqueName } from '../support/index.js';

// the tests' namespaces: `c` on a server of their own, fresh ones on an external cluster
const NS1 = EXTERNAL ? uniqueName('c') : 'c';
const NS2 = EXTERNAL ? uniqueName('c') : 'c';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

test('client CRUD, patches, apply, conflicts, deletes, pagination and selectors', { timeout: 30_000 }, async () => {
  const server = await startServer();
  const client = clientFor(server);
  try {
    assert.match((await client.version()).gitVersion, /^v1\./);
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS1 } });
    const created = await client.create<KubeObject>({ ...CM, metadata: { name: 'a', namespace: NS1, labels: { app: 'x' } }, data: { k: 'v' } });
    assert.ok(created.metadata.uid && created.metadata.resourceVersion);
    await assert.rejects(client.create({ ...CM, metadata: { name: 'a', namespace: NS1 } }), isAlreadyExists);
    await assert.rejects(client.get(CM, 'nope', { namespace: NS1 }), isNotFound);

    const got = await client.get<KubeObject & { data: Record<string, string> }>(CM, 'a', { namespace: NS1 });
    assert.equal(got.data.k, 'v');
    const updated = await client.update({ ...got, data: { k: 'v2' } });
    await assert.rejects(client.update({ ...got, data: { k: 'stale' } }), isConflict, 'stale resourceVersion -> 409');

    const merged = await client.patch<{ data: Record<string, string> }>(CM, 'a', { data: { m: '1' } }, { namespace: NS1 });
    assert.deepEqual(merged.data, { k: 'v2', m: '1' });
    const jp = await client.patch<{ data: Record<string, string> }>(CM, 'a', [{ op: 'remove', path: '/data/m' }], { namespace: NS1, type: 'json' });
    assert.deepEqual(jp.data, { k: 'v2' });
    const smp = await client.patch<{ data: Record<string, string> }>(CM, 'a', { data: { s: '1' } }, { namespace: NS1, type: 'strategic' });
    assert.equal(smp.data.s, '1');
    const applied = await client.apply<KubeObject & { data?: Record<string, string> }>({ ...CM, metadata: { name: 'ssa', namespace: NS1 }, data: { owned: 'yes' } });
    assert.equal(applied.data?.owned, 'yes');
    assert.ok(applied.metadata.managedFields?.some((m) => m.manager === 'kubeloop'), 'field manager kubeloop recorded');
    void updated;

    // Status subresource: updateStatus changes status only; update ignores status changes.
    const pod = await client.create<KubeObject & { status?: { phase?: string } }>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: NS1 },
      // no scheduler (and so no kubelet) of a real cluster takes it: its status is the test's alone
      spec: { schedulerName: 'e2e-no-scheduler', containers: [{ name: 'c', image: 'busybox' }] },
    });
    // a spec change sent to the status subresource is dropped (upstream's podStatusStrategy keeps the old spec)
    const withStatus = await client.updateStatus<KubeObject & { spec: { activeDeadlineSeconds?: number }; status?: { phase?: string } }>(
      { ...pod, spec: { ...(pod as { spec?: object }).spec, activeDeadlineSeconds: 60 }, status: { ...pod.status, phase: 'Running' } });
    assert.equal(withStatus.status?.phase, 'Running');
    assert.equal(withStatus.spec.activeDeadlineSeconds, undefined, 'a status write leaves the spec alone');
    // and a status change sent to the main resource is dropped (podStrategy keeps the old status)
    const mainWrite = await client.update<KubeObject & { spec: { activeDeadlineSeconds?: number }; status?: { phase?: string } }>(
      { ...withStatus, spec: { ...withStatus.spec, activeDeadlineSeconds: 60 }, status: { ...withStatus.status, phase: 'Failed' } });
    assert.equal(mainWrite.spec.activeDeadlineSeconds, 60);
    assert.equal(mainWrite.status?.phase, 'Running', 'an update of the main resource leaves the status alone');

    // Delete with a failing precondition, then for real.
    await assert.rejects(client.delete(CM, 'a', { namespace: NS1, preconditions: { uid: 'not-the-uid' } }), isConflict);
    await client.delete(CM, 'a', { namespace: NS1, preconditions: { uid: created.metadata.uid } });
    await eventually('deleted', async () => client.get(CM, 'a', { namespace: NS1 }).then(() => false, isNotFound));

    // Pagination and selectors.
    for (let i = 0; i < 11; i++) await client.create({ ...CM, metadata: { name: `p${i}`, namespace: NS1, labels: { page: 'yes', odd: String(i % 2 === 1) } } });
    const page1 = await client.list(CM, { namespace: NS1, labelSelector: 'page=yes', limit: 4 });
    assert.equal(page1.items.length, 4);
    assert.ok(page1.metadata.continue && page1.metadata.resourceVersion);
    const all = await client.listAll(CM, { namespace: NS1, labelSelector: { matchLabels: { page: 'yes' } }, limit: 4 });
    assert.equal(all.items.length, 11);
    assert.equal(new Set(all.items.map((o) => o.metadata.name)).size, 11);
    const odd = await client.list(CM, { namespace: NS1, labelSelector: 'odd=true' });
    assert.equal(odd.items.length, 5);
    const byName = await client.list(CM, { fieldSelector: 'metadata.name=p3' });
    assert.deepEqual(byName.items.map((o) => o.metadata.namespace + '/' + o.metadata.name), [`${NS1}/p3`]);
    await client.deleteCollection(CM, { namespace: NS1, labelSelector: 'odd=true' });
    await eventually('collection deleted', async () => (await client.list(CM, { namespace: NS1, labelSelector: 'odd=true' })).items.length === 0);

  } finally {
    client.close();
    await server.stop();
  }
});

test('a CRD created after discovery was cached is found on the next miss', { timeout: 30_000 }, async () => {
  const server = await startServer();
  const client = clientFor(server);
  try {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS2 } });
    await client.list({ apiVersion: 'v1', kind: 'ConfigMap' }); // discovery cached
    const Widget = { apiVersion: 'example.com/v1', kind: 'Widget' };
    await assert.rejects(client.get(Widget, 'w', { namespace: NS2 }), isNoKindMatch);
    await client.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    await eventually('CRD served', async () => client.create({ ...Widget, metadata: { name: 'w', namespace: NS2 } }).then(() => true, (e) => !isNoKindMatch(e) && !isNotFound(e) && Promise.reject(e)));
    assert.equal((await client.get<KubeObject>(Widget, 'w', { namespace: NS2 })).metadata.name, 'w');
  } finally {
    client.close();
    await server.stop();
  }
});

test('the transport names the server as Node would: Host header, and TLS server name (the host name, none for an IP address, the kubeconfig\'s tls-server-name first)', { timeout: 30_000 }, async () => {
  // its own https server (no cluster needed): what each request said
  const ca = generateCa('transport-test-ca');
  const serving = issueCert(ca, { subject: [{ name: 'commonName', value: 'srv' }], usage: 'server', hosts: ['localhost', '127.0.0.1', 'api.internal'] });
  const seen: { sni: string | false | null; host?: string; path?: string }[] = [];
  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    seen.push({ sni: (req.socket as TLSSocket).servername, host: req.headers.host, path: req.url });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const kubeconfig = (url: string, extra = '') => `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${url}", certificate-authority-data: ${Buffer.from(ca.certPem).toString('base64')}${extra}}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;
  try {
    for (const [url, extra, sni, host] of [
      [`https://localhost:${port}`, '', 'localhost', `localhost:${port}`],
      [`https://127.0.0.1:${port}/`, '', false, `127.0.0.1:${port}`],
      [`https://127.0.0.1:${port}/prefix/`, ', tls-server-name: api.internal', 'api.internal', `127.0.0.1:${port}`],
    ] as const) {
      const client = new KubeClient(loadKubeConfig({ kubeconfig: kubeconfig(url, extra) }));
      try {
        seen.length = 0;
        await client.transport.request({ method: 'GET', path: '/version' });
        await client.transport.request({ method: 'POST', path: '/api/v1/namespaces/a/pods/b/binding', body: '{}' });
        assert.deepEqual(seen, [
          { sni, host, path: `${url.endsWith('/prefix/') ? '/prefix' : ''}/version` },
          { sni, host, path: `${url.endsWith('/prefix/') ? '/prefix' : ''}/api/v1/namespaces/a/pods/b/binding` },
        ], url);
      } finally {
        client.close();
      }
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
