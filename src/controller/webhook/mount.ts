/**
 * Puts a Manager's webhook instances on its webhook server: each @Webhook class's defaulter
 * and validator on their paths, and every @Conversion class, grouped into hub-and-spoke sets
 * per custom resource, on `/convert`.
 */
import type { Logger } from '../context.js';
import { handleDefault, handleValidate } from './admission.js';
import { handleConversion, type HubAndSpokes } from './conversion.js';
import { CONVERSION_PATH, conversionSets, isConversion, webhookMetadata, type Defaulter, type SpokeConversion, type Validator } from './metadata.js';
import type { WebhookServer } from './server.js';

/** A created instance of a @Webhook or @Conversion class, with the logger its admission requests log to. */
export interface WebhookInstance {
  target: Function;
  instance: unknown;
  log: Logger;
}

/** `log` logs conversions (admission requests log to their instance's logger). */
export function mountWebhooks(server: WebhookServer, instances: readonly WebhookInstance[], log: Logger): void {
  const conversions = instances.filter((i) => isConversion(i.target));
  for (const { target, instance, log: instanceLog } of instances) {
    if (isConversion(target)) continue;
    const meta = webhookMetadata(target);
    const requestLog = (uid: string, r: { namespace?: string; name?: string; resource?: { resource?: string } }) =>
      instanceLog.child({ requestID: uid, namespace: r.namespace, name: r.name, resource: r.resource?.resource });
    if (meta.mutating) server.registerAdmission(meta.mutating.path, (req) => handleDefault(instance as Defaulter, req, requestLog(req.uid, req)));
    if (meta.validating) server.registerAdmission(meta.validating.path, (req) => handleValidate(instance as Validator, req, requestLog(req.uid, req)));
  }
  if (conversions.length === 0) return;
  const byTarget = new Map(conversions.map((c) => [c.target, c.instance as SpokeConversion]));
  const sets = new Map<string, HubAndSpokes>();
  for (const [key, set] of conversionSets(conversions.map((c) => c.target))) {
    sets.set(key, { hub: set.hub, spokes: new Map([...set.spokes].map(([version, m]) => [version, byTarget.get(m.target)!])) });
  }
  const conversionLog = log.child({ webhook: CONVERSION_PATH });
  server.registerConversion(CONVERSION_PATH, (review) => handleConversion(review, sets, conversionLog));
}
