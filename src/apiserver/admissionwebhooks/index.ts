/**
 * Dynamic admission control: MutatingWebhookConfiguration and ValidatingWebhookConfiguration
 * objects (defaults and validation) and the two late admission plugins that call the webhooks
 * they describe on matching requests.
 */
import type { AdmissionChain } from '../admission/index.js';
import type { ResourceRegistry } from '../resources/index.js';
import type { Store } from '../storage/index.js';
import { configurationDefaults, configurationStrategy } from './configurations.js';
import { admissionWebhookPlugins, type ConvertObjects, type ScaleView } from './dispatch.js';
import { GROUP } from './types.js';


/** Gives the configuration types their defaults and strategy and adds the webhook plugins to `admission`. */
export function installAdmissionWebhooks(host: { registry: ResourceRegistry; store: Store; admission: AdmissionChain; convert: ConvertObjects; scale: ScaleView }): void {
  for (const [resource, mutating] of [['mutatingwebhookconfigurations', true], ['validatingwebhookconfigurations', false]] as const) {
    const t = host.registry.get(GROUP, 'v1', resource);
    if (t) host.registry.add({ ...t, defaults: configurationDefaults(mutating), strategy: configurationStrategy(mutating) });
  }
  for (const p of admissionWebhookPlugins(host)) host.admission.add(p);
}
