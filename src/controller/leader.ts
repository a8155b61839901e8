/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's leaderelection
 * semantics:
 *
 * - try to acquire (or renew) every `retryPeriodMs` (jittered by up to 20% while waiting);
 * - a lease held by someone else is taken over only when it has not changed for its
 *   `leaseDurationSeconds`, measured on OUR clock from when we last saw it change (clock
 *   skew between machines does not matter);
 * - a leader renews every `retryPeriodMs`; when it has not managed to renew for
 *   `renewDeadlineMs` it stops leading (`onStoppedLeading`);
 * - on graceful stop with `releaseOnCancel` the leader writes holderIdentity "" and
 *   leaseDurationSeconds 1, so a standby takes over at once;
 * - `leader_election_master_status{name}` is 1 while leading.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isNotFound, isAlreadyExists, isConflict, microTime } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import { leaderElectionMetrics, metricsRegistry, type Registry } from '../observability/index.js';
import { realClock, type Clock, type TimerHandle } from '../queue/index.js';
import { errorMessage } from './errors.js';
import type { Logger } from './context.js';
import { Lease, type LeaseObject } from './kinds.js';

export interface LeaderElectionOptions {
  /** Default true when the option object is given. */
  enabled?: boolean;
  /** Name of the Lease. Required. */
  leaseName: string;
  /** Namespace of the Lease. Default: the manager's namespace, else the client's (in a pod: its own), else "default". */
  leaseNamespace?: string;
  /** Who we are. Default: $POD_NAME (or the host name) + "_" + a random suffix. */
  identity?: string;
  /** How long a lease is valid without renewal. Default 15000 (written as whole seconds, at least 1). */
  leaseDurationMs?: number;
  /** A leader that could not renew for this long steps down. Default 10000. Must be < leaseDurationMs. */
  renewDeadlineMs?: number;
  /** Interval between attempts. Default 2000. */
  retryPeriodMs?: number;
  /** Release the lease on graceful stop. Default true. */
  releaseOnCancel?: boolean;
  /**
   * Time source for retries, renew deadlines and lease expiry. Default: the process clock. A
   * `FakeClock` (kubeloop/testing) lets a test expire a lease or miss a renew deadline by
   * stepping time instead of waiting 15 s. Times written into the Lease stay wall-clock.
   */
  clock?: Clock;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
}

type LeaseSpec = NonNullable<LeaseObject['spec']>;

export function defaultIdentity(): string {
  return `${process.env.POD_NAME || hostname()}_${randomBytes(4).toString('hex')}`;
}

export class LeaderElector {
  readonly identity: string;
  readonly leaseName: string;
  readonly leaseNamespace: string;
  private readonly durationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly releaseOnCancel: boolean;
  private readonly metrics;

  private observed: { spec: LeaseSpec; rv?: string; raw: string } | undefined;
  private observedAt = 0;
  private leading = false;
  private running = false;
  private timer: TimerHandle | undefined;
  private readonly clock: Clock;
  private lastRenew = 0;
  private inflight: Promise<unknown> = Promise.resolve();
  private reportedLeader = '';
  /** The Lease as last read or written (the renewal fast path updates it directly). */
  private lastLease: LeaseObject | undefined;

