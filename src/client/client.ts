/**
 * `KubeClient`: a dynamic client for any kind (built-in or custom), typed by generics
 * (`client.get<V1Pod>(PodKind, 'web', { namespace: 'prod' })`). Discovery maps kinds to
 * URLs; every HTTP failure is a `StatusError` carrying the server's `Status`.
 */
import {
  parseApiVersion,
  labelSelectorSpecToString,
  type GroupVersionKind,
  type KubeList,
  type KubeObject,
  type LabelSelectorSpec,
  type Status,
  type WatchEvent,
} from '../api/index.js';
import { autoConfig, type ClientConfig } from './config.js';
import { RESTMapper, resourcePath, type RESTMapping } from './discovery.js';
import { LineSplitter } from './lines.js';
import { Transport, reasonOf, type TransportOptions } from './transport.js';

/** A kind, either as a GVK or as `{apiVersion, kind}` (what objects carry). */
export type KindRef = GroupVersionKind | { readonly apiVersion: string; readonly kind: string };

export function toGVK(ref: KindRef): GroupVersionKind {
  if ('apiVersion' in ref) {
    if (!ref.apiVersion || !ref.kind) throw new Error('object has no apiVersion/kind: set both to use the dynamic client');
    const { group, version } = parseApiVersion(ref.apiVersion);
    return { group, version, kind: ref.kind };
  }
  return ref;
}

export interface ClientOptions extends TransportOptions {
  /** Field manager for writes (create/update/patch/apply). Default `kubeloop`. */
  fieldManager?: string;
}

type Selector = string | LabelSelectorSpec;

export interface ListOptions {
  /** Namespace to list in; omitted = all namespaces (for namespaced kinds). */
  namespace?: string;
  labelSelector?: Selector;
  fieldSelector?: string;
  /** Page size; the response carries `metadata.continue` when there is more. */
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
  /**
   * Called with the page's `continue` token as soon as it is seen in the first bytes of
   * the response (servers write list metadata before the items), before the body is
   * complete and parsed: lets a caller request the next page in parallel.
   */
  onContinue?: (token: string) => void;
}

/** Finds `metadata.continue` in the beginning of a serialized list, if it precedes the items. */
export function continueFromHead(head: string): { done: boolean; token?: string } {
  const items = head.indexOf('"items":');
  if (items < 0) return { done: false };
  const m = /"metadata":(\{[^{}]*\})/.exec(head.slice(0, items));
  if (!m) return { done: true };
  try {
    const meta = JSON.parse(m[1]) as { continue?: string };
    return { done: true, token: meta.continue || undefined };
  } catch {
    return { done: true };
  }
}

export interface WriteOptions {
  dryRun?: boolean;
  /** Default: the client's field manager (`kubeloop`). */
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  signal?: AbortSignal;
}

