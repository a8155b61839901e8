// The webhook example of docs/framework.md: its generated manifests are committed and checked
// (library and `kubeloop generate webhooks|crds`), and a test env's Manager serves it.
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  CustomResourceDefinition, MutatingWebhookConfiguration, defineCustomResource, generateCrdFiles, generateWebhookYaml, staleFiles, type WebhookManifestOptions,
} from '../../src/index.js';
import { startTestEnv } from '../../src/testing/index.js';
import { inProcessOnly } from '../support/index.js';
import { PizzaV1, PizzaV2, webhooks } from './webhook-example.js';
import { kubectlFor } from '../support/index.js';

import { runGenerate } from './harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const generated = join(root, 'e2e/framework/generated');
const endpointFlags = ['--service', 'kubeloop-webhook-service', '--namespace', 'kubeloop-system', '--inject-ca-from', 'kubeloop-system/kubeloop-serving-cert'];
const endpoint: WebhookManifestOptions = {
  endpoint: { service: { name: 'kubeloop-webhook-service', namespace: 'kubeloop-system' } },
  injectCaFrom: 'kubeloop-system/kubeloop-serving-cert',
};
const regenerate = `node dist/bundle/cli/main.js generate webhooks|crds --module e2e/framework/webhook-example.ts ${endpointFlags.join(' ')} --out e2e/framework/generated/webhooks|crds`;

test('docs/framework.md shows e2e/framework/webhook-example.ts verbatim', () => {
  const doc = readFileSync(join(root, 'docs/framework.md'), 'utf8');
  const code = readFileSync(join(root, 'e2e/framework/webhook-example.ts'), 'utf8');
  assert.ok(doc.includes('```ts\n' + code + '```'), 'copy e2e/framework/webhook-example.ts into docs/framework.md');
});

