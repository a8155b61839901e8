/**
 * The first half of upstream's create handler (endpoints/handlers/create.go) for a subresource
 * that takes an object of its own (a Binding on pods/binding, an Eviction on pods/eviction):
 * admission sees a CREATE of `type/subresource` with that object, mutating admission runs, and
 * then the object's name must be the URL's (400 otherwise, an object without a name too, as
 * upstream's `name != obj.Name`). The caller validates its object and runs validating admission
 * with the request this returns.
 */
import { type KubeObject, newBadRequest } from '../../api/index.js';
import type { AdmissionRequest } from '../admission/index.js';
import type { ResourceOps, WriteOptions } from '../handlers/rest.js';
import type { ResourceType } from '../resources/index.js';

export async function admitSubresourceCreate(
  ops: ResourceOps, t: ResourceType, subresource: string, namespace: string | undefined, name: string, object: KubeObject, opts: WriteOptions,
): Promise<AdmissionRequest> {
  const req: AdmissionRequest = {
    operation: 'CREATE', type: t, subresource, namespace, name, object, dryRun: !!opts.dryRun,
    fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation, warn: opts.warn, user: opts.user,
  };
  const admitted = ops.admission.admitNow(req);
  if (admitted) await admitted;
  if ((req.object.metadata?.name ?? '') !== name) throw newBadRequest(`name in URL does not match name in ${object.kind} object`);
  return req;
}
