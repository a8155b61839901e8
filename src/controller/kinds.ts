/**
 * Kind references: how a controller names the types it reconciles, owns and watches.
 *
 * A `KindRef` carries apiVersion + kind (and the plural resource name and scope when
 * known, which the RBAC generator and the client need). Built-in kinds are ready-made
 * constants below; custom resources come from `defineCustomResource` (crd.ts). Any class
 * or object with string `apiVersion` and `kind` properties (static fields on a class work
 * too) is accepted wherever a kind is expected, see {@link kindRefOf}.
 */
import { parseApiVersion, type KubeObject, type ObjectMeta, type GroupVersionKind } from '../api/index.js';

export interface KindRef<T extends KubeObject = KubeObject> {
  readonly apiVersion: string;
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  /** Lower-case plural resource name ("deployments"); guessed from the kind when not given. */
  readonly plural: string;
  /** True for namespaced kinds (default), false for cluster-scoped ones. */
  readonly namespaced: boolean;
  /** True when the kind has a `status` subresource (RBAC for `<plural>/status`). */
  readonly hasStatus: boolean;
  /** Phantom field carrying the object type; never set at run time. */
  readonly __object?: T;
}

/** Anything that names a kind: a KindRef, or a class/object with `apiVersion` and `kind`. */
export type KindLike<T extends KubeObject = KubeObject> =
  | KindRef<T>
  | { readonly apiVersion: string; readonly kind: string; readonly plural?: string; readonly namespaced?: boolean };

/** The object type a KindRef describes. */
export type ObjectOf<K> = K extends KindRef<infer T> ? T : KubeObject;

export interface DefineKindOptions {
  apiVersion: string;
  kind: string;
  plural?: string;
  /** default true */
  namespaced?: boolean;
  /** default false */
  hasStatus?: boolean;
}

/** Declares a kind (usually a built-in one; custom resources use `defineCustomResource`). */
export function defineKind<T extends KubeObject = KubeObject>(opts: DefineKindOptions): KindRef<T> {
  if (typeof opts.apiVersion !== 'string' || opts.apiVersion === '') throw new TypeError('defineKind: apiVersion is required');
  if (typeof opts.kind !== 'string' || opts.kind === '') throw new TypeError('defineKind: kind is required');
  const { group, version } = parseApiVersion(opts.apiVersion);
  return Object.freeze({
    apiVersion: opts.apiVersion,
    kind: opts.kind,
    group,
    version,
    plural: opts.plural ?? guessPlural(opts.kind),
    namespaced: opts.namespaced ?? true,
    hasStatus: opts.hasStatus ?? false,
  });
}

const normalized = new WeakMap<object, KindRef>();

/** Normalizes anything kind-like into a KindRef; throws a clear error for anything else. */
export function kindRefOf<T extends KubeObject = KubeObject>(k: KindLike<T> | unknown): KindRef<T> {
  if ((typeof k !== 'object' && typeof k !== 'function') || k === null) {
    throw new TypeError(`not a kind reference: ${String(k)} (expected a KindRef or a class with static apiVersion and kind)`);
  }
  const cached = normalized.get(k as object);
  if (cached) return cached as KindRef<T>;
  const any = k as Partial<KindRef>;
  if (typeof any.apiVersion !== 'string' || typeof any.kind !== 'string') {
    const name = typeof k === 'function' ? (k as { name?: string }).name : JSON.stringify(k);
    throw new TypeError(`not a kind reference: ${name} has no string apiVersion and kind`);
  }
  const ref =
    typeof any.group === 'string' && typeof any.plural === 'string' && typeof any.namespaced === 'boolean'
      ? (k as KindRef)
      : defineKind({ apiVersion: any.apiVersion, kind: any.kind, plural: any.plural, namespaced: any.namespaced, hasStatus: any.hasStatus });
  normalized.set(k as object, ref);
  return ref as KindRef<T>;
}

/** "apps/v1, Kind=Deployment" style identity of a kind, used as a map key. */
export function kindKey(k: KindLike): string {
  const r = kindRefOf(k);
  return `${r.apiVersion}, Kind=${r.kind}`;
}

export function gvkOfKind(k: KindLike): GroupVersionKind {
  const r = kindRefOf(k);
  return { group: r.group, version: r.version, kind: r.kind };
}

