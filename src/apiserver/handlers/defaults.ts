/**
 * Default handlers of pods/binding and pods/eviction. The semantics layer may replace them
 * (`ops.subresourceHandlers.set('/pods/eviction', ...)`), e.g. to honour PodDisruptionBudgets.
 */
import { type KubeObject, newBadRequest, newConflict, type Status } from '../../api/index.js';
import type { DeleteOptions } from '../admission/index.js';
import type { SubresourceHandler } from './rest.js';
import { clone } from './util.js';

const success = (code: number): Status => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code });

/** pods/binding: sets spec.nodeName once (409 when the pod is already bound). */
export const bindPod: SubresourceHandler = async (ops, t, namespace, name, body, opts) => {
  const target = (body as { target?: { name?: string; kind?: string } }).target;
  if (!target?.name) throw newBadRequest('Binding target name is required');
  if (target.kind && target.kind !== 'Node') throw newBadRequest(`Binding target kind must be Node, got ${target.kind}`);
  const current = ops.get(t, namespace, name).obj as KubeObject & { spec?: { nodeName?: string } };
  if (current.spec?.nodeName) {
    throw newConflict({ group: '', resource: 'pods/binding' }, name, `pod ${name} is already assigned to node "${current.spec.nodeName}"`);
  }
  if (current.metadata.deletionTimestamp) throw newConflict({ group: '', resource: 'pods/binding' }, name, `pod ${name} is being deleted, cannot be assigned to a host`);
  const next = clone(current);
  next.spec = { ...(next.spec ?? {}), nodeName: target.name };
  next.metadata.resourceVersion = String(ops.get(t, namespace, name).rv);
  await ops.update(t, namespace, name, next, { dryRun: opts.dryRun });
  return success(201);
};

/** pods/eviction: deletes the pod with the eviction's DeleteOptions (no disruption budgets). */
export const evictPod: SubresourceHandler = async (ops, t, namespace, name, body, opts) => {
  const options = ((body as { deleteOptions?: DeleteOptions }).deleteOptions ?? {}) as DeleteOptions;
  await ops.delete(t, namespace, name, options, opts.dryRun || (options.dryRun?.length ?? 0) > 0);
  return success(201);
};
