// List answers bigger than a chunk are streamed (Transfer-Encoding: chunked, as kube-apiserver's
// big answers); what they carry does not change: each item is the very JSON text a GET of the
// object answers, in key order, and a list still being sent to a slow client shows the state
// at its resourceVersion whatever is written meanwhile. Tables and metadata-only lists stream
// the same way.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from './index.js';
import { call, pausedGet } from './test-client.js';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const METADATA = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io';

describe('list bodies', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0, rootCaPublisher: false });
  });
  after(async () => {
    await s.stop();
  });

  const base = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
  /** `n` ConfigMaps of about `size` bytes each, created in-process (the write path is not under test here). */
  const fill = async (ns: string, n: number, size: number) => {
    const t = s.registry.get('', 'v1', 'configmaps')!;
    await s.ops.create(s.registry.get('', 'v1', 'namespaces')!, undefined, { metadata: { name: ns } });
    // Created out of key order, with UTF-8 of every length in the data.
    for (let i = n - 1; i >= 0; i--) {
      await s.ops.create(t, ns, { metadata: { name: `cm-${String(i).padStart(4, '0')}`, labels: { shard: String(i % 3) } }, data: { v: '0', text: `é中😀${i}`.repeat(size / 12) } });
    }
  };

  it('a list bigger than a chunk streams each object as a GET answers it, in key order', async () => {
    await fill('big', 300, 1200);
    const r = await call(s, 'GET', base('big'));
    assert.equal(r.status, 200);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.json.kind, 'ConfigMapList');
    assert.equal(r.json.apiVersion, 'v1');
    const names = r.json.items.map((o: { metadata: { name: string } }) => o.metadata.name);
    assert.deepEqual(names, [...names].sort());
    assert.equal(names.length, 300);
    // Byte for byte: the items of the body are the GET answers (of every 30th here) joined by commas.
    const items = r.json.items.map((o: unknown) => JSON.stringify(o));
    assert.equal(r.text, `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"${r.json.metadata.resourceVersion}"},"items":[${items.join(',')}]}`);
    for (let i = 0; i < names.length; i += 30) assert.equal((await call(s, 'GET', `${base('big')}/${names[i]}`)).text, items[i]);
    // Selectors, limit and continue on a streamed list.
    const page = await call(s, 'GET', `${base('big')}?labelSelector=shard%3D1&limit=60`);
    assert.equal(page.json.items.length, 60);
    assert.ok(page.json.items.every((o: { metadata: { labels: Record<string, string> } }) => o.metadata.labels.shard === '1'));
    const rest = await call(s, 'GET', `${base('big')}?labelSelector=shard%3D1&limit=60&continue=${encodeURIComponent(page.json.metadata.continue)}`);
    assert.equal(rest.json.items.length, 40);
    assert.equal(rest.json.metadata.continue, undefined);
  });

  it('a field selector naming one object answers as the scan did: continue, limit, other selectors, other namespaces', async () => {
    const names = async (path: string) => {
      const r = await call(s, 'GET', path);
      assert.equal(r.status, 200, r.text);
      return { names: r.json.items.map((o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`), meta: r.json.metadata };
    };
    assert.deepEqual((await names(`${base('big')}?fieldSelector=metadata.name%3Dcm-0007`)).names, ['big/cm-0007']);
    assert.deepEqual((await names(`${base('big')}?fieldSelector=metadata.name%3Dcm-9999`)).names, []);
    assert.deepEqual((await names(`${base('big')}?fieldSelector=metadata.name%3Dcm-0007&labelSelector=shard%3D1`)).names, ['big/cm-0007']);
    assert.deepEqual((await names(`${base('big')}?fieldSelector=metadata.name%3Dcm-0007&labelSelector=shard%3D2`)).names, []);
    assert.deepEqual((await names(`${base('big')}?fieldSelector=metadata.name%3Dcm-0007,metadata.namespace%3Dother`)).names, []);
    const one = await names(`${base('big')}?fieldSelector=metadata.name%3Dcm-0007&limit=1`);
    assert.deepEqual(one.names, ['big/cm-0007']);
    assert.equal(one.meta.continue, undefined);
    // A continue token past the key (from a page of the whole namespace) and one before it.
    const pastPage = await names(`${base('big')}?limit=10`);
    const past = encodeURIComponent(pastPage.meta.continue);
    assert.deepEqual((await names(`${base('big')}?fieldSelector=metadata.name%3Dcm-0007&continue=${past}`)).names, []);
    const beforePage = await names(`${base('big')}?limit=5`);
    assert.deepEqual((await names(`${base('big')}?fieldSelector=metadata.name%3Dcm-0007&continue=${encodeURIComponent(beforePage.meta.continue)}`)).names, ['big/cm-0007']);
    // Across namespaces (no namespace in the request: the scan) and of a cluster-scoped type.
    await fill('other', 10, 24);
    assert.deepEqual((await names('/api/v1/configmaps?fieldSelector=metadata.name%3Dcm-0007')).names, ['big/cm-0007', 'other/cm-0007']);
    assert.deepEqual((await names('/api/v1/namespaces?fieldSelector=metadata.name%3Dother')).names, ['/other']);
    assert.deepEqual((await names('/api/v1/namespaces?fieldSelector=metadata.name%3Dother,status.phase%3DTerminating')).names, []);
  });

  it('a small list keeps its Content-Length', async () => {
    await fill('small', 3, 24);
    const r = await call(s, 'GET', base('small'));
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.text)));
    assert.equal(r.headers['transfer-encoding'], undefined);
    assert.equal(r.json.items.length, 3);
  });

  it('Tables and metadata-only lists stream the same rows and items', async () => {
    const table = await call(s, 'GET', base('big'), undefined, { Accept: TABLE });
    assert.equal(table.headers['content-type'], TABLE);
    assert.equal(table.headers['transfer-encoding'], 'chunked');
    assert.equal(table.json.kind, 'Table');
    // The bytes JSON.stringify wrote for the whole Table before (it round-trips its own output).
    assert.equal(table.text, JSON.stringify(table.json));
    assert.deepEqual(table.json.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Data', 'Age']);
    assert.equal(table.json.rows.length, 300);
    assert.deepEqual(table.json.rows[0].cells.slice(0, 2), ['cm-0000', 2]);
    assert.equal(table.json.rows[0].object.kind, 'PartialObjectMetadata');
    const full = await call(s, 'GET', `${base('big')}?includeObject=Object`, undefined, { Accept: TABLE });
    assert.equal(full.json.rows[299].object.data.text.length > 0, true);

    const meta = await call(s, 'GET', base('big'), undefined, { Accept: METADATA });
    assert.equal(meta.headers['content-type'], METADATA);
    assert.equal(meta.json.kind, 'PartialObjectMetadataList');
    assert.equal(meta.text, JSON.stringify(meta.json));
    assert.equal(meta.json.items.length, 300);
    assert.equal(meta.json.items[7].metadata.name, 'cm-0007');
    assert.equal(meta.json.items[7].data, undefined);
  });

  it('a list still being sent to a slow client shows the state at its resourceVersion', async () => {
    await fill('slow', 400, 12_000);
    const before = await call(s, 'GET', base('slow'));
    const slow = pausedGet(s, base('slow'));
    // Headers arrive with the first chunk, written after the whole list was taken.
    await slow.started;
    const t = s.registry.get('', 'v1', 'configmaps')!;
    for (let i = 0; i < 400; i += 2) {
      const name = `cm-${String(i).padStart(4, '0')}`;
      const cur = s.ops.get(t, 'slow', name).obj;
      await s.ops.update(t, 'slow', name, { ...cur, data: { v: 'changed' } });
    }
    await s.ops.delete(t, 'slow', 'cm-0001');
    await s.ops.create(t, 'slow', { metadata: { name: 'cm-0000a' } });
    slow.resume();
    const r = await slow.done;
    assert.equal(r.status, 200);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.text, before.text);
    const now = await call(s, 'GET', base('slow'));
    assert.equal(now.json.items.length, 400);
    assert.equal(now.json.items[0].data.v, 'changed');
  });
});