/** merge = RFC 7386 JSON merge patch, json = RFC 6902, strategic = strategic merge patch, apply = server-side apply. */
export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions extends WriteOptions {
  /** Default `merge`. */
  type?: PatchType;
  namespace?: string;
  /** e.g. `status`, `scale`. */
  subresource?: string;
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  namespace?: string;
  /** Default: the server's (Background for most kinds). */
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface DeleteCollectionOptions extends DeleteOptions {
  labelSelector?: Selector;
  fieldSelector?: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: Selector;
  fieldSelector?: string;
  /** Start after this version; unset = synthetic ADDED for current objects, then changes. */
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  /** Default true. */
  allowWatchBookmarks?: boolean;
  /** Server-side timeout: the server ends the stream after this long. */
  timeoutSeconds?: number;
  /** Streaming list: current state as ADDED, then a bookmark annotated `k8s.io/initial-events-end`. */
  sendInitialEvents?: boolean;
  /** Client-side: fail with `IdleTimeoutError` when no byte arrives for this long. 0 = off (default). */
  idleTimeoutMs?: number;
  /** Called once the server accepted the watch (response headers received). */
  onOpen?: () => void;
  signal?: AbortSignal;
}

function selectorString(s: Selector | undefined): string | undefined {
  if (s === undefined) return undefined;
  return typeof s === 'string' ? s : labelSelectorSpecToString(s);
}

function metaOf(obj: object): { name?: string; namespace?: string } {
  return ((obj as { metadata?: { name?: string; namespace?: string } }).metadata ?? {});
}

/**
 * Whether `name` is a field manager the API server takes (apimachinery ValidateFieldManager):
 * 1-128 characters, no control characters.
 */
export function isValidFieldManager(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= 128 && !/[\x00-\x1f\x7f]/.test(name);
}

export class KubeClient {
  readonly transport: Transport;
  readonly mapper: RESTMapper;
  /** Default namespace for namespaced objects that do not name one. */
  readonly namespace: string;
  readonly fieldManager: string;

  constructor(config: ClientConfig, opts: ClientOptions = {}) {
    this.transport = new Transport(config, opts);
    this.mapper = new RESTMapper(this.transport);
    this.namespace = config.namespace;
    this.fieldManager = opts.fieldManager ?? 'kubeloop';
  }

  /**
   * This client with another default field manager: the same connections, mapper and default
   * namespace (closing either closes both); writes that name no `fieldManager` of their own are
   * recorded under `name` in the objects' managedFields, as controller-runtime's
   * `client.WithFieldOwner`. The API server takes 1-128 printable characters
   * (apimachinery ValidateFieldManager); an invalid name throws here.
   */
  withFieldManager(name: string): KubeClient {
    if (!isValidFieldManager(name)) throw new TypeError(`a field manager is 1-128 printable characters, got ${JSON.stringify(name)}`);
    if (name === this.fieldManager) return this;
    const view = Object.create(this) as KubeClient; // everything else read through the prototype: shared
    Object.defineProperty(view, 'fieldManager', { value: name, enumerable: true });
    return view;
  }

  /** In-cluster config when in a pod, else the default kubeconfig. */
  static fromDefault(opts: ClientOptions = {}): KubeClient {
    return new KubeClient(autoConfig(), opts);
  }

  /** The server's `/version`. */
  version(): Promise<{ major: string; minor: string; gitVersion: string }> {
    return this.transport.requestJSON({ method: 'GET', path: '/version' });
  }

  mappingFor(kind: KindRef): Promise<RESTMapping> {
    return this.mapper.mappingFor(toGVK(kind));
  }

  private ns(m: RESTMapping, explicit: string | undefined): string | undefined {
    return m.namespaced ? explicit || this.namespace : undefined;
  }

  private writeQuery(o: WriteOptions = {}): Record<string, string | undefined> {
    return {
      dryRun: o.dryRun ? 'All' : undefined,
      fieldManager: o.fieldManager ?? this.fieldManager,
      fieldValidation: o.fieldValidation,
    };
  }

  async get<T = KubeObject>(kind: KindRef, name: string, opts: { namespace?: string; signal?: AbortSignal } = {}): Promise<T> {
    const m = await this.mappingFor(kind);
    return this.transport.requestJSON<T>({ method: 'GET', path: resourcePath(m, this.ns(m, opts.namespace), name), signal: opts.signal });
  }

  /** One list request (one page when `limit` is set). `metadata.resourceVersion` is the list's version. */
  async list<T = KubeObject>(kind: KindRef, opts: ListOptions = {}): Promise<KubeList<T & KubeObject>> {
    const m = await this.mappingFor(kind);
    const onContinue = opts.onContinue;
    const spec = {
      method: 'GET',
      path: resourcePath(m, m.namespaced ? opts.namespace : undefined),
      query: {
        labelSelector: selectorString(opts.labelSelector),
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal: opts.signal,
    };
    if (!onContinue) return this.transport.requestJSON(spec);
    return this.transport.requestJSONWithHead(spec, (head) => {
      const r = continueFromHead(head);
      if (r.token) onContinue(r.token);
      return r.done;
    });
  }

  /** Lists every page (`limit` per request, default 500) and returns one list. */
  async listAll<T = KubeObject>(kind: KindRef, opts: ListOptions = {}): Promise<KubeList<T & KubeObject>> {
    const limit = opts.limit ?? 500;
    let page = await this.list<T>(kind, { ...opts, limit });
    const items = page.items;
    const rv = page.metadata.resourceVersion;
    while (page.metadata.continue) {
      page = await this.list<T>(kind, { ...opts, limit, continue: page.metadata.continue, resourceVersion: undefined });
      for (const it of page.items) items.push(it);
    }
    return { ...page, metadata: { resourceVersion: rv }, items };
  }

  async create<T extends object>(obj: T, opts: WriteOptions & { namespace?: string } = {}): Promise<T> {
    const m = await this.mappingFor(obj as KindRef);
    return this.transport.requestJSON<T>({
      method: 'POST',
      path: resourcePath(m, this.ns(m, opts.namespace ?? metaOf(obj).namespace)),
      query: this.writeQuery(opts),
      body: JSON.stringify(obj),
      signal: opts.signal,
    });
  }

  /** PUT: replaces the object; `metadata.resourceVersion` (if set) makes it conditional (409 on conflict). */
  update<T extends object>(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(obj, undefined, opts);
  }

  /** PUT to the status subresource. */
  updateStatus<T extends object>(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(obj, 'status', opts);
  }

  private async put<T extends object>(obj: T, subresource: string | undefined, opts: WriteOptions): Promise<T> {
    const m = await this.mappingFor(obj as KindRef);
    const meta = metaOf(obj);
    if (!meta.name) throw new Error('update needs metadata.name');
    return this.transport.requestJSON<T>({
      method: 'PUT',
      path: resourcePath(m, this.ns(m, meta.namespace), meta.name, subresource),
      query: this.writeQuery(opts),
      body: JSON.stringify(obj),
      signal: opts.signal,
    });
  }

  /** PATCH an object. `patch` is the patch document (an array of operations for `json`). */
  async patch<T = KubeObject>(kind: KindRef, name: string, patch: unknown, opts: PatchOptions = {}): Promise<T> {
    const m = await this.mappingFor(kind);
    const type = opts.type ?? 'merge';
    if (!(type in patchContentType)) throw new Error(`unknown patch type "${type}"`);
    if (type === 'json' && !Array.isArray(patch)) throw new Error('a JSON patch must be an array of operations');
    const query: Record<string, string | undefined> = this.writeQuery(opts);
    if (type === 'apply' && opts.force) query.force = 'true';
    return this.transport.requestJSON<T>({
      method: 'PATCH',
      path: resourcePath(m, this.ns(m, opts.namespace), name, opts.subresource),
      query,
      body: JSON.stringify(patch),
      contentType: patchContentType[type],
      signal: opts.signal,
    });
  }

  /** Server-side apply of a (partial) object: creates it when absent. */
  apply<T extends object>(obj: T, opts: Omit<PatchOptions, 'type' | 'namespace'> = {}): Promise<T> {
    const meta = metaOf(obj);
    if (!meta.name) throw new Error('apply needs metadata.name');
    return this.patch<T>(obj as KindRef, meta.name, obj, { ...opts, type: 'apply', namespace: meta.namespace });
  }

  /** DELETE. Resolves with what the server returned: the object (still terminating, or for some kinds) or a Status. */
  async delete<T = KubeObject>(kind: KindRef, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    const m = await this.mappingFor(kind);
    return this.transport.requestJSON({
      method: 'DELETE',
      path: resourcePath(m, this.ns(m, opts.namespace), name),
      body: deleteBody(opts),
      signal: opts.signal,
    });
  }

  /** DELETE on a collection (selectors narrow it). */
  async deleteCollection(kind: KindRef, opts: DeleteCollectionOptions = {}): Promise<Status | KubeList> {
    const m = await this.mappingFor(kind);
    return this.transport.requestJSON({
      method: 'DELETE',
      path: resourcePath(m, this.ns(m, opts.namespace)),
      query: { labelSelector: selectorString(opts.labelSelector), fieldSelector: opts.fieldSelector },
      body: deleteBody(opts),
      signal: opts.signal,
    });
  }

  /**
   * Streams watch events to `onEvent` (one JSON parse per event, synchronous delivery).
   * Resolves when the server ends the stream; rejects with a StatusError when the server
   * refuses the watch, with the network error when the connection breaks, with an
   * `IdleTimeoutError` when `idleTimeoutMs` passes without a byte, and with the abort
   * reason when `signal` fires. ERROR events are delivered, not thrown.
   */
  async watch<T = KubeObject>(kind: KindRef, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): Promise<void> {
    const m = await this.mappingFor(kind);
    const { res, req } = await this.transport.open(
      {
        method: 'GET',
        path: resourcePath(m, m.namespaced ? opts.namespace : undefined),
        query: {
          watch: 'true',
          labelSelector: selectorString(opts.labelSelector),
          fieldSelector: opts.fieldSelector,
          resourceVersion: opts.resourceVersion,
          resourceVersionMatch: opts.resourceVersionMatch,
          allowWatchBookmarks: opts.allowWatchBookmarks === false ? undefined : 'true',
          timeoutSeconds: opts.timeoutSeconds,
          sendInitialEvents: opts.sendInitialEvents === undefined ? undefined : String(opts.sendInitialEvents),
        },
        signal: opts.signal,
      },
      opts.idleTimeoutMs ?? 0,
    );
    opts.onOpen?.();
    return new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        const why = reasonOf(req) ?? err;
        req.destroy();
        reject(why);
      };
      const splitter = new LineSplitter((line) => {
        if (failed) return;
        let ev: WatchEvent<T>;
        try {
          ev = JSON.parse(line) as WatchEvent<T>;
        } catch {
          fail(new Error(`malformed watch event: ${line.slice(0, 200)}`));
          return;
        }
        try {
          onEvent(ev);
        } catch (err) {
          fail(err);
        }
      });
      res.on('data', (chunk: Buffer) => {
        if (!failed) splitter.push(chunk);
      });
      res.once('end', () => {
        splitter.end();
        if (!failed) resolve();
      });
      // `on`, not `once`: a stream destroyed from inside a handler (abort, relist) may report
      // more than one error, and an unhandled second one would crash the process.
      res.on('error', fail);
      res.once('close', () => {
        if (!res.complete) fail(new Error('watch connection closed'));
      });
      req.on('error', fail);
    });
  }

  /** Closes idle keep-alive connections. Abort open watches through their signals. */
  close(): void {
    this.transport.close();
  }
}

function deleteBody(o: DeleteOptions): string | undefined {
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (o.propagationPolicy) body.propagationPolicy = o.propagationPolicy;
  if (o.preconditions) body.preconditions = o.preconditions;
  if (o.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = o.gracePeriodSeconds;
  if (o.dryRun) body.dryRun = ['All'];
  return Object.keys(body).length > 2 ? JSON.stringify(body) : undefined;
}
