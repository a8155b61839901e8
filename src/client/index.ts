// Public surface of the client: configuration (kubeconfig, in-cluster), the dynamic
// `KubeClient` (CRUD, patch, server-side apply, watch), discovery/REST mapping and
// error normalisation. Only `api` is imported from here.
export { loadKubeConfig, inClusterConfig, autoConfig, isInCluster, SERVICE_ACCOUNT_DIR, TokenFileAuthenticator } from './config.js';
export type { ClientConfig, LoadKubeConfigOptions, InClusterOptions } from './config.js';
export { KubeClient, isValidFieldManager, toGVK } from './client.js';
export type {
  KindRef,
  ClientOptions,
  ListOptions,
  WriteOptions,
  PatchType,
  PatchOptions,
  DeleteOptions,
  DeleteCollectionOptions,
  WatchOptions,
} from './client.js';
export { RESTMapper, resourcePath } from './discovery.js';
export type { RESTMapping } from './discovery.js';
export { Transport, IdleTimeoutError, buildQuery } from './transport.js';
export type { TransportOptions, RequestSpec, RawResponse } from './transport.js';
export { statusErrorFromResponse, toStatusError, NoKindMatchError, isNoKindMatch } from './errors.js';
export { LineSplitter } from './lines.js';
