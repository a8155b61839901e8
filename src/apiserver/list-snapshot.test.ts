// Paged lists (limit + continue) are consistent snapshots: every page shows the state at the
// resourceVersion of the first page, whatever was created, changed or deleted in between.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiServer, type ApiServer } from './index.js';
import { call } from './test-client.js';

interface Item {
  metadata: { name: string; resourceVersion: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

const MERGE = { 'Content-Type': 'application/merge-patch+json' };
const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

function pad(i: number): string {
  return `c${String(i).padStart(2, '0')}`;
}

describe('paged lists are snapshots', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0, rootCaPublisher: false });
  });
  after(async () => {
    await s.stop();
  });

  const base = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
  const create = async (ns: string, name: string, labels: Record<string, string> = {}, v = '0') => {
    const r = await call(s, 'POST', base(ns), { metadata: { name, labels }, data: { v } });
    assert.equal(r.status, 201, r.text);
  };
  const patch = async (ns: string, name: string, body: unknown) => {
    const r = await call(s, 'PATCH', `${base(ns)}/${name}`, body, MERGE);
    assert.equal(r.status, 200, r.text);
  };
  const del = async (ns: string, name: string) => {
    const r = await call(s, 'DELETE', `${base(ns)}/${name}`);
    assert.equal(r.status, 200, r.text);
  };
  const page = async (ns: string, query: string, cont = '') => {
    const r = await call(s, 'GET', `${base(ns)}?${query}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    return r.json as { metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number }; items: Item[] };
  };
  const view = (items: Item[]) => items.map((i) => ({ name: i.metadata.name, rv: i.metadata.resourceVersion, labels: i.metadata.labels, data: i.data }));
  /** Reads the remaining pages; checks each page's RV and remainingItemCount against `expectedTotal`. */
  const rest = async (ns: string, query: string, first: Awaited<ReturnType<typeof page>>, expectedTotal?: number) => {
    const all = [...first.items];
    let cont = first.metadata.continue ?? '';
    while (cont) {
      const p = await page(ns, query, cont);
      assert.equal(p.metadata.resourceVersion, first.metadata.resourceVersion, 'every page is at the first page RV');
      all.push(...p.items);
      cont = p.metadata.continue ?? '';
      if (expectedTotal !== undefined && cont) assert.equal(p.metadata.remainingItemCount, expectedTotal - all.length, 'remainingItemCount at the snapshot');
    }
    return all;
  };

  it('later pages show the state at the first page RV (creates, updates, deletes in and after the first page)', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'snap' } });
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'snap-other' } });
    for (let i = 0; i < 20; i++) await create('snap', pad(i), { tier: i % 2 ? 'odd' : 'even' });
    const expected = view((await page('snap', '')).items);
    assert.equal(expected.length, 20);

    const first = await page('snap', 'limit=5');
    assert.deepEqual(view(first.items), expected.slice(0, 5));
    assert.equal(first.metadata.remainingItemCount, 15);

    // In the first page's range.
    await patch('snap', 'c02', { data: { v: '1' } });
    await del('snap', 'c03');
    await create('snap', 'c02a');
    // After it.
    await patch('snap', 'c10', { data: { v: '1' } });
    await patch('snap', 'c10', { data: { v: '2' }, metadata: { labels: { extra: 'yes' } } });
    await del('snap', 'c12');
    await create('snap', 'c15a');
    await create('snap', 'c99');
    await del('snap', 'c19');
    await create('snap', 'c19', {}, 'reborn');
    await patch('snap', 'c07', { data: { v: '1' } });
    await del('snap', 'c07');
    await create('snap', 'c08a');
    await del('snap', 'c08a');
    await create('snap-other', 'c11');

    const all = await rest('snap', 'limit=5', first, 20);
    assert.deepEqual(view(all), expected);

    // A new list sees the current state.
    const now = (await page('snap', '')).items.map((i) => i.metadata.name);
    assert.ok(now.includes('c99') && now.includes('c15a') && !now.includes('c12') && !now.includes('c07'));
  });

  it('continue pages after writes across page boundaries, with a page limit of 1', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'snap1' } });
    for (let i = 0; i < 6; i++) await create('snap1', pad(i));
    const expected = view((await page('snap1', '')).items);
    const all: Item[] = [];
    let p = await page('snap1', 'limit=1');
    all.push(...p.items);
    let step = 0;
    while (p.metadata.continue) {
      // Write between every page: delete the next one, change the one after, add one at the end.
      const next = pad(all.length);
      const after2 = pad(all.length + 1);
      if (step % 2 === 0) await del('snap1', next);
      else await patch('snap1', after2, { data: { v: `x${step}` } });
      await create('snap1', `z${step++}`);
      p = await page('snap1', 'limit=1', p.metadata.continue);
      all.push(...p.items);
      if (p.metadata.continue) assert.equal(p.metadata.remainingItemCount, expected.length - all.length);
    }
    assert.deepEqual(view(all), expected);
  });

  it('selectors apply to the object as it was at the snapshot RV', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'snapsel' } });
    for (let i = 0; i < 12; i++) await create('snapsel', pad(i), { tier: i % 2 ? 'odd' : 'even' });
    const q = 'labelSelector=tier%3Dodd';
    const expected = view((await page('snapsel', q)).items);
    assert.deepEqual(expected.map((e) => e.name), ['c01', 'c03', 'c05', 'c07', 'c09', 'c11']);
    const first = await page('snapsel', `${q}&limit=2`);
    assert.equal(first.metadata.remainingItemCount, undefined, 'no count with a selector');
    await patch('snapsel', 'c05', { metadata: { labels: { tier: 'even' } } }); // matched then: still listed, old labels
    await patch('snapsel', 'c06', { metadata: { labels: { tier: 'odd' } } }); // did not match then: not listed
    await patch('snapsel', 'c07', { data: { v: 'changed' } }); // matched, old content
    await del('snapsel', 'c09'); // deleted: still listed
    await create('snapsel', 'c10a', { tier: 'odd' }); // created: not listed
    const all = await rest('snapsel', `${q}&limit=2`, first);
    assert.deepEqual(view(all), expected);
  });

  it('resourceVersionMatch=Exact serves an older RV from the history', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'snapexact' } });
    for (let i = 0; i < 4; i++) await create('snapexact', pad(i));
    const then = await page('snapexact', '');
    await del('snapexact', 'c01');
    await patch('snapexact', 'c02', { data: { v: 'new' } });
    await create('snapexact', 'c09');
    const rv = then.metadata.resourceVersion;
    const exact = await page('snapexact', `resourceVersion=${rv}&resourceVersionMatch=Exact`);
    assert.equal(exact.metadata.resourceVersion, rv);
    assert.deepEqual(view(exact.items), view(then.items));
    const paged = await page('snapexact', `resourceVersion=${rv}&resourceVersionMatch=Exact&limit=3`);
    assert.deepEqual(view(await rest('snapexact', `resourceVersion=${rv}&resourceVersionMatch=Exact&limit=3`, paged, 4)), view(then.items));
  });

  it('a continue token older than the history gets 410 Expired with an inconsistent continue token', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'snapgone' } });
    for (let i = 0; i < 10; i++) await create('snapgone', pad(i));
    const first = await page('snapgone', 'limit=4');
    await create('snapgone', 'c05a');
    await del('snapgone', 'c08');
    s.compact();
    const r = await call(s, 'GET', `${base('snapgone')}?limit=4&continue=${encodeURIComponent(first.metadata.continue!)}`);
    assert.equal(r.status, 410);
    assert.equal(r.json.kind, 'Status');
    assert.equal(r.json.reason, 'Expired');
    assert.equal(r.json.message, CONTINUE_EXPIRED);
    const inconsistent = r.json.metadata.continue as string;
    assert.ok(inconsistent, 'an inconsistent continue token');
    // It continues after the first page on the current state; its pages are consistent again.
    const second = await page('snapgone', 'limit=4', inconsistent);
    assert.ok(Number(second.metadata.resourceVersion) > Number(first.metadata.resourceVersion));
    const names = [...second.items];
    let cont = second.metadata.continue ?? '';
    while (cont) {
      const p = await page('snapgone', 'limit=4', cont);
      assert.equal(p.metadata.resourceVersion, second.metadata.resourceVersion);
      names.push(...p.items);
      cont = p.metadata.continue ?? '';
    }
    assert.deepEqual(names.map((i) => i.metadata.name), ['c04', 'c05', 'c05a', 'c06', 'c07', 'c09']);
    // Exact at a compacted RV is gone too.
    const exact = await call(s, 'GET', `${base('snapgone')}?resourceVersion=${first.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    assert.equal(exact.status, 410);
    assert.equal(exact.json.reason, 'Expired');
  });

  it('a continue page when nothing of its range changed is the current state', async () => {
    await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'snapidle' } });
    for (let i = 0; i < 5; i++) await create('snapidle', pad(i));
    const expected = view((await page('snapidle', '')).items);
    const first = await page('snapidle', 'limit=2');
    await create('snap-other', 'elsewhere'); // another namespace of the type: not in this list
    assert.deepEqual(view(await rest('snapidle', 'limit=2', first, 5)), expected);
  });
});
