/**
 * The Manager: one per process. It owns the inversify container, the client, ONE shared
 * informer per watched kind and scope (whatever the number of controllers), leader election,
 * the /metrics /healthz /readyz endpoints and graceful shut-down.
 *
 *   const mgr = new Manager({ kubeconfig: '~/.kube/config', leaderElection: { leaseName: 'my-op' } });
 *   mgr.register(WidgetController, new ContainerModule(({ bind }) => bind(CloudApi).toSelf()));
 *   await mgr.start();          // caches synced, election running; stops on SIGTERM/SIGINT
 *   await mgr.wait();           // resolves on stop(), rejects when leadership is lost
 *
 * Start-up: probes served (healthz ok, readyz not yet) -> the webhook server, when webhooks
 * are registered (before any cache: a cache of a converted custom resource needs /convert) ->
 * informers acquired for every kind
 * the controllers use -> caches synced (cacheSyncTimeoutMs) -> readyz ok -> leader election
 * (controllers that need it start only while leading; a standby stays healthy and ready) ->
 * controllers subscribe to their informers (getting the cache as adds) and start workers.
 *
 * Stop: controllers stop taking work and drain in-flight reconciles (gracefulShutdownTimeoutMs),
 * informers stop, the Lease is released, servers close (the webhook server last but one: it
 * serves while the controllers drain).
 */
import '../reflect-metadata.js';
import { Container, ContainerModule, type Newable } from './inversify.js';
import type { Subscription } from '../rx/index.js';
import { gvkString, type KubeObject } from '../api/index.js';
import { KubeClient, autoConfig, loadKubeConfig, toGVK, type ClientConfig } from '../client/index.js';
import { SharedInformerFactory, dropManagedFields, type IndexFunc } from '../informer/index.js';
import { metricsRegistry, type Registry } from '../observability/index.js';
import { clockScheduler, type Clock, type RateLimiter } from '../queue/index.js';
import { EventRecorder, type CacheReader, type Logger, type Reconciler } from './context.js';
import { errorMessage } from './errors.js';
import { kindRefOf, type KindLike } from './kinds.js';
import { ManagerCaches, type DeclaredIndex } from './cache.js';
import { cachedReadClient } from './cached-client.js';
import { QueueHandle, queueOf } from './handles.js';
import { LeaderElector, type LeaderElectionOptions } from './leader.js';
import { controllerMetadata, registeredControllers, type ControllerMetadata } from './metadata.js';
import { ControllerRunner, type ControllerStatus, type WatchSource } from './runtime.js';
import { TOKENS } from './tokens.js';
import { ManagerProbes } from './probes.js';
import { defaultLogger, createEventRecording, type EventRecording } from './wiring.js';
import { WebhookServer, isConversion, isWebhook, type WebhookServerOptions } from './webhook/index.js';
import { mountWebhooks } from './webhook/mount.js';

