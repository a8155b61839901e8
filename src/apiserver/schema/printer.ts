/**
 * meta.k8s.io/v1 Tables for custom resources from `additionalPrinterColumns`, as the API
 * server builds them for `kubectl get`: a `Name` column first, then the CRD's columns in
 * order; a CRD version without columns gets a single `Age` column (creationTimestamp).
 * Cells are typed like upstream: integer/number/boolean values or null, strings printed,
 * dates shown as a human duration ("5m", "3d4h") relative to `now`. JSONPath subset: see
 * jsonpath.ts.
 */
import { loadBuiltinDefinitions } from './openapi-files.js';
import { evaluateJSONPath } from './jsonpath.js';
import type { CustomResourceColumnDefinition, CustomResourceDefinitionVersion, Table, TableColumnDefinition, TableRow } from './types.js';

export interface PrinterOptions {
  /** reference time for date columns (default: now) */
  now?: Date | number;
  /** what each row's `object` holds: 'Metadata' (default, PartialObjectMetadata), 'Object', or 'None' */
  includeObject?: 'None' | 'Metadata' | 'Object';
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function metaDescription(field: string): string {
  try {
    const d = loadBuiltinDefinitions().definitions[OBJECT_META]?.properties?.[field]?.description;
    return typeof d === 'string' ? d : '';
  } catch {
    return '';
  }
}

function effectiveColumns(v: CustomResourceDefinitionVersion): CustomResourceColumnDefinition[] {
  const cols = v.additionalPrinterColumns ?? [];
  if (cols.length > 0) return cols;
  return [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: metaDescription('creationTimestamp') }];
}

/** The column definitions of a CRD version's Table (Name first). */
export function printerColumns(crdVersion: CustomResourceDefinitionVersion): TableColumnDefinition[] {
  return [
    { name: 'Name', type: 'string', format: 'name', description: metaDescription('name'), priority: 0 },
    ...effectiveColumns(crdVersion).map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
  ];
}

/** Go's duration.HumanDuration: the compact ages kubectl shows. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function printString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function cell(type: string, value: unknown, now: number): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
      return printString(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      const t = Date.parse(value);
      return Number.isNaN(t) ? '<invalid>' : humanDuration(now - t);
    }
    default:
      return null;
  }
}

function rowObject(obj: unknown, include: PrinterOptions['includeObject']): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  const o = (obj ?? {}) as { metadata?: unknown };
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} };
}

/** A Table of `objects` (custom resources of this CRD version). */
export function printerColumnsTable(crdVersion: CustomResourceDefinitionVersion, objects: unknown[], opts: PrinterOptions = {}): Table {
  const now = opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  const cols = effectiveColumns(crdVersion);
  const rows: TableRow[] = objects.map((obj) => {
    const name = (obj as { metadata?: { name?: unknown } })?.metadata?.name;
    const cells: unknown[] = [typeof name === 'string' ? name : ''];
    for (const c of cols) {
      let value: unknown;
      try {
        value = evaluateJSONPath(obj, c.jsonPath)[0];
      } catch {
        value = undefined; // an unsupported expression prints as an empty cell
      }
      cells.push(cell(c.type, value, now));
    }
    const row: TableRow = { cells };
    const o = rowObject(obj, opts.includeObject ?? 'Metadata');
    if (o !== undefined) row.object = o;
    return row;
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: {}, columnDefinitions: printerColumns(crdVersion), rows };
}
