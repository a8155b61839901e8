import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Store } from './store.js';
import { Wal } from './wal.js';

const cm = (name: string, v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v } });

describe('write-ahead log', () => {
  it('replays puts and deletes and continues the resourceVersion', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-'));
    try {
      let s = new Store({ wal: new Wal(dir) });
      for (let i = 0; i < 5; i++) await s.durable(s.put('/configmaps', `default/c${i}`, cm(`c${i}`, String(i))));
      await s.durable(s.remove('/configmaps', 'default/c0', cm('c0', '0'))!);
      await s.durable(s.put('/configmaps', 'default/c1', cm('c1', 'changed')));
      const rv = s.resourceVersion;
      await s.close();
      s = new Store({ wal: new Wal(dir) });
      assert.equal(s.resourceVersion, rv);
      assert.deepEqual([...s.scan('/configmaps')].map(([k]) => k), ['default/c1', 'default/c2', 'default/c3', 'default/c4']);
      assert.equal((s.get('/configmaps', 'default/c1')!.obj as unknown as { data: { v: string } }).data.v, 'changed');
      assert.equal(s.get('/configmaps', 'default/c1')!.rv, rv);
      const next = s.put('/configmaps', 'default/c9', cm('c9', '9'));
      assert.equal(next.rv, rv + 1);
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('snapshots and truncates the log, then restores from snapshot + log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-'));
    try {
      let s = new Store({ wal: new Wal(dir, { snapshotEvery: 10 }) });
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 35; i++) writes.push(s.durable(s.put('/configmaps', `default/c${String(i).padStart(2, '0')}`, cm(`c${i}`, String(i)))));
      await Promise.all(writes);
      for (let i = 0; i < 35; i++) await s.durable(s.put('/configmaps', `default/c${String(i).padStart(2, '0')}`, cm(`c${i}`, `v2-${i}`)));
      await s.durable(s.remove('/configmaps', 'default/c00', cm('c00', ''))!);
      const rv = s.resourceVersion;
      await s.close();
      assert.ok(statSync(join(dir, 'snapshot.dat')).size > 0);
      assert.ok(statSync(join(dir, 'wal.log')).size < 40 * 100, 'log was truncated by snapshots');
      s = new Store({ wal: new Wal(dir) });
      assert.equal(s.resourceVersion, rv);
      assert.equal(s.count('/configmaps'), 34);
      assert.equal((s.get('/configmaps', 'default/c34')!.obj as unknown as { data: { v: string } }).data.v, 'v2-34');
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('legacy (JSON lines) data dirs', () => {
  it('are read, torn last line included, and rewritten in the framed format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-'));
    try {
      const obj = (name: string, rv: number) => JSON.stringify({ ...cm(name, name), metadata: { name, namespace: 'default', resourceVersion: String(rv) } });
      writeFileSync(join(dir, 'snapshot.jsonl'), `{"rv":2}\n{"s":"/configmaps","k":"default/a","o":${obj('a', 1)}}\n{"s":"/configmaps","k":"default/b","o":${obj('b', 2)}}\n`);
      writeFileSync(join(dir, 'wal.log'), `{"rv":3,"s":"/configmaps","k":"default/c","t":"P","o":${obj('c', 3)}}\n{"rv":4,"s":"/configmaps","k":"default/a","t":"D"}\n{"rv":5,"s":"/config`);
      let s = new Store({ wal: new Wal(dir, { warn: () => undefined }) });
      assert.equal(s.resourceVersion, 4);
      assert.deepEqual([...s.scan('/configmaps')].map(([k]) => k), ['default/b', 'default/c']);
      assert.ok(!existsSync(join(dir, 'snapshot.jsonl')), 'migrated to snapshot.dat');
      await s.durable(s.put('/configmaps', 'default/d', cm('d', 'd')));
      await s.close();
      s = new Store({ wal: new Wal(dir) });
      assert.deepEqual([...s.scan('/configmaps')].map(([k]) => k), ['default/b', 'default/c', 'default/d']);
      assert.equal(s.resourceVersion, 5);
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('data dir lock', () => {
  it('refuses a data dir held by another live process, accepts a stale lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-'));
    try {
      writeFileSync(join(dir, 'LOCK'), String(process.ppid));
      assert.throws(() => new Store({ wal: new Wal(dir) }), /in use by process/);
      writeFileSync(join(dir, 'LOCK'), '999999999');
      const s = new Store({ wal: new Wal(dir) });
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('watch history floor', () => {
  it('a type first written after other writes still resumes from an earlier resourceVersion', () => {
    const s = new Store();
    s.put('/serviceaccounts', 'a/default', cm('default', ''));
    const from = s.resourceVersion;
    s.put('/serviceaccounts', 'b/default', cm('default', ''));
    // Nothing was ever written to configmaps: every resourceVersion since start is resumable.
    assert.deepEqual(s.since('/configmaps', from), []);
    s.put('/configmaps', 'a/x', cm('x', '1'));
    assert.deepEqual(s.since('/configmaps', from)!.map((c) => c.key), ['a/x']);
    s.compact();
    assert.equal(s.since('/configmaps', from), undefined, 'compaction expires older versions');
    assert.equal(s.since('/secrets', from), undefined, 'for types without history too');
    assert.deepEqual(s.since('/secrets', s.resourceVersion), []);
  });
});
