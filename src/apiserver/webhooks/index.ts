// Calling out to webhooks (admission and CRD conversion): client config validation, Service
// endpoint resolution, the HTTPS JSON call with caBundle verification and timeouts.
export { postJson, WebhookCallError, type WebhookClientConfig } from './client.js';
export { validateClientConfig } from './validation.js';
