// The built-in Kubernetes API server. See README.md for the extension points
// (admission plugins, change bus, type registry, OpenAPI documents, subresource handlers).
export { startApiServer, type ApiServer, type ApiServerOptions } from './server.js';
export { ApiServerThread, type RemoteApiServer, type ApiServerThreadOptions, type ApiServerThreadSpawnOptions, type ApiServerThreadLoad, type DialRoute, type DialRouter } from './thread.js';
export type { Dialer } from './aggregator/index.js';
export { AdmissionChain, ReinvocationContext, type AdmissionPlugin, type AdmissionRequest, type DeleteOptions, type Operation } from './admission/index.js';
export {
  ResourceRegistry, type ResourceType, type Strategy, type SubresourceInfo, type TableColumn, type TablePrinter, type ScaleSpec,
  apiVersionOf, builtinTypes, gvrKey,
} from './resources/index.js';
export { OpenApiRegistry, builtinOpenApiDoc, gvPath, type OpenApiDoc } from './openapi/index.js';
export { ResourceOps, storageKeyOf, type ListOptions, type ListResult, type WriteOptions, type WriteResult, type DeleteResult, type SubresourceHandler } from './handlers/rest.js';
export { Store, Wal, openLogFile, type Change, type ChangeType, type Stored, type LogFile, type OpenLogFile } from './storage/index.js';
export { toTable, defaultPrinter, humanDuration, age } from './table/index.js';
export { generatePki, generateServingCertificate, kubeconfigYaml, type Pki } from './pki/index.js';
export { serviceAllocator, type ServiceAllocatorOptions } from './services/index.js';
export { builtinFieldValidation, unknownBuiltinFields } from './validation/index.js';
export { decodeProtobufObject, isKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from './protobuf/index.js';
