/**
 * Status conditions (metav1.Condition), like apimachinery's `meta.SetStatusCondition`:
 * `lastTransitionTime` changes only when `status` changes.
 */
import { rfc3339 } from '../api/index.js';
import type { Condition } from './kinds.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  /** Defaults to now when the status changes. */
  lastTransitionTime?: string;
}

/**
 * Sets (adds or updates) a condition in the list, in place, and returns true when anything
 * changed. The list is created when `conditions` is undefined: use the returned `list`.
 */
export function setCondition(conditions: Condition[] | undefined, input: ConditionInput, now: Date = new Date()): { list: Condition[]; changed: boolean } {
  if (!input || typeof input.type !== 'string' || input.type === '') throw new TypeError('setCondition: type is required');
  if (!['True', 'False', 'Unknown'].includes(input.status)) throw new TypeError(`setCondition: status must be True, False or Unknown, not ${String(input.status)}`);
  const list = conditions ?? [];
  const existing = list.find((c) => c.type === input.type);
  if (!existing) {
    const c: Condition = {
      type: input.type,
      status: input.status,
      lastTransitionTime: input.lastTransitionTime ?? rfc3339(now),
      reason: input.reason ?? '',
      message: input.message ?? '',
    };
    if (input.observedGeneration !== undefined) c.observedGeneration = input.observedGeneration;
    list.push(c);
    return { list, changed: true };
  }
  let changed = false;
  if (existing.status !== input.status) {
    existing.status = input.status;
    existing.lastTransitionTime = input.lastTransitionTime ?? rfc3339(now);
    changed = true;
  }
  if (input.reason !== undefined && existing.reason !== input.reason) {
    existing.reason = input.reason;
    changed = true;
  }
  if (input.message !== undefined && existing.message !== input.message) {
    existing.message = input.message;
    changed = true;
  }
  if (input.observedGeneration !== undefined && existing.observedGeneration !== input.observedGeneration) {
    existing.observedGeneration = input.observedGeneration;
    changed = true;
  }
  return { list, changed };
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

export function isFalse(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'False';
}

/** Removes a condition in place; returns true when it was there. */
export function removeCondition(conditions: Condition[] | undefined, type: string): boolean {
  if (!conditions) return false;
  const i = conditions.findIndex((c) => c.type === type);
  if (i < 0) return false;
  conditions.splice(i, 1);
  return true;
}
