// The public surface of the `kubeloop` package: everything an operator author needs, from
// one import. The controller framework (kinds, decorators, predicates, manager, helpers,
// generators) and the object model come whole; the client, informer, queue and
// observability layers contribute their user-facing pieces.
import './reflect-metadata.js';

export * from './api/index.js';
export * from './controller/index.js';

export {
  KubeClient,
  loadKubeConfig,
  inClusterConfig,
  autoConfig,
  isInCluster,
  toGVK,
  RESTMapper,
  NoKindMatchError,
  isNoKindMatch,
  type ClientConfig,
  type LoadKubeConfigOptions,
  type ClientOptions,
  type ListOptions,
  type WriteOptions,
  type PatchType,
  type PatchOptions,
  type DeleteOptions,
  type DeleteCollectionOptions,
  type WatchOptions,
  type RESTMapping,
} from './client/index.js';

export {
  listWatch,
  Store,
  NAMESPACE_INDEX,
  Reflector,
  dropManagedFields,
  SharedInformer,
  SharedInformerFactory,
  CacheSyncTimeoutError,
  type ListWatchEvent,
  type ListWatchOptions,
  type IndexFunc,
  type StoreEvent,
  type InformerScope,
  type InformerFactoryOptions,
} from './informer/index.js';

export {
  WorkQueue,
  RateLimitingQueue,
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  BucketRateLimiter,
  MaxOfRateLimiter,
  WithMaxWaitRateLimiter,
  DefaultControllerRateLimiter,
  type WorkQueueOptions,
  type RateLimitingQueueOptions,
  type RateLimiter,
  type Clock,
  type TimerHandle,
} from './queue/index.js';

export {
  metricsRegistry,
  createRegistry,
  controllerMetrics,
  leaderElectionMetrics,
  initControllerMetrics,
  Registry,
  Counter,
  Gauge,
  Histogram,
  createLogger,
  silentLogger,
  redactSecrets,
  startProbeServer,
  EventBroadcaster,
  type RegistryOptions,
  type LoggerOptions,
  type ProbeServer,
  type ProbeServerOptions,
  type EventSink,
  type CoreEvent,
} from './observability/index.js';
