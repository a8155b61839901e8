import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Store } from './store.js';
import { Wal } from './wal.js';
import { type OpenLogFile, openLogFile } from './log-file.js';

const cm = (name: string, v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v } });
const CM = '/configmaps';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wal-rec-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `n` config maps c0..c(n-1), each durable before the next; returns the last rv. */
async function writeSome(dir: string, n: number): Promise<number> {
  const s = new Store({ wal: new Wal(dir) });
  for (let i = 0; i < n; i++) await s.durable(s.put(CM, `default/c${i}`, cm(`c${i}`, `value-${i}`)));
  const rv = s.resourceVersion;
  await s.close();
  return rv;
}

/** Replaces the first occurrence of `from` in the file with `to` (same length). */
function patchFile(path: string, from: string, to: string): void {
  assert.equal(from.length, to.length);
  const buf = readFileSync(path);
  const at = buf.indexOf(from);
  assert.ok(at >= 0, `${from} not in ${path}`);
  buf.write(to, at);
  writeFileSync(path, buf);
}

describe('write-ahead log recovery', () => {
  it('a torn last record is cut off, and a write acknowledged after the restart survives the next one', async () => {
    await withDir(async (dir) => {
      const rv = await writeSome(dir, 3);
      const log = join(dir, 'wal.log');
      const size = statSync(log).size;
      truncateSync(log, size - 5);
      const warnings: string[] = [];
      let s = new Store({ wal: new Wal(dir, { warn: (m) => warnings.push(m) }) });
      assert.match(warnings.join('\n'), /wal\.log: torn last record at offset \d+/);
      assert.ok(statSync(log).size < size - 5, 'the torn record was cut off');
      assert.equal(s.resourceVersion, rv - 1, 'the torn record is dropped');
      await s.durable(s.put(CM, 'default/after', cm('after', 'acked')));
      await s.close();
      s = new Store({ wal: new Wal(dir) });
      assert.ok(s.get(CM, 'default/after'), 'the write acknowledged after the restart is kept');
      assert.equal(s.resourceVersion, rv);
      await s.close();
    });
  });

  it('refuses to start on a damaged record in the middle of the log, naming the file and offset', async () => {
    await withDir(async (dir) => {
      await writeSome(dir, 5);
      patchFile(join(dir, 'wal.log'), '"value-2"', '"value-2\\');
      assert.throws(() => new Store({ wal: new Wal(dir) }), /wal\.log.*offset \d+/s);
    });
  });

  it('with truncateCorrupt, keeps the records before mid-log damage and drops the rest', async () => {
    await withDir(async (dir) => {
      await writeSome(dir, 5);
      patchFile(join(dir, 'wal.log'), '"value-2"', '"value-2\\');
      assert.throws(() => new Store({ wal: new Wal(dir) }), /--wal-truncate-corrupt/);
      const warnings: string[] = [];
      const s = new Store({ wal: new Wal(dir, { truncateCorrupt: true, warn: (m) => warnings.push(m) }) });
      assert.deepEqual([...s.scan(CM)].map(([k]) => k), ['default/c0', 'default/c1']);
      assert.match(warnings.join('\n'), /wal\.log is damaged at offset \d+.*dropped/);
      await s.durable(s.put(CM, 'default/next', cm('next', 'n')));
      await s.close();
      const again = new Store({ wal: new Wal(dir) });
      assert.ok(again.get(CM, 'default/next'), 'a clean log after the cut');
      await again.close();
    });
  });

  it('refuses a record that is valid JSON but damaged (no NaN resourceVersion)', async () => {
    await withDir(async (dir) => {
      await writeSome(dir, 5);
      patchFile(join(dir, 'wal.log'), '{"rv":3,', '{"rx":3,');
      assert.throws(() => new Store({ wal: new Wal(dir) }), /wal\.log.*offset \d+/s);
    });
  });

  it('refuses a snapshot cut short, naming the file', async () => {
    await withDir(async (dir) => {
      const s = new Store({ wal: new Wal(dir, { snapshotEvery: 10 }) });
      for (let i = 0; i < 25; i++) await s.durable(s.put(CM, `default/c${i}`, cm(`c${i}`, `value-${i}`)));
      await s.close();
      const snap = readdirSync(dir).find((f) => f.startsWith('snapshot'))!;
      truncateSync(join(dir, snap), Math.floor(statSync(join(dir, snap)).size / 2));
      assert.throws(() => new Store({ wal: new Wal(dir) }), new RegExp(`${snap.replace('.', '\\.')}.*offset \\d+`, 's'));
    });
  });
});

describe('bounded growth', () => {
  const big = (name: string) => cm(name, 'x'.repeat(1 << 20));

  it('compacts the log by size: create/delete cycles of a big object do not grow it without bound', async () => {
    await withDir(async (dir) => {
      const opts = { snapshotEvery: 1_000_000, snapshotBytes: 4 << 20 };
      const s = new Store({ wal: new Wal(dir, opts) });
      for (let i = 0; i < 30; i++) {
        await s.durable(s.put(CM, 'default/big', big('big')));
        await s.durable(s.remove(CM, 'default/big', big('big'))!);
      }
      await s.close();
      assert.ok(statSync(join(dir, 'wal.log')).size < 8 << 20, `log is ${statSync(join(dir, 'wal.log')).size} bytes`);
    });
  });

  it('bounds the watch history by bytes, not only by count', () => {
    const opts = { historySize: 1000, historyBytes: 4 << 20 };
    const s = new Store(opts);
    const from = s.resourceVersion;
    for (let i = 0; i < 30; i++) {
      s.put(CM, 'default/big', big('big'));
      s.remove(CM, 'default/big', big('big'));
    }
    const kept = s.since(CM, s.resourceVersion - 2) ?? [];
    assert.equal(kept.length, 2, 'the latest changes are kept');
    assert.equal(s.since(CM, from), undefined, 'older history was evicted (410 for watches from there)');
  });
});

