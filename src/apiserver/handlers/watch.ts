/**
 * Watch streams: newline-delimited JSON events over a chunked response. Each committed
 * change's event line is made once, from the JSON text the store kept, for every interested
 * watcher, and encoded straight into the watcher's reused chunk buffers; label/field selector
 * transitions turn into ADDED/DELETED as upstream does. The events a watcher gets while the
 * server runs one piece of work leave together, as one write (one TLS record, one syscall), as
 * soon as that work is done, or once the watcher's previous write completed. Idle watchers that asked for
 * bookmarks get one every `bookmarkIntervalMs` (default 1 s here, ~1 min upstream: short
 * so that informers resume close to the head after a restart).
 * Watches of a type with a conversion webhook convert each event (initial events one batch
 * per call) before writing it; their events, bookmarks included, stay in order through a
 * per-watch queue, and a failed conversion ends the watch with an ERROR event.
 *
 * A client that stops reading cannot pin memory: a watch holding more than its buffer bound
 * (`bufferBytes`) in lines not yet taken by its connection is closed as unresponsive, its
 * buffered lines dropped and its connection destroyed (see {@link WatchHub.terminate}).
 */
import type { ServerResponse } from 'node:http';
import { INITIAL_EVENTS_END_ANNOTATION, type KubeObject, newExpired, newInternalError, StatusError } from '../../api/index.js';
import type { Converter } from '../conversion/index.js';
import { apiVersionOf, convertsVersions, type ResourceType } from '../resources/index.js';
import type { Change, Store, Stored } from '../storage/index.js';
import { toTable } from '../table/index.js';

export interface WatchRequest {
  type: ResourceType;
  namespace?: string;
  /** Only this object (from the URL or a `metadata.name=` field selector). */
  name?: string;
  match?: (o: KubeObject) => boolean;
  /** "0"/undefined: current state first as ADDED; a number: replay history after it. */
  resourceVersion?: string;
  sendInitialEvents?: boolean;
  allowBookmarks?: boolean;
  timeoutSeconds?: number;
  /** Table mode: one-row Tables per event. */
  table?: { includeObject?: 'None' | 'Metadata' | 'Object' };
}

interface Watcher {
  req: WatchRequest;
  res: ServerResponse;
  idle: boolean;
  timer?: NodeJS.Timeout;
  closed: boolean;
  /**
   * Lines not written yet, written together when the current work is done (`flush`), or, while
   * a write of this watch is still on its way to the socket, once that write completed.
   */
  pending?: string | string[];
  /** Their length in UTF-16 units (at most 3 bytes each). */
  pendingBytes: number;
  /** A write of this watch has not reached the socket yet (its callback has not run). */
  writing: boolean;
  /** The callback of this watch's writes (made once). */
  written: () => void;
  /** Lines held back while the initial events are still being written (then flushed in order). */
  backlog?: string[];
  backlogBytes: number;
  /** Types with a conversion webhook: the tail of this watch's ordered event queue. */
  queue?: Promise<void>;
  /** While the initial events wait for 'drain': ends that wait (the watch stopped). */
  wake?: () => void;
  /** Armed once the watch holds more than its bound: it is closed unless back under it by then. */
  overTimer?: NodeJS.Timeout;
}

/**
 * Default bound of what a watch may hold for a client that does not take it (lines pending
 * and bytes in its response and socket buffers, beyond what the kernel took): 16 MiB.
 *
 * kube-apiserver bounds a watcher in events: its cacheWatcher's input and result channels hold
 * `chanSize` events each (staging/src/k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go
 * newCacheWatcher), `chanSize` being watch_cache.go's suggestedWatchChannelSize: ~one second of
 * history, clamped to 10..100 events, up to 1000 for a type with an index watched without its
 * trigger (pods cluster-wide). So at most ~2 x 1000 events wait for a stuck client there; when
 * the input channel is full the dispatcher waits out its time budget (time_budget.go: at most
 * 100 ms, refilled 50 ms per second) and then closes the watcher (cacher.go dispatchEvent).
 * Here a watch's events wait as encoded text, so the bound is in bytes, the memory it is
 * about: 2000 events of ~8 KiB (a Pod with status and managedFields) = 16 MiB.
 */
