/**
 * Kubernetes Events, transport-independent: an `EventRecorder` that controllers
 * call, and an `EventBroadcaster` that correlates repeats (client-go's
 * EventCorrelator: dedup into one core/v1 Event with a growing `count`,
 * aggregation of similar events, a per-object spam filter) and writes them to an
 * `EventSink` — a Kubernetes client in production, memory in tests.
 *
 * Recording never blocks and never throws: events go into a bounded queue that
 * one background loop drains; write errors are logged, retried when they look
 * transient (no Status from the server), and then dropped.
 */
import { format } from 'node:util';
import { isAlreadyExists, isNotFound, rfc3339, statusOf } from '../api/index.js';
import type { Logger } from './logging.js';
import { silentLogger } from './logging.js';

export type EventType = 'Normal' | 'Warning';

/** core/v1 ObjectReference: what an event is about. */
export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface EventSource {
  /** Who reports, e.g. the controller name. */
  component: string;
  /** Where it runs (pod or host name). Default: none. */
  host?: string;
}

/** A core/v1 Event. */
export interface CoreEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string>; [k: string]: unknown };
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  type: EventType;
  source: EventSource;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  reportingComponent: string;
  reportingInstance: string;
  [k: string]: unknown;
}

/** The fields an update of a repeated event changes (a merge patch). */
export interface EventPatch {
  count: number;
  lastTimestamp: string;
  message: string;
}

/** Where events are written. Errors carrying a Kubernetes Status are not retried. */
export interface EventSink {
  create(namespace: string, event: CoreEvent): Promise<CoreEvent>;
  patch(namespace: string, name: string, patch: EventPatch): Promise<CoreEvent>;
}

/**
 * What controllers use (controller-runtime's record.EventRecorder) — the one recorder type of
 * kubeloop: `ctx.recorder`, an injected `EventRecorder` constructor parameter (an abstract class,
 * unlike an interface, exists at run time, so decorator metadata can name it) and the
 * broadcaster's recorders are all this.
 */
export abstract class EventRecorder {
  /** Records an event about `object` (a Kubernetes object or an ObjectReference). Returns at once. */
  abstract record(object: RecordableObject, type: EventType, reason: string, message: string): void;
  /** Like `record`, with a printf-style message (`%s`, `%d`, `%j`, ...). */
  recordf(object: RecordableObject, type: EventType, reason: string, messageFormat: string, ...args: unknown[]): void {
    this.record(object, type, reason, format(messageFormat, ...args));
  }
  /** Like `record`, with annotations on the Event object (client-go's AnnotatedEventf). */
  abstract recordAnnotated(object: RecordableObject, annotations: Record<string, string>, type: EventType, reason: string, message: string): void;
  /** Same as `record` (controller-runtime's `Event`). */
  event(object: RecordableObject, type: EventType, reason: string, message: string): void {
    this.record(object, type, reason, message);
  }
}

/** An EventRecorder from a function that records (a message and optional annotations). */
class FunctionRecorder extends EventRecorder {
  constructor(private readonly write: (object: RecordableObject, type: EventType, reason: string, message: string, annotations?: Record<string, string>) => void) {
    super();
  }
  record(object: RecordableObject, type: EventType, reason: string, message: string): void {
    this.write(object, type, reason, message);
  }
  recordAnnotated(object: RecordableObject, annotations: Record<string, string>, type: EventType, reason: string, message: string): void {
    this.write(object, type, reason, message, annotations);
  }
}

/** A Kubernetes object (`apiVersion`, `kind`, `metadata`) or a reference to one. */
export type RecordableObject =
  | { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string } }
  | ObjectReference;

// ---------------------------------------------------------------------------
// Correlation (pure, synchronous, clock-driven)

/** An entry of {@link Lru}: its place in the recency list. */
interface LruEntry<V> {
  key: string;
  value: V;
  /** Less recently used neighbour (toward the oldest). */
  older: LruEntry<V> | undefined;
  /** More recently used neighbour (toward the newest). */
  newer: LruEntry<V> | undefined;
}