/**
 * The real log file with injectable faults: `fail` makes the next appends write half their
 * data and reject (ENOSPC), or write all and fail the sync; `hold` delays syncs until released.
 */
function faultyLogFiles() {
  const ctl = { fail: undefined as 'append' | 'sync' | undefined, hold: undefined as Promise<void> | undefined };
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const open: OpenLogFile = (path) => {
    const real = openLogFile(path);
    return {
      append: async (data) => {
        if (ctl.fail === 'append') {
          await real.append(data.subarray(0, data.length >> 1));
          throw enospc();
        }
        await real.append(data);
      },
      sync: async () => {
        await ctl.hold;
        if (ctl.fail === 'sync') throw enospc();
        await real.sync();
      },
      truncate: (size) => real.truncate(size),
      close: () => real.close(),
    };
  };
  return { ctl, open };
}

describe('write failures (ENOSPC)', () => {
  it('a write is invisible until durable; a failed one is rolled back, never visible, not back after a restart; the next write succeeds', async () => {
    await withDir(async (dir) => {
      const { ctl, open } = faultyLogFiles();
      const warnings: string[] = [];
      let s = new Store({ wal: new Wal(dir, { openLogFile: open, warn: (m) => warnings.push(m) }) });
      const seen: string[] = [];
      s.subscribe((c) => seen.push(c.key));

      let release!: () => void;
      ctl.hold = new Promise((r) => (release = r));
      const first = s.put(CM, 'default/ok', cm('ok', '1'));
      assert.equal(s.get(CM, 'default/ok'), undefined, 'not visible before it is durable');
      assert.ok(s.latest(CM, 'default/ok'), 'but later writes build on it');
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(seen, [], 'no watch event before it is durable');
      release();
      ctl.hold = undefined;
      await s.durable(first);
      assert.ok(s.get(CM, 'default/ok'));
      assert.deepEqual(seen, ['default/ok']);

      for (const mode of ['append', 'sync'] as const) {
        ctl.fail = mode;
        const a = s.put(CM, `default/failed-${mode}`, cm(`failed-${mode}`, 'x'));
        const b = s.put(CM, `default/failed-${mode}`, cm(`failed-${mode}`, 'y')); // builds on a
        const rv = s.resourceVersion;
        await assert.rejects(s.durable(a), /ENOSPC/);
        await assert.rejects(s.durable(b), /ENOSPC/);
        assert.equal(s.get(CM, `default/failed-${mode}`), undefined, `${mode}: a failed write is not visible`);
        assert.equal(s.latest(CM, `default/failed-${mode}`), undefined, `${mode}: nor built on`);
        assert.equal(s.resourceVersion, rv);
        ctl.fail = undefined;
        await s.durable(s.put(CM, `default/after-${mode}`, cm(`after-${mode}`, 'z')));
        assert.ok(s.get(CM, `default/after-${mode}`), `${mode}: the next write after space returns succeeds`);
      }
      assert.deepEqual(seen, ['default/ok', 'default/after-append', 'default/after-sync'], 'watchers saw only durable writes');
      assert.ok(warnings.some((w) => /append failed \(ENOSPC/.test(w)) && warnings.some((w) => /succeed again/.test(w)), warnings.join('\n'));
      const rv = s.resourceVersion;
      await s.close();

      s = new Store({ wal: new Wal(dir) });
      assert.deepEqual([...s.scan(CM)].map(([k]) => k), ['default/after-append', 'default/after-sync', 'default/ok']);
      assert.equal(s.resourceVersion, rv);
      await s.close();
    });
  });

  it('a failed snapshot leaves writes working and the log intact; the next attempt succeeds', async () => {
    await withDir(async (dir) => {
      mkdirSync(join(dir, 'snapshot.dat.tmp')); // the snapshot cannot be written
      const warnings: string[] = [];
      let s = new Store({ wal: new Wal(dir, { snapshotEvery: 5, warn: (m) => warnings.push(m) }) });
      for (let i = 0; i < 12; i++) await s.durable(s.put(CM, `default/c${i}`, cm(`c${i}`, 'v')));
      assert.match(warnings.join('\n'), /snapshot .*snapshot\.dat failed/);
      rmSync(join(dir, 'snapshot.dat.tmp'), { recursive: true });
      for (let i = 12; i < 20; i++) await s.durable(s.put(CM, `default/c${i}`, cm(`c${i}`, 'v')));
      await s.close();
      assert.ok(existsSync(join(dir, 'snapshot.dat')));
      s = new Store({ wal: new Wal(dir) });
      assert.equal(s.count(CM), 20);
      await s.close();
    });
  });
});
