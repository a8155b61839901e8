/**
 * The decorators a controller class carries, and the metadata they record.
 *
 *   @Controller({ for: Widget, owns: [ConfigMap], finalizer: 'example.io/cleanup' })
 *   @Index({ kind: Pod, name: 'spec.nodeName', extract: (p) => [p.spec?.nodeName ?? ''] })
 *   class WidgetController implements Reconciler<Widget> { ... }
 *
 * `@Controller` also makes the class injectable (inversify) and adds it to a process-wide
 * list that `kubeloop generate` and `Manager.registerAll()` read.
 */
import '../reflect-metadata.js';
import { injectable } from './inversify.js';
import type { KubeObject } from '../api/index.js';
import { isValidFieldManager } from '../client/index.js';
import { kindRefOf, type KindLike, type KindRef } from './kinds.js';
import type { Predicate } from './predicates.js';
import type { CacheReader } from '../informer/index.js';
import type { Reconciler, RequestReconciler } from './context.js';

/** What a reconcile is about: the key of one object of the `for` kind. */
export interface Request {
  namespace?: string;
  name: string;
}

/** One RBAC PolicyRule (rbac.authorization.k8s.io/v1). */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface OwnsSpec<T extends KubeObject = KubeObject> {
  kind: KindLike<T>;
  /** Filter the owned objects' events. */
  predicates?: Predicate<T>[];
}

/** What a `watches` map function can read besides the object. */
export interface MapContext {
  /**
   * The shared cache of a kind the manager watches (for, owns, watches or declared by
   * @Index; the same as `ctx.cache(kind)` in reconcile): e.g. the pods that mount a
   * ConfigMap, to enqueue each of them. Read-only. Every cache has synced before the first
   * event is mapped (controllers subscribe after the manager's cache sync).
   */
  cache<K extends KubeObject = KubeObject>(kind: KindLike<K>): CacheReader<K>;
}

/** A `watches` map function: an event's object to the requests to enqueue. */
export type MapFunc<T extends KubeObject = KubeObject> = (obj: T, ctx: MapContext) => Request[] | Request | undefined | null;

export interface WatchSpec<T extends KubeObject = KubeObject> {
  kind: KindLike<T>;
  /** Maps an event's object to the requests to enqueue (for old and new object on update). */
  map: MapFunc<T>;
  predicates?: Predicate<T>[];
  /** Only watch this namespace (default: the manager's namespace, or all). */
  namespace?: string;
  /** Only watch objects matching this label selector (string form). */
  labelSelector?: string;
}

export interface ControllerOptions<T extends KubeObject = KubeObject> {
  /** The kind this controller reconciles. */
  for: KindLike<T>;
  /** Kinds whose objects carry a controller ownerReference to a `for` object. */
  owns?: Array<KindLike | OwnsSpec>;
  /** Other kinds, mapped to requests by a function. */
  watches?: WatchSpec<any>[];
  /** Filters for the `for` kind's events. */
  predicates?: Predicate<T>[];
  /** Workers reconciling different keys in parallel. Default 1. */
  maxConcurrentReconciles?: number;
  /** When set the framework adds this finalizer and calls `finalize()` on deletion. */
  finalizer?: string;
  /** Only watch `for` objects in this namespace (default: the manager's, or all). */
  namespace?: string;
  /** Only watch `for` objects whose labels match (string form, "app=web"). */
  labelSelector?: string;
  /** Only watch `for` objects matching this field selector ("metadata.name=x"). */
  fieldSelector?: string;
  /** Extra RBAC rules, merged into the generated ClusterRole. */
  rbac?: PolicyRule[];
  /** Controller name in metrics, logs and events. Default: the lower-cased `for` kind. */
  name?: string;
  /** Run only while this manager is the leader. Default true. */
  needLeaderElection?: boolean;
  /** Reconcile every object again after this long without an event (default off). */
  resyncPeriodMs?: number;
  /**
   * `reconcile` gets the cached object itself instead of a deep copy: it is shared with the
   * cache and every other reader, so the reconciler must never change it (the framework's
   * patch helpers copy before they mutate). Saves a copy of the object per reconcile, as
   * controller-runtime's cache option `UnsafeDisableDeepCopy`. Not with `finalizer` (the
   * framework then writes the object's metadata). Default false.
   */
  unsafeDisableDeepCopy?: boolean;
  /**
   * The field manager this controller's writes are recorded under (its `ctx.client` is the
   * Manager's client with this default, `KubeClient.withFieldManager`), e.g. to tell two
   * controllers of one process apart in `kubectl get -o yaml --show-managed-fields` and in
   * server-side apply conflicts. Its Events are written under it too. Default: the Manager
   * client's (`kubeloop` unless set there).
   */
  fieldManager?: string;
  /**
   * Events this controller's recorder writes at once. Default 1: one after the other, as
   * controller-runtime's recorder (client-go tools/record). A controller standing in for one
   * that records through client-go's tools/events (kube-scheduler), which writes every event
   * from a goroutine of its own as it is recorded, sets more, so a burst of events is written
   * as it happens instead of queueing (and beyond 1000 queued, being dropped). Its events go
   * through a broadcaster (queue, correlation cache) of their own.
   */
  concurrentEventWrites?: number;
}