export interface ManagerOptions {
  /** Path of a kubeconfig file, its YAML content, or a loaded config. Ignored when `client` is given. Default: in-cluster or ~/.kube/config. */
  kubeconfig?: string | ClientConfig;
  /** A ready client (tests, custom transports). Default with `informers`: theirs. */
  client?: KubeClient;
  /**
   * The informers (and so the caches) of another manager in this process (`other.informers`),
   * shared instead of this manager making its own: a kind both watch in the same scope is
   * listed and watched once, as controller-runtime's managers can share one cache. `kubeloop
   * dev` runs the extensions' controllers this way beside the simulated cluster. The factory
   * keeps the options its maker gave it (the client its informers list and watch through,
   * its transform, `freezeCachedObjects`, `clock`, where list and watch failures are logged):
   * they win over this manager's. A manager's own factory drops `metadata.managedFields`, and
   * the simulated cluster's factory is its Manager's own, so controllers on it in `kubeloop dev`
   * see the objects they see under `kubeloop run` (e2e/simcluster/managed-fields.test.ts); a
   * factory made by hand should pass `transform: dropManagedFields` for the same. This manager
   * also writes through that client unless `client` is given, waits at start for every
   * informer the factory runs, and on stop
   * releases what it acquired instead of shutting the factory down (its maker does). @Index
   * names are shared too: an index name means one function on a kind.
   */
  informers?: SharedInformerFactory;
  /** Watch only this namespace (default: all namespaces). */
  namespace?: string;
  /** Leader election; off when omitted or `enabled: false`. */
  leaderElection?: LeaderElectionOptions | false;
  /**
   * Where /metrics is served: ":port" (all interfaces), "host:port" ("[::]:port" for IPv6),
   * a number (a port on 127.0.0.1; 0 = any free port), or false (off).
   * Default ":8080" like controller-runtime.
   */
  metricsBindAddress?: string | number | false;
  /** Where /healthz and /readyz are served (may equal metricsBindAddress). Default false. */
  healthProbeBindAddress?: string | number | false;
  /** Give up starting when caches do not sync within this many ms. Default 120000. */
  cacheSyncTimeoutMs?: number;
  /** How long stop() waits for in-flight reconciles. Default 30000. */
  gracefulShutdownTimeoutMs?: number;
  /** /readyz: 'synced' = ready once caches synced (leader or standby); 'leader' = only while leading. Default 'synced'. */
  readyWhen?: 'synced' | 'leader';
  /** Called when leadership is lost (after the controllers that need it stopped). Default: stop the manager; wait() then rejects. */
  onLeadershipLost?: () => void;
  /** Stop gracefully on SIGTERM/SIGINT. Default true. */
  handleSignals?: boolean;
  /** Metrics registry. Default: observability's process-wide `metricsRegistry`. */
  registry?: Registry;
  /** Root logger. Default: observability's logger. */
  logger?: Logger;
  /** Rate limiter for each controller's queue. Default: the queue's DefaultControllerRateLimiter. */
  rateLimiter?: () => RateLimiter;
  /**
   * Time source of the work queues (delays, `requeueAfter`, rate-limit back-off, the default
   * rate limiter's token bucket), resyncs and `ctx.every` sources, the graceful shutdown
   * timeout, leader election and the informers' linger (as an RxJS scheduler). Default: the process clock. Tests pass a
   * `FakeClock` (kubeloop/testing) to drive them without sleeping.
   */
  clock?: Clock;
  /**
   * Serve `ctx.client.get`/`list` of watched kinds from the shared cache, as controller-runtime's
   * default client does (see cached-client.ts for what still goes to the server). Default false:
   * every read goes to the API server. The KubeClient injected into controllers stays uncached.
   */
  cachedReads?: boolean;
  /**
   * Deep-freeze the objects in the shared caches, so a reconciler that mutates a cached object
   * (instead of the copy it is given) fails loudly with a TypeError. Costs a walk per object:
   * for development and tests (kubeloop/testing's managers turn it on). Default false.
   */
  freezeCachedObjects?: boolean;
  /** Inversify modules loaded into the root container (shared by all controllers). */
  modules?: ContainerModule[];
  /**
   * The webhook server, started when @Webhook or @Conversion classes are registered (see
   * WebhookServerOptions for each option's default: port 9443 on all interfaces, serving
   * certificate from `<tmpdir>/k8s-webhook-server/serving-certs`, reloaded on change). Its
   * readiness joins /readyz as the `webhook` check. Default: those defaults.
   */
  webhook?: WebhookServerOptions;
}

/** The key of Manager's crash hook (a registered symbol: kubeloop/testing reaches it without an export). */
const CRASH = Symbol.for('kubeloop.Manager.crash');
/** The key of Manager's "write the queued Events now" hook (kubeloop/testing's `drained`). */
const FLUSH_EVENTS = Symbol.for('kubeloop.Manager.flushEvents');

export class LeaderElectionLostError extends Error {
  override readonly name = 'LeaderElectionLostError';
}

/** A registered @Webhook or @Conversion class. */
interface WebhookRegistration {
  target: Newable<unknown>;
  module?: ContainerModule;
}

