/**
 * Write-ahead log: every committed change is appended as one JSON line and made durable
 * (fdatasync) before the API server acknowledges the write. Writes that arrive while a flush
 * runs are grouped into the next flush (group commit), so throughput does not pay one sync
 * per object. After `snapshotEvery` logged changes the whole state is written to a snapshot
 * (temp file, fsync, rename) and the log is truncated. Start-up loads the snapshot and
 * replays the log; a torn last line (crash mid-write) is ignored, because it was never
 * acknowledged.
 */
import {
  closeSync, existsSync, fdatasync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, write, writeFileSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../api/index.js';
import type { Change } from './store.js';

export interface WalOptions {
  /** Logged changes after which a snapshot replaces the log (default 100000). */
  snapshotEvery?: number;
}

export interface LoadedState {
  rv: number;
  objects: Map<string, Map<string, KubeObject>>;
}

type SnapshotSource = () => { rv: number; entries: Iterable<[string, string, { json: string }]> };

export class Wal {
  private fd = -1;
  private pending: string[] = [];
  private pendingRv = 0;
  private flushedRv = 0;
  private flushing = false;
  private scheduled = false;
  private waiters: { rv: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private sinceSnapshot = 0;
  private failed?: Error;
  private source?: SnapshotSource;
  private readonly snapshotEvery: number;
  private readonly logPath: string;
  private readonly snapPath: string;
  private closed = false;

  constructor(private readonly dir: string, opts: WalOptions = {}) {
    this.snapshotEvery = opts.snapshotEvery ?? 100_000;
    this.logPath = join(dir, 'wal.log');
    this.snapPath = join(dir, 'snapshot.jsonl');
  }

  /** Refuses a data dir that another live process is using (two writers would corrupt the log). */
  private lock(): void {
    const lockPath = join(this.dir, 'LOCK');
    if (existsSync(lockPath)) {
      const pid = Number(readFileSync(lockPath, 'utf8').trim());
      if (pid && pid !== process.pid) {
        let alive = true;
        try {
          process.kill(pid, 0);
        } catch (e) {
          alive = (e as NodeJS.ErrnoException).code === 'EPERM';
        }
        if (alive) throw new Error(`data dir ${this.dir} is in use by process ${pid}`);
      }
    }
    writeFileSync(lockPath, String(process.pid));
  }

  private fsyncDir(): void {
    try {
      const d = openSync(this.dir, 'r');
      fsyncSync(d);
      closeSync(d);
    } catch {
      // Directory fsync is not supported everywhere.
    }
  }

  /** Reads the snapshot and replays the log; opens the log for appending. */
  load(): LoadedState {
    mkdirSync(this.dir, { recursive: true });
    this.lock();
    const objects = new Map<string, Map<string, KubeObject>>();
    const tableOf = (s: string) => {
      let m = objects.get(s);
      if (!m) objects.set(s, (m = new Map()));
      return m;
    };
    let rv = 0;
    let snapRv = 0;
    if (existsSync(this.snapPath)) {
      const lines = readFileSync(this.snapPath, 'utf8').split('\n');
      rv = snapRv = JSON.parse(lines[0]).rv as number;
      for (let i = 1; i < lines.length; i++) {
        if (!lines[i]) continue;
        const e = JSON.parse(lines[i]) as { s: string; k: string; o: KubeObject };
        tableOf(e.s).set(e.k, e.o);
      }
    }
    if (existsSync(this.logPath)) {
      const lines = readFileSync(this.logPath, 'utf8').split('\n');
      for (const line of lines) {
        if (!line) continue;
        let e: { rv: number; s: string; k: string; t: 'P' | 'D'; o?: KubeObject };
        try {
          e = JSON.parse(line);
        } catch {
          continue; // a torn write at the end: never acknowledged
        }
        if (e.rv <= snapRv) continue; // already in the snapshot
        if (e.t === 'P') tableOf(e.s).set(e.k, e.o!);
        else tableOf(e.s).delete(e.k);
        rv = Math.max(rv, e.rv);
        this.sinceSnapshot++;
      }
    }
    const created = !existsSync(this.logPath);
    this.fd = openSync(this.logPath, 'a');
    if (created) this.fsyncDir(); // the new log's directory entry must survive a crash too
    this.flushedRv = rv;
    this.pendingRv = rv;
    return { rv, objects };
  }

  /** Where snapshots read the full state from (the store). */
  setSnapshotSource(fn: SnapshotSource): void {
    this.source = fn;
  }

  append(c: Change): void {
    if (this.closed) return;
    const head = `{"rv":${c.rv},"s":${JSON.stringify(c.storageKey)},"k":${JSON.stringify(c.key)},"t":"${c.type === 'DELETED' ? 'D' : 'P'}"`;
    this.pending.push(c.type === 'DELETED' ? head + '}\n' : head + ',"o":' + c.json + '}\n');
    this.pendingRv = c.rv;
    this.schedule();
  }

  /** Resolves when the change with `rv` is on disk. */
  waitFor(rv: number): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (rv <= this.flushedRv) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ rv, resolve, reject }));
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.flushing || this.pending.length === 0 || this.fd < 0) return;
    this.flushing = true;
    const buf = Buffer.from(this.pending.join(''));
    const upTo = this.pendingRv;
    this.pending = [];
    const n = buf.length;
    const done = (err: Error | null) => {
      this.flushing = false;
      if (err) {
        this.failed = err;
        for (const w of this.waiters.splice(0)) w.reject(err);
        return;
      }
      this.flushedRv = upTo;
      let i = 0;
      while (i < this.waiters.length && this.waiters[i].rv <= upTo) this.waiters[i++].resolve();
      this.waiters.splice(0, i);
      this.maybeSnapshot();
      if (this.pending.length) this.flush();
      else this.drained?.();
    };
    const writeAll = (off: number) => {
      write(this.fd, buf, off, n - off, null, (err, written) => {
        if (err) return done(err);
        if (off + written < n) return writeAll(off + written);
        fdatasync(this.fd, (e) => done(e));
      });
    };
    this.countSince(buf);
    writeAll(0);
  }

  private countSince(buf: Buffer): void {
    let lines = 0;
    for (let i = 0; i < buf.length; i++) if (buf[i] === 10) lines++;
    this.sinceSnapshot += lines;
  }

  private maybeSnapshot(): void {
    if (this.sinceSnapshot < this.snapshotEvery || !this.source) return;
    this.snapshot();
  }

  /** Writes the full state and truncates the log (synchronously: the state cannot move meanwhile). */
  snapshot(): void {
    if (!this.source || this.fd < 0) return;
    const { rv, entries } = this.source();
    const tmp = this.snapPath + '.tmp';
    const fd = openSync(tmp, 'w');
    try {
      let chunk: string[] = [`{"rv":${rv}}\n`];
      let size = 0;
      for (const [s, k, stored] of entries) {
        const line = `{"s":${JSON.stringify(s)},"k":${JSON.stringify(k)},"o":${stored.json}}\n`;
        chunk.push(line);
        size += line.length;
        if (size > 1 << 20) {
          writeSync(fd, chunk.join(''));
          chunk = [];
          size = 0;
        }
      }
      writeSync(fd, chunk.join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.snapPath);
    this.fsyncDir();
    // Everything logged so far (and anything pending, all <= rv) is in the snapshot.
    ftruncateSync(this.fd, 0);
    fsyncSync(this.fd);
    this.sinceSnapshot = 0;
  }

  private drained?: () => void;

  /** Flushes what is pending and closes the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pending.length || this.flushing) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        if (!this.flushing) this.flush();
      });
    }
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(join(this.dir, 'LOCK'), { force: true });
  }
}
