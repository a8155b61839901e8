/**
 * Registers a Manager's webhooks with an API server, as `make deploy` and cert-manager do in a
 * cluster but pointing at the Manager's own URL: the MutatingWebhookConfiguration and
 * ValidatingWebhookConfiguration of its @Webhook classes, and the conversion webhook on the
 * CRDs its @Conversion classes cover, each with the webhook server's CA bundle.
 *
 *   const mgr = env.manager();             // test managers serve webhooks on a free port, self-signed
 *   mgr.register(GuestbookWebhook);
 *   await mgr.start();
 *   await env.installWebhooks(mgr);        // the server now calls mgr's webhooks
 */
import type { KubeClient } from '../client/index.js';
import {
  CustomResourceDefinition, isConversion, conversionMetadata, webhookConfigurations, withConversionWebhook,
  type Manager, type WebhookManifestOptions,
} from '../controller/index.js';

export interface InstallWebhooksOptions {
  /** Name of both configurations. Default `kubeloop-webhook-<port>` (one per Manager). */
  name?: string;
}

/** Creates (server-side applies) the configurations and patches the CRDs; the manager must be started. */
export async function installWebhooks(client: KubeClient, manager: Manager, opts: InstallWebhooksOptions = {}): Promise<void> {
  const server = manager.webhookServer;
  if (!server?.url) throw new Error('the manager serves no webhooks: register @Webhook or @Conversion classes and start() it first');
  const o: WebhookManifestOptions = { endpoint: { url: server.url }, caBundle: server.caBundle };
  const { mutating, validating } = webhookConfigurations(manager.webhooks, opts.name ?? `kubeloop-webhook-${server.port}`, o);
  for (const doc of [mutating, validating]) if (doc) await client.apply(doc, { force: true, fieldManager: 'kubeloop-testing' });
  const conversions = manager.webhooks.filter(isConversion);
  const crdNames = new Set(conversions.map((c) => conversionMetadata(c).hub).map((hub) => `${hub.plural}.${hub.group}`));
  for (const name of crdNames) {
    const crd = await client.get<Record<string, unknown>>(CustomResourceDefinition, name);
    const { spec } = withConversionWebhook(crd, conversions, o) as { spec: { conversion: unknown } };
    await client.patch(CustomResourceDefinition, name, { spec: { conversion: spec.conversion } }, { type: 'merge' });
  }
}
