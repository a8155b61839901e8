/**
 * Registry instances and their temporary credentials, shared by every namespace: one
 * `GetAuthorizationToken` per instance per refresh, however many namespaces use it.
 *
 * A token is refreshed once `ExpireTime - now < expiring-threshold` (its own ExpireTime,
 * so shorter STS-bound lifetimes are honoured). Concurrent callers share one request.
 * When a refresh fails and the current token is still valid, callers keep getting it
 * (marked `stale`) and the next attempt waits a growing back-off, so a flaky API delays
 * the refresh without breaking pulls or hammering the API.
 *
 * Nothing here logs; errors carry the cloud's message and code, never a token.
 */
import type { RegistryApi } from '../cloud/index.js';
import { accessKey, type RegistryEntry } from './config.js';
import type { AcrMetrics } from './metrics.js';

export interface ResolvedRegistry {
  /** the Enterprise Edition instance; empty for the Personal Edition */
  instanceId: string;
  /**
   * `personal`: an entry without instanceId — the region's Personal Edition registry, as ACK
   * documents ("leave instanceId empty for a Personal Edition ACR instance"), with its own token
   * API; `enterprise`: an instance of the Enterprise Edition API (2018-12-01)
   */
  edition: 'personal' | 'enterprise';
  /** the registry's name in metrics and messages: the instance id, or `personal/<region>` */
  name: string;
  regionId: string;
  domains: string[];
  /** token cache key: instance + how it is accessed (role/key change the token's scope) */
  tokenKey: string;
}

export interface RegistryCredentials {
  registry: ResolvedRegistry;
  username: string;
  password: string;
  /** epoch ms */
  expireTime: number;
  /** when the token should be replaced (epoch ms) */
  refreshAt: number;
  /** the last refresh failed; this is the previous, still valid token */
  stale: boolean;
}

export interface CredentialStoreOptions {
  /** the Container Registry API for an entry (its region, role or custom keys) */
  apiFor(entry: RegistryEntry): RegistryApi;
  /** region of entries without `regionId` */
  defaultRegion: string;
  metrics: AcrMetrics;
  now?: () => number;
  /** first back-off after a failed refresh (default 1 s, doubling to `maxBackoffMs`) */
  baseBackoffMs?: number;
  /** default 30 s */
  maxBackoffMs?: number;
}

interface TokenState {
  username: string;
  password: string;
  expireTime: number;
  fetchedAt: number;
}

interface TokenSlot {
  token?: TokenState;
  inflight?: Promise<TokenState>;
  failures: number;
  nextAttemptAt: number;
  lastError?: Error;
}

export class CredentialStore {
  private readonly resolved = new Map<string, Promise<ResolvedRegistry>>();
  private readonly slots = new Map<string, TokenSlot>();
  private readonly now: () => number;