/** Same guess as Go's meta.UnsafeGuessKindToResource. */
export function guessPlural(kind: string): string {
  const s = kind.toLowerCase();
  if (s === '') return s;
  if (s.endsWith('s')) return s + 'es';
  if (s.endsWith('y')) return s.slice(0, -1) + 'ies';
  return s + 's';
}

// ---------------------------------------------------------------------------------------
// Built-in kinds. The object types are deliberately loose: the fields controllers commonly
// read are typed, everything else stays open.

type Open = Record<string, unknown>;
export interface TypedObject<Spec = Open, Status = Open> extends KubeObject {
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
}

// A type literal (not an interface) so conditions fit schema-derived types with open fields.
export type Condition = {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
  observedGeneration?: number;
};

// Each object type narrows `kind` to its literal: structurally the loose types would otherwise
// be interchangeable (every field optional), and `@Controller({ for: ConfigMap })` on a
// `Reconciler<PodObject>` must not compile.
export type PodObject = TypedObject<
  { nodeName?: string; containers: Array<{ name: string; image?: string } & Open>; serviceAccountName?: string; imagePullSecrets?: Array<{ name: string }> } & Open,
  { phase?: string; conditions?: Condition[]; podIP?: string } & Open
> & { kind?: 'Pod' };
export type NodeObject = TypedObject<
  { podCIDR?: string; podCIDRs?: string[]; providerID?: string; unschedulable?: boolean } & Open,
  { conditions?: Condition[] } & Open
> & { kind?: 'Node' };
export interface SecretObject extends KubeObject {
  kind?: 'Secret';
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
export interface ConfigMapObject extends KubeObject {
  kind?: 'ConfigMap';
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}
export interface ServiceAccountObject extends KubeObject {
  kind?: 'ServiceAccount';
  secrets?: Array<{ name: string }>;
  imagePullSecrets?: Array<{ name: string }>;
}
export type NamespaceObject = TypedObject<{ finalizers?: string[] }, { phase?: string }> & { kind?: 'Namespace' };
export type LeaseObject = TypedObject<{
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}> & { kind?: 'Lease' };
export interface EventObject extends KubeObject {
  kind?: 'Event';
  involvedObject: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string; resourceVersion?: string; fieldPath?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  source?: { component?: string; host?: string };
}

export const Pod = defineKind<PodObject>({ apiVersion: 'v1', kind: 'Pod', plural: 'pods', hasStatus: true });
export const Node = defineKind<NodeObject>({ apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, hasStatus: true });
export const Secret = defineKind<SecretObject>({ apiVersion: 'v1', kind: 'Secret', plural: 'secrets' });
export const ConfigMap = defineKind<ConfigMapObject>({ apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' });
export const ServiceAccount = defineKind<ServiceAccountObject>({ apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' });
export const Namespace = defineKind<NamespaceObject>({ apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, hasStatus: true });
export const Service = defineKind<TypedObject>({ apiVersion: 'v1', kind: 'Service', plural: 'services', hasStatus: true });
export const Endpoints = defineKind<KubeObject>({ apiVersion: 'v1', kind: 'Endpoints', plural: 'endpoints' });
export const EndpointSlice = defineKind<KubeObject>({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices' });
export const PersistentVolumeClaim = defineKind<TypedObject>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', hasStatus: true });
export const Event = defineKind<EventObject>({ apiVersion: 'v1', kind: 'Event', plural: 'events' });
export const Lease = defineKind<LeaseObject>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases' });
export const Deployment = defineKind<TypedObject>({ apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', hasStatus: true });
export const ReplicaSet = defineKind<TypedObject>({ apiVersion: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', hasStatus: true });
export const DaemonSet = defineKind<TypedObject>({ apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', hasStatus: true });
export const StatefulSet = defineKind<TypedObject>({ apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', hasStatus: true });
export const Job = defineKind<TypedObject>({ apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', hasStatus: true });
export const PodDisruptionBudget = defineKind<TypedObject>({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', hasStatus: true });
export const CustomResourceDefinition = defineKind<TypedObject>({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false, hasStatus: true,
});
export const MutatingWebhookConfiguration = defineKind<KubeObject>({
  apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false,
});
