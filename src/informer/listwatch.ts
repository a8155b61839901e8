/**
 * `listWatch`: the effectful driver of the state machine in machine.ts, as a COLD
 * Observable. Each subscription runs its own list+watch loop; it never completes or
 * errors because of the server (errors are retried with backoff and reported through
 * `onStatus`), and unsubscribing aborts the open request and clears every timer.
 */
import { Observable, type Subscriber } from '../rx/index.js';
import { INITIAL_EVENTS_END_ANNOTATION, objectKey, statusOf, type GroupVersionKind, type KubeList, type KubeObject, type WatchEvent } from '../api/index.js';
import type { KindRef, KubeClient } from '../client/index.js';
import {
  defaultBackoff,
  entryEffect,
  initialState,
  transition,
  type BackoffConfig,
  type Effect,
  type Env,
  type Input,
  type MachineConfig,
  type State,
  type StreamingPolicy,
} from './machine.js';

/**
 * What a list-watch emits. `LIST` is an atomic full replace (after the first list and
 * after every relist); the reflector diffs it against its cache. The first `LIST` means
 * "synced".
 */
export type ListWatchEvent<T = KubeObject> =
  | { readonly type: 'LIST'; readonly items: T[]; readonly resourceVersion: string }
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: T }
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: string };

export interface ListWatchOptions {
  kind: KindRef;
  /** Omitted = all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of paged lists. Default 500. */
  pageSize?: number;
  /** Server-side timeout of each watch, s. Default: random in [300, 600) (client-go's 5-10 min). */
  watchTimeoutSeconds?: number | (() => number);
  /**
   * Reconnect when a stream carries no byte (events or bookmarks) for this long, ms.
   * Default 300 000 (5x the ~60 s bookmark interval of kube-apiserver).
   */
  idleTimeoutMs?: number;
  /** Backoff on errors (full jitter). Defaults: 800 ms -> 30 s, x2, reset after 2 min. */
  backoff?: Partial<BackoffConfig>;
  /**
   * Streaming lists (`sendInitialEvents=true`): `auto` tries them and falls back to paged
   * lists on 400/422; `always` never falls back; `never` always pages. Default `auto`.
   */
  streamingList?: StreamingPolicy;
  /** Observes every state change and failure (logging, metrics). */
  onStatus?: (s: { state: State; input: Input; effect: Effect }) => void;
  /** For tests: the clock and the random source. */
  env?: { now?: () => number; random?: () => number };
}

export function listWatch<T extends KubeObject = KubeObject>(client: KubeClient, opts: ListWatchOptions): Observable<ListWatchEvent<T>> {
  return new Observable<ListWatchEvent<T>>((subscriber) => {
    const driver = new Driver<T>(client, opts, subscriber);
    driver.start();
    return () => driver.stop();
  });
}