export const DEFAULT_WATCH_BUFFER_BYTES = 16 * 1024 * 1024;
/**
 * A watch over its bound gets this long to get back under it before it is closed: upstream's
 * dispatch time budget (time_budget.go maxBudget, 100 ms), the time the cacher waits for a
 * watcher whose input channel is full before closing it. Dispatch never blocks here, so the
 * wait is a timer; meanwhile the watch's events keep being queued, up to {@link HARD_FACTOR}
 * times the bound, where it is closed at once (a burst bigger than that in 100 ms).
 */
const GRACE_MS = 100;
const HARD_FACTOR = 4;
/** Initial events (current state) written per turn of the event loop. */
const INITIAL_BATCH = 500;
/** The first initial events, written while the snapshot is still being taken (the client starts on them). */
const FIRST_BATCH = 100;
/** Bytes per write of initial events: a few TLS records (16 KiB each). */
const CHUNK = 64 * 1024;
/** While writing the initial events, wait for 'drain' once this much is buffered. */
const INITIAL_HIGH_WATER = 4 * 1024 * 1024;

export interface WatchHubOptions {
  /** Interval of bookmarks to idle watchers that allow them (default 1000 ms). */
  bookmarkIntervalMs?: number;
  converter?: Converter;
  /** Bytes a watch may hold for a client that does not read them (default {@link DEFAULT_WATCH_BUFFER_BYTES}). */
  bufferBytes?: number;
  /** Where the notice of a watch closed as unresponsive goes (default stderr). */
  warn?: (message: string) => void;
}

export class WatchHub {
  private readonly byStorage = new Map<string, Set<Watcher>>();
  /** Watchers with pending lines, flushed once the current work is done. */
  private flushing: Watcher[] = [];
  private flushScheduled = false;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly converter?: Converter;
  /** A watch holding more than this many bytes for its client is closed as unresponsive. */
  private readonly maxBuffered: number;
  /** The initial events wait for 'drain' once this much is buffered (below the bound: they alone never trip it). */
  private readonly initialHighWater: number;
  private readonly warn: (message: string) => void;
  /**
   * Watches closed as unresponsive, by `group/resource`: upstream's counter
   * `apiserver_terminated_watchers_total{group,resource}` (cacher/metrics/metrics.go,
   * incremented in cache_watcher.go add). This server has no /metrics endpoint: read here.
   */
  readonly terminated = new Map<string, number>();