/**
 * A small LRU map: the least recently used key is evicted beyond `size`. The entries are a
 * doubly linked list from oldest to newest beside the Map: using an entry moves it to the newest
 * end and an eviction takes the oldest, without touching the Map. (Deleting and re-inserting a
 * key to mark it used left a deleted slot in the Map each time, which the eviction's
 * `keys().next()` walked over until the next rehash: with a new key per event, as a scheduler's
 * `Scheduled` events are, most of a correlation's time.)
 */
class Lru<V> {
  private readonly map = new Map<string, LruEntry<V>>();
  private oldest: LruEntry<V> | undefined;
  private newest: LruEntry<V> | undefined;
  constructor(private readonly size: number) {}
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    this.touch(e);
    return e.value;
  }
  set(key: string, value: V): void {
    const e = this.map.get(key);
    if (e !== undefined) {
      e.value = value;
      this.touch(e);
      return;
    }
    const added: LruEntry<V> = { key, value, older: this.newest, newer: undefined };
    if (this.newest) this.newest.newer = added;
    else this.oldest = added;
    this.newest = added;
    this.map.set(key, added);
    if (this.map.size > this.size) {
      const gone = this.oldest!;
      this.oldest = gone.newer;
      this.oldest!.older = undefined;
      this.map.delete(gone.key);
    }
  }
  /** Moves `e` to the newest end. */
  private touch(e: LruEntry<V>): void {
    if (e === this.newest) return;
    // unlink (e has a newer neighbour: it is not the newest)
    e.newer!.older = e.older;
    if (e.older) e.older.newer = e.newer;
    else this.oldest = e.newer;
    e.older = this.newest;
    e.newer = undefined;
    this.newest!.newer = e;
    this.newest = e;
  }
}

const SEP = '\u0000';

/**
 * The source and object part of the keys below: `[component, host, kind, namespace, name, uid,
 * apiVersion].join(SEP)` (a missing field as the empty string), built by concatenation: no
 * array per key, and one prefix for the three keys of an event.
 */
function objectPart(e: CoreEvent): string {
  const o = e.involvedObject;
  return `${e.source.component}${SEP}${e.source.host ?? ''}${SEP}${o.kind ?? ''}${SEP}${o.namespace ?? ''}${SEP}${o.name ?? ''}`;
}

/** Identity of an exact repeat: source, object, type, reason and message. */
export function eventKey(e: CoreEvent, part = objectPart(e)): string {
  const o = e.involvedObject;
  return `${part}${SEP}${o.fieldPath ?? ''}${SEP}${o.uid ?? ''}${SEP}${o.apiVersion ?? ''}${SEP}${e.type}${SEP}${e.reason}${SEP}${e.message}`;
}

function spamKey(e: CoreEvent, part = objectPart(e)): string {
  const o = e.involvedObject;
  return `${part}${SEP}${o.uid ?? ''}${SEP}${o.apiVersion ?? ''}`;
}

/** Events that differ only by message aggregate together. */
function aggregateKey(e: CoreEvent, part = objectPart(e)): string {
  return `${spamKey(e, part)}${SEP}${e.type}${SEP}${e.reason}${SEP}${e.reportingComponent}${SEP}${e.reportingInstance}`;
}

export interface CorrelatorOptions {
  /** Distinct messages for one (object, reason) within the interval before they are combined. Default: 10. */
  maxEvents?: number;
  /** Window of the aggregation, seconds. Default: 600. */
  maxIntervalSeconds?: number;
  /** Throttle events per source+object with a token bucket. Default: true. */
  spamFilter?: boolean;
  /** Events a source may emit about one object in a burst. Default: 25. */
  spamBurst?: number;
  /** Refill of that bucket, events per second. Default: 1/300 (one every 5 min). */
  spamQps?: number;
  /** Entries kept in each cache. Default: 4096. */
  cacheSize?: number;
  /** Wall clock. Default: `() => new Date()`. */
  now?: () => Date;
}

export interface CorrelateResult {
  /** The event to write (possibly an aggregate, with count/name from earlier observations). */
  event: CoreEvent;
  /** Set when an existing event must be patched instead of created. */
  patch?: EventPatch;
  /** Cache key to update with the server's answer. */
  key: string;
  /** True when the spam filter dropped the event. */
  skip: boolean;
}