/**
 * A controller of requests that name no Kubernetes object (a route table, a cloud account):
 * fed by `watches` of kinds, its `sources()` (any Observable, timers) and other controllers'
 * queue handles (`queueOf`), never by an object of its own kind. `reconcile(request, ctx)`.
 */
export interface RequestControllerOptions {
  /** Controller name in metrics, logs and events, and its queue handle's name. Required. */
  name: string;
  /** Kinds whose events map to requests. */
  watches?: WatchSpec<any>[];
  /** Workers reconciling different keys in parallel. Default 1. */
  maxConcurrentReconciles?: number;
  /** Extra RBAC rules, merged into the generated ClusterRole. */
  rbac?: PolicyRule[];
  /** Run only while this manager is the leader. Default true. */
  needLeaderElection?: boolean;
  /** As {@link ControllerOptions.fieldManager}. */
  fieldManager?: string;
  /** As {@link ControllerOptions.concurrentEventWrites}. */
  concurrentEventWrites?: number;
}

/** Options after validation and normalization. */
export interface ControllerMetadata {
  target: Function;
  name: string;
  /** The reconciled kind; undefined for a request controller (RequestControllerOptions). */
  for?: KindRef;
  owns: Array<{ kind: KindRef; predicates: Predicate[] }>;
  watches: Array<{ kind: KindRef; map: WatchSpec['map']; predicates: Predicate[]; namespace?: string; labelSelector?: string }>;
  predicates: Predicate[];
  maxConcurrentReconciles: number;
  finalizer?: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  rbac: PolicyRule[];
  needLeaderElection: boolean;
  fieldManager?: string;
  /** Events its recorder writes at once (ControllerOptions.concurrentEventWrites). */
  concurrentEventWrites: number;
  resyncPeriodMs?: number;
  /** Reconcile the cached object itself (see ControllerOptions). */
  unsafeDisableDeepCopy: boolean;
  indexes: IndexSpec[];
}

export interface IndexSpec<T extends KubeObject = KubeObject> {
  /** The kind whose cache gets the index. */
  kind: KindLike<T>;
  /** Index name, e.g. "spec.nodeName". */
  name: string;
  /** The index values of an object (empty: not indexed). */
  extract: (obj: T) => string[];
}

const CONTROLLER_KEY = Symbol.for('kubeloop:controller');
const INDEX_KEY = Symbol.for('kubeloop:indexes');
const registry: Function[] = [];

function fail(target: Function, msg: string): never {
  throw new TypeError(`@Controller on ${target.name || 'anonymous class'}: ${msg}`);
}