  constructor(private readonly store: Store, opts: WatchHubOptions = {}) {
    this.converter = opts.converter;
    const bound = opts.bufferBytes ?? DEFAULT_WATCH_BUFFER_BYTES;
    if (!Number.isFinite(bound) || bound <= 0) throw new Error(`watch buffer bound must be a positive number of bytes, got ${String(opts.bufferBytes)}`);
    this.maxBuffered = bound;
    this.initialHighWater = Math.min(INITIAL_HIGH_WATER, Math.floor(bound / 4));
    this.warn = opts.warn ?? ((m) => process.stderr.write(`kubeloop apiserver: ${m}\n`));
    this.unsubscribe = store.subscribe((c) => this.dispatch(c));
    this.timer = setInterval(() => this.bookmarks(), opts.bookmarkIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Number of open watches (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const s of this.byStorage.values()) n += s.size;
    return n;
  }

  /** Starts a watch on `res` (headers are sent at once). */
  start(req: WatchRequest, res: ServerResponse, contentType = 'application/json'): void {
    res.writeHead(200, { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const w: Watcher = {
      req, res, idle: true, closed: false, pendingBytes: 0, backlogBytes: 0, writing: false, written: () => this.written(w),
      queue: convertsVersions(req.type) && this.converter ? Promise.resolve() : undefined,
    };
    const t = req.type;
    const rv = req.resourceVersion;
    if (req.sendInitialEvents || !rv || rv === '0') {
      const prefix = t.namespaced && req.namespace ? `${req.namespace}/` : '';
      // Snapshot now (stored objects are immutable, so references suffice); stream it
      // below without blocking the server, while changes committed after the snapshot
      // wait in the backlog and follow it in order.
      // The first batch is written as soon as it is complete, before the rest of the scan,
      // so the client starts parsing while the snapshot is still being taken.
      const snapshot: Stored[] = [];
      let sent = 0;
      this.store.forEach(t.storageKey, prefix, '', (_key, s) => {
        if (req.name !== undefined && s.obj.metadata.name !== req.name) return true;
        if (req.match && !req.match(s.obj)) return true;
        snapshot.push(s);
        if (snapshot.length === FIRST_BATCH && sent === 0 && !w.queue) {
          sent = this.writeInitialBatch(w, snapshot, 0);
          // Node's http corks the socket on a response's first write until the next tick,
          // which would hold this batch back until the scan below ends: let it leave now.
          const socket = res.socket;
          while (socket && socket.writableCorked > 0) socket.uncork();
        }
        return true;
      });
      w.backlog = [];
      void this.sendInitial(w, snapshot, sent, this.store.resourceVersion);
    } else {
      const from = Number(rv);
      // A version newer than any this server issued comes from another incarnation (an
      // in-memory server restarted): answer 410 so clients relist instead of trusting a stale cache.
      const history = Number.isFinite(from) && from <= this.store.resourceVersion ? this.store.since(t.storageKey, from) : undefined;
      if (!history) {
        const err = newExpired(`too old resource version: ${rv} (${this.store.resourceVersion})`).status;
        res.end(`{"type":"ERROR","object":${JSON.stringify(err)}}\n`);
        return;
      }
      for (const c of history) this.deliver(w, c);
    }
    let set = this.byStorage.get(t.storageKey);
    if (!set) this.byStorage.set(t.storageKey, (set = new Set()));
    set.add(w);
    const close = () => this.stop(w);
    res.on('close', close);
    res.on('error', close);
    if (req.timeoutSeconds && req.timeoutSeconds > 0) {
      w.timer = setTimeout(() => {
        this.stop(w);
      }, req.timeoutSeconds * 1000);
    }
  }

  /**
   * Writes the initial state batch by batch, yielding to the event loop between batches
   * (and waiting for 'drain' when the client is slower), so the first bytes leave at once
   * and the client parses while the server serializes; a big list no longer stalls the
   * server. Then the bookmark that ends the initial events (at the snapshot's version) and
   * the changes that arrived meanwhile.
   */
  private async sendInitial(w: Watcher, snapshot: Stored[], from: number, snapshotRv: number): Promise<void> {
    const res = w.res;
    for (let i = from; i < snapshot.length && !w.closed; ) {
      if (w.queue) {
        const end = Math.min(snapshot.length, i + INITIAL_BATCH);
        let objs: KubeObject[];
        try {
          objs = await this.converter!.toVersion(w.req.type, snapshot.slice(i, end).map((s) => s.obj));
        } catch (e) {
          return this.fail(w, e);
        }
        if (w.closed) return;
        w.idle = false;
        res.write(objs.map((o) => this.eventText(w.req, 'ADDED', o, JSON.stringify(o))).join(''));
        i = end;
      } else i = this.writeInitialBatch(w, snapshot, i);
      if (res.writableLength > this.initialHighWater) await drained(w);
      else await new Promise<void>((r) => setImmediate(r));
    }
    if (w.closed) return;
    const backlog = w.backlog ?? [];
    w.backlog = undefined;
    w.backlogBytes = 0;
    if (w.req.sendInitialEvents) this.writeBookmark(w, true, snapshotRv);
    for (const line of backlog) this.send(w, line);
  }

  /**
   * Writes up to INITIAL_BATCH initial events from `snapshot[from]`; returns the next index.
   * The lines are encoded straight into buffers of up to {@link CHUNK} bytes (reused once
   * written), each written as soon as it is full: no string of the whole batch, which Node
   * would flatten to measure it for the chunk header and then encode again. The batch stops
   * early once the response holds more than the initial high-water mark, so a client that
   * does not read holds at most that plus one chunk (or one bigger line), whatever the
   * objects' size (as upstream's processInterval hands the client one event at a time).
   */
  private writeInitialBatch(w: Watcher, snapshot: Stored[], from: number): number {
    const end = Math.min(snapshot.length, from + INITIAL_BATCH);
    const r = w.req;
    const res = w.res;
    w.idle = false;
    if (r.table) {
      let chunk = '';
      for (let j = from; j < end; j++) chunk += this.eventText(r, 'ADDED', snapshot[j].obj, snapshot[j].json);
      res.write(chunk);
      return end;
    }
    let buf = chunkBuffer();
    let off = 0;
    for (let j = from; j < end; j++) {
      const json = this.objectJson(r.type, snapshot[j].obj, snapshot[j].json);
      // At most 3 bytes per UTF-16 unit: most lines are known to fit without measuring them.
      const most = ADDED_START.length + 3 * json.length + LINE_END.length;
      if (off + most > CHUNK && off + ADDED_START.length + Buffer.byteLength(json) + LINE_END.length > CHUNK) {
        if (off > 0) {
          writeChunk(res, buf, off);
          off = 0;
          if (res.writableLength > this.initialHighWater) return j; // the client is slower: wait for 'drain'
          buf = chunkBuffer();
        }
        if (most > CHUNK && ADDED_START.length + Buffer.byteLength(json) + LINE_END.length > CHUNK) {
          res.write(eventLine('ADDED', json)); // bigger than a chunk: written on its own
          if (res.writableLength > this.initialHighWater) {
            if (spare.length < SPARE_MAX) spare.push(buf);
            return j + 1;
          }
          continue;
        }
      }
      off += ADDED_START.copy(buf, off);
      off += buf.write(json, off);
      off += LINE_END.copy(buf, off);
    }
    if (off > 0) writeChunk(res, buf, off);
    else if (spare.length < SPARE_MAX) spare.push(buf);
    return end;
  }

  private stop(w: Watcher): void {
    if (w.closed) return;
    this.writePending(w); // events already sent to this watch leave before its end
    this.forget(w);
    if (!w.res.writableEnded) w.res.end();
  }

  /** Marks `w` closed and drops it from the hub (nothing more is written to it). */
  private forget(w: Watcher): void {
    w.closed = true;
    if (w.timer) clearTimeout(w.timer);
    if (w.overTimer) clearTimeout(w.overTimer);
    this.byStorage.get(w.req.type.storageKey)?.delete(w);
    // the initial events' wait for 'drain' ends: their snapshot is no longer held
    w.wake?.();
  }

  /**
   * Closes a watch whose client does not take its events (it holds more than the bound), as
   * kube-apiserver closes a watcher whose input channel stays full (cacher.go dispatchEvent ->
   * cache_watcher.go add: "Forcing <resource> watcher close due to unresponsiveness", logged
   * once per watcher, and `apiserver_terminated_watchers_total` incremented). Its lines are
   * dropped and its connection destroyed, not ended: an end would queue behind the buffered
   * bytes, which a client that never reads keeps in memory as long as its socket lives. The
   * client sees its watch break, and relists or resumes from its last resourceVersion.
   */
  private terminate(w: Watcher): void {
    if (w.closed) return;
    const res = w.res;
    const t = w.req.type;
    const gr = t.group ? `${t.resource}.${t.group}` : t.resource; // as schema.GroupResource prints
    const key = `${t.group}/${t.resource}`;
    this.terminated.set(key, (this.terminated.get(key) ?? 0) + 1);
    const scope = `namespace: ${JSON.stringify(w.req.namespace ?? '')}, name: ${JSON.stringify(w.req.name ?? '')}`;
    this.warn(`Forcing ${gr} watcher close due to unresponsiveness: ${scope}. buffered = ${held(w)} bytes (bound ${this.maxBuffered})`);
    w.pending = undefined;
    w.pendingBytes = 0;
    w.backlog = undefined;
    w.backlogBytes = 0;
    this.forget(w);
    res.destroy();
  }

  /**
   * `w` holds more than its bound: closed at once beyond {@link HARD_FACTOR} times the bound,
   * else unless it is back under the bound after {@link GRACE_MS} (the client took enough).
   */
  private over(w: Watcher): void {
    if (w.closed) return;
    if (held(w) > HARD_FACTOR * this.maxBuffered) return this.terminate(w);
    if (w.overTimer) return;
    w.overTimer = setTimeout(() => {
      w.overTimer = undefined;
      if (!w.closed && held(w) > this.maxBuffered) this.terminate(w);
    }, GRACE_MS);
  }

  private dispatch(c: Change): void {
    const set = this.byStorage.get(c.storageKey);
    if (!set || set.size === 0) return;
    const lines: EncodedLines = {};
    for (const w of set) this.deliver(w, c, lines);
  }

  /** Sends change `c` to watcher `w` if it wants it; `cache` shares the encoded lines between the watchers of one change. */
  private deliver(w: Watcher, c: Change, cache?: EncodedLines): void {
    const r = w.req;
    const obj = c.object;
    if (r.namespace && r.type.namespaced && obj.metadata.namespace !== r.namespace) return;
    if (r.name !== undefined && obj.metadata.name !== r.name) return;
    let type: string = c.type;
    if (r.match) {
      const now = r.match(obj);
      if (c.type === 'MODIFIED') {
        const before = c.old ? r.match(c.old) : false;
        if (now && !before) type = 'ADDED';
        else if (!now && before) type = 'DELETED';
        else if (!now) return;
      } else if (!now) return;
    }
    if (w.queue) {
      this.enqueue(w, async () => {
        const [converted] = await this.converter!.toVersion(r.type, [obj]);
        return this.eventText(r, type, converted, converted === obj ? c.json : JSON.stringify(converted));
      });
    } else if (cache && !r.table) {
      const line = (cache[type as keyof EncodedLines] ??= eventLine(type, this.objectJson(r.type, obj, c.json)));
      this.send(w, line);
    } else this.send(w, this.eventText(r, type, obj, c.json));
  }

  /** The object's JSON as this watch serves it (its apiVersion is the resource's). */
  private objectJson(t: ResourceType, obj: KubeObject, json: string): string {
    const av = apiVersionOf(t);
    return obj.apiVersion === av ? json : JSON.stringify({ ...obj, apiVersion: av });
  }

  /** One event line for this watch, as text: the object itself, or a one-row Table in table mode. */
  private eventText(r: WatchRequest, type: string, obj: KubeObject, json: string): string {
    if (r.table) {
      const table = toTable(r.type, [obj], { includeObject: r.table.includeObject, resourceVersion: obj.metadata.resourceVersion });
      return eventLine(type, JSON.stringify(table));
    }
    return eventLine(type, this.objectJson(r.type, obj, json));
  }

  /**
   * Queues a line for `w`. The lines queued while the server runs one piece of work (a
   * request's handler with the promises it chains, a commit of the log) go out as one TLS
   * record and one syscall once it is done (process.nextTick), and no later: not after the
   * other requests of the same loop iteration (setImmediate), which under churn would hold
   * an event back behind every one of them. Upstream flushes a watch's stream when its
   * result channel is empty (`if len(ch) == 0 { flusher.Flush() }` in
   * staging/src/k8s.io/apiserver/pkg/endpoints/handlers/watch.go): the same "write what is
   * ready, then flush". One tick serves every watcher.
   */
  private send(w: Watcher, line: string): void {
    if (w.closed) return;
    if (w.backlog) {
      w.backlog.push(line);
      w.backlogBytes += line.length;
      if (w.backlogBytes + w.res.writableLength > this.maxBuffered) this.over(w);
      return;
    }
    w.idle = false;
    const p = w.pending;
    if (p === undefined) {
      w.pending = line;
      // (while a write is on its way, `written` writes the line when it arrived)
      if (!w.writing) {
        this.flushing.push(w);
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          process.nextTick(this.flush);
        }
      }
    } else if (Array.isArray(p)) p.push(line);
    else w.pending = [p, line];
    w.pendingBytes += line.length;
    if (w.pendingBytes + w.res.writableLength > this.maxBuffered) this.over(w);
  }

  // Bound once: no closure per flush.
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const ws = this.flushing;
    this.flushing = [];
    for (const w of ws) {
      this.writePending(w);
      if (w.res.writableLength > this.maxBuffered) this.over(w);
    }
  };

  /**
   * Writes `w`'s pending lines as one chunk. Lines that come while it is on its way to the
   * socket (a TLS write completes on a later turn of the event loop; under a stream of changes
   * nearly every line found the previous one still going) wait in `pending` and follow it
   * together once it arrived, instead of each being queued behind it as a chunk of its own:
   * they leave at the same moment either way, as upstream's watch writes what is ready and then
   * flushes (one chunk per flush).
   */
  private writePending(w: Watcher): void {
    const p = w.pending;
    if (p === undefined) return;
    w.pending = undefined;
    w.pendingBytes = 0;
    const res = w.res;
    if (w.closed || res.writableEnded || res.destroyed) return;
    w.writing = true;
    writeLines(res, typeof p === 'string' ? [p] : p, w.written);
  }

  /** `w`'s last write reached the socket: what came meanwhile follows it. */
  private written(w: Watcher): void {
    w.writing = false;
    if (w.pending === undefined || w.closed) return;
    this.writePending(w);
    if (w.res.writableLength > this.maxBuffered) this.over(w);
  }

  private writeBookmark(w: Watcher, initialEnd = false, rv = this.store.resourceVersion): void {
    const t = w.req.type;
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (initialEnd) metadata.annotations = { [INITIAL_EVENTS_END_ANNOTATION]: 'true' };
    const line = eventLine('BOOKMARK', JSON.stringify({ kind: t.kind, apiVersion: apiVersionOf(t), metadata }));
    // The end of the initial events goes out at once: ahead of the held changes, as their order requires.
    if (w.queue && !initialEnd) this.enqueue(w, async () => line);
    else this.send(w, line);
  }

  /** Queues an event whose line needs a conversion first; lines leave in queue order. */
  private enqueue(w: Watcher, line: () => Promise<string>): void {
    w.queue = w.queue!.then(async () => {
      if (w.closed) return;
      try {
        this.send(w, await line());
      } catch (e) {
        this.fail(w, e);
      }
    });
  }

  /** Ends a watch with an ERROR event carrying the failure's Status (a failed conversion). */
  private fail(w: Watcher, e: unknown): void {
    if (w.closed) return;
    const status = e instanceof StatusError ? e.status : newInternalError(e).status;
    const line = `{"type":"ERROR","object":${JSON.stringify(status)}}\n`;
    w.backlog = undefined;
    this.writePending(w);
    if (!w.res.writableEnded) w.res.write(line);
    this.stop(w);
  }

  private bookmarks(): void {
    for (const set of this.byStorage.values()) {
      for (const w of set) {
        if (w.req.allowBookmarks && w.idle) this.writeBookmark(w);
        w.idle = true;
      }
    }
  }

  /** Ends every watch (server shutdown). */
  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
    for (const set of this.byStorage.values()) for (const w of [...set]) this.stop(w);
  }
}