  constructor(private readonly opts: CredentialStoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  private entryKey(e: RegistryEntry): string {
    return JSON.stringify([accessKey(e, this.opts.defaultRegion), e.instanceId ?? '', e.domains]);
  }

  /** The name of an entry's registry in metrics and messages (before it is resolved). */
  registryName(entry: RegistryEntry): string {
    return entry.instanceId || `personal/${entry.regionId ?? this.opts.defaultRegion}`;
  }

  /** Instance and domains of an entry (ListInstanceEndpoint when not configured); memoized until `forgetResolutions`. */
  resolve(entry: RegistryEntry): Promise<ResolvedRegistry> {
    const key = this.entryKey(entry);
    let p = this.resolved.get(key);
    if (!p) {
      p = this.doResolve(entry);
      this.resolved.set(key, p);
      p.catch(() => {
        if (this.resolved.get(key) === p) this.resolved.delete(key);
        this.opts.metrics.refreshFailures.inc({ instance: this.registryName(entry) });
      });
    }
    return p;
  }

  private async doResolve(entry: RegistryEntry): Promise<ResolvedRegistry> {
    const regionId = entry.regionId ?? this.opts.defaultRegion;
    const name = this.registryName(entry);
    const instanceId = entry.instanceId;
    if (!instanceId) {
      // the Personal Edition: the account's registry of the region, on its documented domains
      const domains = entry.domains.length ? entry.domains : [`registry.${regionId}.aliyuncs.com`, `registry-vpc.${regionId}.aliyuncs.com`];
      return { instanceId: '', edition: 'personal', name, regionId, domains: [...domains].sort(), tokenKey: `${accessKey(entry, this.opts.defaultRegion)}|personal` };
    }
    const api = this.opts.apiFor(entry);
    let domains = entry.domains;
    if (!domains.length) {
      const eps = await api.listInstanceEndpoints(instanceId);
      domains = [...new Set(eps.filter((e) => e.enabled && (e.endpointType === 'internet' || e.endpointType === 'intranet')).flatMap((e) => e.domains))];
      if (!domains.length) throw new Error(`Container Registry instance ${instanceId} has no enabled internet or intranet endpoint; enable one or set domains in acr-registry-info`);
    }
    return { instanceId, edition: 'enterprise', name, regionId, domains: [...domains].sort(), tokenKey: `${accessKey(entry, this.opts.defaultRegion)}|${instanceId}` };
  }

  /**
   * Re-resolve instances and domains on next use (after a configuration change). Tokens are
   * kept; the expiry gauge is rebuilt from what is handed out next, so removed registries leave it.
   */
  forgetResolutions(): void {
    this.resolved.clear();
    this.served.clear();
    this.opts.metrics.expiry.reset();
  }

  /** Drops the tokens of instances not in `keep` (token keys), so removed registries stop being refreshed. */
  retainTokens(keep: ReadonlySet<string>): void {
    for (const k of this.slots.keys()) if (!keep.has(k)) this.slots.delete(k);
  }

  /** Domains of every registry we currently hold a valid token for. */
  servedDomains(): Set<string> {
    return new Set(this.served);
  }
  private readonly served = new Set<string>();

  /**
   * Credentials for `entry`, refreshed when they expire within `thresholdMs`. Throws when no
   * valid token can be had (the error names the instance, never a token).
   */
  async credentials(entry: RegistryEntry, thresholdMs: number): Promise<RegistryCredentials> {
    const reg = await this.resolve(entry);
    const api = this.opts.apiFor(entry);
    let slot = this.slots.get(reg.tokenKey);
    if (!slot) { slot = { failures: 0, nextAttemptAt: 0 }; this.slots.set(reg.tokenKey, slot); }
    const now = this.now();
    const current = slot.token;
    const valid = current && current.expireTime > now;
    if (current && valid && now < this.refreshAt(current, thresholdMs)) return this.out(reg, current, thresholdMs, false);
    if (now < slot.nextAttemptAt && !slot.inflight) {
      // backing off after a failure
      if (current && valid) return this.out(reg, current, thresholdMs, true, slot.nextAttemptAt);
      throw slot.lastError ?? new Error(`no credentials for ${describe(reg)}`);
    }
    try {
      const t = await (slot.inflight ??= this.fetch(api, reg, slot));
      return this.out(reg, t, thresholdMs, false);
    } catch (err) {
      const still = slot.token;
      if (still && still.expireTime > this.now()) return this.out(reg, still, thresholdMs, true, slot.nextAttemptAt);
      throw err;
    }
  }

  private async fetch(api: RegistryApi, reg: ResolvedRegistry, slot: TokenSlot): Promise<TokenState> {
    const { metrics } = this.opts;
    try {
      const fetchedAt = this.now();
      const t = reg.edition === 'personal' ? await api.getPersonalAuthorizationToken() : await api.getAuthorizationToken(reg.instanceId);
      if (!t.authorizationToken || !t.tempUsername || !(t.expireTime > fetchedAt)) {
        throw new Error(`GetAuthorizationToken for ${describe(reg)} answered without a usable token (missing fields or expiry in the past)`);
      }
      const token: TokenState = { username: t.tempUsername, password: t.authorizationToken, expireTime: t.expireTime, fetchedAt };
      slot.token = token;
      slot.failures = 0;
      slot.nextAttemptAt = 0;
      slot.lastError = undefined;
      metrics.refreshes.inc();
      for (const d of reg.domains) {
        metrics.expiry.set({ registry: d, instance: reg.name }, Math.floor(t.expireTime / 1000));
        this.served.add(d);
      }
      return token;
    } catch (err) {
      slot.failures++;
      const base = this.opts.baseBackoffMs ?? 1000;
      slot.nextAttemptAt = this.now() + Math.min(this.opts.maxBackoffMs ?? 30_000, base * 2 ** (slot.failures - 1));
      const msg = err instanceof Error ? err.message : String(err);
      slot.lastError = new Error(`GetAuthorizationToken for ${describe(reg)} failed: ${msg}`);
      metrics.refreshFailures.inc({ instance: reg.name });
      throw slot.lastError;
    } finally {
      slot.inflight = undefined;
    }
  }

  /**
   * `ExpireTime - threshold`, but never sooner than a tenth of the token's life after it was
   * fetched: a threshold longer than the lifetime (e.g. 15m with 10-minute STS-bound tokens)
   * must not turn into a refresh loop.
   */
  refreshAt(t: { expireTime: number; fetchedAt: number }, thresholdMs: number): number {
    const life = t.expireTime - t.fetchedAt;
    return Math.max(t.expireTime - thresholdMs, t.fetchedAt + Math.max(500, life / 10));
  }

  private out(reg: ResolvedRegistry, t: TokenState, thresholdMs: number, stale: boolean, retryAt?: number): RegistryCredentials {
    for (const d of reg.domains) {
      if (this.served.has(d)) continue;
      this.served.add(d);
      this.opts.metrics.expiry.set({ registry: d, instance: reg.name }, Math.floor(t.expireTime / 1000));
    }
    const refreshAt = stale && retryAt ? Math.min(retryAt, t.expireTime) : this.refreshAt(t, thresholdMs);
    return { registry: reg, username: t.username, password: t.password, expireTime: t.expireTime, refreshAt, stale };
  }
}

/** A registry in messages: `Container Registry instance cri-...` or `the Personal Edition registry of <region>`. */
export function describe(reg: Pick<ResolvedRegistry, 'edition' | 'instanceId' | 'regionId'>): string {
  return reg.edition === 'personal' ? `the Container Registry Personal Edition registry of ${reg.regionId}` : `Container Registry instance ${reg.instanceId}`;
}

/** `.dockerconfigjson` content for credentials: one `auths` entry per registry domain. */
export function dockerConfigJson(creds: readonly RegistryCredentials[]): string {
  const auths: Record<string, { username: string; password: string; auth: string }> = {};
  const sorted = [...creds].sort((a, b) => a.registry.name.localeCompare(b.registry.name));
  for (const c of sorted) {
    for (const d of c.registry.domains) {
      if (auths[d]) continue; // the first instance listing a domain wins
      auths[d] = { username: c.username, password: c.password, auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') };
    }
  }
  const ordered = Object.fromEntries(Object.keys(auths).sort().map((k) => [k, auths[k]]));
  return JSON.stringify({ auths: ordered });
}
