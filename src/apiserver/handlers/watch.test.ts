// Watch fan-out: a burst of changes committed in one piece of work (one flush) reaches every
// watcher whole and in order, and a watch that ends in that same work still gets them first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.js';
import { startApiServer, type ApiServer } from '../index.js';
import { openWatch } from '../test-client.js';

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
