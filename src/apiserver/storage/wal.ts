/**
 * Write-ahead log: every change is appended as one framed, checksummed record (record.ts) and
 * made durable (fdatasync) before the store commits it, so nothing a client or watcher can see
 * or was told succeeded is lost by a crash. Writes that arrive while a flush runs are grouped
 * into the next flush (group commit), so throughput does not pay one sync per object.
 *
 * A failed flush (ENOSPC, EIO) drops every record not yet durable, the failed batch and what
 * queued behind it (those may build on it), cuts the file back to its last good size and tells
 * the store to roll them back; the next write starts from a clean log, so writes succeed again
 * once space returns.
 *
 * The log is compacted by a snapshot of the whole state (temp file, fsync, rename) that then
 * resets the log, after `snapshotEvery` records or once the log outgrows both `snapshotBytes`
 * and the last snapshot (so the history of deleted objects does not pile up, and the snapshot
 * cost stays proportional to the bytes logged). Start-up (recovery.ts) loads the snapshot and
 * replays the log.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../api/index.js';
import { type OpenLogFile, type LogFile, openLogFile } from './log-file.js';
import { LOG_MAGIC, MAGIC_BYTES, SNAPSHOT_MAGIC, frame } from './record.js';
import { recover } from './recovery.js';
import type { Change } from './store.js';

/** writeSync until all of `buf` is written (a regular file may take less per call); returns its length. */
function writeAllSync(fd: number, buf: Buffer): number {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
  return buf.length;
}

export interface WalOptions {
  /** Logged changes after which a snapshot replaces the log (default 100000). */
  snapshotEvery?: number;
  /** Log size after which a snapshot replaces it, when the log is also larger than the last snapshot (default 64 MiB). */
  snapshotBytes?: number;
  /** On a damaged log or snapshot, drop everything from the damage on instead of refusing to start (default false: data loss is opt-in). */
  truncateCorrupt?: boolean;
  /** How the log file is opened for appending (tests inject failing file systems). */
  openLogFile?: OpenLogFile;
  /** Where recovery and failure notices go (default stderr). */
  warn?: (message: string) => void;
}

export interface LoadedState {
  rv: number;
  objects: Map<string, Map<string, KubeObject>>;
}

/** How the log talks back to the store. */
export interface WalHooks {
  /** Every change up to `rv` is durable: commit it (called in order, once per flush). */
  durable(rv: number): void;
  /** A flush failed and every change not yet durable was dropped from the log: roll them back. */
  failed(err: Error): void;
  /** The committed state for a snapshot (`rv` is the last durable change). */
  state(): { rv: number; entries: Iterable<[string, string, { json: string }]> };
}

export class Wal {
  private file?: LogFile;
  private hooks?: WalHooks;
  private pending: Buffer[] = [];
  private pendingRv = 0;
  private running = false;
  private idle?: () => void;
  /** Bytes of the log that hold whole, durable records (after the magic). */
  private size = 0;
  /** The file may hold bytes past `size` (a failed append's leftovers): cut them before appending. */
  private dirty = false;
  /** A flush failed and no flush has succeeded since (for one notice per outage). */
  private failing = false;
  private records = 0;
  private snapshotDueRecords: number;
  private snapshotDueBytes: number;
  private closed = false;
  private closing?: Promise<void>;
  private readonly snapshotEvery: number;
  private readonly snapshotBytes: number;
  private readonly truncateCorrupt: boolean;
  private readonly openLog: OpenLogFile;
  private readonly warn: (message: string) => void;
  private readonly logPath: string;
  private readonly snapPath: string;
  private readonly legacySnapPath: string;