class Driver<T extends KubeObject> {
  private cfg: MachineConfig;
  private state: State;
  private stopped = false;
  /** Bumped for every operation, so callbacks of a cancelled one are ignored. */
  private op = 0;
  private abort?: AbortController;
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly random: () => number;
  /** What the machine sees of time and chance; the clock is read only when a transition asks. */
  private readonly env: Env;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: ListWatchOptions,
    private readonly out: Subscriber<ListWatchEvent<T>>,
  ) {
    this.cfg = {
      backoff: { ...defaultBackoff, ...stripUndefined(opts.backoff ?? {}) },
      streaming: opts.streamingList ?? 'auto',
      minWatchMs: 1000,
    };
    this.now = opts.env?.now ?? Date.now;
    this.random = opts.env?.random ?? Math.random;
    const now = this.now;
    this.env = {
      get now() {
        return now();
      },
      random: this.random,
    };
    this.state = initialState(this.cfg);
  }

  start(): void {
    if (this.cfg.streaming !== 'auto') {
      this.perform(entryEffect(this.state));
      return;
    }
    // Servers before 1.27 ignore sendInitialEvents (and never send the end bookmark):
    // page for them. Newer servers that refuse it answer 400/422 and we fall back then.
    streamingSupported(this.client).then((ok) => {
      if (this.stopped) return;
      if (!ok) {
        this.cfg = { ...this.cfg, streaming: 'never' };
        this.state = initialState(this.cfg);
      }
      this.perform(entryEffect(this.state));
    });
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private cancel(): void {
    this.op++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort(new Error('list-watch stopped'));
    this.abort = undefined;
  }

  private dispatch(input: Input): void {
    if (this.stopped) return;
    const step = transition(this.state, input, this.cfg, this.env);
    this.state = step.state;
    this.opts.onStatus?.({ state: step.state, input, effect: step.effect });
    if (step.effect.kind !== 'none') this.perform(step.effect);
  }

  private perform(effect: Effect): void {
    if (this.stopped) return;
    this.cancel();
    const op = this.op;
    switch (effect.kind) {
      case 'sleep':
        this.timer = setTimeout(() => op === this.op && this.dispatch({ type: 'TimerFired' }), effect.ms);
        return;
      case 'list':
        if (effect.mode === 'paged') void this.pagedList(op);
        else this.watch(op, undefined, true);
        return;
      case 'watch':
        this.watch(op, effect.resourceVersion, false);
        return;
      case 'none':
        return;
    }
  }

  private failed(op: number, err: unknown): void {
    if (op !== this.op) return;
    const s = statusOf(err);
    this.dispatch({ type: 'Failed', code: s?.code, reason: s?.reason, message: err instanceof Error ? err.message : String(err) });
  }

  /**
   * A paged list. Each page's `continue` token is read from the first bytes of its
   * response, so the next page is requested while the current one is still arriving and
   * being parsed: server and client work overlap instead of alternating.
   */
  private async pagedList(op: number): Promise<void> {
    const ac = (this.abort = new AbortController());
    const fetchPage = (token: string | undefined): PageSlot<T> => {
      const slot = { token } as PageSlot<T>;
      slot.page = this.client.list<T>(this.opts.kind, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.opts.pageSize ?? 500,
        continue: token,
        signal: ac.signal,
        onContinue: (next) => {
          if (slot.next || op !== this.op) return;
          slot.next = fetchPage(next);
          slot.next.page.catch(() => undefined); // awaited by the loop below, or dropped with the list
        },
      });
      return slot;
    };
    try {
      const items: T[] = [];
      let rv = '';
      let slot: PageSlot<T> | undefined = fetchPage(undefined);
      while (slot) {
        const page: KubeList<T> = await slot.page;
        if (op !== this.op) return;
        const pageItems = page.items ?? [];
        for (let i = 0; i < pageItems.length; i++) items.push(pageItems[i]);
        if (!rv) rv = page.metadata?.resourceVersion ?? '';
        const cont = page.metadata?.continue || undefined;
        if (!cont) slot = undefined;
        else if (slot.next && slot.next.token === cont) slot = slot.next;
        else slot = fetchPage(cont); // no early token (or a different one): ask now
      }
      this.out.next({ type: 'LIST', items, resourceVersion: rv });
      this.dispatch({ type: 'ListDone', resourceVersion: rv });
    } catch (err) {
      this.failed(op, err);
    }
  }

  private watchTimeout(): number {
    const t = this.opts.watchTimeoutSeconds;
    if (typeof t === 'function') return t();
    if (typeof t === 'number') return t;
    return Math.floor(300 + this.random() * 300);
  }

  /** A watch from `rv`, or a streaming list (`initial`) whose connection becomes the watch. */
  private watch(op: number, rv: string | undefined, initial: boolean): void {
    const ac = (this.abort = new AbortController());
    const started = this.now();
    let events = 0;
    // A streaming list's initial events are collected and emitted as one LIST at the
    // end-bookmark. They are all ADDED in practice, so an array suffices; a MODIFIED or
    // DELETED among them (allowed by the protocol) switches to a map keyed by object.
    let initialItems: T[] | undefined = initial ? [] : undefined;
    let initialByKey: Map<string, T> | undefined;
    const collect = (type: string, obj: T) => {
      if (!initialByKey && type === 'ADDED') {
        initialItems!.push(obj);
        return;
      }
      if (!initialByKey) {
        initialByKey = new Map();
        for (const o of initialItems!) initialByKey.set(objectKey(o), o);
      }
      if (type === 'DELETED') initialByKey.delete(objectKey(obj));
      else initialByKey.set(objectKey(obj), obj);
    };
    const onEvent = (ev: WatchEvent<T>) => {
      if (op !== this.op) return;
      events++;
      const obj = ev.object;
      switch (ev.type) {
        case 'ADDED':
        case 'MODIFIED':
        case 'DELETED': {
          if (initialItems) {
            collect(ev.type, obj);
            return;
          }
          this.dispatch({ type: 'Event', resourceVersion: obj?.metadata?.resourceVersion ?? '' });
          this.out.next(ev as ListWatchEvent<T>); // the decoded event is the list-watch event: { type, object }
          return;
        }
        case 'BOOKMARK': {
          const bmRv = obj?.metadata?.resourceVersion ?? '';
          if (initialItems) {
            if (obj?.metadata?.annotations?.[INITIAL_EVENTS_END_ANNOTATION] !== 'true') return;
            const items = initialByKey ? [...initialByKey.values()] : initialItems;
            initialItems = initialByKey = undefined;
            this.out.next({ type: 'LIST', items, resourceVersion: bmRv });
            this.dispatch({ type: 'ListDone', resourceVersion: bmRv });
            return;
          }
          this.dispatch({ type: 'Event', resourceVersion: bmRv });
          this.out.next({ type: 'BOOKMARK', resourceVersion: bmRv });
          return;
        }
        case 'ERROR': {
          const st = statusOf({ status: obj }) ?? (obj as unknown as { code?: number; reason?: string });
          this.dispatch({ type: 'Failed', code: st.code, reason: st.reason, message: (obj as unknown as { message?: string }).message });
          return;
        }
        default:
          return;
      }
    };
    this.client
      .watch<T>(
        this.opts.kind,
        {
          namespace: this.opts.namespace,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          resourceVersion: initial ? '' : rv,
          resourceVersionMatch: initial ? 'NotOlderThan' : undefined,
          sendInitialEvents: initial ? true : undefined,
          allowWatchBookmarks: true,
          timeoutSeconds: this.watchTimeout(),
          idleTimeoutMs: this.opts.idleTimeoutMs ?? 300_000,
          signal: ac.signal,
        },
        onEvent,
      )
      .then(
        () => op === this.op && this.dispatch({ type: 'StreamEnded', events, durationMs: this.now() - started }),
        (err) => this.failed(op, err),
      );
  }
}

const versionCache = new WeakMap<object, Promise<boolean>>();

/** Whether the server may support streaming lists (>= 1.27); unknown versions count as yes. */
function streamingSupported(client: KubeClient): Promise<boolean> {
  let p = versionCache.get(client);
  if (!p) {
    p = Promise.resolve()
      .then(() => client.version())
      .then(
        (v) => {
          const minor = parseInt(String(v?.minor ?? ''), 10);
          return String(v?.major) !== '1' || !Number.isFinite(minor) || minor >= 27;
        },
        () => true,
      );
    versionCache.set(client, p);
  }
  return p;
}

/** One page request of a paged list, and the next one when it was started early. */
interface PageSlot<T extends KubeObject> {
  token?: string;
  page: Promise<KubeList<T>>;
  next?: PageSlot<T>;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type { GroupVersionKind };
