// Public surface of the informer: list-watch as a cold RxJS Observable (driven by a pure
// state machine), the reflector and its indexed store, and the shared informer factory.
export { listWatch } from './listwatch.js';
export type { ListWatchEvent, ListWatchOptions } from './listwatch.js';
export { transition, initialState, entryEffect, backoffDelay, isExpired, defaultBackoff } from './machine.js';
export type { State as ListWatchState, Input as ListWatchInput, Effect as ListWatchEffect, BackoffConfig, MachineConfig, StreamingPolicy } from './machine.js';
export { Store, NAMESPACE_INDEX, namespaceIndexFunc } from './store.js';
export type { CacheReader, IndexFunc } from './store.js';
export { Reflector, dropManagedFields } from './reflector.js';
export type { StoreEvent, ReflectorOptions } from './reflector.js';
export { SharedInformer, SharedInformerFactory, CacheSyncTimeoutError } from './shared.js';
export type { InformerScope, InformerFactoryOptions, ListWatchFailure } from './shared.js';
