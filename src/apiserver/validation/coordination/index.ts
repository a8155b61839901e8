/**
 * coordination.k8s.io/v1 Lease validation as kube-apiserver v1.32's
 * pkg/apis/coordination/validation/validation.go does it (ValidateLeaseSpec, on create and
 * update): a set `leaseDurationSeconds` above 0 and `leaseTransitions` not negative. The
 * `strategy` and `preferredHolder` fields belong to the CoordinatedLeaderElection alpha gate
 * (off in 1.32, the fields are dropped), so their rules are not here.
 */
import { type Errs, invalid, obj } from '../core/index.js';

export function validateLease(lease: Record<string, any>): Errs { // eslint-disable-line @typescript-eslint/no-explicit-any
  const errs: Errs = [];
  const spec = obj(lease.spec);
  if (!spec) return errs;
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) invalid(errs, 'spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0');
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0) invalid(errs, 'spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0');
  return errs;
}