function normalize(target: Function, o: ControllerOptions & Partial<RequestControllerOptions>): ControllerMetadata {
  if (!o || typeof o !== 'object') fail(target, 'options object is required');
  let forKind: KindRef | undefined;
  if (o.for === undefined) {
    if (typeof o.name !== 'string' || o.name === '') fail(target, 'a controller without "for" (a request controller) needs a name');
    for (const k of ['owns', 'predicates', 'finalizer', 'namespace', 'labelSelector', 'fieldSelector', 'resyncPeriodMs', 'unsafeDisableDeepCopy'] as const) {
      if (o[k] !== undefined) fail(target, `"${k}" needs a "for" kind`);
    }
  } else {
    try {
      forKind = kindRefOf(o.for);
    } catch (e) {
      fail(target, `"for": ${(e as Error).message}`);
    }
  }
  const mcr = o.maxConcurrentReconciles ?? 1;
  if (!Number.isInteger(mcr) || mcr < 1) fail(target, `maxConcurrentReconciles must be a positive integer, got ${String(mcr)}`);
  if (o.finalizer !== undefined && (typeof o.finalizer !== 'string' || !/^[a-z0-9.-]+\/[A-Za-z0-9._-]+$|^[a-z0-9.-]+$/.test(o.finalizer))) {
    fail(target, `finalizer "${String(o.finalizer)}" must be a qualified name like "example.com/cleanup"`);
  }
  if (o.unsafeDisableDeepCopy !== undefined && typeof o.unsafeDisableDeepCopy !== 'boolean') fail(target, `unsafeDisableDeepCopy must be true or false, got ${String(o.unsafeDisableDeepCopy)}`);
  if (o.unsafeDisableDeepCopy && o.finalizer !== undefined) fail(target, 'unsafeDisableDeepCopy cannot be combined with a finalizer (the framework writes the reconciled object\'s metadata)');
  if (o.fieldManager !== undefined && !isValidFieldManager(o.fieldManager)) {
    fail(target, `fieldManager must be 1-128 printable characters, got ${JSON.stringify(o.fieldManager)}`);
  }
  const cew = o.concurrentEventWrites ?? 1;
  if (!Number.isInteger(cew) || cew < 1) fail(target, `concurrentEventWrites must be a positive integer, got ${String(o.concurrentEventWrites)}`);
  const owns = (o.owns ?? []).map((x, i) => {
    const spec = typeof x === 'object' && x !== null && 'kind' in x && typeof (x as OwnsSpec).kind === 'object' ? (x as OwnsSpec) : ({ kind: x } as OwnsSpec);
    try {
      return { kind: kindRefOf(spec.kind), predicates: spec.predicates ?? [] };
    } catch (e) {
      fail(target, `owns[${i}]: ${(e as Error).message}`);
    }
  });
  const watches = (o.watches ?? []).map((w, i) => {
    if (typeof w?.map !== 'function') fail(target, `watches[${i}]: map must be a function returning requests`);
    try {
      return { kind: kindRefOf(w.kind), map: w.map, predicates: w.predicates ?? [], namespace: w.namespace, labelSelector: w.labelSelector };
    } catch (e) {
      fail(target, `watches[${i}]: ${(e as Error).message}`);
    }
  });
  for (const [i, r] of (o.rbac ?? []).entries()) {
    if (!Array.isArray(r?.verbs) || r.verbs.length === 0) fail(target, `rbac[${i}]: verbs must be a non-empty list`);
  }
  return {
    target,
    name: o.name ?? forKind!.kind.toLowerCase(),
    for: forKind,
    owns,
    watches,
    predicates: o.predicates ?? [],
    maxConcurrentReconciles: mcr,
    finalizer: o.finalizer,
    namespace: o.namespace,
    labelSelector: o.labelSelector,
    fieldSelector: o.fieldSelector,
    rbac: o.rbac ?? [],
    needLeaderElection: o.needLeaderElection ?? true,
    fieldManager: o.fieldManager,
    concurrentEventWrites: cew,
    resyncPeriodMs: o.resyncPeriodMs,
    unsafeDisableDeepCopy: o.unsafeDisableDeepCopy ?? false,
    indexes: [],
  };
}