/** What `w` holds for its client: lines not written yet, and bytes its response and socket did not hand to the kernel. */
function held(w: Watcher): number {
  return w.res.writableLength + w.pendingBytes + w.backlogBytes;
}

/** A change's event lines by event type, made once for all the watchers that get the same line. */
type EncodedLines = { ADDED?: string; MODIFIED?: string; DELETED?: string };

/**
 * `{"type":"<type>","object":<json>}\n`. Kept as text until it is written: lines are encoded
 * straight into the watch's chunk buffers (writeLines), no buffer per line or per batch.
 */
function eventLine(type: string, json: string): string {
  return `{"type":"${type}","object":${json}}\n`;
}

/**
 * Writes event lines encoded into reused chunk buffers of up to {@link CHUNK} bytes (a line
 * bigger than that on its own); `done` once the last write reached the socket. A Buffer per
 * line and one joining them were external memory, which V8 answers with extra GCs.
 */
function writeLines(res: ServerResponse, lines: readonly string[], done: () => void): void {
  let buf = chunkBuffer();
  let off = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    // at most 3 bytes per UTF-16 unit: most lines are known to fit without measuring them
    if (off + 3 * line.length > CHUNK) {
      const len = Buffer.byteLength(line);
      if (off + len > CHUNK) {
        if (off > 0) {
          writeChunk(res, buf, off);
          buf = chunkBuffer();
          off = 0;
        }
        if (len > CHUNK) {
          res.write(line, i === lines.length - 1 ? done : undefined);
          continue;
        }
      }
    }
    off += buf.write(line, off);
  }
  if (off === 0) {
    if (spare.length < SPARE_MAX) spare.push(buf);
    return;
  }
  writeChunk(res, buf, off, done);
}