test('committed webhook configurations and the CRD with its conversion webhook are up to date', () => {
  const yaml = generateWebhookYaml(webhooks, 'kubeloop-webhook', endpoint);
  assert.equal(yaml, generateWebhookYaml([...webhooks].reverse(), 'kubeloop-webhook', endpoint), 'stable whatever the order');
  assert.equal(yaml, readFileSync(join(generated, 'webhooks/manifests.yaml'), 'utf8'), `run: ${regenerate}`);
  const crds = generateCrdFiles([PizzaV2, PizzaV1], { conversions: webhooks, webhook: endpoint });
  assert.deepEqual(staleFiles(join(generated, 'crds'), crds), [], `run: ${regenerate}`);

  const [mutating, validating] = yaml.split(/^---\n/m).slice(1).map((d) => parse(d));
  for (const config of [mutating, validating]) {
    assert.equal(config.metadata.annotations['cert-manager.io/inject-ca-from'], 'kubeloop-system/kubeloop-serving-cert');
    for (const w of config.webhooks) {
      assert.deepEqual(w.admissionReviewVersions, ['v1']);
      assert.equal(w.sideEffects, 'None');
      assert.equal(w.failurePolicy, 'Fail');
      assert.equal(w.clientConfig.caBundle, undefined, 'left for cert-manager to inject');
    }
  }
  assert.equal(mutating.webhooks[0].clientConfig.service.path, '/mutate-demo-kubeloop-io-v2-pizza');
  assert.equal(validating.webhooks[0].clientConfig.service.path, '/validate-demo-kubeloop-io-v2-pizza');
  // validateCreate and validateUpdate, no validateDelete
  assert.deepEqual(validating.webhooks[0].rules, [{ apiGroups: ['demo.kubeloop.io'], apiVersions: ['v2'], operations: ['CREATE', 'UPDATE'], resources: ['pizzas'] }]);
  const crd = parse(crds.get('demo.kubeloop.io_pizzas.yaml')!.replace(/^#.*\n---\n/, ''));
  assert.deepEqual(crd.spec.conversion, {
    strategy: 'Webhook',
    webhook: { clientConfig: { service: { name: 'kubeloop-webhook-service', namespace: 'kubeloop-system', path: '/convert' } }, conversionReviewVersions: ['v1'] },
  });
  // a URL and a CA bundle instead of a Service and cert-manager
  const byUrl = generateWebhookYaml(webhooks, 'dev', { endpoint: { url: 'https://10.0.0.1:9443/' }, caBundle: 'PEM' });
  assert.match(byUrl, /url: https:\/\/10\.0\.0\.1:9443\/mutate-demo-kubeloop-io-v2-pizza\n\s+caBundle: UEVN\n/);
  // a version without a conversion to the hub
  const PizzaV3 = defineCustomResource({ ...PizzaV1.crd, version: 'v3' });
  assert.throws(() => generateCrdFiles([PizzaV2, PizzaV1, PizzaV3], { conversions: webhooks, webhook: endpoint }), /CRD pizzas.demo.kubeloop.io: version\(s\) v3 have no @Conversion to the hub v2/);
});

test('kubeloop generate webhooks|crds write the same files and --check detects stale ones', async () => {
  const out = mkdtempSync(join(tmpdir(), 'kubeloop-gen-'));
  const run = (...args: string[]) => runGenerate(root, ...args);
  const module = ['--module', 'e2e/framework/webhook-example.ts'];
  try {
    await run('webhooks', ...module, ...endpointFlags, '--out', join(generated, 'webhooks'), '--check');
    await run('crds', ...module, ...endpointFlags, '--out', join(generated, 'crds'), '--check');
    await run('webhooks', ...module, ...endpointFlags, '--out', out);
    assert.equal(readFileSync(join(out, 'manifests.yaml'), 'utf8'), readFileSync(join(generated, 'webhooks/manifests.yaml'), 'utf8'));
    await assert.rejects(run('webhooks', ...module, ...endpointFlags, '--name', 'other', '--out', join(generated, 'webhooks'), '--check'), /out of date/);
    await assert.rejects(run('webhooks', ...module, '--out', out), /--service NAME --namespace NS, or --url/);
    await assert.rejects(run('webhooks', ...module, '--service', 'x', '--out', out), /--service needs --namespace/);
    await assert.rejects(run('webhooks', ...module, '--url', 'http://x', '--out', out), /must be an https:\/\/ URL/);
    await assert.rejects(run('crds', ...module, '--out', out), /declares conversions: say where the conversion webhook is served/);
    await assert.rejects(run('webhooks', '--module', 'e2e/framework/example.ts', '--url', 'https://x', '--out', out), /export no @Webhook classes/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

inProcessOnly('a test env manager serves the example; installWebhooks registers it with the server', 'serves webhooks from the test process, which only the in-process API server reaches (on loopback)', async () => {
  const env = await startTestEnv({ crds: [PizzaV1, PizzaV2] });
  try {
    const manager = env.manager();
    for (const w of webhooks) manager.register(w);
    await manager.start();
    const server = manager.webhookServer!;
    assert.match(server.url!, /^https:\/\/127\.0\.0\.1:\d+$/);
    const body = JSON.stringify({
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      request: { uid: 'u', operation: 'CREATE', object: { apiVersion: PizzaV2.apiVersion, kind: 'Pizza', metadata: { name: 'p' }, spec: { toppings: ['pineapple'] } } },
    });
    const response = await new Promise<any>((resolve, reject) => {
      const req = request(`${server.url}/mutate-demo-kubeloop-io-v2-pizza`, { method: 'POST', ca: server.caBundle, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(JSON.parse(text).response));
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(response.allowed, true);
    assert.deepEqual(JSON.parse(Buffer.from(response.patch, 'base64').toString()), [{ op: 'add', path: '/spec/size', value: 'M' }]);

    await env.installWebhooks(manager, { name: 'pizza' });
    const mutating = await env.client.get<any>(MutatingWebhookConfiguration, 'pizza');
    assert.equal(mutating.webhooks[0].clientConfig.url, `${server.url}/mutate-demo-kubeloop-io-v2-pizza`);
    assert.equal(Buffer.from(mutating.webhooks[0].clientConfig.caBundle, 'base64').toString(), server.caBundle);
    const crd = await env.client.get<any>(CustomResourceDefinition, 'pizzas.demo.kubeloop.io');
    assert.equal(crd.spec.conversion.webhook.clientConfig.url, `${server.url}/convert`);
  } finally {
    await env.stop();
  }
});

inProcessOnly('end to end through kubectl: the built-in server calls the Manager\'s defaulting, validating and conversion webhooks', 'serves webhooks from the test process, which only the in-process API server reaches (on loopback)', async () => {
  const env = await startTestEnv({ crds: [PizzaV1, PizzaV2] });
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-webhooks-'));
  try {
    const manager = env.manager();
    for (const w of webhooks) manager.register(w);
    await manager.start();
    await env.installWebhooks(manager, { name: 'pizza' });
    const kubectl = kubectlFor(env.server.kubeconfigPath, dir);
    const apply = (doc: object) => kubectl(['apply', '-f', '-'], JSON.stringify(doc));
    const pizza = (name: string, spec: object, version = 'v2') => ({ apiVersion: `demo.kubeloop.io/${version}`, kind: 'Pizza', metadata: { name, namespace: 'default' }, spec });

    // defaulting (mutating webhook) and a warning from the validating one
    let r = await apply(pizza('margherita', { toppings: ['basil', 'pineapple'] }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: pineapple: are you sure\?/);
    r = await kubectl(['get', 'pizzas.v2.demo.kubeloop.io', 'margherita', '-o', 'jsonpath={.spec.size}']);
    assert.equal(r.stdout, 'M', 'defaulted by the mutating webhook');

    // a denial, worded as kube-apiserver words it
    r = await apply(pizza('too-much', { toppings: ['a', 'b', 'c', 'd', 'e', 'f'] }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /admission webhook "[^"]+" denied the request: at most 5 toppings/);
    r = await kubectl(['patch', 'pizzas.v2.demo.kubeloop.io', 'margherita', '--type', 'merge', '-p', '{"spec":{"size":"L"}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /the size of a pizza cannot change/);

    // conversion: written in v1 (toppings as one string), read in v2 (a list) and back
    r = await apply(pizza('old-style', { size: 'S', toppings: 'ham,olives' }, 'v1'));
    assert.equal(r.code, 0, r.stderr);
    r = await kubectl(['get', 'pizzas.v2.demo.kubeloop.io', 'old-style', '-o', 'json']);
    assert.deepEqual(JSON.parse(r.stdout).spec, { size: 'S', toppings: ['ham', 'olives'] });
    r = await kubectl(['get', 'pizzas.v1.demo.kubeloop.io', 'margherita', '-o', 'jsonpath={.spec.toppings}']);
    assert.equal(r.stdout, 'basil,pineapple');
  } finally {
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
