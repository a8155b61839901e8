/**
 * `pods/binding` (POST a v1 Binding), as the scheduler's bind call does upstream: sets
 * `spec.nodeName` once (409 `pod x is already assigned to node "y"`, or when the pod is being
 * deleted), copies the Binding's annotations to the pod and sets the `PodScheduled=True`
 * condition. Answers 201 Success.
 */
import { type KubeObject, newBadRequest, newConflict, rfc3339, type Status } from '../../api/index.js';
import type { SubresourceHandler } from '../handlers/rest.js';
import { updateWithRetry } from '../semantics-kit.js';

type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { conditions?: { type: string; status: string; lastTransitionTime?: string; lastProbeTime?: string | null }[] } };
type Binding = KubeObject & { target?: { name?: string; kind?: string; apiVersion?: string } };

export const bindPod: SubresourceHandler = async (ops, t, namespace, name, body, opts) => {
  const b = body as Binding;
  if (b.metadata?.name && b.metadata.name !== name) throw newBadRequest('name in URL does not match name in Binding object');
  const target = b.target;
  if (!target?.name) throw newBadRequest('Binding target name is required');
  if (target.kind && target.kind !== 'Node') throw newBadRequest(`Binding target kind must be Node, got ${target.kind}`);
  const gr = { group: '', resource: 'pods/binding' };
  const check = (p: Pod): void => {
    if (b.metadata?.uid && b.metadata.uid !== p.metadata.uid) throw newConflict(gr, name, `Precondition failed: UID in precondition: ${b.metadata.uid}, UID in object meta: ${p.metadata.uid}`);
    if (p.metadata.deletionTimestamp) throw newConflict(gr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (p.spec?.nodeName) throw newConflict(gr, name, `pod ${name} is already assigned to node "${p.spec.nodeName}"`);
  };
  if (opts.dryRun) {
    check(ops.get(t, namespace, name).obj as Pod);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } satisfies Status;
  }
  // One update, as upstream's setPodNodeAndMetadata: the node, the Binding's annotations and
  // PodScheduled=True together (so watchers see one MODIFIED event with all three).
  const bound = await updateWithRetry(ops, t, namespace, name, (o) => {
    const p = o as Pod;
    check(p);
    p.spec = { ...(p.spec ?? {}), nodeName: target.name };
    if (b.metadata?.annotations && Object.keys(b.metadata.annotations).length) p.metadata.annotations = { ...(p.metadata.annotations ?? {}), ...b.metadata.annotations };
    const conds = p.status?.conditions ?? [];
    if (conds.find((c) => c.type === 'PodScheduled')?.status !== 'True') {
      p.status = { ...(p.status ?? {}), conditions: [...conds.filter((c) => c.type !== 'PodScheduled'), { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339() }] };
    }
    return true;
    // upstream writes the storage directly (r.store.Storage.GuaranteedUpdate): managedFields stay as stored
  }, { withStatus: true, managedFieldsDone: true });
  if (!bound) throw newConflict(gr, name, 'pod disappeared while binding');
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } satisfies Status;
};
