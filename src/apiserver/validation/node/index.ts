/**
 * node.k8s.io/v1 RuntimeClass validation as kube-apiserver v1.32's
 * pkg/apis/node/validation/validation.go does it: ValidateRuntimeClass on create and update
 * (`handler` a DNS label — an empty one fails the same check —, `scheduling.tolerations` as a
 * pod's), then on update ValidateRuntimeClassUpdate (`handler` immutable), the order of
 * pkg/registry/node/runtimeclass/strategy.go ValidateUpdate. Overhead quantities are checked
 * by the decoder's schema only.
 */
import { type Errs, invalid, obj, str } from '../core/errors.js';
import { dns1123Label, each, validateLabels } from '../core/names.js';
import { validateTolerations } from '../core/podspec.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function validateRuntimeClass(rc: Obj, old?: Obj): Errs {
  const errs: Errs = [];
  const handler = str(rc.handler);
  each(errs, 'handler', handler, dns1123Label(handler));
  const scheduling = obj(rc.scheduling);
  if (scheduling) {
    validateLabels(errs, 'scheduling.nodeSelector', scheduling.nodeSelector);
    validateTolerations(errs, 'scheduling.tolerations', scheduling.tolerations);
  }
  if (old && handler !== str(old.handler)) invalid(errs, 'handler', handler, 'field is immutable');
  return errs;
}
