// Public surface of the controller framework: kinds and custom resources, decorators,
// predicates, the reconcile contract, the controller loop and manager (with leader
// election), helpers for conditions/ownership/finalizers/patches, and generators.
export * from './kinds.js';
export type { JSONSchemaProps, FromSchema } from './schema.js';
export * from './crd.js';
export * from './predicates.js';
export * from './errors.js';
export * from './conditions.js';
export * from './ownership.js';
export * from './patch.js';
export type {
  Result, Logger, CacheReader, ReconcileContext, Reconciler, StartContext,
  RequestReconciler, RequestContext, RequestSource, SourceContext,
} from './context.js';
export { queueOf, type ControllerQueue } from './handles.js';
export { EventRecorder } from './context.js';
export {
  Controller,
  Index,
  controllerMetadata,
  isController,
  registeredControllers,
  toRequests,
  watch,
  requestKey,
  type Request,
  type PolicyRule,
  type OwnsSpec,
  type WatchSpec,
  type MapFunc,
  type MapContext,
  type ControllerOptions,
  type RequestControllerOptions,
  type ReconcilerClass,
  type RequestReconcilerClass,
  type ControllerMetadata,
  type IndexSpec,
} from './metadata.js';
export { ControllerRunner, type ControllerStatus, type EventHandlers, type WatchSource, type RunnerDeps, type ReconcileOutcome, type ReconcileResult } from './runtime.js';
export { rbacRules, clusterRoleManifest, type RbacOptions } from './rbac.js';
export { generateCrdFiles, generateRbacYaml, generateWebhookYaml, staleFiles, collectExports, GENERATED_HEADER, type ExportedDeclarations, type CrdFileOptions } from './generate.js';
export { Manager, LeaderElectionLostError, type ManagerOptions } from './manager.js';
export { LeaderElector, defaultIdentity, type LeaderElectionOptions, type LeaderCallbacks } from './leader.js';
export { TOKENS } from './tokens.js';
// webhooks: declarations, the server and the manifests (./webhook/index.ts is the list)
export * from './webhook/index.js';
export { createEventRecording, ClientEventSink, type EventRecording } from './wiring.js';
// inversify helpers users need to declare dependencies, re-exported so one import suffices
export { inject, injectable, optional, ContainerModule, Container } from './inversify.js';
