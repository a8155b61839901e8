// Webhooks: declarations (@Webhook, @Conversion), admission and conversion handling with
// controller-runtime's semantics, the Manager's HTTPS webhook server with reloaded or
// generated certificates, and the manifests that register them. This is the public surface
// (src/controller/index.ts re-exports it whole); the Manager mounts handlers with ./mount.js.
export {
  Webhook,
  Conversion,
  isWebhook,
  isConversion,
  webhookMetadata,
  conversionMetadata,
  registeredWebhooks,
  webhookPath,
  CONVERSION_PATH,
  type Defaulter,
  type Validator,
  type Warnings,
  type SpokeConversion,
  type WebhookOptions,
  type WebhookMethods,
  type WebhookMetadata,
  type ConversionOptions,
  type ConversionMetadata,
  type FailurePolicy,
  type SideEffects,
  type AdmissionOperation,
} from './metadata.js';
export { AdmissionDenied } from './admission.js';
export { WebhookServer, type WebhookServerOptions } from './server.js';
export { webhookConfigurations, withConversionWebhook, type WebhookEndpoint, type WebhookManifestOptions } from './manifests.js';
export type {
  AdmissionRequest,
  AdmissionRequestInfo,
  AdmissionResponse,
  AdmissionReview,
  AdmissionStatus,
  ConversionReview,
  ConversionContext,
  JsonPatchOperation,
} from './types.js';
