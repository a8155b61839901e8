/**
 * `spec.conversion` of a CustomResourceDefinition: the default service port and upstream's
 * validation (apiextensions validateCustomResourceConversion). Upstream validates the
 * internal type, so its field paths read `spec.conversion.webhookClientConfig` and
 * `spec.conversion.conversionReviewVersions`; these messages keep them.
 */
import type { FieldError } from '../../api/index.js';
import type { CustomResourceDefinition } from '../schema/index.js';
import { validateClientConfig, type WebhookClientConfig } from '../webhooks/index.js';

export interface WebhookConversion {
  clientConfig?: WebhookClientConfig;
  conversionReviewVersions?: string[];
}

const ACCEPTED = ['v1', 'v1beta1'];
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** The webhook part of `spec.conversion`, if any. */
export function conversionWebhookOf(crd: CustomResourceDefinition): WebhookConversion | undefined {
  const w = crd.spec?.conversion?.webhook;
  return w && typeof w === 'object' ? (w as WebhookConversion) : undefined;
}

/** Fills `webhook.clientConfig.service.port` (443), as the v1 defaults do. Mutates `crd`. */
export function defaultConversion(crd: CustomResourceDefinition): void {
  const service = conversionWebhookOf(crd)?.clientConfig?.service;
  if (service && typeof service === 'object') service.port ??= 443;
}

/** Field errors of `spec.conversion`. `old`: the stored CRD on update (unrecognized review versions it had stay allowed). */
export function validateConversion(crd: CustomResourceDefinition, old?: CustomResourceDefinition): FieldError[] {
  const conversion = crd.spec?.conversion;
  if (!conversion) return [];
  const errs: FieldError[] = [];
  const field = 'spec.conversion';
  const strategy = conversion.strategy;
  if (strategy !== 'None' && strategy !== 'Webhook') {
    errs.push({ type: 'FieldValueNotSupported', field: `${field}.strategy`, message: `${JSON.stringify(strategy ?? '')}: supported values: "None", "Webhook"` });
  }
  const webhook = conversionWebhookOf(crd);
  if (strategy === 'Webhook') {
    if (!webhook?.clientConfig) errs.push({ type: 'FieldValueRequired', field: `${field}.webhookClientConfig`, message: 'required when strategy is set to Webhook' });
    else errs.push(...validateClientConfig(`${field}.webhookClientConfig`, webhook.clientConfig));
    const versions = webhook?.conversionReviewVersions ?? [];
    const vf = `${field}.conversionReviewVersions`;
    if (!versions.length) errs.push({ type: 'FieldValueRequired', field: vf, message: '' });
    const seen = new Set<string>();
    versions.forEach((v, i) => {
      if (seen.has(v)) return void errs.push({ type: 'FieldValueInvalid', field: `${vf}[${i}]`, message: `${JSON.stringify(v)}: duplicate version` });
      seen.add(v);
      if (v.length > 63 || !DNS1035.test(v)) {
        errs.push({ type: 'FieldValueInvalid', field: `${vf}[${i}]`, message: `${JSON.stringify(v)}: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')` });
      }
    });
    const oldVersions = old ? conversionWebhookOf(old)?.conversionReviewVersions ?? [] : [];
    const requireRecognized = !oldVersions.length || oldVersions.some((v) => ACCEPTED.includes(v));
    if (versions.length && requireRecognized && !versions.some((v) => ACCEPTED.includes(v))) {
      errs.push({ type: 'FieldValueInvalid', field: vf, message: `[]string{${versions.map((v) => JSON.stringify(v)).join(', ')}}: must include at least one of ${ACCEPTED.join(', ')}` });
    }
  } else if (webhook) {
    if (webhook.clientConfig) errs.push({ type: 'FieldValueForbidden', field: `${field}.webhookClientConfig`, message: 'should not be set when strategy is not set to Webhook' });
    if (webhook.conversionReviewVersions?.length) errs.push({ type: 'FieldValueForbidden', field: `${field}.conversionReviewVersions`, message: 'should not be set when strategy is not set to Webhook' });
  }
  return errs;
}