interface Observation {
  count: number;
  firstTimestamp: string;
  name: string;
  resourceVersion?: string;
}

/** client-go's EventCorrelator: aggregate, count repeats, filter spam. */
export class EventCorrelator {
  private readonly maxEvents: number;
  private readonly maxIntervalMs: number;
  private readonly spamFilter: boolean;
  private readonly spamBurst: number;
  private readonly spamQps: number;
  private readonly now: () => Date;
  private readonly aggregates: Lru<{ localKeys: Set<string>; last: number }>;
  private readonly observations: Lru<Observation>;
  private readonly buckets: Lru<{ tokens: number; last: number }>;

  constructor(options: CorrelatorOptions = {}) {
    this.maxEvents = options.maxEvents ?? 10;
    this.maxIntervalMs = (options.maxIntervalSeconds ?? 600) * 1000;
    this.spamFilter = options.spamFilter ?? true;
    this.spamBurst = options.spamBurst ?? 25;
    this.spamQps = options.spamQps ?? 1 / 300;
    this.now = options.now ?? (() => new Date());
    const size = options.cacheSize ?? 4096;
    this.aggregates = new Lru(size);
    this.observations = new Lru(size);
    this.buckets = new Lru(size);
  }

  correlate(input: CoreEvent): CorrelateResult {
    // (an aggregate keeps the input's source and object: one object part for all three keys)
    const part = objectPart(input);
    const { event: aggregated, key } = this.aggregate(input, part);
    const { event, patch } = this.observe(aggregated, key);
    if (this.spamFilter && !this.tryAccept(spamKey(event, part))) return { event, key, skip: true };
    return { event, patch, key, skip: false };
  }

  /** Records what the server returned (name, resourceVersion, count) for later patches. */
  updateState(key: string, stored: CoreEvent): void {
    this.observations.set(key, {
      count: stored.count,
      firstTimestamp: stored.firstTimestamp,
      name: stored.metadata.name,
      resourceVersion: stored.metadata.resourceVersion,
    });
  }

  private aggregate(e: CoreEvent, part: string): { event: CoreEvent; key: string } {
    const nowDate = this.now();
    const now = nowDate.getTime();
    const aKey = aggregateKey(e, part);
    let rec = this.aggregates.get(aKey);
    if (!rec || now - rec.last > this.maxIntervalMs) rec = { localKeys: new Set(), last: 0 };
    rec.localKeys.add(e.message);
    rec.last = now;
    this.aggregates.set(aKey, rec);
    if (rec.localKeys.size < this.maxEvents) return { event: e, key: eventKey(e, part) };
    // Do not let the set grow past the threshold.
    rec.localKeys.delete(rec.localKeys.values().next().value as string);
    const ts = rfc3339(nowDate);
    return {
      key: aKey,
      event: {
        ...e,
        metadata: { name: `${e.involvedObject.name}.${unixNanosHex(nowDate)}`, namespace: e.metadata.namespace },
        count: 1,
        firstTimestamp: ts,
        lastTimestamp: ts,
        message: `(combined from similar events): ${e.message}`,
      },
    };
  }

  private observe(e: CoreEvent, key: string): { event: CoreEvent; patch?: EventPatch } {
    const last = this.observations.get(key);
    let event = e;
    let patch: EventPatch | undefined;
    if (last && last.count > 0) {
      event = {
        ...e,
        metadata: { ...e.metadata, name: last.name, ...(last.resourceVersion ? { resourceVersion: last.resourceVersion } : {}) },
        firstTimestamp: last.firstTimestamp,
        count: last.count + 1,
      };
      patch = { count: event.count, lastTimestamp: event.lastTimestamp, message: event.message };
    }
    this.observations.set(key, { count: event.count, firstTimestamp: event.firstTimestamp, name: event.metadata.name, resourceVersion: event.metadata.resourceVersion });
    return { event, patch };
  }