  constructor(private readonly dir: string, opts: WalOptions = {}) {
    this.snapshotEvery = opts.snapshotEvery ?? 100_000;
    this.snapshotBytes = opts.snapshotBytes ?? 64 << 20;
    this.truncateCorrupt = opts.truncateCorrupt ?? false;
    this.openLog = opts.openLogFile ?? openLogFile;
    this.warn = opts.warn ?? ((m) => process.stderr.write(`kubeloop apiserver: ${m}\n`));
    this.logPath = join(dir, 'wal.log');
    this.snapPath = join(dir, 'snapshot.dat');
    this.legacySnapPath = join(dir, 'snapshot.jsonl');
    this.snapshotDueRecords = this.snapshotEvery;
    this.snapshotDueBytes = this.snapshotBytes;
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

  /**
   * Recovers the state (snapshot + log) and opens the log for appending. A failure to start
   * names the data dir (recovery errors name the file and offset themselves).
   */
  open(hooks: WalHooks): LoadedState {
    mkdirSync(this.dir, { recursive: true });
    this.lock();
    try {
      return this.recoverAndOpen(hooks);
    } catch (e) {
      rmSync(join(this.dir, 'LOCK'), { force: true });
      const message = (e as Error).message;
      throw message.includes(this.dir) ? e : new Error(`data dir ${this.dir}: ${message}`);
    }
  }

  private recoverAndOpen(hooks: WalHooks): LoadedState {
    const rec = recover({ logPath: this.logPath, snapPath: this.snapPath, legacySnapPath: this.legacySnapPath }, { truncateCorrupt: this.truncateCorrupt, warn: this.warn });
    let snapshotBytes = rec.snapshotBytes;
    let logBytes = rec.logBytes;
    this.records = rec.logRecords;
    if (rec.rewrite) {
      // The whole state as a framed snapshot, then a fresh log.
      const entries = function* () {
        for (const [s, m] of rec.objects) for (const [k, o] of m) yield [s, k, { json: JSON.stringify(o) }] as [string, string, { json: string }];
      };
      snapshotBytes = this.writeSnapshot(rec.rv, entries());
      logBytes = 0;
      this.records = 0;
    }
    if (logBytes === 0) {
      const fd = openSync(this.logPath, 'w');
      try {
        writeAllSync(fd, LOG_MAGIC);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.fsyncDir();
      logBytes = MAGIC_BYTES;
    }
    if (rec.rewrite) rmSync(this.legacySnapPath, { force: true });
    this.size = logBytes;
    this.scheduleSnapshot(snapshotBytes);
    this.file = this.openLog(this.logPath);
    this.hooks = hooks;
    return { rv: rec.rv, objects: rec.objects };
  }

  /** Queues `c` for the next flush; the hooks report whether it became durable. */
  append(c: Change): void {
    const head = `{"rv":${c.rv},"s":${JSON.stringify(c.storageKey)},"k":${JSON.stringify(c.key)},"t":"${c.type === 'DELETED' ? 'D' : 'P'}"`;
    this.pending.push(frame(c.type === 'DELETED' ? head + '}' : head + ',"o":' + c.json + '}'));
    this.pendingRv = c.rv;
    if (this.running) return;
    this.running = true;
    setImmediate(() => void this.run());
  }

  /** Flushes batches until nothing is pending. */
  private async run(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
      const count = this.pending.length;
      const upTo = this.pendingRv;
      this.pending = [];
      try {
        if (this.closed || !this.file) throw new Error(`write-ahead log ${this.logPath} is closed`);
        if (this.dirty) await this.repair();
        this.dirty = true;
        await this.file.append(batch);
        await this.file.sync();
        this.dirty = false;
      } catch (e) {
        await this.fail(e as Error);
        continue;
      }
      this.size += batch.length;
      this.records += count;
      if (this.failing) this.warn(`write-ahead log ${this.logPath}: writes succeed again`);
      this.failing = false;
      this.hooks!.durable(upTo);
      if (this.records >= this.snapshotDueRecords || this.size >= this.snapshotDueBytes) await this.snapshot();
    }
    this.running = false;
    this.idle?.();
  }

  /** Cuts the log back to its good size (re-creating the magic of a reset log). */
  private async repair(): Promise<void> {
    await this.file!.truncate(this.size);
    if (this.size === 0) {
      await this.file!.append(LOG_MAGIC);
      await this.file!.sync();
      this.size = MAGIC_BYTES;
    }
    this.dirty = false;
  }

  /**
   * A flush failed: drops the failed batch's leftovers from the file first (so a crash now
   * cannot resurrect writes about to be answered with an error), then every queued record,
   * then has the store roll them all back.
   */
  private async fail(err: Error): Promise<void> {
    if (this.dirty && this.file && !this.closed) {
      try {
        await this.repair();
      } catch {
        // Retried before the next append (`dirty` stays set).
      }
    }
    this.pending = [];
    if (!this.failing) this.warn(`write-ahead log ${this.logPath}: append failed (${err.message}); writes not yet durable are rolled back and answered with an error`);
    this.failing = true;
    this.hooks!.failed(err);
  }

  /**
   * The next snapshot comes after `snapshotEvery` more records, or once the log has grown by more
   * than both `snapshotBytes` and the last snapshot's size (`lastSnapshotBytes`), counted from
   * `records` and `bytes` (a reset log, or where a failed attempt left it).
   */
  private scheduleSnapshot(lastSnapshotBytes: number, records = 0, bytes = 0): void {
    this.snapshotDueRecords = records + this.snapshotEvery;
    this.snapshotDueBytes = bytes + Math.max(this.snapshotBytes, lastSnapshotBytes);
  }

  /**
   * Writes the committed state as a snapshot and resets the log. Runs between flushes, when
   * every logged record is committed: the snapshot covers the whole log.
   */
  private async snapshot(): Promise<void> {
    const { rv, entries } = this.hooks!.state();
    let bytes: number;
    try {
      bytes = this.writeSnapshot(rv, entries);
    } catch (e) {
      try {
        rmSync(this.snapPath + '.tmp', { force: true });
      } catch {
        // Overwritten by the next attempt.
      }
      this.warn(`snapshot ${this.snapPath} failed (${(e as Error).message}); the log keeps growing until the next attempt`);
      this.scheduleSnapshot(0, this.records, this.size);
      return;
    }
    // Everything logged is in the snapshot: an empty log (re-created with its magic by repair).
    this.size = 0;
    this.records = 0;
    this.dirty = true;
    this.scheduleSnapshot(bytes);
    try {
      await this.repair();
    } catch {
      // Retried before the next append: the old records are all in the snapshot, so harmless.
    }
  }

  /** Writes a complete snapshot file (temp file, fsync, rename); returns its size. */
  private writeSnapshot(rv: number, entries: Iterable<[string, string, { json: string }]>): number {
    const tmp = this.snapPath + '.tmp';
    const fd = openSync(tmp, 'w');
    let bytes = 0;
    try {
      let chunk: Buffer[] = [SNAPSHOT_MAGIC, frame(`{"rv":${rv}}`)];
      let size = 0;
      let count = 0;
      const put = (b: Buffer) => {
        chunk.push(b);
        size += b.length;
        if (size > 1 << 20) {
          bytes += writeAllSync(fd, Buffer.concat(chunk));
          chunk = [];
          size = 0;
        }
      };
      for (const [s, k, stored] of entries) {
        put(frame(`{"s":${JSON.stringify(s)},"k":${JSON.stringify(k)},"o":${stored.json}}`));
        count++;
      }
      put(frame(`{"end":${count}}`));
      bytes += writeAllSync(fd, Buffer.concat(chunk));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.snapPath);
    this.fsyncDir();
    return bytes;
  }

  /** Flushes what is pending and closes the log. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.running) await new Promise<void>((resolve) => (this.idle = resolve));
      this.closed = true;
      this.file?.close();
      this.file = undefined;
      rmSync(join(this.dir, 'LOCK'), { force: true });
    })();
    return this.closing;
  }
}