interface Registration {
  target: Newable<unknown>;
  /** Its queue handle, bound as queueOf(name) for other controllers to inject. */
  handle: QueueHandle;
  meta: ControllerMetadata;
  module?: ContainerModule;
  runner?: ControllerRunner;
  subs: Subscription[];
  started: boolean;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Manager {
  readonly container: Container;
  readonly client: KubeClient;
  readonly informers: SharedInformerFactory;
  readonly registry: Registry;
  readonly log: Logger;
  readonly elector: LeaderElector | undefined;
  private readonly opts: ManagerOptions;
  private readonly registrations: Registration[] = [];
  private readonly webhookRegistrations: WebhookRegistration[] = [];
  private webhook: WebhookServer | undefined;
  /** Every informer the manager started, per kind, with its scope (ctx.cache picks among them per read). */
  /** The shared informers and caches (cache.ts). */
  private readonly caches: ManagerCaches;
  private readonly events: EventRecording;
  private state: State = 'new';
  private synced = false;
  /** Metrics and probe servers, with their readiness checks (probes.ts). */
  private readonly probes: ManagerProbes;
  /** /readyz checks added by controllers and plugins (addReadyCheck), beside the manager's own */
  private exitError: Error | undefined;
  private stopPromise: Promise<void> | undefined;
  private stoppedResolve!: () => void;
  private readonly stoppedPromise: Promise<void>;
  private signalCleanup: (() => void) | undefined;
  /** Aborted by stop(), so a start() waiting for caches returns. */
  private readonly stopping = new AbortController();

  constructor(opts: ManagerOptions = {}) {
    this.opts = opts;
    this.registry = opts.registry ?? metricsRegistry;
    this.probes = new ManagerProbes(this.registry, opts.metricsBindAddress === undefined ? ':8080' : opts.metricsBindAddress, opts.healthProbeBindAddress,
      () => this.controllerStatuses());
    this.log = opts.logger ?? defaultLogger();
    this.client =
      opts.client ??
      opts.informers?.client ??
      new KubeClient(
        typeof opts.kubeconfig === 'object'
          ? opts.kubeconfig
          : opts.kubeconfig === undefined
            ? autoConfig()
            : opts.kubeconfig.includes('\n')
              ? loadKubeConfig({ kubeconfig: opts.kubeconfig })
              : loadKubeConfig({ path: opts.kubeconfig }),
      );
    this.informers = opts.informers ?? new SharedInformerFactory(this.client, {
      transform: dropManagedFields,
      freeze: opts.freezeCachedObjects ?? false,
      ...(opts.clock ? { scheduler: clockScheduler(opts.clock) } : {}),
      // A list/watch that keeps failing (typically 403: the ClusterRole lacks a rule) must be
      // visible: the informer retries with backoff forever, and the caches never sync.
      onListWatchError: (e) =>
        this.log.error(
          { kind: gvkString(toGVK(e.kind)), namespace: e.namespace, labelSelector: e.labelSelector, code: e.code, reason: e.reason, retryInMs: e.retryInMs },
          `failed to list/watch ${e.kind.kind}: ${e.message ?? e.reason ?? 'unknown error'}`,
        ),
    });
    this.caches = new ManagerCaches(this.informers, opts.namespace, () => this.declaredIndexes(), this.log);
    this.events = createEventRecording(this.client, this.log);
    this.stoppedPromise = new Promise((r) => (this.stoppedResolve = r));
    const le = opts.leaderElection;
    if (le && le.enabled !== false) {
      this.elector = new LeaderElector(
        this.client,
        { clock: opts.clock, ...le, leaseNamespace: le.leaseNamespace || opts.namespace || this.client.namespace || 'default' },
        {
          onStartedLeading: () => this.startLeaderControllers(),
          onStoppedLeading: () => this.leadershipLost(),
        },
        this.log.child({ component: 'leader-election' }),
        this.registry,
      );
    }
    this.container = new Container({ defaultScope: 'Singleton' });
    this.container.bind(KubeClient).toConstantValue(this.client);
    this.container.bind(TOKENS.KubeClient).toConstantValue(this.client);
    this.container.bind(TOKENS.Logger).toConstantValue(this.log);
    this.container.bind(TOKENS.Manager).toConstantValue(this);
    this.container.bind(Manager).toConstantValue(this);
    this.container.bind(SharedInformerFactory).toConstantValue(this.informers);
    this.container.bind(TOKENS.InformerFactory).toConstantValue(this.informers);
    this.container.bind(TOKENS.MetricsRegistry).toConstantValue(this.registry);
    this.container.bind(TOKENS.CacheReaderFactory).toConstantValue((kind: KindLike) => this.cache(kind));
    this.container.bind(TOKENS.EventRecorderFactory).toConstantValue((component: string) => this.events.recorder(component));
    const rootRecorder = this.events.recorder('kubeloop');
    this.container.bind(TOKENS.EventRecorder).toConstantValue(rootRecorder);
    this.container.bind(EventRecorder).toConstantValue(rootRecorder);
    if (opts.modules?.length) this.container.load(...opts.modules);
  }

  /**
   * Adds a @Controller, @Webhook or @Conversion class, with an optional module of bindings
   * only it sees.
   */
  register(target: Function, module?: ContainerModule): this {
    if (this.state !== 'new') throw new Error('register controllers and webhooks before start()');
    if (isWebhook(target) || isConversion(target)) {
      if (this.webhookRegistrations.some((r) => r.target === target)) throw new Error(`${target.name} is already registered`);
      this.webhookRegistrations.push({ target: target as Newable<unknown>, module });
      return this;
    }
    const meta = controllerMetadata(target);
    if (this.registrations.some((r) => r.meta.name === meta.name)) {
      throw new Error(`a controller named "${meta.name}" is already registered; set a unique name in @Controller`);
    }
    const handle = new QueueHandle(meta.name);
    this.container.bind(queueOf(meta.name)).toConstantValue(handle);
    this.registrations.push({ target: target as Newable<unknown>, meta, module, handle, subs: [], started: false });
    return this;
  }

  /** Registers every @Controller class defined so far (or the given ones). */
  registerAll(targets: readonly Function[] = registeredControllers()): this {
    for (const t of targets) this.register(t);
    return this;
  }

  /** The runner of a registered controller (after start), for tests and tooling. */
  runner(name: string): ControllerRunner | undefined {
    return this.registrations.find((r) => r.meta.name === name)?.runner;
  }

  /** Every registered controller's `status()` (those not started yet: name and depth 0). */
  controllerStatuses(): ControllerStatus[] {
    return this.registrations.map((r) => r.runner?.status() ?? { name: r.meta.name, queueDepth: 0, started: false });
  }

  /** True while leading (always true without leader election). */
  get isLeader(): boolean {
    return this.elector ? this.elector.isLeader : this.state === 'running';
  }

  /** The identity holding the Lease as last observed ("" when none or no leader election). */
  get leaderIdentity(): string {
    return this.elector?.observedLeader ?? '';
  }

  /** healthz: the manager is running (a standby is healthy). */
  healthy(): boolean {
    return this.state === 'starting' || this.state === 'running';
  }

  /** readyz: caches synced (and leading, when readyWhen is 'leader'). */
  ready(): boolean {
    if (this.state !== 'running' || !this.synced) return false;
    return (this.opts.readyWhen ?? 'synced') === 'synced' || this.isLeader;
  }

  /**
   * Adds (or replaces) a named /readyz check: the probe fails while `check` throws, rejects or
   * returns false (observability's probe rules). For state only the application knows — e.g. a
   * controller whose last full sync with the cloud is too old is not doing its job although its
   * caches are synced. Works before start() (typical: a plugin's setup) and while running.
   * `ready()` does not run these checks (they may be asynchronous); /readyz does.
   */
  addReadyCheck(name: string, check: () => unknown): void {
    this.probes.addReadyCheck(name, check);
  }

  /** Addresses of the probe/metrics servers ("http://127.0.0.1:port"), once started. */
  get metricsUrl(): string | undefined {
    return this.probes.metricsUrl;
  }
  get healthProbeUrl(): string | undefined {
    return this.probes.healthProbeUrl;
  }

  /** The registered @Webhook and @Conversion classes (what `kubeloop/testing`'s installWebhooks registers). */
  get webhooks(): readonly Function[] {
    return this.webhookRegistrations.map((r) => r.target);
  }

  /** The webhook server (its `url`, `port`, `caBundle`), once start() began serving registered webhooks. */
  get webhookServer(): WebhookServer | undefined {
    return this.webhook;
  }

  /** The cache of a kind the manager watches. */
  cache<T extends KubeObject = KubeObject>(kind: KindLike<T>): CacheReader<T> {
    return this.caches.cache(kind);
  }

  /**
   * Starts everything and resolves once the caches synced and leader election (if any) runs.
   * Aborting `signal` stops the manager gracefully.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.state !== 'new') throw new Error(`manager already ${this.state}`);
    this.state = 'starting';
    try {
      await this.startServers();
      await this.startWebhooks();
      this.installSignals(signal);
      const sources = this.prepareControllers();
      this.acquireInformers(sources);
      const abort = signal ? AbortSignal.any([signal, this.stopping.signal]) : this.stopping.signal;
      await this.informers.waitForCacheSync(abort, this.opts.cacheSyncTimeoutMs ?? 120_000);
      this.synced = true;
      if (this.state !== 'starting') return; // stopped while syncing
      this.state = 'running';
      this.log.info({ controllers: this.registrations.map((r) => r.meta.name) }, 'caches synced');
      for (const r of this.registrations) if (!r.meta.needLeaderElection) this.startController(r);
      if (this.elector) this.elector.start();
      else this.startLeaderControllers();
    } catch (err) {
      if (this.stopping.signal.aborted) return; // stop() during start-up is not an error
      this.exitError = err instanceof Error ? err : new Error(errorMessage(err));
      await this.stop();
      throw err;
    }
  }

  private async startServers(): Promise<void> {
    this.probes.addReadyCheck('caches-synced', () => this.state === 'running' && this.synced);
    if ((this.opts.readyWhen ?? 'synced') === 'leader') this.probes.addReadyCheck('leader', () => this.isLeader);
    if (this.webhookRegistrations.length) this.probes.addReadyCheck('webhook', () => this.webhook?.started ?? false);
    await this.probes.start(() => this.healthy());
  }

  /** Creates the webhook instances through the container and serves them. */
  private async startWebhooks(): Promise<void> {
    if (this.webhookRegistrations.length === 0) return;
    const log = this.log.child({ component: 'webhook' });
    const instances = this.webhookRegistrations.map(({ target, module }) => {
      const child = this.childContainer({ webhook: target.name }, module);
      child.bind(target).toSelf();
      try {
        return { target, instance: child.get(target), log: child.get<Logger>(TOKENS.Logger) };
      } catch (err) {
        throw new Error(`cannot create webhook ${target.name}: ${errorMessage(err)}`, { cause: err });
      }
    });
    this.webhook = new WebhookServer(this.opts.webhook ?? {}, log, this.registry);
    mountWebhooks(this.webhook, instances, log);
    await this.webhook.start();
  }

  /** A container for one registered class: its own Logger (with `fields`) and module over the root container. */
  private childContainer(fields: Record<string, unknown>, module?: ContainerModule): Container {
    const child = new Container({ parent: this.container, defaultScope: 'Singleton' });
    child.bind(TOKENS.Logger).toConstantValue(this.log.child(fields));
    if (module) child.load(module);
    return child;
  }

  private installSignals(signal?: AbortSignal): void {
    const cleanups: Array<() => void> = [];
    const onStop = () => void this.stop();
    if (this.opts.handleSignals ?? true) {
      process.once('SIGTERM', onStop);
      process.once('SIGINT', onStop);
      cleanups.push(() => {
        process.removeListener('SIGTERM', onStop);
        process.removeListener('SIGINT', onStop);
      });
    }
    if (signal) {
      if (signal.aborted) queueMicrotask(onStop);
      signal.addEventListener('abort', onStop, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', onStop));
    }
    this.signalCleanup = () => cleanups.forEach((c) => c());
  }

  /** Instantiates controllers through the container and collects their sources. */
  private prepareControllers(): Array<{ reg: Registration; sources: WatchSource[] }> {
    const out = [];
    for (const reg of this.registrations) {
      const recorder = this.events.recorder(reg.meta.name, reg.meta.concurrentEventWrites, reg.meta.fieldManager);
      const child = this.childContainer({ controller: reg.meta.name }, reg.module);
      child.bind(TOKENS.EventRecorder).toConstantValue(recorder);
      child.bind(EventRecorder).toConstantValue(recorder);
      child.bind(TOKENS.ControllerName).toConstantValue(reg.meta.name);
      child.bind(reg.target).toSelf();
      let instance: Reconciler;
      try {
        instance = child.get(reg.target) as Reconciler;
      } catch (err) {
        throw new Error(`cannot create controller ${reg.meta.name} (${reg.target.name}): ${errorMessage(err)}`, { cause: err });
      }
      if (typeof instance?.reconcile !== 'function') throw new TypeError(`controller ${reg.target.name} has no reconcile(obj, ctx) method`);
      const forScope = this.caches.scopeOf(reg.meta.namespace, reg.meta.labelSelector, reg.meta.fieldSelector);
      const forInformer = reg.meta.for ? this.caches.informerFor(reg.meta.for, forScope) : undefined;
      reg.runner = new ControllerRunner(reg.meta, instance, {
        client: this.controllerClient(reg.meta.fieldManager),
        cache: forInformer?.reader,
        cacheFor: (k) => this.cache(k),
        log: this.log,
        recorder,
        registry: this.registry,
        rateLimiter: this.opts.rateLimiter?.(),
        clock: this.opts.clock,
      });
      const runner = reg.runner;
      reg.handle.attach((r, ms) => runner.enqueue(r, ms));
      out.push({ reg, sources: reg.runner.sources() });
    }
    return out;
  }

  private cachedClientInstance: KubeClient | undefined;

  /** What a controller's `ctx.client` is: the Manager's client, with cached reads and the controller's field manager if asked. */
  private controllerClient(fieldManager: string | undefined): KubeClient {
    const client = this.opts.cachedReads ? this.cachedClient() : this.client;
    return fieldManager === undefined ? client : client.withFieldManager(fieldManager);
  }

  /** The client controllers get with `cachedReads`: get/list of watched kinds from the caches. */
  private cachedClient(): KubeClient {
    return (this.cachedClientInstance ??= cachedReadClient(this.client, (kind) => (this.caches.watches(kind) ? this.caches.cache(kind) : undefined)));
  }

  private declaredIndexes(): DeclaredIndex[] {
    return this.registrations.flatMap((r) => r.meta.indexes.map((ix) => ({ controller: r.meta.name, kind: ix.kind, name: ix.name, extract: ix.extract as IndexFunc<KubeObject> })));
  }

  /** Acquires one informer per kind+scope the controllers' sources and @Index declarations need. */
  private acquireInformers(all: Array<{ reg: Registration; sources: WatchSource[] }>): void {
    for (const { sources } of all) for (const s of sources) this.caches.acquire(s.kind, this.caches.scopeOf(s.namespace, s.labelSelector, s.fieldSelector));
    for (const r of this.registrations) for (const ix of r.meta.indexes) this.caches.acquire(kindRefOf(ix.kind), this.caches.scopeOf());
  }

  private startLeaderControllers(): void {
    if (this.state !== 'running') return;
    for (const r of this.registrations) if (r.meta.needLeaderElection) this.startController(r);
  }

  private startController(reg: Registration): void {
    if (reg.started || !reg.runner) return;
    reg.started = true;
    for (const s of reg.runner.sources()) {
      const inf = this.caches.informerFor(s.kind, this.caches.scopeOf(s.namespace, s.labelSelector, s.fieldSelector));
      reg.subs.push(
        inf.events$().subscribe({
          next: (ev) => {
            if (ev.type === 'add') s.handlers.onAdd(ev.obj);
            else if (ev.type === 'update') s.handlers.onUpdate(ev.oldObj, ev.obj);
            else s.handlers.onDelete(ev.obj);
          },
          // informer streams do not error today; if one ever does, say so instead of going silent
          error: (err: unknown) =>
            this.log.error({ controller: reg.meta.name, kind: gvkString(toGVK(s.kind)), err: errorMessage(err) }, 'event source failed; the controller no longer sees this kind'),
        }),
      );
    }
    reg.runner.start();
    this.log.info({ controller: reg.meta.name, workers: reg.meta.maxConcurrentReconciles }, 'Starting workers');
  }

  /**
   * Leadership lost: the controllers that need it stop at once (another replica is taking
   * over). Then `onLeadershipLost` runs, or by default the whole manager stops and wait()
   * rejects, like controller-runtime exiting the process. A manager does not campaign
   * again: create a new one (or let the process restart).
   */
  private leadershipLost(): void {
    for (const r of this.registrations) {
      if (!r.meta.needLeaderElection || !r.started) continue;
      for (const s of r.subs.splice(0)) s.unsubscribe();
      void r.runner?.stop(0);
    }
    if (this.opts.onLeadershipLost) {
      this.opts.onLeadershipLost();
      return;
    }
    this.exitError = new LeaderElectionLostError('leader election lost');
    void this.stop();
  }

  /** Graceful stop: drain controllers, stop informers, release the Lease, close servers. */
  stop(): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    this.stopPromise = this.doStop(true);
    return this.stopPromise;
  }

  /**
   * Stops abruptly, as if the process was killed: no draining, and the Lease is NOT released
   * (other replicas must wait for it to expire). Not public API: kubeloop/testing's
   * `crashManager(manager)` calls it.
   */
  async [CRASH](): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    this.elector?.crash();
    this.stopPromise = this.doStop(false);
    return this.stopPromise;
  }

