/**
 * Custom resources declared once in TypeScript, with their OpenAPI schema:
 *
 *   export const Widget = defineCustomResource({
 *     group: 'example.kubeloop.io', version: 'v1', kind: 'Widget', plural: 'widgets',
 *     schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } },
 *     subresources: { status: true },
 *   });
 *   export type Widget = ObjectOf<typeof Widget>;   // { metadata, spec?: { size?: number }, ... }
 *
 * The result is a KindRef (usable in @Controller) that also carries what is needed to
 * generate the CustomResourceDefinition manifest ({@link crdManifest}). Every definition is
 * remembered in a process-wide registry that `kubeloop generate crds` reads.
 */
import type { KubeObject, ObjectMeta } from '../api/index.js';
import { defineKind, type KindRef } from './kinds.js';
import type { FromSchema, JSONSchemaProps } from './schema.js';

export interface PrinterColumn {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  /** 0 (default) shows in `kubectl get`; higher only with `-o wide`. */
  priority?: number;
}

export interface CustomResourceOptions<S extends JSONSchemaProps> {
  /** API group, a DNS subdomain with at least one dot ("log.alibabacloud.com"). */
  group: string;
  /** Version name ("v1", "v1alpha1"). */
  version: string;
  /** CamelCase kind ("AliyunLogConfig"). */
  kind: string;
  /** Lower-case plural resource name ("aliyunlogconfigs"). */
  plural: string;
  /** default: the lower-cased kind */
  singular?: string;
  shortNames?: string[];
  categories?: string[];
  /** default 'Namespaced' */
  scope?: 'Namespaced' | 'Cluster';
  /** openAPIV3Schema of the whole object (apiVersion, kind and metadata are added). */
  schema: S;
  printerColumns?: PrinterColumn[];
  /** default: no subresources */
  subresources?: { status?: boolean; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
  /** Whether this version is the storage version (default true; one per group+kind). */
  storage?: boolean;
  /** default true */
  served?: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
}

/** The object type of a custom resource with schema `S`. */
export type CustomObject<S, K extends string = string> = KubeObject & { metadata: ObjectMeta; kind?: K } & (FromSchema<S> extends object ? FromSchema<S> : unknown);

export interface CustomResourceRef<T extends KubeObject = KubeObject> extends KindRef<T> {
  readonly crd: Readonly<CustomResourceOptions<JSONSchemaProps>>;
}

const registry: CustomResourceRef[] = [];

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Declares a custom resource; see the module comment. Throws on invalid names. */
export function defineCustomResource<const S extends JSONSchemaProps, const K extends string = string>(
  opts: CustomResourceOptions<S> & { kind: K },
): CustomResourceRef<CustomObject<S, K>> {
  const problems: string[] = [];
  if (!DNS1123_SUBDOMAIN.test(opts.group ?? '') || !opts.group.includes('.')) problems.push(`group "${opts.group}" must be a DNS subdomain with at least one dot`);
  if (!DNS1123_LABEL.test(opts.version ?? '')) problems.push(`version "${opts.version}" must be a DNS label`);
  if (!/^[A-Z][A-Za-z0-9]*$/.test(opts.kind ?? '')) problems.push(`kind "${opts.kind}" must be CamelCase starting with an upper-case letter`);
  if (!DNS1123_LABEL.test(opts.plural ?? '')) problems.push(`plural "${opts.plural}" must be a lower-case DNS label`);
  for (const s of opts.shortNames ?? []) if (!DNS1123_LABEL.test(s)) problems.push(`short name "${s}" must be a lower-case DNS label`);
  if (opts.scope !== undefined && opts.scope !== 'Namespaced' && opts.scope !== 'Cluster') problems.push(`scope must be Namespaced or Cluster`);
  if (!opts.schema || typeof opts.schema !== 'object' || (opts.schema.type !== undefined && opts.schema.type !== 'object')) {
    problems.push('schema must be an object schema (type: object)');
  }
  if (opts.schema && typeof opts.schema === 'object') problems.push(...structuralProblems(opts.schema, 'schema'));
  if (problems.length) throw new TypeError(`defineCustomResource ${opts.kind ?? '?'}: ${problems.join('; ')}`);
  const base = defineKind<CustomObject<S, K>>({
    apiVersion: `${opts.group}/${opts.version}`,
    kind: opts.kind,
    plural: opts.plural,
    namespaced: (opts.scope ?? 'Namespaced') === 'Namespaced',
    hasStatus: opts.subresources?.status === true,
  });
  const ref: CustomResourceRef<CustomObject<S, K>> = Object.freeze({ ...base, crd: Object.freeze({ ...opts }) as CustomResourceOptions<JSONSchemaProps> });
  registry.push(ref as unknown as CustomResourceRef);
  return ref;
}

/**
 * The checks of a structural schema that the API server would otherwise reject the CRD for
 * (apiextensions "structural schema" rules): every node has a type unless it is
 * int-or-string or preserves unknown fields, arrays have items, properties and
 * additionalProperties are not combined, and the root is an object.
 */
export function structuralProblems(schema: JSONSchemaProps, path: string): string[] {
  const out: string[] = [];
  const walk = (s: JSONSchemaProps, at: string, root: boolean) => {
    if (typeof s !== 'object' || s === null) {
      out.push(`${at} must be a schema object`);
      return;
    }
    const exempt = s['x-kubernetes-int-or-string'] === true || s['x-kubernetes-preserve-unknown-fields'] === true;
    if (!s.type && !exempt) out.push(`${at}.type must be set (or x-kubernetes-int-or-string / x-kubernetes-preserve-unknown-fields)`);
    if (root && s.type !== undefined && s.type !== 'object') out.push(`${at}.type must be object at the root`);
    if (s.type === 'array' && !s.items) out.push(`${at}.items must be set for arrays`);
    if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false) {
      out.push(`${at}: properties and additionalProperties are mutually exclusive`);
    }
    for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${at}.properties.${k}`, false);
    if (s.items) walk(s.items, `${at}.items`, false);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${at}.additionalProperties`, false);
    for (const r of s.required ?? []) if (s.properties && !(r in s.properties)) out.push(`${at}.required: "${r}" is not a declared property`);
  };
  walk(schema, path, true);
  return out;
}

