/**
 * The list-watch state machine, pure: `transition(state, input, config, env)` returns the
 * next state and the ONE effect the driver must perform (start a list, start a watch,
 * sleep, or nothing). Time and randomness come in through `env`, so every path can be
 * unit-tested without a server or a clock.
 *
 *   Listing --list done--> Watching --stream ended--> Watching (resume from last RV)
 *      ^                      |  \--410 / ERROR 410----> Listing (relist, diff in reflector)
 *      |                      \--error / idle--> Backoff --timer--> Watching (resume)
 *      \--------timer--------- Backoff <--list error--/
 *
 * Streaming lists (`sendInitialEvents`) are a Listing whose connection becomes the watch
 * when the `k8s.io/initial-events-end` bookmark arrives (effect `none`).
 */

export type StreamingPolicy = 'auto' | 'always' | 'never';

export interface BackoffConfig {
  /** First delay cap, ms. Default 800. */
  initialMs: number;
  /** Largest delay cap, ms. Default 30 000. */
  maxMs: number;
  /** Growth per consecutive failure. Default 2. */
  factor: number;
  /** After this long without a failure the backoff starts again from `initialMs`. Default 120 000. */
  resetAfterMs: number;
}

export const defaultBackoff: BackoffConfig = { initialMs: 800, maxMs: 30_000, factor: 2, resetAfterMs: 120_000 };

export interface MachineConfig {
  backoff: BackoffConfig;
  streaming: StreamingPolicy;
  /** A watch that ends with no events sooner than this counts as a failure (client-go: 1 s). */
  minWatchMs: number;
}

interface Common {
  /** Consecutive failures (drives the backoff). */
  readonly failures: number;
  readonly lastFailureAt?: number;
  /** Whether the next list is a streaming list. */
  readonly streaming: boolean;
  /** Last resourceVersion seen (list, event or bookmark); watches resume from it. */
  readonly resourceVersion?: string;
}

export type State =
  | (Common & { readonly phase: 'Listing'; readonly mode: 'paged' | 'streaming' })
  | (Common & { readonly phase: 'Watching' })
  | (Common & { readonly phase: 'Backoff'; readonly next: 'list' | 'watch'; readonly delayMs: number });

/** What the server (or the clock) told us. `code`/`reason` are from a Status when there is one. */
export type Input =
  | { readonly type: 'ListDone'; readonly resourceVersion: string }
  | { readonly type: 'Event'; readonly resourceVersion: string }
  | { readonly type: 'StreamEnded'; readonly events: number; readonly durationMs: number }
  | { readonly type: 'Failed'; readonly code?: number; readonly reason?: string; readonly message?: string }
  | { readonly type: 'TimerFired' };

export type Effect =
  | { readonly kind: 'none' }
  | { readonly kind: 'list'; readonly mode: 'paged' | 'streaming' }
  | { readonly kind: 'watch'; readonly resourceVersion: string }
  | { readonly kind: 'sleep'; readonly ms: number };

