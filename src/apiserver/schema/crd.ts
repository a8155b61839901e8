import type { FieldError } from '../../api/index.js';
import type { CustomResourceDefinition, CustomResourceDefinitionVersion, JSONSchemaProps } from './types.js';
const ni = (): never => { throw new Error('not implemented'); };
/** Validation errors of a CRD object itself (names, group, versions, schema structure, scope). */
export function validateCrd(crd: CustomResourceDefinition): FieldError[] { void crd; return ni(); }
/** The named version of a CRD, or undefined. */
export function crdVersion(crd: CustomResourceDefinition, version: string): CustomResourceDefinitionVersion | undefined { return crd.spec?.versions?.find((v) => v.name === version); }
/** The `openAPIV3Schema` of a CRD version, or undefined. */
export function crdVersionSchema(crd: CustomResourceDefinition, version: string): JSONSchemaProps | undefined { return crdVersion(crd, version)?.schema?.openAPIV3Schema; }
/** The storage version's name. */
export function crdStorageVersion(crd: CustomResourceDefinition): string | undefined { return crd.spec?.versions?.find((v) => v.storage)?.name; }
