// Semantics of the built-in API server over raw HTTPS: CRUD, conflicts, generation, status,
// finalizers, dry run, selectors, pagination, watch, discovery, OpenAPI, tables and errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StatusError, newForbidden } from '../api/index.js';
import { startApiServer, type ApiServer } from './index.js';
import { call, openWatch } from './test-client.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';

async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const deployment = (name: string, replicas = 1) => ({
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
});

describe('apiserver semantics', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0, bookmarkIntervalMs: 100, rootCaPublisher: false });
  });
  after(async () => {
    await s.stop();
  });

  it('fills kind/apiVersion, uid, timestamps; generateName', async () => {
    const r = await call(s, 'POST', CMS, { metadata: { generateName: 'gen-' }, data: { a: '1' } });
    assert.equal(r.status, 201);
    assert.equal(r.json.kind, 'ConfigMap');
    assert.equal(r.json.apiVersion, 'v1');
    assert.match(r.json.metadata.name, /^gen-[a-z0-9]{5}$/);
    assert.match(r.json.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(r.json.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(r.json.metadata.generation, undefined, 'a ConfigMap has no generation (generation.test.ts)');
    assert.equal(r.json.metadata.namespace, 'default');
  });

  it('rejects namespace mismatch, missing namespace, bad names, bad JSON, protobuf, unknown paths', async () => {
    let r = await call(s, 'POST', CMS, { metadata: { name: 'x', namespace: 'other' } });
    assert.equal(r.status, 400);
    assert.equal(r.json.kind, 'Status');
    r = await call(s, 'POST', '/api/v1/namespaces/missing/configmaps', { metadata: { name: 'x' } });
    assert.equal(r.status, 404);
    assert.equal(r.json.message, 'namespaces "missing" not found');
    r = await call(s, 'POST', CMS, { metadata: { name: 'Bad_Name' } });
    assert.equal(r.status, 422);
    assert.equal(r.json.reason, 'Invalid');
    assert.equal(r.json.details.causes[0].field, 'metadata.name');
    r = await call(s, 'POST', CMS, '{not json');
    assert.equal(r.status, 400);
    assert.equal(r.json.reason, 'BadRequest');
    r = await call(s, 'POST', CMS, Buffer.from('k8s\0junk'), { 'Content-Type': 'application/vnd.kubernetes.protobuf' });
    assert.equal(r.status, 400);
    r = await call(s, 'POST', CMS, Buffer.from([0xa0]), { 'Content-Type': 'application/cbor' });
    assert.equal(r.status, 415);
    assert.equal(r.json.reason, 'UnsupportedMediaType');
    // paths nothing serves end in upstream's notfoundhandler: client-go's and kubectl's "could not find the requested resource"
    for (const path of ['/api/v1/namespaces/default/widgets', '/apis/nope.example.com/v1/widgets', '/api/v1/namespaces/default/nodes', '/api/v1/namespaces/default/configmaps/x/nothing']) {
      r = await call(s, 'GET', path);
      assert.equal(r.status, 404, path);
      assert.equal(r.json.kind, 'Status');
      assert.equal(r.json.reason, 'NotFound');
      assert.equal(r.json.message, 'the server could not find the requested resource', path);
    }
    r = await call(s, 'GET', '/nothing/here');
    assert.equal(r.status, 404);
    r = await call(s, 'PUT', CMS, {});
    assert.equal(r.status, 405);
  });

  it('optimistic concurrency, no-op updates and generation', async () => {
    const c = (await call(s, 'POST', DEPLOYS, deployment('occ'))).json;
    const stale = structuredClone(c);
    c.spec.replicas = 2;
    const u = await call(s, 'PUT', `${DEPLOYS}/occ`, c);
    assert.equal(u.status, 200);
    assert.equal(u.json.metadata.generation, 2);
    stale.spec.replicas = 3;
    const conflict = await call(s, 'PUT', `${DEPLOYS}/occ`, stale);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.json.reason, 'Conflict');
    assert.equal(conflict.json.message, 'Operation cannot be fulfilled on deployments.apps "occ": the object has been modified; please apply your changes to the latest version and try again');
    // Same content: RV unchanged.
    const same = await call(s, 'PUT', `${DEPLOYS}/occ`, u.json);
    assert.equal(same.json.metadata.resourceVersion, u.json.metadata.resourceVersion);
    // Label change: new RV, same generation.
    u.json.metadata.labels = { x: 'y' };
    const lab = await call(s, 'PUT', `${DEPLOYS}/occ`, u.json);
    assert.notEqual(lab.json.metadata.resourceVersion, u.json.metadata.resourceVersion);
    assert.equal(lab.json.metadata.generation, 2);
    // Name in body differs from the URL.
    const wrong = await call(s, 'PUT', `${DEPLOYS}/occ`, { ...lab.json, metadata: { ...lab.json.metadata, name: 'other' } });
    assert.equal(wrong.status, 400);
  });

  it('splits status from the main resource', async () => {
    const c = (await call(s, 'POST', DEPLOYS, { ...deployment('st'), status: { replicas: 9 } })).json;
    // upstream's PrepareForCreate resets it to the zero DeploymentStatus, which encodes as `{}`
    assert.deepEqual(c.status, {}, 'status is reset on create');
    const st = await call(s, 'PUT', `${DEPLOYS}/st/status`, { ...c, spec: { ...c.spec, replicas: 7 }, status: { replicas: 1, readyReplicas: 1 } });
    assert.equal(st.status, 200);
    assert.equal(st.json.status.readyReplicas, 1);
    assert.equal(st.json.spec.replicas, 1, 'status update ignores spec');
    assert.equal(st.json.metadata.generation, 1);
    const main = await call(s, 'PUT', `${DEPLOYS}/st`, { ...st.json, status: { replicas: 5 } });
    assert.equal(main.json.status.replicas, 1, 'main update ignores status');
    const p = await call(s, 'PATCH', `${DEPLOYS}/st/status`, { status: { availableReplicas: 1 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(p.status, 200);
    assert.equal(p.json.status.availableReplicas, 1);
    const scale = await call(s, 'GET', `${DEPLOYS}/st/scale`);
    assert.equal(scale.json.kind, 'Scale');
    assert.equal(scale.json.apiVersion, 'autoscaling/v1');
    assert.equal(scale.json.spec.replicas, 1);
    assert.equal(scale.json.status.selector, 'app=st');
    const scaled = await call(s, 'PATCH', `${DEPLOYS}/st/scale`, { spec: { replicas: 4 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(scaled.json.spec.replicas, 4);
    assert.equal((await call(s, 'GET', `${DEPLOYS}/st`)).json.spec.replicas, 4);
  });

  it('finalizers: delete marks, the last finalizer removal deletes; no new finalizers while deleting', async () => {
    await call(s, 'POST', CMS, { metadata: { name: 'fin', finalizers: ['a/b'] } });
    const w = openWatch(s, `${CMS}?watch=1&fieldSelector=metadata.name%3Dfin&resourceVersion=${s.store.resourceVersion}`);
    assert.equal(await w.status, 200);
    const d = await call(s, 'DELETE', `${CMS}/fin`, { propagationPolicy: 'Background' });
    assert.equal(d.status, 200);
    assert.equal(d.json.kind, 'ConfigMap');
    assert.ok(d.json.metadata.deletionTimestamp);
    assert.equal(d.json.metadata.deletionGracePeriodSeconds, 0);
    const again = await call(s, 'GET', `${CMS}/fin`);
    const add = await call(s, 'PUT', `${CMS}/fin`, { ...again.json, metadata: { ...again.json.metadata, finalizers: ['a/b', 'c/d'] } });
    assert.equal(add.status, 422);
    const rm = await call(s, 'PATCH', `${CMS}/fin`, { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(rm.status, 200);
    assert.equal((await call(s, 'GET', `${CMS}/fin`)).status, 404);
    await until(() => w.events.some((e) => e.type === 'DELETED'));
    assert.deepEqual(w.events.map((e) => e.type), ['MODIFIED', 'DELETED']);
    w.stop();
  });

  it('delete returns a Status for most kinds, honours preconditions and dryRun', async () => {
    const c = (await call(s, 'POST', CMS, { metadata: { name: 'del' } })).json;
    let r = await call(s, 'DELETE', `${CMS}/del`, { preconditions: { uid: 'nope' } });
    assert.equal(r.status, 409);
    r = await call(s, 'DELETE', `${CMS}/del?dryRun=All`);
    assert.equal(r.status, 200);
    assert.equal((await call(s, 'GET', `${CMS}/del`)).status, 200);
    r = await call(s, 'DELETE', `${CMS}/del`, { preconditions: { uid: c.metadata.uid } });
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'Status');
    assert.equal(r.json.status, 'Success');
    assert.equal(r.json.details.uid, c.metadata.uid);
    r = await call(s, 'DELETE', `${CMS}/del`);
    assert.equal(r.status, 404);
    // dryRun create does not store.
    r = await call(s, 'POST', `${CMS}?dryRun=All`, { metadata: { name: 'dry' } });
    assert.equal(r.status, 201);
    assert.equal((await call(s, 'GET', `${CMS}/dry`)).status, 404);
  });

  it('delete collection with a label selector', async () => {
    for (const n of ['dc1', 'dc2', 'dc3']) await call(s, 'POST', CMS, { metadata: { name: n, labels: { dc: n === 'dc3' ? 'keep' : 'go' } } });
    const r = await call(s, 'DELETE', `${CMS}?labelSelector=dc%3Dgo`);
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'ConfigMapList');
    assert.equal(r.json.items.length, 2);
    const left = await call(s, 'GET', `${CMS}?labelSelector=dc`);
    assert.deepEqual(left.json.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['dc3']);
  });

  it('admission plugins can mutate, reject and defer deletion', async () => {
    s.admission.add({
      name: 'test',
      admit(req) {
        if (req.operation === 'CREATE' && req.object.metadata.name === 'admitted') req.object.metadata.labels = { admitted: 'yes' };
        if (req.operation === 'DELETE' && req.object.metadata.name === 'admitted') req.object.metadata.finalizers = ['foregroundDeletion'];
      },
      validate(req) {
        if (req.object.metadata.name === 'forbidden') throw newForbidden({ group: '', resource: 'configmaps' }, 'forbidden', 'not today');
      },
    });
    try {
      const c = await call(s, 'POST', CMS, { metadata: { name: 'admitted' } });
      assert.equal(c.json.metadata.labels.admitted, 'yes');
      const f = await call(s, 'POST', CMS, { metadata: { name: 'forbidden' } });
      assert.equal(f.status, 403);
      assert.ok(f.json.message.includes('not today'));
      const d = await call(s, 'DELETE', `${CMS}/admitted`);
      assert.deepEqual(d.json.metadata.finalizers, ['foregroundDeletion']);
      assert.ok(d.json.metadata.deletionTimestamp);
    } finally {
      s.admission.remove('test');
    }
    const seen: string[] = [];
    const off = s.onChange((c) => seen.push(`${c.type} ${c.key}`));
    await call(s, 'POST', CMS, { metadata: { name: 'bus' } });
    off();
    assert.deepEqual(seen, ['ADDED default/bus']);
    assert.ok(StatusError);
  });

  it('field selectors per type and cluster-wide lists', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'team' } });
    const pod = (name: string, ns: string, node?: string) => call(s, 'POST', `/api/v1/namespaces/${ns}/pods`, { metadata: { name }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] } });
    await pod('p1', 'default', 'n1');
    await pod('p2', 'team', 'n2');
    await pod('p3', 'team');
    let r = await call(s, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn2');
    assert.deepEqual(r.json.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['p2']);
    r = await call(s, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3D,status.phase%3DPending');
    assert.deepEqual(r.json.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['p3']);
    r = await call(s, 'GET', '/api/v1/pods');
    assert.equal(r.json.kind, 'PodList');
    assert.deepEqual(r.json.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['p1', 'p2', 'p3']);
    r = await call(s, 'GET', '/api/v1/pods?fieldSelector=metadata.namespace%21%3Ddefault');
    assert.equal(r.json.items.length, 2);
    r = await call(s, 'GET', '/api/v1/pods?labelSelector=a%20in%20(');
    assert.equal(r.status, 400);
  });

  it('watch: synthetic ADDED, label transitions, bookmarks, timeout, table mode, streaming list', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'wt' } });
    const base = '/api/v1/namespaces/wt/configmaps';
    await call(s, 'POST', base, { metadata: { name: 'one', labels: { w: 'yes' } } });
    const w = openWatch(s, `${base}?watch=true&labelSelector=w%3Dyes&allowWatchBookmarks=true`);
    await until(() => w.events.length >= 1);
    assert.equal(w.events[0].type, 'ADDED');
    const one = (await call(s, 'GET', `${base}/one`)).json;
    await call(s, 'PUT', `${base}/one`, { ...one, metadata: { ...one.metadata, labels: { w: 'no' } } });
    await until(() => w.events.some((e) => e.type === 'DELETED'));
    await until(() => w.events.some((e) => e.type === 'BOOKMARK'));
    const bm = w.events.find((e) => e.type === 'BOOKMARK');
    assert.equal(bm.object.kind, 'ConfigMap');
    assert.match(bm.object.metadata.resourceVersion, /^\d+$/);
    w.stop();

    const t = openWatch(s, `${base}?watch=1&timeoutSeconds=1`);
    await t.ended;
    assert.equal(await t.status, 200);

    const tab = openWatch(s, `${base}?watch=1`, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    await until(() => tab.events.length >= 1);
    assert.equal(tab.events[0].object.kind, 'Table');
    assert.equal(tab.events[0].object.rows.length, 1);
    assert.equal(tab.events[0].object.rows[0].cells[0], 'one');
    tab.stop();

    const bad = await call(s, 'GET', `${base}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true`);
    assert.equal(bad.status, 422);
    const sl = openWatch(s, `${base}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`);
    await until(() => sl.events.some((e) => e.type === 'BOOKMARK'));
    assert.equal(sl.events[0].type, 'ADDED');
    const end = sl.events.find((e) => e.type === 'BOOKMARK');
    assert.equal(end.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    sl.stop();

    const future = openWatch(s, `${base}?watch=1&resourceVersion=${s.store.resourceVersion + 1000}`);
    await future.ended;
    assert.equal(future.events[0].type, 'ERROR');
    assert.equal(future.events[0].object.code, 410, 'a version from another incarnation expires');

    s.compact();
    const old = openWatch(s, `${base}?watch=1&resourceVersion=1`);
    await old.ended;
    assert.equal(await old.status, 200);
    assert.equal(old.events[0].type, 'ERROR');
    assert.equal(old.events[0].object.code, 410);
  });

  it('watch resumed from a resourceVersion: label transitions in the replayed history become ADDED/DELETED', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'rw' } });
    const base = '/api/v1/namespaces/rw/configmaps';
    const from = s.store.resourceVersion;
    await call(s, 'POST', base, { metadata: { name: 'a', labels: { w: 'no' } }, data: { v: '1' } });
    const a = (await call(s, 'GET', `${base}/a`)).json;
    await call(s, 'PUT', `${base}/a`, { ...a, metadata: { ...a.metadata, labels: { w: 'yes' } }, data: { v: '2' } });
    const a2 = (await call(s, 'GET', `${base}/a`)).json;
    await call(s, 'PUT', `${base}/a`, { ...a2, data: { v: '3' } });
    const a3 = (await call(s, 'GET', `${base}/a`)).json;
    await call(s, 'PUT', `${base}/a`, { ...a3, metadata: { ...a3.metadata, labels: { w: 'no' } } });
    await call(s, 'DELETE', `${base}/a`);
    const w = openWatch(s, `${base}?watch=1&labelSelector=w%3Dyes&resourceVersion=${from}`);
    await until(() => w.events.length >= 3);
    w.stop();
    assert.deepEqual(
      w.events.map((e) => [e.type, e.object.data?.v, e.object.metadata.labels?.w]),
      [['ADDED', '2', 'yes'], ['MODIFIED', '3', 'yes'], ['DELETED', '3', 'no']],
    );
    assert.deepEqual(w.events[1].object, a3, 'the replayed object is the one stored');
  });

  it('streaming list to a slow client: initial events, end bookmark at the snapshot, then changes made meanwhile', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'slow' } });
    const base = '/api/v1/namespaces/slow/configmaps';
    // ~20 MB of initial events: more than socket buffers and the server's high-water mark,
    // so the server is still writing them when the change below commits.
    const big = 'x'.repeat(50_000);
    for (let i = 0; i < 400; i++) assert.equal((await call(s, 'POST', base, { metadata: { name: `c${i}` }, data: { big } })).status, 201);
    const w = openWatch(s, `${base}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`, {}, { paused: true });
    assert.equal(await w.status, 200);
    const c7 = (await call(s, 'GET', `${base}/c7`)).json;
    const put = await call(s, 'PUT', `${base}/c7`, { ...c7, data: { small: 'yes' } });
    assert.equal(put.status, 200);
    const del = await call(s, 'DELETE', `${base}/c8`);
    assert.equal(del.status, 200);
    w.resume();
    await until(() => w.events.filter((e) => e.type !== 'BOOKMARK' || !e.object.metadata.annotations).length >= 402, 20_000);
    w.stop();
    const end = w.events.findIndex((e) => e.type === 'BOOKMARK' && e.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true');
    assert.equal(end, 400, 'the 400 initial ADDED events come first, then the end bookmark');
    const endRv = Number(w.events[end].object.metadata.resourceVersion);
    assert.ok(w.events.slice(0, end).every((e) => e.type === 'ADDED' && Number(e.object.metadata.resourceVersion) <= endRv));
    assert.equal(w.events[7].object.data.big, big, 'the snapshot holds c7 as it was when the watch started');
    const after = w.events.slice(end + 1).filter((e) => e.type !== 'BOOKMARK');
    assert.deepEqual(
      after.map((e) => [e.type, e.object.metadata.name]),
      [
        ['MODIFIED', 'c7'],
        ['DELETED', 'c8'],
      ],
    );
    assert.ok(after.every((e) => Number(e.object.metadata.resourceVersion) > endRv));
  });

  it('pagination with limit/continue is complete and ordered', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'pg' } });
    for (let i = 0; i < 25; i++) await call(s, 'POST', '/api/v1/namespaces/pg/configmaps', { metadata: { name: `c${String(i).padStart(2, '0')}` } });
    const names: string[] = [];
    let cont = '';
    let rv = '';
    do {
      const r = await call(s, 'GET', `/api/v1/namespaces/pg/configmaps?limit=10${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      names.push(...r.json.items.map((i: { metadata: { name: string } }) => i.metadata.name));
      if (rv) assert.equal(r.json.metadata.resourceVersion, rv, 'pages share the first page RV');
      rv = r.json.metadata.resourceVersion;
      cont = r.json.metadata.continue ?? '';
    } while (cont);
    assert.equal(names.length, 25);
    assert.deepEqual(names, [...names].sort());
    const bad = await call(s, 'GET', '/api/v1/namespaces/pg/configmaps?limit=10&continue=garbage');
    assert.equal(bad.status, 400);
  });

  it('discovery (legacy and aggregated), openapi, version, health, tables', async () => {
    let r = await call(s, 'GET', '/api', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    assert.equal(r.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.equal(r.json.kind, 'APIGroupDiscoveryList');
    const pods = r.json.items[0].versions[0].resources.find((x: { resource: string }) => x.resource === 'pods');
    assert.deepEqual(pods.shortNames, ['po']);
    assert.ok(pods.subresources.some((x: { subresource: string }) => x.subresource === 'status'));
    r = await call(s, 'GET', '/apis', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
    const apps = r.json.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((x: { resource: string }) => x.resource === 'deployments');
    assert.deepEqual(deploy.subresources.find((x: { subresource: string }) => x.subresource === 'scale').responseKind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    r = await call(s, 'GET', '/apis');
    assert.equal(r.json.kind, 'APIGroupList');
    r = await call(s, 'GET', '/apis/apps');
    assert.equal(r.json.kind, 'APIGroup');
    r = await call(s, 'GET', '/api/v1');
    assert.ok(r.json.resources.some((x: { name: string }) => x.name === 'pods/status'));
    r = await call(s, 'GET', '/openapi/v3');
    const ref = r.json.paths['apis/apps/v1'].serverRelativeURL;
    r = await call(s, 'GET', ref);
    assert.ok(r.json.components.schemas['io.k8s.api.apps.v1.Deployment']);
    r = await call(s, 'GET', '/version');
    assert.equal(r.json.minor, '32');
    for (const p of ['/healthz', '/livez', '/readyz']) assert.equal((await call(s, 'GET', p)).text, 'ok');
    r = await call(s, 'GET', '/api/v1/namespaces', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    assert.equal(r.json.kind, 'Table');
    assert.deepEqual(r.json.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Status', 'Age']);
    assert.equal(r.json.rows[0].object.kind, 'PartialObjectMetadata');
    // Registry changes show in discovery at once.
    const t = { ...s.registry.get('', 'v1', 'configmaps')!, group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', listKind: 'WidgetList', singular: 'widget', shortNames: [], storageKey: 'example.com/widgets', builtin: false };
    s.registry.add(t);
    r = await call(s, 'GET', '/apis/example.com/v1');
    assert.equal(r.json.resources[0].name, 'widgets');
    s.registry.remove('example.com', 'v1', 'widgets');
    assert.equal((await call(s, 'GET', '/apis/example.com/v1')).status, 404);
  });

  it('pods/binding sets the node once', async () => {
    await call(s, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'bindme' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    let r = await call(s, 'POST', '/api/v1/namespaces/default/pods/bindme/binding', { metadata: { name: 'bindme' }, target: { kind: 'Node', name: 'n1' } });
    assert.equal(r.status, 201);
    assert.equal((await call(s, 'GET', '/api/v1/namespaces/default/pods/bindme')).json.spec.nodeName, 'n1');
    r = await call(s, 'POST', '/api/v1/namespaces/default/pods/bindme/binding', { metadata: { name: 'bindme' }, target: { kind: 'Node', name: 'n2' } });
    assert.equal(r.status, 409);
  });
});

describe('apiserver limits and custom types', () => {
  it('answers 429 with Retry-After beyond maxRequestsInFlight (watches exempt)', async () => {
    const s = await startApiServer({ port: 0, maxRequestsInFlight: 0 });
    try {
      const r = await call(s, 'GET', CMS);
      assert.equal(r.status, 429);
      assert.equal(r.json.reason, 'TooManyRequests');
      assert.equal(r.headers['retry-after'], '1');
      const w = openWatch(s, `${CMS}?watch=1&timeoutSeconds=1`);
      assert.equal(await w.status, 200);
      await w.ended;
    } finally {
      await s.stop();
    }
  });

  it('refuses strategic merge patch on custom resources with 415, accepts merge patch', async () => {
    const s = await startApiServer({ port: 0 });
    try {
      const base = s.registry.get('', 'v1', 'configmaps')!;
      s.registry.add({
        ...base, group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', listKind: 'WidgetList', singular: 'widget', shortNames: [],
        categories: [], subresources: [], hasStatus: false, table: undefined, strategy: undefined, fields: undefined, fieldNames: undefined,
        storageKey: 'example.com/widgets', builtin: false, custom: true, returnDeletedObject: true,
      });
      const path = '/apis/example.com/v1/namespaces/default/widgets';
      const c = await call(s, 'POST', path, { metadata: { name: 'w' }, spec: { size: 1 } });
      assert.equal(c.status, 201);
      assert.equal(c.json.kind, 'Widget');
      assert.equal(c.json.apiVersion, 'example.com/v1');
      let r = await call(s, 'PATCH', `${path}/w`, { spec: { size: 2 } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
      assert.equal(r.status, 415);
      r = await call(s, 'PATCH', `${path}/w`, { spec: { size: 2 } }, { 'Content-Type': 'application/merge-patch+json' });
      assert.equal(r.status, 200);
      assert.equal(r.json.spec.size, 2);
      r = await call(s, 'DELETE', `${path}/w`);
      assert.equal(r.json.kind, 'Widget', 'custom resources return the deleted object');
    } finally {
      await s.stop();
    }
  });
});

describe('apiserver object validation', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  it('validates label keys/values and annotation keys', async () => {
    let r = await call(s, 'POST', CMS, { metadata: { name: 'badlabel', labels: { 'app': 'has space' } } });
    assert.equal(r.status, 422);
    assert.equal(r.json.details.causes[0].field, 'metadata.labels');
    r = await call(s, 'POST', CMS, { metadata: { name: 'badkey', labels: { '-x': 'y' } } });
    assert.equal(r.status, 422);
    r = await call(s, 'POST', CMS, { metadata: { name: 'badann', annotations: { 'a/b/c': 'free text is fine' } } });
    assert.equal(r.status, 422);
    r = await call(s, 'POST', CMS, { metadata: { name: 'okann', labels: { 'example.com/tier': 'web-1' }, annotations: { 'example.com/note': 'free text, is fine!' } } });
    assert.equal(r.status, 201);
  });

  it('immutable ConfigMaps/Secrets keep their data; stringData folds into data', async () => {
    const c = (await call(s, 'POST', CMS, { metadata: { name: 'frozen' }, immutable: true, data: { a: '1' } })).json;
    let r = await call(s, 'PUT', `${CMS}/frozen`, { ...c, data: { a: '2' } });
    assert.equal(r.status, 422);
    assert.match(r.json.message, /field is immutable when `immutable` is set/);
    r = await call(s, 'PUT', `${CMS}/frozen`, { ...c, immutable: false });
    assert.equal(r.status, 422);
    r = await call(s, 'PUT', `${CMS}/frozen`, { ...c, metadata: { ...c.metadata, labels: { ok: 'yes' } } });
    assert.equal(r.status, 200, 'metadata stays mutable');
    const secrets = '/api/v1/namespaces/default/secrets';
    r = await call(s, 'POST', secrets, { metadata: { name: 'sd' }, stringData: { user: 'admin' }, data: { other: Buffer.from('x').toString('base64') } });
    assert.equal(r.status, 201);
    assert.equal(r.json.stringData, undefined);
    assert.equal(r.json.type, 'Opaque');
    assert.deepEqual(r.json.data, { other: 'eA==', user: Buffer.from('admin').toString('base64') });
    r = await call(s, 'PATCH', `${secrets}/sd`, { stringData: { user: 'root' } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(Buffer.from(r.json.data.user, 'base64').toString(), 'root');
    assert.equal(r.json.stringData, undefined);
  });
});

describe('workload selectors', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  it('are required, must match the template and are immutable', async () => {
    let r = await call(s, 'POST', DEPLOYS, { metadata: { name: 'nosel' }, spec: { template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } });
    assert.equal(r.status, 422);
    assert.equal(r.json.details.causes[0].field, 'spec.selector');
    r = await call(s, 'POST', DEPLOYS, { ...deployment('mismatch'), spec: { ...deployment('mismatch').spec, selector: { matchLabels: { app: 'other' } } } });
    assert.equal(r.status, 422);
    assert.match(r.json.message, /`selector` does not match template `labels`/);
    const ok = (await call(s, 'POST', DEPLOYS, deployment('sel'))).json;
    r = await call(s, 'PUT', `${DEPLOYS}/sel`, { ...ok, spec: { ...ok.spec, selector: { matchLabels: { app: 'sel', extra: 'x' } }, template: { ...ok.spec.template, metadata: { labels: { app: 'sel', extra: 'x' } } } } });
    assert.equal(r.status, 422);
    assert.match(r.json.message, /field is immutable/);
  });
});
