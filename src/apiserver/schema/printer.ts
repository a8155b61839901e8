import type { CustomResourceDefinitionVersion, Table, TableColumnDefinition } from './types.js';
export interface PrinterOptions { now?: Date | number }
export function printerColumns(crdVersion: CustomResourceDefinitionVersion): TableColumnDefinition[] { void crdVersion; throw new Error('not implemented'); }
export function printerColumnsTable(crdVersion: CustomResourceDefinitionVersion, objects: unknown[], opts: PrinterOptions = {}): Table { void crdVersion; void objects; void opts; throw new Error('not implemented'); }
export function humanDuration(ms: number): string { void ms; throw new Error('not implemented'); }