const LINE_END = Buffer.from('}\n');
const ADDED_START = Buffer.from('{"type":"ADDED","object":');

/**
 * Chunk buffers whose write completed, for the next chunks: a fresh 64 KiB buffer per chunk is
 * external memory V8 answers with young-generation GCs (as in http/joined-body.ts).
 */
const spare: Buffer[] = [];
const SPARE_MAX = 16;

function chunkBuffer(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafe(CHUNK);
}

/**
 * Writes the first `len` bytes of `buf`; the buffer is reused once the write completed (never
 * after a failed one), and `done` runs then.
 */
function writeChunk(res: ServerResponse, buf: Buffer, len: number, done?: () => void): void {
  res.write(len === buf.length ? buf : buf.subarray(0, len), (err) => {
    if (!err && spare.length < SPARE_MAX) spare.push(buf);
    done?.();
  });
}

/**
 * Resolves on 'drain', when the response closes or fails, or when the watch stops (the caller
 * checks `closed`): a watch that ended while its client was not reading holds no snapshot.
 */
function drained(w: Watcher): Promise<void> {
  const res = w.res;
  return new Promise((resolve) => {
    const done = () => {
      w.wake = undefined;
      res.off('drain', done);
      res.off('close', done);
      res.off('error', done);
      resolve();
    };
    w.wake = done;
    res.on('drain', done);
    res.on('close', done);
    res.on('error', done);
  });
}