  constructor(
    private readonly client: KubeClient,
    opts: LeaderElectionOptions & { leaseNamespace: string },
    private readonly callbacks: LeaderCallbacks,
    private readonly log: Logger,
    registry: Registry = metricsRegistry,
  ) {
    if (!opts.leaseName) throw new TypeError('leader election: leaseName is required');
    this.identity = opts.identity || defaultIdentity();
    this.leaseName = opts.leaseName;
    this.leaseNamespace = opts.leaseNamespace;
    this.durationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.releaseOnCancel = opts.releaseOnCancel ?? true;
    this.clock = opts.clock ?? realClock;
    if (!(this.durationMs > this.renewDeadlineMs)) throw new TypeError('leader election: leaseDurationMs must be greater than renewDeadlineMs');
    if (!(this.renewDeadlineMs > this.retryPeriodMs * 1.2)) throw new TypeError('leader election: renewDeadlineMs must be greater than retryPeriodMs * 1.2');
    if (this.retryPeriodMs < 1) throw new TypeError('leader election: retryPeriodMs must be positive');
    this.metrics = leaderElectionMetrics(registry);
    this.metrics.masterStatus.set({ name: this.leaseName }, 0);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The identity of the current holder as last observed ("" when none). */
  get observedLeader(): string {
    return this.observed?.spec.holderIdentity ?? '';
  }

  /** Starts campaigning (returns at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.inflight = this.tick();
    }, ms);
  }

  private jittered(): number {
    return this.leading ? this.retryPeriodMs : this.retryPeriodMs * (1 + Math.random() * 0.2);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const ok = await this.tryAcquireOrRenew(AbortSignal.timeout(Math.ceil(this.leading ? Math.max(1, this.renewDeadlineMs - (this.clock.now() - this.lastRenew)) : this.retryPeriodMs * 5)));
    if (!this.running) return;
    const now = this.clock.now();
    if (ok) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.metrics.masterStatus.set({ name: this.leaseName }, 1);
        this.log.info({ lease: `${this.leaseNamespace}/${this.leaseName}`, identity: this.identity }, 'successfully acquired lease');
        this.notifyLeader(this.identity);
        this.callbacks.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenew >= this.renewDeadlineMs) {
      this.leading = false;
      this.running = false;
      this.metrics.masterStatus.set({ name: this.leaseName }, 0);
      this.log.error({ lease: `${this.leaseNamespace}/${this.leaseName}` }, 'failed to renew lease: leader election lost');
      this.callbacks.onStoppedLeading();
      return;
    }
    this.schedule(this.jittered());
  }

  private notifyLeader(id: string): void {
    if (id && id !== this.reportedLeader) {
      this.reportedLeader = id;
      this.callbacks.onNewLeader?.(id);
    }
  }

  /** One attempt, as client-go's tryAcquireOrRenew. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = new Date();
    const durationSeconds = Math.max(1, Math.ceil(this.durationMs / 1000));
    const mine: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    // Fast path, as client-go's: a leader renews by updating the Lease it last wrote, one
    // request; only when that fails (a conflict, an error) does it read the Lease first.
    if (this.leading && this.lastLease) {
      const spec: LeaseSpec = { ...this.lastLease.spec, renewTime: microTime(now), leaseDurationSeconds: durationSeconds, holderIdentity: this.identity };
      try {
        const updated = await this.client.update<LeaseObject>({ ...this.lastLease, apiVersion: Lease.apiVersion, kind: 'Lease', spec }, { signal });
        this.observe(updated);
        return true;
      } catch (err) {
        this.metrics.slowpathExercised.inc({ name: this.leaseName });
        this.log.debug({ err: errorMessage(err) }, 'lease renewal fast path failed; reading the lease');
      }
    }
    let current: LeaseObject;
    try {
      current = await this.client.get<LeaseObject>(Lease, this.leaseName, { namespace: this.leaseNamespace, signal });
    } catch (err) {
      if (!isNotFound(err)) {
        this.log.warn({ err: errorMessage(err) }, 'error retrieving lease');
        return false;
      }
      try {
        const created = await this.client.create<LeaseObject>(
          { apiVersion: Lease.apiVersion, kind: 'Lease', metadata: { name: this.leaseName, namespace: this.leaseNamespace }, spec: mine },
          { signal },
        );
        this.observe(created);
        return true;
      } catch (e) {
        if (!isAlreadyExists(e)) this.log.warn({ err: errorMessage(e) }, 'error creating lease');
        return false;
      }
    }
    this.observe(current);
    const old = current.spec ?? {};
    const holder = old.holderIdentity ?? '';
    const expiresAt = this.observedAt + (old.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== this.identity && expiresAt > this.clock.now()) {
      this.notifyLeader(holder);
      return false;
    }
    const spec: LeaseSpec = { ...mine };
    if (holder === this.identity) {
      spec.acquireTime = old.acquireTime ?? spec.acquireTime;
      spec.leaseTransitions = old.leaseTransitions ?? 0;
    } else {
      spec.leaseTransitions = (old.leaseTransitions ?? 0) + 1;
    }
    try {
      const updated = await this.client.update<LeaseObject>({ ...current, apiVersion: Lease.apiVersion, kind: 'Lease', spec }, { signal });
      this.observe(updated);
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log.warn({ err: errorMessage(err) }, 'error updating lease');
      return false;
    }
  }

  private observe(lease: LeaseObject): void {
    this.lastLease = lease;
    const spec = lease.spec ?? {};
    const raw = JSON.stringify([spec.holderIdentity, spec.leaseDurationSeconds, spec.acquireTime, spec.renewTime, spec.leaseTransitions]);
    if (!this.observed || this.observed.raw !== raw) {
      this.observed = { spec, rv: lease.metadata.resourceVersion, raw };
      this.observedAt = this.clock.now();
    } else {
      this.observed.rv = lease.metadata.resourceVersion;
    }
  }

  /** Stops campaigning; a leader releases the lease when `releaseOnCancel`. */
  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.inflight.catch(() => undefined);
    const wasLeader = this.leading;
    this.leading = false;
    this.metrics.masterStatus.set({ name: this.leaseName }, 0);
    if (wasRunning && wasLeader && this.releaseOnCancel) await this.release();
  }

  /** Test hook: stops renewing WITHOUT releasing, like a process that was killed. */
  crash(): void {
    this.running = false;
    this.leading = false;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.metrics.masterStatus.set({ name: this.leaseName }, 0);
  }

  private async release(): Promise<void> {
    try {
      const current = await this.client.get<LeaseObject>(Lease, this.leaseName, { namespace: this.leaseNamespace, signal: AbortSignal.timeout(this.renewDeadlineMs) });
      if (current.spec?.holderIdentity !== this.identity) return;
      const now = microTime();
      await this.client.update<LeaseObject>(
        {
          ...current,
          apiVersion: Lease.apiVersion,
          kind: 'Lease',
          spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
        },
        { signal: AbortSignal.timeout(this.renewDeadlineMs) },
      );
      this.log.info({ lease: `${this.leaseNamespace}/${this.leaseName}` }, 'released lease');
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'failed to release lease');
    }
  }
}
