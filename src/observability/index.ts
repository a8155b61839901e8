// Public surface of observability: Prometheus registry and controller-runtime
// metric definitions, logging with secret redaction, health/metrics probe server,
// and the event recorder.
export * from './metrics.js';
export * from './redact.js';
export * from './logging.js';
export * from './health.js';
export * from './events.js';