/**
 * A class whose instances reconcile `T`: its `reconcile` takes the `for` kind's object type (or
 * a wider one, such as KubeObject). The decorator requires it, so `@Controller({ for: ConfigMap })`
 * on a class without `reconcile`, or whose `reconcile` takes a Pod, does not compile.
 */
export type ReconcilerClass<T extends KubeObject> = abstract new (...args: any[]) => Reconciler<T>;

/** A class whose instances reconcile requests (RequestControllerOptions): `reconcile(request, ctx)`. */
export type RequestReconcilerClass = abstract new (...args: any[]) => RequestReconciler;

/** Class decorator declaring a controller; see ControllerOptions (and RequestControllerOptions). */
export function Controller<T extends KubeObject = KubeObject>(options: ControllerOptions<T>): <C extends ReconcilerClass<T>>(target: C) => void;
export function Controller(options: RequestControllerOptions): <C extends RequestReconcilerClass>(target: C) => void;
export function Controller(options: ControllerOptions | RequestControllerOptions): (target: Function) => void {
  return (target) => {
    const meta = normalize(target, options as ControllerOptions);
    Reflect.defineMetadata(CONTROLLER_KEY, meta, target);
    injectable()(target as unknown as new (...args: never[]) => unknown);
    if (!registry.includes(target)) registry.push(target);
  };
}

/**
 * Class decorator declaring a cache index on a kind (the index exists on the shared cache
 * and can be used by every controller through `ctx.cache(kind).byIndex(name, value)`).
 * Put it above or below @Controller; several may be stacked.
 */
export function Index<T extends KubeObject = KubeObject>(spec: IndexSpec<T>): ClassDecorator {
  return (target) => {
    if (typeof spec?.name !== 'string' || spec.name === '') throw new TypeError(`@Index on ${target.name}: name is required`);
    if (typeof spec.extract !== 'function') throw new TypeError(`@Index on ${target.name}: extract must be a function`);
    kindRefOf(spec.kind);
    const list: IndexSpec[] = Reflect.getOwnMetadata(INDEX_KEY, target) ?? [];
    Reflect.defineMetadata(INDEX_KEY, [...list, spec as unknown as IndexSpec], target);
  };
}

/** The metadata of a @Controller class; throws when the class is not decorated. */
export function controllerMetadata(target: Function): ControllerMetadata {
  const meta: ControllerMetadata | undefined = Reflect.getOwnMetadata(CONTROLLER_KEY, target);
  if (!meta) throw new TypeError(`${target?.name || String(target)} is not a controller: decorate it with @Controller({ for: ... })`);
  const indexes: IndexSpec[] = Reflect.getOwnMetadata(INDEX_KEY, target) ?? [];
  return { ...meta, indexes };
}

export function isController(target: unknown): boolean {
  return typeof target === 'function' && Reflect.hasOwnMetadata(CONTROLLER_KEY, target);
}

/** Every @Controller class evaluated so far in this process, in definition order. */
export function registeredControllers(): readonly Function[] {
  return registry;
}

/**
 * A typed `watches` entry: `watch(Node, (node) => [{ name: node.metadata.name! }])` infers
 * the object type from the kind.
 */
export function watch<T extends KubeObject>(
  kind: KindRef<T>,
  map: MapFunc<T>,
  opts: { predicates?: Predicate<T>[]; namespace?: string; labelSelector?: string } = {},
): WatchSpec<T> {
  return { kind, map, ...opts };
}

/** Normalizes what a `watches` map function returned. */
export function toRequests(r: Request[] | Request | undefined | null): Request[] {
  if (!r) return [];
  return Array.isArray(r) ? r.filter((x) => x && typeof x.name === 'string' && x.name !== '') : typeof r.name === 'string' && r.name !== '' ? [r] : [];
}

export function requestKey(r: Request): string {
  return r.namespace ? `${r.namespace}/${r.name}` : r.name;
}
