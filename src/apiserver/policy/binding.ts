/**
 * `pods/binding` (POST a v1 Binding), as upstream's BindingREST.Create
 * (pkg/registry/core/pod/storage/storage.go): admission sees the Binding (CREATE of subresource
 * `binding` of pods: webhooks on `pods/binding` get it, may change or refuse it), then the
 * stored pod is written directly (setPodNodeAndMetadata inside Storage.GuaranteedUpdate): no
 * pod defaults, pod admission (webhooks on pods UPDATE do not see a bind), strategy, validation
 * or managedFields entry. Sets `spec.nodeName` once (409 `pod x is already assigned to node
 * "y"`, or when the pod is being deleted; the Binding's `metadata.uid` and
 * `metadata.resourceVersion`, when set, are preconditions on the pod: 409 on `pods` with the
 * storage's `Precondition failed: ...` message otherwise), copies the Binding's
 * annotations to the pod and sets the `PodScheduled=True` condition, in one write (one
 * MODIFIED event). Answers 201 Success.
 */
import { type KubeObject, newBadRequest, newConflict, rfc3339, type Status } from '../../api/index.js';
import type { SubresourceHandler } from '../handlers/rest.js';
import { admitSubresourceCreate } from './subresource-create.js';

type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { conditions?: { type: string; status: string; lastTransitionTime?: string; lastProbeTime?: string | null }[] } };
type Binding = KubeObject & { target?: { name?: string; kind?: string; apiVersion?: string } };

export const bindPod: SubresourceHandler = async (ops, t, namespace, name, body, opts) => {
  // The decoded Binding (what admission sees), as the request's own object: kind and apiVersion set.
  const binding = { ...(body as Binding), kind: 'Binding', apiVersion: 'v1' } as Binding;
  binding.metadata = { ...(binding.metadata ?? {}) };
  if (t.namespaced && namespace) binding.metadata.namespace ??= namespace;
  // After mutating admission, as upstream's Create: the name, ValidatePodBinding, then validating admission.
  const req = await admitSubresourceCreate(ops, t, 'binding', namespace, name, binding, opts);
  const b = req.object as Binding;
  const target = b.target;
  if (!target?.name) throw newBadRequest('Binding target name is required');
  if (target.kind && target.kind !== 'Node') throw newBadRequest(`Binding target kind must be Node, got ${target.kind}`);
  const validated = ops.admission.validateNow(req);
  if (validated) await validated;
  const gr = { group: '', resource: 'pods/binding' };
  const annotations = b.metadata?.annotations;
  // assignPod(binding.UID, binding.ResourceVersion, ...): the Binding's uid and resourceVersion
  // are storage preconditions on the pod (storage.Preconditions.Check, uid first), a failure
  // being the storage's invalid-object error that InterpretUpdateError makes a 409 on pods.
  const uid = b.metadata?.uid;
  const rv = b.metadata?.resourceVersion;
  const precondition = (why: string) => newConflict({ group: '', resource: 'pods' }, name,
    `StorageError: invalid object, Code: 4, Key: /registry/pods/${namespace}/${name}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: ${why}`);
  // a pod that is not there is upstream's 404 (assignPod: storeerr.InterpretGetError -> pods "x" not found)
  await ops.guaranteedUpdate(t, namespace, name, (o) => {
    const p = o as Pod;
    if (uid && uid !== p.metadata.uid) throw precondition(`UID in precondition: ${uid}, UID in object meta: ${p.metadata.uid ?? ''}`);
    if (rv && rv !== p.metadata.resourceVersion) throw precondition(`ResourceVersion in precondition: ${rv}, ResourceVersion in object meta: ${p.metadata.resourceVersion ?? ''}`);
    if (p.metadata.deletionTimestamp) throw newConflict(gr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (p.spec?.nodeName) throw newConflict(gr, name, `pod ${name} is already assigned to node "${p.spec.nodeName}"`);
    p.spec = { ...(p.spec ?? {}), nodeName: target.name };
    if (annotations && Object.keys(annotations).length) p.metadata.annotations = { ...(p.metadata.annotations ?? {}), ...annotations };
    const conds = p.status?.conditions ?? [];
    if (conds.find((c) => c.type === 'PodScheduled')?.status !== 'True') {
      p.status = { ...(p.status ?? {}), conditions: [...conds.filter((c) => c.type !== 'PodScheduled'), { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339() }] };
    }
    return true;
  }, { dryRun: opts.dryRun });
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } satisfies Status;
};
