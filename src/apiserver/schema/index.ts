/**
 * Public surface of the CRD structural-schema module: validation of CRDs and of custom
 * resources against their `openAPIV3Schema`, pruning, defaulting, the OpenAPI v3 documents
 * of CRDs, printer-column Tables, and lazy access to the built-in OpenAPI documents.
 * Everything is synchronous and pure (inputs are never mutated).
 */
export type {
  JSONSchemaProps,
  CustomResourceDefinition,
  CustomResourceDefinitionSpec,
  CustomResourceDefinitionNames,
  CustomResourceDefinitionVersion,
  CustomResourceColumnDefinition,
  CustomResourceSubresources,
  OpenAPIV3Document,
  SwaggerDocument,
  SwaggerSchema,
  Table,
  TableColumnDefinition,
  TableRow,
} from './types.js';

// Built-in OpenAPI documents (shipped in src/apiserver/openapi/kubernetes-v1.32, env KUBELOOP_OPENAPI_DIR, or an explicit dir).
export {
  openAPIDir,
  loadBuiltinSwagger,
  loadBuiltinDefinitions,
  builtinPathOperations,
  pathOperations,
  loadBuiltinOpenAPIv3,
  builtinOpenAPIv3Text,
  loadBuiltinOpenAPI,
  builtinOpenAPIv3GroupVersions,
  openAPIv3FileName,
  builtinDefinitionName,
  builtinDefinition,
  isBuiltinKind,
} from './openapi-files.js';
export type { BuiltinOpenAPI, PathOperations } from './openapi-files.js';

// Navigable schema nodes used by strategic merge patch and server-side apply.
export { builtinSchemaNode, structuralSchemaNode, swaggerDefinitionNode, ANY_NODE } from './nodes.js';
export type { SchemaNode, ListType } from './nodes.js';

// CRD objects.
export { validateCrd, defaultCrd, crdVersion, crdVersionSchema, crdStorageVersion } from './crd.js';

// Custom resources against a structural schema.
export { validate } from './validate.js';
export { loadPatternEngine } from './pattern.js';
export { prune, pruneBuiltin, strictDecodingError, unknownFieldWarnings } from './prune.js';
export type { PruneResult } from './prune.js';
export { applyDefaults } from './defaults.js';
export { builtinDecoder, type BuiltinDecoder, decodeErrorBuiltin, decodeErrorDefinition, decodeErrorMetadata, fieldPathText, type UnknownField, zeroNullsBuiltin } from './decode.js';
export { prepareCustomResource } from './prepare.js';
export type { PrepareOptions, PrepareResult, FieldValidation } from './prepare.js';

// OpenAPI v3 documents for CRDs.
export { crdToOpenAPIv3, mergeOpenAPIDocs, crdSchemaName } from './crd-openapi.js';

// Tables from additionalPrinterColumns.
export { printerColumnsTable, printerColumns, humanDuration } from './printer.js';
export type { PrinterOptions } from './printer.js';
export { evaluateJSONPath, parseJSONPath } from './jsonpath.js';

// Exact quantity arithmetic (resource.Quantity's value and format; quota and limit ranges).
export { quantityValue, formatQuantity, canonicalQuantity, quantityNanos } from './quantity.js';
export type { QuantityFormat } from './quantity.js';
