import { Subscription, type SchedulerAction, type SchedulerLike } from '../rx/index.js';

/**
 * Time source for queues and rate limiters. Injected so tests can drive delays
 * and durations deterministically instead of sleeping.
 */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds on a monotonic clock (only differences matter). */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** The process clock: `performance.now()` and Node timers. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A manual clock for tests: time moves only when `step()` or `set()` is called,
 * and due timers fire (in due-time order) during that call.
 */
export class FakeClock implements Clock {
  private current: number;
  private timers: FakeTimer[] = [];
  private nextId = 1;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const t: FakeTimer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(t);
    return t.id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Number of timers not yet fired. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Advances time by `ms`, firing every timer that becomes due. */
  step(ms: number): void {
    this.set(this.current + ms);
  }

  /** Moves time to `t` (never backwards), firing due timers in order. */
  set(t: number): void {
    if (t < this.current) throw new RangeError(`FakeClock cannot go back in time (${t} < ${this.current})`);
    for (;;) {
      let next: FakeTimer | undefined;
      for (const timer of this.timers) if (timer.at <= t && (!next || timer.at < next.at || (timer.at === next.at && timer.id < next.id))) next = timer;
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = t;
  }
}

/**
 * An RxJS scheduler on `clock`, for RxJS time operators (`timer`, `delay`, the informer's
 * linger) to follow the same clock as the queues: with a FakeClock, RxJS time moves only when
 * the test steps it.
 */
export function clockScheduler(clock: Clock): SchedulerLike {
  const schedule = <T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription => {
    const subscription = new Subscription();
    const action = Object.assign(subscription, {
      // what a recursive work function calls to run again (RxJS's SchedulerAction contract)
      schedule: (next?: T, again = 0) => {
        arm(next, again);
        return action;
      },
    }) as unknown as SchedulerAction<T>;
    let handle: TimerHandle | undefined;
    const arm = (s: T | undefined, ms: number) => {
      if (handle !== undefined) clock.clearTimer(handle);
      handle = clock.setTimer(() => {
        handle = undefined;
        if (!subscription.closed) work.call(action, s);
      }, ms);
    };
    subscription.add(() => {
      if (handle !== undefined) clock.clearTimer(handle);
    });
    arm(state, delay);
    return subscription;
  };
  return { now: () => clock.now(), schedule };
}
