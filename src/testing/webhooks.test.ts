// installWebhooks without an API server that serves admissionregistration.k8s.io: what it
// writes, through a recording client.
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeClient } from '../client/index.js';
import { Conversion, Manager, Webhook, defineCustomResource, type KindRef, type ObjectOf } from '../index.js';
import { silentLogger, createRegistry } from '../observability/index.js';
import { installWebhooks } from './webhooks.js';

const schema = { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } as const;
const ThingV1 = defineCustomResource({ group: 'iw.kubeloop.io', version: 'v1', kind: 'Thing', plural: 'things', storage: false, schema });
const ThingV2 = defineCustomResource({ group: 'iw.kubeloop.io', version: 'v2', kind: 'Thing', plural: 'things', schema });
type Thing = ObjectOf<typeof ThingV2>;

@Webhook({ for: ThingV2 })
class ThingWebhook {
  default() {}
}

@Conversion({ hub: ThingV2, spoke: ThingV1 })
class ThingV1Conversion {
  toHub(t: Thing) { return t; }
  fromHub(t: Thing) { return t; }
}

test('installWebhooks applies the configurations with the manager\'s URL and CA and sets the CRD\'s conversion webhook', async () => {
  const calls: Array<[string, ...unknown[]]> = [];
  const client = {
    apply: async (obj: unknown, opts: unknown) => calls.push(['apply', obj, opts]),
    get: async (kind: KindRef, name: string) => {
      calls.push(['get', kind.kind, name]);
      return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name }, spec: { group: 'iw.kubeloop.io', names: { kind: 'Thing' }, versions: [{ name: 'v1' }, { name: 'v2' }] } };
    },
    patch: async (kind: KindRef, name: string, patch: unknown, opts: unknown) => calls.push(['patch', kind.kind, name, patch, opts]),
  } as unknown as KubeClient;
  const kubeconfig = 'apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]\nusers: [{ name: u, user: {} }]\ncontexts: [{ name: c, context: { cluster: c, user: u } }]\ncurrent-context: c\n';
  const manager = new Manager({ kubeconfig, logger: silentLogger(), registry: createRegistry(), metricsBindAddress: false, handleSignals: false, webhook: { port: 0, host: '127.0.0.1', selfSigned: true } });
  await assert.rejects(installWebhooks(client, manager.register(ThingWebhook).register(ThingV1Conversion)), /register @Webhook or @Conversion classes and start\(\) it first/);
  await manager.start();
  try {
    await installWebhooks(client, manager);
    const url = manager.webhookServer!.url!;
    const caBundle = Buffer.from(manager.webhookServer!.caBundle!).toString('base64');
    const [apply, get, patch] = calls;
    assert.equal(calls.length, 3, 'one configuration (no validating webhooks), one CRD');
    assert.deepEqual(apply[2], { force: true, fieldManager: 'kubeloop-testing' });
    const config = apply[1] as { kind: string; metadata: { name: string }; webhooks: Array<{ clientConfig: unknown }> };
    assert.equal(config.kind, 'MutatingWebhookConfiguration');
    assert.equal(config.metadata.name, `kubeloop-webhook-${manager.webhookServer!.port}`);
    assert.deepEqual(config.webhooks[0].clientConfig, { url: `${url}/mutate-iw-kubeloop-io-v2-thing`, caBundle });
    assert.deepEqual(get, ['get', 'CustomResourceDefinition', 'things.iw.kubeloop.io']);
    assert.deepEqual(patch.slice(1), [
      'CustomResourceDefinition', 'things.iw.kubeloop.io',
      { spec: { conversion: { strategy: 'Webhook', webhook: { clientConfig: { url: `${url}/convert`, caBundle }, conversionReviewVersions: ['v1'] } } } },
      { type: 'merge' },
    ]);
  } finally {
    await manager.stop();
  }
});
