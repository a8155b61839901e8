/** admissionregistration.k8s.io/v1 webhook configuration shapes (the fields this server reads). */
import type { KubeObject, LabelSelectorSpec } from '../../api/index.js';
import type { WebhookClientConfig } from '../webhooks/index.js';

export interface RuleWithOperations {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: 'Cluster' | 'Namespaced' | '*';
}

/** A MutatingWebhook or ValidatingWebhook (the mutating one adds `reinvocationPolicy`). */
export interface Webhook {
  name: string;
  clientConfig: WebhookClientConfig;
  rules?: RuleWithOperations[];
  failurePolicy?: 'Fail' | 'Ignore';
  matchPolicy?: 'Exact' | 'Equivalent';
  namespaceSelector?: LabelSelectorSpec;
  objectSelector?: LabelSelectorSpec;
  sideEffects?: 'None' | 'NoneOnDryRun' | 'Some' | 'Unknown';
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  reinvocationPolicy?: 'Never' | 'IfNeeded';
  matchConditions?: unknown[];
}

export type WebhookConfiguration = KubeObject & { webhooks?: Webhook[] };

export const GROUP = 'admissionregistration.k8s.io';
export const MUTATING = `${GROUP}/mutatingwebhookconfigurations`;
export const VALIDATING = `${GROUP}/validatingwebhookconfigurations`;
