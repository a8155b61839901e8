/**
 * Fault injection and call accounting. A fault targets one API action (e.g.
 * `CreateRouteEntry`, `CreateConfig`) or a whole service (`vpc`, `ess`, `ecs`, `cr`,
 * `sls`, `registry`, `sts`); the most specific matching rule wins. Rates are probabilities in
 * [0, 1]; the `*Count` fields fail exactly the next N calls, for deterministic tests.
 */
import { SimError } from './cloud.js';

export type Service = 'vpc' | 'ess' | 'ecs' | 'cr' | 'sls' | 'registry' | 'sts';
export const services: Service[] = ['vpc', 'ess', 'ecs', 'cr', 'sls', 'registry', 'sts'];

export interface FaultRule {
  action?: string;
  service?: Service;
  /** probability of an internal error (RPC 500 `InternalError`, SLS 500 `InternalServerError`) */
  errorRate?: number;
  /** probability of throttling (RPC 400 `Throttling.User`, SLS 403 `WriteQuotaExceed` / `ReadQuotaExceed`) */
  throttleRate?: number;
  /** fail the next N calls with an internal error */
  errorCount?: number;
  /** throttle the next N calls */
  throttleCount?: number;
  /** added latency per call */
  latencyMs?: number;
  /** the service answers 503 until this time (epoch ms or ISO date) */
  outageUntil?: number | string;
  /**
   * Shorthand for an explicit RAM Deny on the action whoever calls: every call fails, after
   * authentication, with the product's permission error, exactly as a denying policy makes it
   * (ram.ts: 403 `Forbidden.RAM`, ESS 403 `Forbidden.Unauthorized`, STS 403 `NoPermission`, SLS
   * 401 `Unauthorized` "denied by sts or ram") — registry v2 pulls, which RAM does not check,
   * 403 `DENIED`. Lasts until the rule is cleared. Real policies per user or role: `/_sim/ram`.
   */
  deny?: boolean;
}

const RULE_FIELDS = new Set(['action', 'service', 'errorRate', 'throttleRate', 'errorCount', 'throttleCount', 'latencyMs', 'outageUntil', 'deny']);

export type FaultOutcome = { kind: 'ok' } | { kind: 'throttle' } | { kind: 'error' } | { kind: 'outage' } | { kind: 'deny' };

export class Faults {
  private rules: FaultRule[] = [];
  private calls = new Map<string, number>();

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Adds rules, replacing an existing rule with the same target. */
  set(input: FaultRule | FaultRule[]): void {
    for (const r of Array.isArray(input) ? input : [input]) {
      if (!r || typeof r !== 'object' || Array.isArray(r)) throw new SimError('InvalidParameter', 'a fault rule must be an object', 400);
      const unknown = Object.keys(r).filter((k) => !RULE_FIELDS.has(k));
      if (unknown.length) throw new SimError('InvalidParameter', `unknown fault rule field(s) ${unknown.join(', ')} (known: ${[...RULE_FIELDS].join(', ')})`, 400);
      if (r.action !== undefined && (typeof r.action !== 'string' || r.action === '')) throw new SimError('InvalidParameter', '"action" must be a non-empty string (an API action such as CreateRouteEntry)', 400);
      if (!r.action && !r.service) throw new SimError('InvalidParameter', 'a fault rule needs "action" or "service"', 400);
      for (const k of ['errorCount', 'throttleCount', 'latencyMs'] as const) {
        const v = r[k];
        if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw new SimError('InvalidParameter', `${k} must be a non-negative integer`, 400);
      }
      if (r.deny !== undefined && typeof r.deny !== 'boolean') throw new SimError('InvalidParameter', 'deny must be true or false', 400);
      if (r.outageUntil !== undefined && !(typeof r.outageUntil === 'number' ? Number.isFinite(r.outageUntil) : typeof r.outageUntil === 'string' && !Number.isNaN(Date.parse(r.outageUntil)))) {
        throw new SimError('InvalidParameter', 'outageUntil must be epoch milliseconds or an ISO date', 400);
      }
      if (r.service && !services.includes(r.service)) throw new SimError('InvalidParameter', `unknown service "${r.service}" (one of ${services.join(', ')})`, 400);
      for (const k of ['errorRate', 'throttleRate'] as const) {
        const v = r[k];
        if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 1)) throw new SimError('InvalidParameter', `${k} must be a number in [0, 1]`, 400);
      }
      this.rules = this.rules.filter((x) => !(x.action === r.action && x.service === r.service));
      this.rules.push({ ...r });
    }
  }

  clear(): void {
    this.rules = [];
  }

  private rule(service: Service, action: string): FaultRule | undefined {
    return this.rules.find((r) => r.action === action && (!r.service || r.service === service))
      ?? this.rules.find((r) => !r.action && r.service === service);
  }

  /** Counts the call and decides its fate; waits the injected latency first. */
  async apply(service: Service, action: string, now = Date.now()): Promise<FaultOutcome> {
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    this.calls.set(`${service}:*`, (this.calls.get(`${service}:*`) ?? 0) + 1);
    const r = this.rule(service, action);
    if (!r) return { kind: 'ok' };
    if (r.latencyMs && r.latencyMs > 0) await new Promise((res) => setTimeout(res, r.latencyMs));
    if (r.outageUntil !== undefined) {
      const until = typeof r.outageUntil === 'number' ? r.outageUntil : Date.parse(r.outageUntil);
      if (until > now) return { kind: 'outage' };
    }
    if (r.deny) return { kind: 'deny' };
    if (r.throttleCount && r.throttleCount > 0) { r.throttleCount--; return { kind: 'throttle' }; }
    if (r.errorCount && r.errorCount > 0) { r.errorCount--; return { kind: 'error' }; }
    if (r.throttleRate && Math.random() < r.throttleRate) return { kind: 'throttle' };
    if (r.errorRate && Math.random() < r.errorRate) return { kind: 'error' };
    return { kind: 'ok' };
  }

  /** Calls per action, plus `<service>:*` totals. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.calls.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  resetCounts(): void {
    this.calls.clear();
  }
}
