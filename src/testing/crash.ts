import type { Manager } from '../controller/index.js';

/**
 * Stops `manager` as if its process were killed: reconciles in flight are not drained, queued
 * Events are dropped and the leader-election Lease is NOT released, so another replica takes
 * over only once the Lease expires — for testing fail-over.
 */
export function crashManager(manager: Manager): Promise<void> {
  const crash = (manager as unknown as Record<symbol, (() => Promise<void>) | undefined>)[Symbol.for('kubeloop.Manager.crash')];
  if (!crash) throw new TypeError('crashManager: not a kubeloop Manager');
  return crash.call(manager);
}
