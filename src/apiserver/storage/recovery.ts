/**
 * Start-up recovery of a data dir: loads the snapshot, replays the write-ahead log after it and
 * decides what to do with damage.
 *
 * Rules (the etcd WAL's): a torn tail of the log (the last append cut short by a crash, never
 * acknowledged because acknowledgement waits for fsync) is cut off with a warning naming the
 * file and byte offset. Damage anywhere else (a bad checksum with data after it, a record that
 * passes its checksum but is malformed, or any damage in a snapshot, which is only ever renamed
 * into place complete)
 * refuses the start with an error naming the file and offset, unless `truncateCorrupt` says to
 * drop everything from the damaged record on. Logs and snapshots of the earlier JSON-lines
 * format (no framing) are read too, and reported (`rewrite`) so the caller rewrites them.
 */
import { existsSync, fsyncSync, openSync, closeSync, ftruncateSync, readFileSync } from 'node:fs';
import type { KubeObject } from '../../api/index.js';
import { LOG_MAGIC, MAGIC_BYTES, SNAPSHOT_MAGIC, readFrames } from './record.js';

export interface RecoveryOptions {
  /** Drop everything from a damaged record on instead of refusing to start (data loss). */
  truncateCorrupt: boolean;
  warn: (message: string) => void;
}

export interface Recovered {
  rv: number;
  objects: Map<string, Map<string, KubeObject>>;
  /** Log records replayed after the snapshot. */
  logRecords: number;
  /** Bytes of the (framed) log that are good; appends continue there. 0 without a framed log. */
  logBytes: number;
  /** Size of the snapshot file (0 without one). */
  snapshotBytes: number;
  /**
   * Write a fresh snapshot and log: some data was in the JSON-lines format, or a damaged
   * snapshot was kept in part (`truncateCorrupt`).
   */
  rewrite: boolean;
}