  /** Token bucket per source+object (starts full), like client-go's spam filter. */
  private tryAccept(key: string): boolean {
    const now = this.now().getTime();
    let b = this.buckets.get(key);
    if (!b) b = { tokens: this.spamBurst, last: now };
    b.tokens = Math.min(this.spamBurst, b.tokens + ((now - b.last) / 1000) * this.spamQps);
    b.last = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    return ok;
  }
}

// ---------------------------------------------------------------------------
// Naming and building events

let lastNanos = 0n;
/** Unix time in nanoseconds as hex, strictly increasing within the process (event names must not collide). */
function unixNanosHex(date: Date): string {
  let n = BigInt(date.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  if (n <= lastNanos) n = lastNanos + 1n;
  lastNanos = n;
  return n.toString(16);
}

/**
 * Finds `apiVersion`/`kind` of an object that lacks them (objects decoded by a typed
 * client often do), e.g. from the class of a typed object or a REST mapper.
 */
export type KindResolver = (object: RecordableObject) => { apiVersion: string; kind: string } | undefined;

/** The ObjectReference of a Kubernetes object (or the reference itself). Throws when kind or name is missing. */
export function objectReference(object: RecordableObject, resolveKind?: KindResolver): ObjectReference {
  let o = object as { apiVersion?: string; kind?: string; metadata?: Record<string, unknown> } & ObjectReference;
  if (o && (!o.kind || !o.apiVersion) && resolveKind) {
    const gvk = resolveKind(object);
    if (gvk) o = { ...o, kind: o.kind || gvk.kind, apiVersion: o.apiVersion || gvk.apiVersion };
  }
  const m = o.metadata;
  const kind = o.kind;
  const name = (m ? m.name : o.name) as string | undefined;
  if (!kind) throw new Error('cannot record an event about an object without kind');
  if (!name) throw new Error(`cannot record an event about a ${kind} without a name`);
  // only the fields that are set, in this order (no `delete`: it would turn the object into a dictionary)
  const ref: ObjectReference = { kind };
  const namespace = (m ? m.namespace : o.namespace) as string | undefined;
  if (namespace) ref.namespace = namespace;
  ref.name = name;
  const uid = (m ? m.uid : o.uid) as string | undefined;
  if (uid) ref.uid = uid;
  if (o.apiVersion) ref.apiVersion = o.apiVersion;
  const resourceVersion = (m ? m.resourceVersion : o.resourceVersion) as string | undefined;
  if (resourceVersion) ref.resourceVersion = resourceVersion;
  if (!m && o.fieldPath) ref.fieldPath = o.fieldPath;
  return ref;
}

/** A new core/v1 Event (count 1), named `<object name>.<hex unix nanos>` like client-go. */
export function makeEvent(
  ref: ObjectReference,
  type: EventType,
  reason: string,
  message: string,
  source: EventSource,
  now: Date = new Date(),
  annotations?: Record<string, string>,
): CoreEvent {
  const ts = rfc3339(now);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${ref.name}.${unixNanosHex(now)}`,
      namespace: ref.namespace || 'default',
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
    },
    involvedObject: ref,
    reason,
    message,
    type,
    source: source.host ? { component: source.component, host: source.host } : { component: source.component },
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
    reportingComponent: source.component,
    reportingInstance: source.host ?? '',
  };
}

// ---------------------------------------------------------------------------
// Broadcasting to a sink

export interface EventBroadcasterOptions extends CorrelatorOptions {
  /** Where events are written. */
  sink: EventSink;
  /** Where write failures and dropped events are reported. Default: a silent logger. */
  logger?: Logger;
  /** Events waiting to be written; beyond it new events are dropped. Default: 1000. */
  maxQueued?: number;
  /** Attempts per event for transient (non-Status) errors. Default: 12. */
  maxTries?: number;
  /** Pause between attempts, ms (the first one is randomized). Default: 10000. */
  retryDelayMs?: number;
  /** Fills in apiVersion/kind for objects recorded without them. Default: none (such events are dropped with an error log). */
  resolveKind?: KindResolver;
  /**
   * Events written at once. Default 1: one after the other, as client-go's tools/record (core/v1
   * Events, what controller-runtime records through: its sink watcher calls recordToSink for one
   * event at a time, staging/src/k8s.io/client-go/tools/record/event.go StartRecordingToSink).
   * client-go's tools/events (events.k8s.io/v1, kube-scheduler's recorder since 1.19) writes each
   * event from a goroutine of its own as soon as it is recorded (tools/events/event_broadcaster.go
   * recordToSink: `go func() { ... e.attemptRecording(ctx, evToRecord) }()`), bounded only by the
   * client's rate limiter; over HTTP/1.1 a write in flight holds a connection, so this bounds it.
   * Events are still correlated in the order they were recorded.
   */
  concurrency?: number;
}

interface Pending {
  event: CoreEvent;
}

export class EventBroadcaster {
  readonly correlator: EventCorrelator;
  private readonly sink: EventSink;
  private readonly logger: Logger;
  private readonly maxQueued: number;
  private readonly maxTries: number;
  private readonly retryDelayMs: number;
  private readonly now: () => Date;
  private readonly resolveKind: KindResolver | undefined;
  private readonly concurrency: number;
  private queue: Pending[] = [];
  private head = 0;
  /** Writers draining the queue (at most `concurrency`). */
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  /** The retry pauses under way (one per writer at most), each cut short by shutdown(). */
  private readonly sleeping = new Set<{ timer: ReturnType<typeof setTimeout>; wake: () => void }>();
  /** Events dropped because the queue was full or the broadcaster stopped. */
  dropped = 0;

  constructor(options: EventBroadcasterOptions) {
    if (!options?.sink) throw new Error('EventBroadcaster needs a sink');
    this.sink = options.sink;
    this.correlator = new EventCorrelator(options);
    this.logger = options.logger ?? silentLogger();
    this.maxQueued = options.maxQueued ?? 1000;
    this.maxTries = options.maxTries ?? 12;
    this.retryDelayMs = options.retryDelayMs ?? 10_000;
    this.now = options.now ?? (() => new Date());
    this.resolveKind = options.resolveKind;
    const c = options.concurrency ?? 1;
    if (!Number.isInteger(c) || c < 1) throw new Error(`EventBroadcaster concurrency must be a positive integer, got ${String(options.concurrency)}`);
    this.concurrency = c;
  }

  /** A recorder that reports as `source` (component = controller name, host = pod name). */
  recorder(source: EventSource | string): EventRecorder {
    const src: EventSource = typeof source === 'string' ? { component: source } : source;
    if (!src.component) throw new Error('an event source needs a component name');
    const record = (object: RecordableObject, type: EventType, reason: string, message: string, annotations?: Record<string, string>) => {
      try {
        if (type !== 'Normal' && type !== 'Warning') throw new Error(`unsupported event type "${String(type)}" (use Normal or Warning)`);
        const ref = objectReference(object, this.resolveKind);
        this.logger.debug({ object: ref, type, reason }, message);
        // a full queue drops the event before it is built (a burst may drop thousands)
        if (this.refuses(reason, ref)) return;
        this.enqueue(makeEvent(ref, type, reason, message, src, this.now(), annotations));
      } catch (err) {
        this.logger.error({ err, reason }, 'dropping event');
      }
    };
    return new FunctionRecorder(record);
  }

  /** Resolves when every queued event has been written (or given up on). */
  flush(): Promise<void> {
    if (this.active === 0 && this.head >= this.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting events; writes what is queued unless `drop` is set, then resolves. */
  async shutdown(options: { drop?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (options.drop) {
      this.dropped += this.queue.length - this.head;
      this.queue = [];
      this.head = 0;
    }
    // Cut every retry pause short: no more waiting once stopped.
    for (const s of this.sleeping) {
      clearTimeout(s.timer);
      s.wake();
    }
    this.sleeping.clear();
    await this.flush();
  }

  /** Events queued and not yet written. */
  pending(): number {
    return this.queue.length - this.head;
  }

  /**
   * Counts and logs an event that cannot be queued: the broadcaster stopped, or `maxQueued`
   * events wait already. client-go bounds its queues at 1000 events and drops beyond, too:
   * tools/record (core/v1 Events, what controller-runtime records through) drops at its
   * watcher's channel of 1000 (watch.NewLongQueueBroadcaster(maxQueuedEvents,
   * DropIfChannelFull)), without a log; tools/events (events.k8s.io, kube-scheduler's) drops
   * at its eventQueue of 1000 with the error "Unable to record event: too many queued events,
   * dropped event" (event_broadcaster.go recordToSink), as its recorder does when its incoming
   * channel is full (event_recorder.go, ActionOrDrop). This logs that error, once per event.
   */
  private refuses(reason: string, object: ObjectReference): boolean {
    if (!this.stopped && this.pending() < this.maxQueued) return false;
    this.dropped++;
    if (this.stopped) this.logger.warn({ reason, object }, 'event broadcaster stopped; dropping event');
    else this.logger.error({ reason, object }, 'Unable to record event: too many queued events, dropped event');
    return true;
  }

  private enqueue(event: CoreEvent): void {
    this.queue.push({ event });
    // one more writer while fewer than `concurrency` run (each takes the next queued event)
    if (this.active < this.concurrency) {
      this.active++;
      // Start writing on a later microtask: nothing of the sink runs on the caller's stack.
      queueMicrotask(this.pump);
    }
  }

  // Bound once: no closure per writer started.
  private readonly pump = async (): Promise<void> => {
    try {
      while (this.head < this.queue.length) {
        const p = this.queue[this.head];
        this.queue[this.head++] = undefined as unknown as Pending;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        await this.write(p.event);
      }
    } finally {
      // the last writer to finish wakes flush(): every event written or given up on
      if (--this.active === 0) {
        const ws = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of ws) w();
      }
    }
  };

  private async write(input: CoreEvent): Promise<void> {
    let result: CorrelateResult;
    try {
      result = this.correlator.correlate(input);
    } catch (err) {
      this.logger.error({ err }, 'event correlation failed; dropping event');
      return;
    }
    if (result.skip) {
      this.logger.debug({ reason: input.reason, object: input.involvedObject }, 'event throttled by the spam filter');
      return;
    }
    for (let tries = 1; ; tries++) {
      const outcome = await this.attempt(result);
      if (outcome !== 'retry') return;
      if (tries >= this.maxTries || this.stopped) {
        this.logger.error({ reason: result.event.reason, object: result.event.involvedObject, tries }, 'unable to write event (retry limit exceeded)');
        return;
      }
      await this.sleep(tries === 1 ? Math.random() * this.retryDelayMs : this.retryDelayMs);
    }
  }

  private async attempt(result: CorrelateResult): Promise<'done' | 'retry'> {
    const { event, patch } = result;
    const ns = event.metadata.namespace;
    try {
      let stored: CoreEvent | undefined;
      if (patch && event.count > 1) {
        try {
          stored = await this.sink.patch(ns, event.metadata.name, patch);
        } catch (err) {
          // The event may have been deleted (TTL): create it afresh.
          if (!isNotFound(err)) throw err;
        }
      }
      if (!stored) {
        const { resourceVersion: _rv, ...metadata } = event.metadata;
        stored = await this.sink.create(ns, { ...event, metadata });
      }
      this.correlator.updateState(result.key, stored && stored.metadata ? stored : event);
      return 'done';
    } catch (err) {
      if (statusOf(err)) {
        // The server answered: the request itself is bad; retrying will not help.
        if (isAlreadyExists(err)) this.logger.debug({ err, event: event.metadata.name }, 'event already exists; dropping');
        else this.logger.error({ err, event: event.metadata.name, reason: event.reason }, 'server rejected event; dropping');
        return 'done';
      }
      this.logger.error({ err, event: event.metadata.name }, 'unable to write event (may retry after sleeping)');
      return 'retry';
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const s = {
        wake: resolve,
        timer: setTimeout(() => {
          this.sleeping.delete(s);
          resolve();
        }, ms),
      };
      this.sleeping.add(s);
    });
  }
}

/** A recorder that drops everything (for code paths without an API server). */
export const noopEventRecorder: EventRecorder = new FunctionRecorder(() => undefined);
