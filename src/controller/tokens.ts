/**
 * Inversify service identifiers the manager binds. Classes (KubeClient, Manager,
 * SharedInformerFactory) are bound under themselves too, so constructor parameters typed
 * with them are injected without @inject; interfaces need `@inject(TOKENS.X)`.
 */
export const TOKENS = {
  /** KubeClient (also bound as the KubeClient class). */
  KubeClient: Symbol.for('kubeloop.KubeClient'),
  /** Logger; in a controller's container it carries the `controller` field. */
  Logger: Symbol.for('kubeloop.Logger'),
  /** Recorder (EventRecorder); in a controller's container its source component is the controller name. */
  EventRecorder: Symbol.for('kubeloop.EventRecorder'),
  /** `(kind) => CacheReader` for the kinds the manager watches. */
  CacheReaderFactory: Symbol.for('kubeloop.CacheReaderFactory'),
  /** `(component) => EventRecorder` for other event sources. */
  EventRecorderFactory: Symbol.for('kubeloop.EventRecorderFactory'),
  /** The SharedInformerFactory. */
  InformerFactory: Symbol.for('kubeloop.InformerFactory'),
  /** The prom-client Registry served on /metrics. */
  MetricsRegistry: Symbol.for('kubeloop.MetricsRegistry'),
  /** The Manager. */
  Manager: Symbol.for('kubeloop.Manager'),
  /** In a controller's container: its name. */
  ControllerName: Symbol.for('kubeloop.ControllerName'),
} as const;