export interface Env {
  readonly now: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

export interface Step {
  readonly state: State;
  readonly effect: Effect;
}

const none: Effect = { kind: 'none' };

export function initialState(cfg: MachineConfig): State {
  const streaming = cfg.streaming !== 'never';
  return { phase: 'Listing', mode: streaming ? 'streaming' : 'paged', failures: 0, streaming };
}

/** The effect that starts a state (used by the driver for the initial state). */
export function entryEffect(s: State): Effect {
  switch (s.phase) {
    case 'Listing':
      return { kind: 'list', mode: s.mode };
    case 'Watching':
      return { kind: 'watch', resourceVersion: s.resourceVersion ?? '' };
    case 'Backoff':
      return { kind: 'sleep', ms: s.delayMs };
  }
}

/** True for "your resourceVersion is too old": relist. */
export function isExpired(code?: number, reason?: string): boolean {
  return code === 410 || reason === 'Expired' || reason === 'Gone';
}

/** Full-jitter exponential backoff: uniform in [0, min(max, initial * factor^failures)). */
export function backoffDelay(cfg: BackoffConfig, failures: number, random: () => number): number {
  const cap = Math.min(cfg.maxMs, cfg.initialMs * Math.pow(cfg.factor, failures));
  return Math.floor(random() * cap);
}

function listing(s: State, streaming: boolean): State {
  return { phase: 'Listing', mode: streaming ? 'streaming' : 'paged', failures: s.failures, lastFailureAt: s.lastFailureAt, streaming, resourceVersion: s.resourceVersion };
}

function backoff(s: State, next: 'list' | 'watch', cfg: MachineConfig, env: Env, streaming = s.streaming): Step {
  const healthy = s.lastFailureAt === undefined || env.now - s.lastFailureAt > cfg.backoff.resetAfterMs;
  const failures = healthy ? 0 : s.failures;
  const delayMs = backoffDelay(cfg.backoff, failures, env.random);
  return {
    state: { phase: 'Backoff', next, delayMs, failures: failures + 1, lastFailureAt: env.now, streaming, resourceVersion: s.resourceVersion },
    effect: { kind: 'sleep', ms: delayMs },
  };
}

export function transition(s: State, input: Input, cfg: MachineConfig, env: Env): Step {
  switch (s.phase) {
    case 'Listing':
      switch (input.type) {
        case 'ListDone':
          // A streaming list's connection carries on as the watch; a paged list needs one.
          return {
            state: { phase: 'Watching', failures: s.failures, lastFailureAt: s.lastFailureAt, streaming: s.streaming, resourceVersion: input.resourceVersion },
            effect: s.mode === 'streaming' ? none : { kind: 'watch', resourceVersion: input.resourceVersion },
          };
        case 'Event':
          return { state: s, effect: none }; // initial events of a streaming list: the driver buffers them
        case 'StreamEnded':
          // A streaming list ended before its initial-events-end bookmark: start over, politely.
          return backoff(s, 'list', cfg, env);
        case 'Failed': {
          const unsupported = input.code === 422 || input.code === 400;
          if (s.mode === 'streaming' && unsupported && cfg.streaming === 'auto') {
            // The server does not do streaming lists: fall back to paged lists for good.
            return { state: listing(s, false), effect: { kind: 'list', mode: 'paged' } };
          }
          return backoff(s, 'list', cfg, env);
        }
        case 'TimerFired':
          return { state: s, effect: none };
      }
      break;
    case 'Watching':
      switch (input.type) {
        case 'Event':
          return { state: { ...s, resourceVersion: input.resourceVersion || s.resourceVersion }, effect: none };
        case 'ListDone':
          return { state: { ...s, resourceVersion: input.resourceVersion }, effect: none };
        case 'StreamEnded':
          // Servers end watches routinely (timeoutSeconds, restarts): resume, no relist.
          // An empty watch that ended at once is a misbehaving server: back off.
          if (input.events === 0 && input.durationMs < cfg.minWatchMs) return backoff(s, 'watch', cfg, env);
          return { state: s, effect: { kind: 'watch', resourceVersion: s.resourceVersion ?? '' } };
        case 'Failed':
          if (isExpired(input.code, input.reason)) {
            // History compacted past our resourceVersion: the only way forward is a relist.
            return { state: listing(s, s.streaming), effect: { kind: 'list', mode: s.streaming ? 'streaming' : 'paged' } };
          }
          return backoff(s, 'watch', cfg, env);
        case 'TimerFired':
          return { state: s, effect: none };
      }
      break;
    case 'Backoff':
      if (input.type !== 'TimerFired') return { state: s, effect: none }; // stale input from a cancelled operation
      if (s.next === 'list' || s.resourceVersion === undefined) {
        const next = listing(s, s.streaming);
        return { state: next, effect: entryEffect(next) };
      }
      return {
        state: { phase: 'Watching', failures: s.failures, lastFailureAt: s.lastFailureAt, streaming: s.streaming, resourceVersion: s.resourceVersion },
        effect: { kind: 'watch', resourceVersion: s.resourceVersion },
      };
  }
  return { state: s, effect: none };
}
