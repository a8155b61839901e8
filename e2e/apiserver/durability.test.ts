// kill -9 durability (a short seeded slice of `npm run durability`) and start-up on a damaged
// data dir: a torn tail is cut with a warning, other damage refuses to start with a message
// naming the file and offset unless --wal-truncate-corrupt.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startApiServer } from '../../src/apiserver/index.js';
import { call } from '../../src/apiserver/test-client.js';
import { runDurability } from './durability.js';
import { KUBELOOP_BIN } from '../support/bin.js';

const cli = KUBELOOP_BIN;

/** Runs `kubeloop apiserver` on `dataDir`: its kubeconfig connection once ready, or its exit code and stderr. */
function startCli(dataDir: string, extra: string[] = []) {
  const proc = spawn(process.execPath, [cli, 'apiserver', '--port', '0', '--data-dir', dataDir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const outcome = new Promise<{ ready: true } | { ready: false; code: number | null }>((resolve) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ ready: true });
    });
    proc.on('exit', (code) => resolve({ ready: false, code }));
  });
  const conn = () => {
    const kubeconfig = readFileSync(join(dataDir, 'kubeconfig'), 'utf8');
    const url = /server: (\S+)/.exec(kubeconfig)![1];
    const caPem = Buffer.from(/certificate-authority-data: (\S+)/.exec(kubeconfig)![1], 'base64').toString();
    return { url, kubeconfig, caPem };
  };
  const kill = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
  };
  return { outcome, conn, kill, stderr: () => stderr };
}

const cmBody = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: name } });
const PATH = '/api/v1/namespaces/default/configmaps';

async function withDataDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-damage-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the CLI, creates config maps `names` (each acknowledged), then SIGKILLs it. */
async function writeAndKill(dir: string, names: string[]): Promise<void> {
  const s = startCli(dir);
  assert.deepEqual(await s.outcome, { ready: true }, s.stderr());
  for (const n of names) assert.equal((await call(s.conn(), 'POST', PATH, cmBody(n))).status, 201);
  await s.kill();
}

describe('durability under SIGKILL', () => {
  it('5 seeded kill -9 cycles with injected ENOSPC: no acknowledged write lost, no failed write visible', async () => {
    const report = await runDurability({ cycles: 5, seed: 20261206 });
    assert.deepEqual(report.lost, []);
    assert.deepEqual(report.visibleFailed, []);
    assert.equal(report.cycles, 5);
    assert.ok(report.acked > 0, 'writes were acknowledged');
  });
});

describe('start-up on a damaged data dir', () => {
  it('a torn tail: starts with a warning naming wal.log and the offset; writes acknowledged after it survive the next kill', async () => {
    await withDataDir(async (dir) => {
      await writeAndKill(dir, ['a', 'b', 'c']);
      const log = join(dir, 'data', 'wal.log');
      truncateSync(log, statSync(log).size - 3);
      let s = startCli(dir);
      assert.deepEqual(await s.outcome, { ready: true }, s.stderr());
      assert.match(s.stderr(), /data\/wal\.log: torn last record at offset \d+/);
      assert.equal((await call(s.conn(), 'GET', `${PATH}/c`)).status, 404, 'the torn write is gone');
      assert.equal((await call(s.conn(), 'POST', PATH, cmBody('after'))).status, 201);
      await s.kill();
      s = startCli(dir);
      assert.deepEqual(await s.outcome, { ready: true }, s.stderr());
      for (const n of ['a', 'b', 'after']) assert.equal((await call(s.conn(), 'GET', `${PATH}/${n}`)).status, 200, n);
      await s.kill();
    });
  });

  it('mid-log corruption: refuses to start naming wal.log and the offset; --wal-truncate-corrupt starts without the damaged tail', async () => {
    await withDataDir(async (dir) => {
      await writeAndKill(dir, ['a', 'b', 'c']);
      const log = join(dir, 'data', 'wal.log');
      const buf = readFileSync(log);
      const at = buf.indexOf('"v":"b"');
      buf[at + 5] ^= 0x01;
      writeFileSync(log, buf);
      let s = startCli(dir);
      const out = await s.outcome;
      assert.deepEqual(out, { ready: false, code: 1 });
      assert.match(s.stderr(), /^kubeloop: \S+data\/wal\.log is damaged at offset \d+ \(checksum mismatch; .*--wal-truncate-corrupt/s);
      s = startCli(dir, ['--wal-truncate-corrupt']);
      assert.deepEqual(await s.outcome, { ready: true }, s.stderr());
      assert.match(s.stderr(), /wal\.log is damaged at offset \d+ .*dropped/);
      assert.equal((await call(s.conn(), 'GET', `${PATH}/a`)).status, 200);
      assert.equal((await call(s.conn(), 'GET', `${PATH}/c`)).status, 404);
      await s.kill();
    });
  });

  it('a snapshot cut short: refuses to start naming snapshot.dat and the offset', async () => {
    await withDataDir(async (dir) => {
      const server = await startApiServer({ port: 0, dataDir: dir, snapshotEvery: 5 });
      for (let i = 0; i < 10; i++) await server.ops.create(server.registry.get('', 'v1', 'configmaps')!, 'default', cmBody(`c${i}`));
      await server.stop();
      const snap = join(dir, 'data', 'snapshot.dat');
      truncateSync(snap, statSync(snap).size - 10);
      const s = startCli(dir);
      assert.deepEqual(await s.outcome, { ready: false, code: 1 });
      assert.match(s.stderr(), /^kubeloop: \S+data\/snapshot\.dat is damaged at offset \d+/);
    });
  });
});
