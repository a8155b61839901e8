/** The description of one served resource type (what discovery, storage and handlers need). */
import type { FieldError, KubeObject } from '../../api/index.js';
import type { WebhookClientConfig } from '../webhooks/index.js';
import type { Defaulter } from '../defaults/index.js';
import type { GenerationRule } from './generation.js';
import type { StatusWriteRule } from './status-writes.js';

/** A column of a `meta.k8s.io/v1 Table` (priority > 0 columns show only with `-o wide`). */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** How objects of a type print as Table rows. Plugged per type (CRDs use additionalPrinterColumns). */
export interface TablePrinter {
  columns: TableColumn[];
  /** Cells of one row, in column order. `now` is the time used for AGE. */
  cells(obj: KubeObject, now: number): unknown[];
}

export interface SubresourceInfo {
  /** "status", "scale", "binding", "eviction", ... */
  name: string;
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

/** Per-type create/update behaviour (defaults and validation), like a Go RESTStrategy. */
export interface Strategy {
  /**
   * Upstream's PrepareForCreate (e.g. a Service's `status.loadBalancer`, a Job's generated
   * selector): runs after mutating admission, once the name, uid and creationTimestamp are set
   * and the status is reset, before validation. Not for defaults (those are `defaults`, run
   * on decode, which admission sees). Mutates `obj`.
   */
  prepareForCreate?(obj: KubeObject): void;
  /** Upstream's PrepareForUpdate (e.g. keep immutable fields): after mutating admission, before validation. Mutates `obj`. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /**
   * Field errors make a 422 Invalid. `subresource` is `status` for a status write (upstream's
   * status strategy validates the status, not the spec the write cannot change).
   */
  validate?(obj: KubeObject, old?: KubeObject, subresource?: string): readonly FieldError[];
  /**
   * Normalizes an object once its name is final, after mutating admission (upstream's
   * Canonicalize: a namespace created with `generateName` gets its name label here). Mutates `obj`.
   */
  canonicalize?(obj: KubeObject): void;
  /**
   * True while a type-specific condition keeps an object marked for deletion even without
   * `metadata.finalizers` (namespaces wait for `spec.finalizers`). Default: false.
   */
  keepOnDelete?(obj: KubeObject): boolean;
}

/** Where `/scale` reads and writes replicas (CRDs declare their own paths). */
export interface ScaleSpec {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  /** Plural, lower case: "deployments". */
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  verbs: string[];
  shortNames: string[];
  categories: string[];
  subresources: SubresourceInfo[];
  /** True when a `status` subresource splits status from the main resource. */
  hasStatus: boolean;
  scale?: ScaleSpec;
  /** DELETE answers with the object (pods, serviceaccounts, custom resources) instead of a Status. */
  returnDeletedObject: boolean;
  /** Field selectors supported beyond metadata.name/metadata.namespace, and how to read them. */
  fields?: (obj: KubeObject) => Record<string, string>;
  fieldNames?: string[];
  table?: TablePrinter;
  /**
   * Built-in types: upstream's defaulting on decode (defaults/), run on every write's body
   * (after a patch is applied) before admission and validation. Absent for types without.
   */
  defaults?: Defaulter;
  strategy?: Strategy;
  /**
   * What bumps `metadata.generation`; absent when the kind has none (upstream's strategies set
   * it only for some kinds: see generation.ts). Without one, a generation sent on create is
   * kept as sent and updates cannot change it.
   */
  generation?: GenerationRule;
  /**
   * What a status subresource write may change besides the status (the kind's upstream status
   * strategy: status-writes.ts); absent: the status only, as for custom resources.
   */
  statusWrites?: StatusWriteRule;
  /**
   * Storage identity: objects of types sharing it share storage (several versions of one
   * CRD). Defaults to `group/resource`.
   */
  storageKey: string;
  /** True for the types loaded from the official OpenAPI documents. */
  builtin: boolean;
  /** Custom resources: strategic merge patch is refused with 415. */
  custom?: boolean;
  /**
   * Custom resources: the version's `openAPIV3Schema` (a `JSONSchemaProps`), which server-side
   * apply and managedFields use for list types and map keys.
   */
  structuralSchema?: object;
  /**
   * Custom resources of a CRD with `spec.conversion.strategy: Webhook`: objects are stored in
   * `storageVersion` and the webhook converts them between versions (see conversion/). Without
   * it, versions of a storage differ only in `apiVersion`.
   */
  conversionWebhook?: { storageVersion: string; clientConfig: WebhookClientConfig; conversionReviewVersions: string[] };
  /**
   * Built-in types served in several versions of one storage (HorizontalPodAutoscalers in
   * autoscaling/v1 and v2): objects are stored in `storageVersion` and converted in-process by
   * `convert` (to the apiVersion `desired`) wherever a conversion webhook would be called.
   */
  builtinConversion?: { storageVersion: string; convert(obj: KubeObject, desired: string): KubeObject };
}

/** True when objects of `t` are stored in one version and converted for others (webhook or built-in). */
export function convertsVersions(t: ResourceType): boolean {
  return !!t.conversionWebhook || !!t.builtinConversion;
}

/** `group/version/resource` */
export function gvrKey(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}

/** `apiVersion` of the type. */
export function apiVersionOf(t: { group: string; version: string }): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}