/** One logged change as stored in a record payload. */
interface LogEntry {
  rv: number;
  s: string;
  k: string;
  t: 'P' | 'D';
  o?: KubeObject;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why `payload` is not a well-formed log entry after `prevRv`, or undefined when it is. */
function entryProblem(e: unknown, prevRv: number): string | undefined {
  if (!isObject(e)) return 'not a JSON object';
  if (!Number.isSafeInteger(e.rv) || (e.rv as number) <= 0) return `bad resourceVersion ${JSON.stringify(e.rv)}`;
  if ((e.rv as number) <= prevRv) return `resourceVersion ${e.rv as number} does not follow ${prevRv}`;
  if (typeof e.s !== 'string' || typeof e.k !== 'string') return 'missing storage key';
  if (e.t === 'P') return isObject(e.o) && isObject(e.o.metadata) ? undefined : 'put without an object';
  return e.t === 'D' ? undefined : `unknown change type ${JSON.stringify(e.t)}`;
}

function snapshotEntryProblem(e: unknown): string | undefined {
  if (!isObject(e) || typeof e.s !== 'string' || typeof e.k !== 'string' || !isObject(e.o) || !isObject(e.o.metadata)) return 'malformed object entry';
  return undefined;
}

function parse(text: Buffer | string): unknown {
  try {
    return JSON.parse(text.toString());
  } catch {
    return undefined;
  }
}

/** A payload with its file offset, and where (and why) reading stopped early. */
interface Scan {
  items: { offset: number; value: unknown }[];
  damage?: { offset: number; kind: 'torn' | 'corrupt'; reason: string };
}

/** The framed format after its magic. */
function scanFramed(buf: Buffer): Scan {
  const { records, damage } = readFrames(buf, MAGIC_BYTES);
  return { items: records.map((r) => ({ offset: r.offset, value: parse(r.payload) ?? null })), damage };
}

/** The JSON-lines format: a last line without its newline is a torn append. */
function scanLines(buf: Buffer): Scan {
  const items: Scan['items'] = [];
  let off = 0;
  while (off < buf.length) {
    const nl = buf.indexOf(10, off);
    const end = nl < 0 ? buf.length : nl;
    if (end > off) {
      const value = parse(buf.subarray(off, end));
      if (value === undefined) return { items, damage: { offset: off, kind: nl < 0 ? 'torn' : 'corrupt', reason: 'invalid JSON line' } };
      items.push({ offset: off, value });
    }
    off = end + 1;
  }
  return { items };
}

const startsWith = (buf: Buffer, magic: Buffer) => buf.length >= magic.length && buf.subarray(0, magic.length).equals(magic);

function cutFile(path: string, size: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, size);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function refusal(path: string, offset: number, reason: string, size: number): Error {
  return new Error(
    `${path} is damaged at offset ${offset} (${reason}; ${size - offset} of ${size} bytes from there). Refusing to start: ` +
      `restore the data dir from a backup, or start with --wal-truncate-corrupt to drop everything from offset ${offset} on (data loss).`,
  );
}

/** Loads the snapshot (`snapPath`, else the legacy `legacySnapPath`) and replays `logPath`. */
export function recover(paths: { logPath: string; snapPath: string; legacySnapPath: string }, opts: RecoveryOptions): Recovered {
  const objects = new Map<string, Map<string, KubeObject>>();
  const tableOf = (s: string) => {
    let m = objects.get(s);
    if (!m) objects.set(s, (m = new Map()));
    return m;
  };
  let rv = 0;
  let rewrite = false;
  let snapshotBytes = 0;

  const snapPath = existsSync(paths.snapPath) ? paths.snapPath : existsSync(paths.legacySnapPath) ? paths.legacySnapPath : undefined;
  if (snapPath) {
    const buf = readFileSync(snapPath);
    snapshotBytes = buf.length;
    const legacy = snapPath === paths.legacySnapPath;
    rewrite = legacy;
    let scan: Scan;
    if (legacy) scan = scanLines(buf);
    else if (startsWith(buf, SNAPSHOT_MAGIC)) scan = scanFramed(buf);
    else scan = { items: [], damage: { offset: 0, kind: 'corrupt', reason: 'not a kubeloop snapshot' } };
    const [head, ...rest] = scan.items;
    const headOk = isObject(head?.value) && Number.isSafeInteger(head.value.rv);
    let damage: Scan['damage'];
    let count = 0;
    if (!headOk) damage = scan.damage ?? { offset: head?.offset ?? buf.length, kind: 'corrupt', reason: 'missing snapshot header' };
    else {
      rv = (head.value as { rv: number }).rv;
      let ended = legacy; // the legacy format has no end record
      for (const item of rest) {
        const v = item.value as Record<string, unknown>;
        if (!legacy && isObject(v) && 'end' in v) {
          if (v.end !== count || item !== rest[rest.length - 1]) damage = { offset: item.offset, kind: 'corrupt', reason: `end record says ${String(v.end)} objects, read ${count}` };
          ended = true;
          break;
        }
        const problem = snapshotEntryProblem(v);
        if (problem) {
          damage = { offset: item.offset, kind: 'corrupt', reason: problem };
          break;
        }
        tableOf(v.s as string).set(v.k as string, v.o as KubeObject);
        count++;
      }
      damage ??= scan.damage ?? (ended ? undefined : { offset: buf.length, kind: 'torn', reason: 'cut short: no end record' });
    }
    if (damage) {
      if (!opts.truncateCorrupt) throw refusal(snapPath, damage.offset, damage.reason, buf.length);
      opts.warn(`${snapPath} is damaged at offset ${damage.offset} (${damage.reason}); --wal-truncate-corrupt: kept the ${count} objects before it`);
      rewrite = true;
    }
  }
  const snapRv = rv;

  let logRecords = 0;
  let logBytes = 0;
  if (existsSync(paths.logPath)) {
    const buf = readFileSync(paths.logPath);
    const framed = startsWith(buf, LOG_MAGIC);
    let scan: Scan;
    if (framed) scan = scanFramed(buf);
    else if (buf.length === 0 || LOG_MAGIC.subarray(0, buf.length).equals(buf)) scan = { items: [] }; // created, header not yet written
    else if (buf[0] === 0x7b /* { */) {
      scan = scanLines(buf);
      rewrite = true;
    } else scan = { items: [], damage: { offset: 0, kind: 'corrupt', reason: 'not a kubeloop write-ahead log' } };
    let damage = scan.damage;
    let prevRv = 0;
    for (const item of scan.items) {
      const problem = entryProblem(item.value, prevRv);
      if (problem) {
        const last = item === scan.items[scan.items.length - 1] && !damage;
        // A malformed last JSON line can only be a torn append in the legacy format; framed
        // records passed their checksum, so a malformed one was written that way: corruption.
        damage = { offset: item.offset, kind: 'corrupt', reason: problem };
        if (last && !framed && buf[buf.length - 1] !== 10) damage.kind = 'torn';
        break;
      }
      const e = item.value as LogEntry;
      prevRv = e.rv;
      if (e.rv <= snapRv) continue; // already in the snapshot (crash between snapshot and log reset)
      if (e.t === 'P') tableOf(e.s).set(e.k, e.o!);
      else tableOf(e.s).delete(e.k);
      rv = e.rv;
      logRecords++;
    }
    logBytes = framed ? buf.length : 0;
    if (damage) {
      const dropped = buf.length - damage.offset;
      if (damage.kind === 'torn') {
        opts.warn(`${paths.logPath}: torn last record at offset ${damage.offset} (${damage.reason}), a write cut short by a crash and never acknowledged; dropped the ${dropped} bytes from there`);
      } else if (opts.truncateCorrupt) {
        opts.warn(`${paths.logPath} is damaged at offset ${damage.offset} (${damage.reason}); --wal-truncate-corrupt: dropped the ${dropped} bytes from there (data loss)`);
      } else {
        throw refusal(paths.logPath, damage.offset, damage.reason, buf.length);
      }
      if (framed) {
        cutFile(paths.logPath, damage.offset);
        logBytes = damage.offset;
      }
    }
  }
  return { rv, objects, logRecords, logBytes, snapshotBytes, rewrite };
}
