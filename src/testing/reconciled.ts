import type { Manager, ReconcileOutcome, Request } from '../controller/index.js';
import { eventually } from './eventually.js';

export interface ReconciledOptions {
  /** only reconciles of this request (or key, `namespace/name` or `name`); default: any */
  key?: string | Request;
  /** how many such reconciles must finish; default 1 */
  times?: number;
  /** default 20 s */
  timeoutMs?: number;
}

/**
 * Resolves once controller `controller` of `manager` has FINISHED `times` reconciles (of `key`,
 * when given) that BEGAN after this call, with their outcomes (any result, errors included).
 * A reconcile already running at the call does not count: it may have read the world before
 * the change the test just made.
 *
 * This is the positive signal a "nothing happens" check waits on instead of a sleep: make the
 * change, let the controller's cache see it (`eventually` on `manager.cache(kind)`), then
 * `await reconciled(manager, name)` and assert that the forbidden thing did not happen. The
 * runner must exist (the manager started and, with leader election, leads); the wait begins at
 * the call, so call it before doing what should trigger the reconcile, or after, as the test
 * means. Rejects after `timeoutMs` saying how many it saw.
 */
export function reconciled(manager: Manager, controller: string, opts: ReconciledOptions = {}): Promise<ReconcileOutcome[]> {
  const runner = manager.runner(controller);
  if (!runner) return Promise.reject(new Error(`reconciled: no running controller named "${controller}" (not registered, not started, or not leading)`));
  const times = opts.times ?? 1;
  if (!(Number.isInteger(times) && times >= 1)) return Promise.reject(new RangeError(`reconciled: times must be a positive integer, got ${times}`));
  const key = typeof opts.key === 'object' && opts.key ? (opts.key.namespace ? `${opts.key.namespace}/${opts.key.name}` : opts.key.name) : opts.key;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const from = runner.reconcilesBegun;
  const seen: ReconcileOutcome[] = [];
  const what = `${times} reconcile(s) of ${controller}${key !== undefined ? ` key ${key}` : ''} begun after the call`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; saw ${seen.length}`));
    }, timeoutMs);
    const sub = runner.outcomes$.subscribe({
      next: (o) => {
        if (o.seq < from || (key !== undefined && o.key !== key)) return;
        seen.push(o);
        if (seen.length < times) return;
        clearTimeout(timer);
        sub.unsubscribe();
        resolve(seen);
      },
      complete: () => {
        clearTimeout(timer);
        reject(new Error(`controller ${controller} stopped before ${what} (saw ${seen.length})`));
      },
    });
  });
}

/**
 * Resolves once controller `controller` of `manager` has nothing queued and nothing in flight,
 * and the Events recorded so far are written: every key queued before the call has been
 * reconciled and what those reconciles recorded is visible through the API. Keys waiting to be
 * re-queued later (`requeueAfter`, error backoff) are not waited for. Use it after the
 * controller's cache shows a change (its event handlers queue keys as the cache updates), to
 * then assert what the controller did NOT do about it.
 */
export async function drained(manager: Manager, controller: string, timeoutMs = 20_000): Promise<void> {
  const runner = manager.runner(controller);
  if (!runner) throw new Error(`drained: no running controller named "${controller}" (not registered, not started, or not leading)`);
  await eventually(`controller ${controller} has nothing queued or in flight`, () => runner.queue.len() === 0 && runner.queue.processingCount() === 0, timeoutMs, 10);
  const flush = (manager as unknown as Record<symbol, (() => Promise<void>) | undefined>)[Symbol.for('kubeloop.Manager.flushEvents')];
  if (flush) await flush.call(manager);
}