/** Every custom resource defined so far in this process, in definition order. */
export function definedCustomResources(): readonly CustomResourceRef[] {
  return registry;
}

export function isCustomResourceRef(k: unknown): k is CustomResourceRef {
  return typeof k === 'object' && k !== null && typeof (k as CustomResourceRef).crd === 'object';
}

/** The schema as stored in the CRD: the user's schema plus apiVersion/kind/metadata. */
function fullSchema(schema: JSONSchemaProps): JSONSchemaProps {
  return {
    ...schema,
    type: 'object',
    properties: {
      apiVersion: {
        type: 'string',
        description:
          'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
      },
      kind: {
        type: 'string',
        description:
          'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.',
      },
      metadata: { type: 'object' },
      ...(schema.properties ?? {}),
    },
  };
}

function versionEntry(ref: CustomResourceRef): Record<string, unknown> {
  const o = ref.crd;
  const v: Record<string, unknown> = { name: o.version, served: o.served ?? true, storage: o.storage ?? true };
  if (o.deprecated) v.deprecated = true;
  if (o.deprecationWarning) v.deprecationWarning = o.deprecationWarning;
  v.schema = { openAPIV3Schema: fullSchema(o.schema) };
  const sub: Record<string, unknown> = {};
  if (o.subresources?.status) sub.status = {};
  if (o.subresources?.scale) sub.scale = { ...o.subresources.scale };
  if (Object.keys(sub).length) v.subresources = sub;
  if (o.printerColumns?.length) v.additionalPrinterColumns = o.printerColumns.map((c) => ({ ...c }));
  return v;
}

/**
 * The apiextensions.k8s.io/v1 CustomResourceDefinition for one or more versions of the same
 * group+kind. With several versions exactly one must be the storage version.
 */
export function crdManifest(...versions: CustomResourceRef[]): Record<string, unknown> {
  if (versions.length === 0) throw new TypeError('crdManifest: no versions given');
  const first = versions[0].crd;
  for (const r of versions) {
    if (r.crd.group !== first.group || r.crd.kind !== first.kind || r.crd.plural !== first.plural) {
      throw new TypeError(`crdManifest: ${r.crd.kind}.${r.crd.group} mixed with ${first.kind}.${first.group}`);
    }
  }
  const storage = versions.filter((r) => r.crd.storage ?? true);
  if (versions.length > 1 && storage.length !== 1) {
    throw new TypeError(`crdManifest: ${first.plural}.${first.group} needs exactly one storage version, has ${storage.length}`);
  }
  const names: Record<string, unknown> = {
    kind: first.kind,
    listKind: `${first.kind}List`,
    plural: first.plural,
    singular: first.singular ?? first.kind.toLowerCase(),
  };
  const shortNames = [...new Set(versions.flatMap((r) => r.crd.shortNames ?? []))];
  if (shortNames.length) names.shortNames = shortNames;
  const categories = [...new Set(versions.flatMap((r) => r.crd.categories ?? []))];
  if (categories.length) names.categories = categories;
  const sorted = [...versions].sort((a, b) => a.crd.version.localeCompare(b.crd.version));
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${first.plural}.${first.group}` },
    spec: {
      group: first.group,
      names,
      scope: first.scope ?? 'Namespaced',
      versions: sorted.map((r) => {
        const v = versionEntry(r);
        if (versions.length > 1) v.storage = storage[0] === r;
        return v;
      }),
    },
  };
}

/** Groups custom resource refs by CRD name (`plural.group`), sorted by name. */
export function groupByCrd(refs: Iterable<CustomResourceRef>): Map<string, CustomResourceRef[]> {
  const m = new Map<string, CustomResourceRef[]>();
  for (const r of refs) {
    const name = `${r.crd.plural}.${r.crd.group}`;
    const list = m.get(name) ?? [];
    if (!list.some((x) => x.crd.version === r.crd.version)) list.push(r);
    m.set(name, list);
  }
  return new Map([...m.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
