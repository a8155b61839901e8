/**
 * Which kinds have `metadata.generation`, and which changes bump it.
 *
 * kube-apiserver keeps no generation in its generic code: `rest.BeforeCreate` and
 * `rest.FillObjectMetaSystemFields` (staging/src/k8s.io/apiserver/pkg/registry/rest/create.go,
 * meta.go) neither set nor clear it, and `rest.BeforeUpdate` (update.go) only copies the stored
 * value over the request's ("Ensure requests cannot update generation"). A kind has a
 * generation only where its registry strategy's PrepareForCreate sets `Generation = 1` and its
 * PrepareForUpdate bumps it. Elsewhere (ConfigMaps, Secrets, Pods in 1.32, Nodes, Namespaces,
 * Services, Events, Leases, RBAC, ...) an object has no generation unless its creator sent one,
 * which is then kept as sent and never changes.
 *
 * The rules below, read from kubernetes/kubernetes at the v1.32 line (the version served):
 * - pkg/registry/apps/deployment/strategy.go: create 1; bump when spec OR annotations change
 *   (annotations are copied to the ReplicaSets).
 * - pkg/registry/apps/{replicaset,statefulset,daemonset}/strategy.go,
 *   pkg/registry/core/replicationcontroller/strategy.go, pkg/registry/batch/{job,cronjob}/strategy.go,
 *   pkg/registry/policy/poddisruptionbudget/strategy.go,
 *   staging/src/k8s.io/apiextensions-apiserver/pkg/registry/customresourcedefinition/strategy.go:
 *   create 1; bump when spec changes.
 * - pkg/registry/admissionregistration/{mutating,validating}webhookconfiguration/strategy.go:
 *   create 1; bump when `webhooks` change.
 * - pkg/registry/discovery/endpointslice/strategy.go: create 1; bump when anything but
 *   metadata changes, or the labels.
 * - pkg/registry/scheduling/priorityclass/strategy.go: create 1; PrepareForUpdate never bumps.
 * - pkg/registry/networking/{ingress,ingressclass,networkpolicy}/strategy.go: create 1; bump
 *   when spec changes.
 * - staging/src/k8s.io/apiextensions-apiserver/pkg/registry/customresource/strategy.go (custom
 *   resources): create 1; bump when anything but metadata changes (with a status subresource
 *   the status is first reset to the stored one, so status writes through the main resource
 *   do not bump; without one they do).
 * - No generation: pkg/registry/core/{pod,node,namespace,service,endpoint,configmap,secret,
 *   serviceaccount,event,persistentvolume,persistentvolumeclaim,limitrange,resourcequota,
 *   podtemplate}, apps/controllerrevision, coordination/lease, rbac/*, events/event and
 *   kube-aggregator's apiservice strategies. (Pods gained one only later, with the
 *   PodObservedGenerationTracking feature of 1.33+: create 1, bump on spec change.)
 * Status subresource writes never bump (each status strategy resets the spec to the stored one).
 */
import type { KubeObject } from '../../api/index.js';

/** What bumps `metadata.generation` of a kind that has one. */
export type GenerationRule =
  /** `spec` changed. */
  | 'spec'
  /** `spec` or `metadata.annotations` changed (Deployments). */
  | 'specOrAnnotations'
  /** `webhooks` changed (admission webhook configurations). */
  | 'webhooks'
  /** Anything but `metadata` changed (custom resources without a status subresource). */
  | 'allButMetadata'
  /** Anything but `metadata` and `status` changed (custom resources with a status subresource). */
  | 'allButMetadataAndStatus'
  /** Anything but `metadata` changed, or `metadata.labels` (EndpointSlices). */
  | 'allButMetadataOrLabels'
  /** Set to 1 on create, never bumped (PriorityClasses). */
  | 'createOnly';

/** Built-in kinds with a generation, by `group/resource` (the others have none). */
export const BUILTIN_GENERATION: Record<string, GenerationRule> = {
  'apps/deployments': 'specOrAnnotations',
  'apps/replicasets': 'spec',
  'apps/statefulsets': 'spec',
  'apps/daemonsets': 'spec',
  '/replicationcontrollers': 'spec',
  'batch/jobs': 'spec',
  'batch/cronjobs': 'spec',
  'policy/poddisruptionbudgets': 'spec',
  'apiextensions.k8s.io/customresourcedefinitions': 'spec',
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': 'webhooks',
  'admissionregistration.k8s.io/validatingwebhookconfigurations': 'webhooks',
  'discovery.k8s.io/endpointslices': 'allButMetadataOrLabels',
  'scheduling.k8s.io/priorityclasses': 'createOnly',
  'networking.k8s.io/ingresses': 'spec',
  'networking.k8s.io/ingressclasses': 'spec',
  'networking.k8s.io/networkpolicies': 'spec',
};

type Obj = Record<string, unknown>;

/** The object without metadata (and without apiVersion/kind, which name the version it is read in). */
function allButMetadata(o: Obj): Obj {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/**
 * True when an update from `old` to `next` bumps the generation under `rule`. `equal` is
 * the deep equality to use (Go's `apiequality.Semantic.DeepEqual` for these JSON values).
 */
export function generationBumps(rule: GenerationRule, next: KubeObject, old: KubeObject, equal: (a: unknown, b: unknown) => boolean): boolean {
  // Semantic.DeepEqual: an absent field equals an empty one (nil and empty maps, slices, structs).
  const same = (a: unknown, b: unknown): boolean => equal(a, b) || (isEmpty(a) && isEmpty(b));
  const n = next as unknown as Obj;
  const o = old as unknown as Obj;
  switch (rule) {
    case 'spec':
      return !same(n.spec, o.spec);
    case 'specOrAnnotations':
      return !same(n.spec, o.spec) || !same(next.metadata.annotations, old.metadata.annotations);
    case 'webhooks':
      return !same(n.webhooks, o.webhooks);
    case 'allButMetadata':
      return !same(allButMetadata(n), allButMetadata(o));
    case 'allButMetadataAndStatus': {
      const { status: _sn, ...nRest } = allButMetadata(n);
      const { status: _so, ...oRest } = allButMetadata(o);
      return !same(nRest, oRest);
    }
    case 'allButMetadataOrLabels':
      return !same(allButMetadata(n), allButMetadata(o)) || !same(next.metadata.labels, old.metadata.labels);
    case 'createOnly':
      return false;
  }
}
