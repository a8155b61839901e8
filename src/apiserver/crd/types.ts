/**
 * Resource types of a CustomResourceDefinition: one per served version, with the printer
 * columns, status/scale subresources and the structural-schema strategy (validation); plus
 * version ordering and CRD defaults.
 */
import type { FieldError, KubeObject } from '../../api/index.js';
import type { ResourceType, TableColumn, TablePrinter } from '../resources/index.js';
import {
  type CustomResourceDefinition, type CustomResourceDefinitionVersion, type JSONSchemaProps, printerColumns, printerColumnsTable, validate,
} from '../schema/index.js';
import { conversionWebhookOf } from './conversion.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Kube-aware version priority: GA before beta before alpha, higher numbers first, then others alphabetically. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    return { major: Number(m[1]), rank: m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, minor: Number(m[3] ?? 0) };
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && !pb) return -1;
  if (!pa && pb) return 1;
  if (!pa || !pb) return a.localeCompare(b);
  if (pa.rank !== pb.rank) return pb.rank - pa.rank;
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}

/** The CRD's names with upstream defaults (singular = lower-case kind, listKind = kind + "List"). */
export function effectiveNames(crd: CustomResourceDefinition) {
  const n = crd.spec.names;
  return {
    plural: n.plural,
    singular: n.singular || n.kind.toLowerCase(),
    kind: n.kind,
    listKind: n.listKind || `${n.kind}List`,
    shortNames: n.shortNames ?? [],
    categories: n.categories ?? [],
  };
}

/** Fills the defaults upstream stores with a CRD. Mutates `crd`. */
export function defaultCrd(crd: CustomResourceDefinition): void {
  const spec = crd.spec;
  if (!spec || typeof spec !== 'object') return;
  if (spec.names && typeof spec.names === 'object' && typeof spec.names.kind === 'string' && spec.names.kind) {
    spec.names.singular ||= spec.names.kind.toLowerCase();
    spec.names.listKind ||= `${spec.names.kind}List`;
  }
  spec.conversion ??= { strategy: 'None' };
  for (const v of Array.isArray(spec.versions) ? spec.versions : []) {
    for (const c of v?.additionalPrinterColumns ?? []) if (c && c.priority === undefined) c.priority = 0;
  }
}

function tablePrinter(v: CustomResourceDefinitionVersion): TablePrinter {
  const columns: TableColumn[] = printerColumns(v).map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 }));
  return {
    columns,
    cells: (obj: KubeObject, now: number) => printerColumnsTable(v, [obj], { now, includeObject: 'None' }).rows[0].cells,
  };
}

/** The served types of a CRD, highest-priority version first. */
export function crdResourceTypes(crd: CustomResourceDefinition): ResourceType[] {
  const { group, scope } = crd.spec;
  const names = effectiveNames(crd);
  const served = crd.spec.versions.filter((v) => v.served).sort((a, b) => compareVersions(a.name, b.name));
  const webhook = crd.spec.conversion?.strategy === 'Webhook' ? conversionWebhookOf(crd) : undefined;
  const storageVersion = crd.spec.versions.find((v) => v.storage)?.name;
  const conversionWebhook = webhook?.clientConfig && storageVersion
    ? { storageVersion, clientConfig: webhook.clientConfig, conversionReviewVersions: webhook.conversionReviewVersions ?? [] }
    : undefined;
  return served.map((v) => {
    const schema: JSONSchemaProps = v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    const sub = v.subresources ?? {};
    const t: ResourceType = {
      group,
      version: v.name,
      resource: names.plural,
      kind: names.kind,
      listKind: names.listKind,
      singular: names.singular,
      namespaced: scope !== 'Cluster',
      verbs: ALL_VERBS,
      shortNames: names.shortNames,
      categories: names.categories,
      subresources: [],
      hasStatus: !!sub.status,
      returnDeletedObject: true,
      table: tablePrinter(v),
      strategy: {
        validate: (obj: KubeObject, old?: KubeObject): FieldError[] => ratchet(validate(schema, obj), obj, old),
      },
      storageKey: `${group}/${names.plural}`,
      builtin: false,
      custom: true,
      // Custom resources always have a generation (upstream's customresource/strategy.go).
      generation: sub.status ? 'allButMetadataAndStatus' : 'allButMetadata',
      structuralSchema: schema,
      conversionWebhook,
    };
    const selectable = (v.selectableFields ?? []).map((f) => String(f?.jsonPath ?? '').replace(/^\./, '')).filter(Boolean);
    if (selectable.length) {
      // Field selectors on the CRD's selectableFields (strings, integers and booleans as Go prints them).
      t.fieldNames = selectable;
      t.fields = (obj: KubeObject) => {
        const out: Record<string, string> = {};
        for (const path of selectable) {
          const value = path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
          out[path] = value === undefined || value === null || typeof value === 'object' ? '' : String(value);
        }
        return out;
      };
    }
    if (sub.status) t.subresources.push({ name: 'status', group, version: v.name, kind: names.kind, verbs: ['get', 'patch', 'update'] });
    if (sub.scale) {
      t.scale = { specReplicasPath: sub.scale.specReplicasPath, statusReplicasPath: sub.scale.statusReplicasPath, labelSelectorPath: sub.scale.labelSelectorPath };
      t.subresources.push({ name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    }
    return t;
  });
}

/** The value at a field path as the validator writes it (`spec.items[0].name`), or undefined. */
export function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = m[2] !== undefined ? (Array.isArray(cur) ? cur[Number(m[2])] : undefined) : (cur as Record<string, unknown>)[m[1]];
  }
  return cur;
}

/**
 * Validation ratcheting (upstream's CRDValidationRatcheting, on by default since 1.30): on
 * updates, errors about fields whose value did not change are dropped, so objects that a
 * tightened schema now rejects can still be updated elsewhere (finalizers removed...).
 */
export function ratchet(errs: FieldError[], obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  if (!old || !errs.length) return errs;
  return errs.filter((e) => JSON.stringify(valueAt(obj, e.field)) !== JSON.stringify(valueAt(old, e.field)));
}

/** The schema of a served version (a permissive one when the CRD declares none). */
export function versionSchema(crd: CustomResourceDefinition, version: string): JSONSchemaProps {
  return crd.spec.versions.find((v) => v.name === version)?.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
}
