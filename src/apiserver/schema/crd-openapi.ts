import type { CustomResourceDefinition, OpenAPIV3Document } from './types.js';
/** `<reversed group>.<version>.<Kind>` as upstream names custom resource schemas. */
export function crdSchemaName(group: string, version: string, kind: string): string { return [...group.split('.').reverse(), version, kind].join('.'); }
/** The OpenAPI v3 document (paths + components) of one version of a CRD. */
export function crdToOpenAPIv3(crd: CustomResourceDefinition, version: string): OpenAPIV3Document { void crd; void version; throw new Error('not implemented'); }
/** Merges several per-CRD documents of one group-version into one. */
export function mergeOpenAPIDocs(docs: OpenAPIV3Document[]): OpenAPIV3Document { void docs; throw new Error('not implemented'); }