  /** Resolves when every Event queued so far is written (or given up on). Not public API: kubeloop/testing's `drained` calls it. */
  [FLUSH_EVENTS](): Promise<void> {
    return this.events.flush();
  }

  private async doStop(graceful: boolean): Promise<void> {
    const wasRunning = this.state === 'running' || this.state === 'starting';
    this.state = 'stopping';
    this.stopping.abort(new Error('manager stopped'));
    this.signalCleanup?.();
    const timeout = graceful ? (this.opts.gracefulShutdownTimeoutMs ?? 30_000) : 0;
    for (const r of this.registrations) for (const s of r.subs.splice(0)) s.unsubscribe();
    await Promise.all(this.registrations.map((r) => (r.runner ? r.runner.stop(timeout) : true)));
    this.caches.releaseAll();
    if (!this.opts.informers) this.informers.shutdown(); // a shared factory is its maker's to shut down
    // write queued Events, but never hang a shut-down on an unreachable API server
    let flushTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.events.shutdown(!graceful),
      new Promise<void>((r) => {
        flushTimer = setTimeout(r, graceful ? 5_000 : 0);
      }),
    ]);
    clearTimeout(flushTimer);
    if (graceful && this.elector) await this.elector.stop();
    await this.webhook?.stop();
    await this.probes.close();
    this.state = 'stopped';
    if (wasRunning) this.log.info({ error: this.exitError?.message }, 'manager stopped');
    this.stoppedResolve();
  }

  /** Resolves when the manager stopped; rejects with the reason when it stopped on an error (leadership lost). */
  async wait(): Promise<void> {
    await this.stoppedPromise;
    if (this.exitError) throw this.exitError;
  }
}

export { ContainerModule };
