/**
 * The kill -9 durability check: a child process serves a data dir (durability-child.ts, whose
 * log fails a seeded fraction of appends with ENOSPC); per config map, one writer issues
 * creates, updates and deletes one at a time and records each outcome (acknowledged, answered
 * with an error, or in flight when the connection dropped); SIGKILL comes at a seeded random
 * moment; the restarted server must show, for every key, the last acknowledged state or the
 * one write that was in flight, never a write answered with an error. Shared by the test (a
 * short slice) and `npm run durability` (bench/durability.ts, the long run).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call } from '../../src/apiserver/test-client.js';
import { seededRandom } from '../../src/testing/index.js';

export const prng = seededRandom;

export interface DurabilityOptions {
  cycles: number;
  seed: number;
  /** Fraction of log appends failed with ENOSPC (default 0.03). */
  failRate?: number;
  /** Config maps written concurrently, one writer each (default 16). */
  keys?: number;
  /** Logged changes between snapshots, so kills also land around snapshots (default 150). */
  snapshotEvery?: number;
  /** Longest run of writes before the kill (default 600 ms). */
  maxRunMs?: number;
  progress?: (line: string) => void;
}

export interface DurabilityReport {
  cycles: number;
  acked: number;
  failed: number;
  inflight: number;
  /** Acknowledged writes missing after a restart (descriptions). */
  lost: string[];
  /** Writes answered with an error that reads showed, during the run or after a restart. */
  visibleFailed: string[];
}

/** What a key holds: absent, or a value (`data.v`) at a resourceVersion. */
interface KeyState {
  exists: boolean;
  value?: string;
  rv?: string;
}

interface KeyModel {
  acked: KeyState;
  inflight?: KeyState;
  failed: Set<string>;
}

type Conn = { url: string; kubeconfig: string; caPem: string };

const child = join(dirname(fileURLToPath(import.meta.url)), 'durability-child.js');
const PATH = '/api/v1/namespaces/default/configmaps';

function startChild(dataDir: string, opts: Required<Omit<DurabilityOptions, 'progress'>>, seed: number): Promise<{ proc: ChildProcess; conn: Conn }> {
  const proc = spawn(process.execPath, [child, dataDir, String(opts.failRate), String(seed), String(opts.snapshotEvery)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ proc, conn: JSON.parse(out.split('\n')[0]) as Conn });
    });
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('exit', (code) => reject(new Error(`durability child exited with ${code}: ${err}`)));
  });
}

async function read(conn: Conn, key: string): Promise<KeyState> {
  const r = await call(conn, 'GET', `${PATH}/${key}`);
  if (r.status === 404) return { exists: false };
  if (r.status !== 200) throw new Error(`GET ${key}: ${r.status} ${r.text}`);
  return { exists: true, value: r.json.data?.v, rv: r.json.metadata.resourceVersion };
}

const same = (a: KeyState, b: KeyState) => a.exists === b.exists && (!a.exists || a.value === b.value);
const show = (s: KeyState) => (s.exists ? `${s.value}@${s.rv ?? '?'}` : 'absent');

/** Runs `opts.cycles` write-kill-restart cycles in a fresh data dir. */
export async function runDurability(options: DurabilityOptions): Promise<DurabilityReport> {
  const opts = { failRate: 0.03, keys: 16, snapshotEvery: 150, maxRunMs: 600, ...options };
  const random = prng(opts.seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'kubeloop-durability-'));
  const report: DurabilityReport = { cycles: 0, acked: 0, failed: 0, inflight: 0, lost: [], visibleFailed: [] };
  const keys = Array.from({ length: opts.keys }, (_, i) => `k${i}`);
  const model = new Map<string, KeyModel>(keys.map((k) => [k, { acked: { exists: false }, failed: new Set() }]));
  let proc: ChildProcess | undefined;
  try {
    for (let cycle = 0; cycle <= opts.cycles; cycle++) {
      const started = await startChild(dataDir, opts, Math.floor(random() * 2 ** 32));
      proc = started.proc;
      const conn = started.conn;
      // After a restart: every key shows its last acknowledged state, or its in-flight write.
      for (const key of keys) {
        const m = model.get(key)!;
        const actual = await read(conn, key);
        if (actual.exists && m.failed.has(actual.value!)) report.visibleFailed.push(`cycle ${cycle} ${key}: ${show(actual)} was answered with an error`);
        else if (!same(actual, m.acked) && !(m.inflight && same(actual, m.inflight))) report.lost.push(`cycle ${cycle} ${key}: acknowledged ${show(m.acked)}, found ${show(actual)}`);
        else if (same(actual, m.acked) && actual.exists && actual.rv !== m.acked.rv) report.lost.push(`cycle ${cycle} ${key}: acknowledged ${show(m.acked)}, found ${show(actual)}`);
        m.acked = actual;
        m.inflight = undefined;
      }
      if (cycle === opts.cycles) break;

      let killed = false;
      let seq = 0;
      const writer = async (key: string) => {
        const m = model.get(key)!;
        while (!killed) {
          const value = `c${cycle}.${seq++}`;
          const del = m.acked.exists && random() < 0.25;
          const target: KeyState = del ? { exists: false } : { exists: true, value };
          const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: key }, data: { v: value } };
          let r;
          try {
            r = del ? await call(conn, 'DELETE', `${PATH}/${key}`) : m.acked.exists ? await call(conn, 'PUT', `${PATH}/${key}`, body) : await call(conn, 'POST', PATH, body);
          } catch (e) {
            // The server died: a refused connection never carried the write; otherwise it is in doubt.
            if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED') {
              m.inflight = target;
              report.inflight++;
            }
            return;
          }
          if (r.status < 300) {
            m.acked = del ? target : { ...target, rv: r.json.metadata.resourceVersion };
            report.acked++;
          } else if (r.status >= 500) {
            report.failed++;
            if (!del) m.failed.add(value);
            try {
              const now = await read(conn, key);
              if (!same(now, m.acked)) report.visibleFailed.push(`cycle ${cycle} ${key}: after a failed ${del ? 'delete' : 'write'} a read shows ${show(now)}, acknowledged ${show(m.acked)}`);
            } catch {
              return; // killed meanwhile
            }
          } else {
            throw new Error(`cycle ${cycle} ${key}: unexpected ${r.status} ${r.text}`);
          }
        }
      };
      const writers = Promise.all(keys.map(writer));
      await new Promise((r) => setTimeout(r, 50 + random() * (opts.maxRunMs - 50)));
      killed = true;
      proc.kill('SIGKILL');
      await Promise.all([writers, new Promise((r) => (proc!.exitCode !== null || proc!.signalCode !== null ? r(undefined) : proc!.once('exit', r)))]);
      report.cycles++;
      opts.progress?.(`cycle ${cycle + 1}/${opts.cycles}: acked ${report.acked}, failed ${report.failed}, in flight ${report.inflight}, lost ${report.lost.length}, visible failed ${report.visibleFailed.length}`);
    }
    proc?.kill('SIGTERM');
    if (proc && proc.exitCode === null) await new Promise((r) => proc!.once('exit', r));
    return report;
  } finally {
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}
