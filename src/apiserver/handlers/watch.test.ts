// Watch fan-out: a burst of changes committed in one piece of work (one flush) reaches every
// watcher whole and in order, and a watch that ends in that same work still gets them first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.js';
import { startApiServer, type ApiServer } from '../index.js';
import { call, openWatch } from '../test-client.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const CONFIGMAPS = '/configmaps'; // the store's key of core configmaps: `${group}/${resource}`

async function until(fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cm = (name: string, labels: Record<string, string>, v: string, pad = ''): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data: { v: 'é-' + v, pad } }) as KubeObject;

describe('watch fan-out', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer({ port: 0 });
  });
  after(async () => {
    await s.stop();
  });

  it('a burst of one piece of work reaches every watcher in order, selector transitions included', async () => {
    const rv = s.store.resourceVersion;
    const all = openWatch(s, `${CMS}?watch=1&resourceVersion=${rv}`);
    const picked = openWatch(s, `${CMS}?watch=1&resourceVersion=${rv}&labelSelector=pick%3Dyes`);
    assert.equal(await all.status, 200);
    assert.equal(await picked.status, 200);
    // one synchronous burst: every event of it is queued for the same flush (~150 KB: more
    // than one joined chunk takes)
    const pad = 'x'.repeat(3000);
    for (let i = 0; i < 50; i++) s.store.put(CONFIGMAPS, `default/burst-${i}`, cm(`burst-${i}`, { pick: i % 2 ? 'yes' : 'no' }, String(i), pad));
    s.store.put(CONFIGMAPS, 'default/burst-0', cm('burst-0', { pick: 'yes' }, 'again')); // no -> yes: ADDED for `picked`
    s.store.put(CONFIGMAPS, 'default/burst-1', cm('burst-1', { pick: 'no' }, 'again')); // yes -> no: DELETED for `picked`
    await until(() => all.events.length === 52 && picked.events.length === 27);
    assert.ok(all.events.slice(0, 50).every((e) => e.object.data.pad === pad));
    assert.deepEqual(all.events.slice(0, 50).map((e) => [e.type, e.object.metadata.name, e.object.data.v]), Array.from({ length: 50 }, (_, i) => ['ADDED', `burst-${i}`, `é-${i}`]));
    assert.deepEqual(all.events.slice(50).map((e) => [e.type, e.object.metadata.name]), [['MODIFIED', 'burst-0'], ['MODIFIED', 'burst-1']]);
    const rvs = all.events.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual(rvs, [...rvs].sort((a, b) => a - b), 'resourceVersions increase');
    assert.deepEqual(
      picked.events.map((e) => `${e.type} ${e.object.metadata.name}`),
      [...Array.from({ length: 25 }, (_, k) => `ADDED burst-${2 * k + 1}`), 'ADDED burst-0', 'DELETED burst-1'],
    );
    all.stop();
    picked.stop();
  });

  it('initial events arrive whole and in key order across write chunks, for a fast and a slow client', async () => {
    const other = await startApiServer({ port: 0 });
    try {
      // ~300 KB of small objects, one bigger than a write chunk (64 KiB), one whose UTF-8 is
      // twice its length (measured, not assumed to fit), and multi-byte text everywhere
      const want = new Map<string, KubeObject>();
      for (let i = 0; i < 300; i++) {
        const name = `init-${String(i).padStart(3, '0')}`;
        const pad = i === 7 ? 'x'.repeat(70_000) : i === 8 ? 'é'.repeat(30_000) : 'ü'.repeat(i % 50) + 'y'.repeat(900);
        const o = cm(name, {}, String(i), pad);
        other.store.put(CONFIGMAPS, `default/${name}`, o);
        want.set(name, o);
      }
      const names = [...want.keys()].sort();
      for (const paused of [false, true]) {
        const w = openWatch(other, `${CMS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`, {}, { paused });
        assert.equal(await w.status, 200);
        if (paused) {
          assert.equal((await call(other, 'GET', `${CMS}/init-000`)).status, 200); // the server wrote meanwhile: its writes back up
          w.resume();
        }
        await until(() => w.events.some((e) => e.type === 'BOOKMARK'));
        const end = w.events.findIndex((e) => e.type === 'BOOKMARK');
        assert.equal(w.events[end].object.metadata.annotations['k8s.io/initial-events-end'], 'true');
        assert.ok(w.events.slice(0, end).every((e) => e.type === 'ADDED'));
        // the namespace also holds the root CA publisher's kube-root-ca.crt
        const added = w.events.slice(0, end).filter((e) => e.object.metadata.name !== 'kube-root-ca.crt');
        assert.equal(added.length, end - 1);
        assert.deepEqual(added.map((e) => e.object.metadata.name), names);
        for (const e of added) assert.deepEqual(e.object.data, want.get(e.object.metadata.name)!.data);
        w.stop();
      }
    } finally {
      await other.stop();
    }
  });

  it('changes that come while a write is on its way follow it whole and in order, to a fast and a stalled client', async () => {
    const other = await startApiServer({ port: 0 });
    try {
      for (const paused of [false, true]) {
        const w = openWatch(other, `${CMS}?watch=1&resourceVersion=${other.store.resourceVersion}`, {}, { paused });
        assert.equal(await w.status, 200);
        // one change per turn of the event loop (each its own piece of work), ~6 MB in all: a
        // stalled client's socket fills, so later lines wait for the write before them; some
        // lines bigger than a write chunk (64 KiB), some whose UTF-8 is twice their length
        const padOf = (i: number) => (i % 50 === 7 ? 'é'.repeat(40_000) : i % 50 === 8 ? 'x'.repeat(70_000) : 'z'.repeat(30_000));
        for (let i = 0; i < 200; i++) {
          other.store.put(CONFIGMAPS, `default/turn-${paused}-${i}`, cm(`turn-${paused}-${i}`, {}, String(i), padOf(i)));
          await new Promise((r) => setImmediate(r));
        }
        if (paused) w.resume();
        await until(() => w.events.length >= 200);
        assert.deepEqual(w.events.map((e) => e.object.metadata.name), Array.from({ length: 200 }, (_, i) => `turn-${paused}-${i}`));
        assert.ok(w.events.every((e, i) => e.type === 'ADDED' && e.object.data.pad === padOf(i) && e.object.data.v === `é-${i}`));
        w.stop();
      }
    } finally {
      await other.stop();
    }
  });

  it('a watch that ends in the same piece of work as a burst gets the burst first', async () => {
    const other = await startApiServer({ port: 0 });
    try {
      const w = openWatch(other, `${CMS}?watch=1&resourceVersion=${other.store.resourceVersion}`);
      assert.equal(await w.status, 200);
      for (let i = 0; i < 20; i++) other.store.put(CONFIGMAPS, `default/last-${i}`, cm(`last-${i}`, {}, String(i)));
      const stopped = other.stop(); // ends every watch, before the flush
      await w.ended;
      await stopped;
      assert.deepEqual(w.events.map((e) => e.object.metadata.name), Array.from({ length: 20 }, (_, i) => `last-${i}`));
    } finally {
      await other.stop();
    }
  });
});
