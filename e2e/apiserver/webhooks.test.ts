// kubectl against admission and conversion webhooks of the built-in API server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admissionResponse, conversionResponse, startWebhookServer, type WebhookServer } from '../../src/apiserver/webhook-testkit.js';
import { eventually, startHarness, type Harness } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** v1 (storage) has `size: "10cm"`, v2 has `sizeCm: 10`. */
function convert(o: Json, desired: string): Json {
  const spec = { ...(o.spec ?? {}) };
  if (desired.endsWith('/v2') && spec.size !== undefined) {
    spec.sizeCm = parseInt(spec.size, 10);
    delete spec.size;
  } else if (desired.endsWith('/v1') && spec.sizeCm !== undefined) {
    spec.size = `${spec.sizeCm}cm`;
    delete spec.sizeCm;
  }
  return { ...o, apiVersion: desired, spec };
}

describe('kubectl with admission and conversion webhooks', () => {
  let h: Harness;
  let wh: WebhookServer;
  before(async () => {
    h = await startHarness();
    wh = await startWebhookServer((path, review) => {
      if (path === '/convert') return conversionResponse(review, convert);
      const o = review.request.object;
      if (path === '/validate') {
        if (o.data?.forbidden) return admissionResponse(review, { allowed: false, status: { code: 403, reason: 'Forbidden', message: 'data.forbidden is not allowed here' } });
        return admissionResponse(review, { warnings: ['checked by validate.example.com'] });
      }
      return admissionResponse(review, { patch: [{ op: 'add', path: '/metadata/annotations', value: { ...(o.metadata.annotations ?? {}), 'mutated-by': 'mutate.example.com' } }] });
    });
    const hooks = (kind: string, name: string, path: string) => `apiVersion: admissionregistration.k8s.io/v1
kind: ${kind}
metadata: {name: ${name}}
webhooks:
- name: ${name}.example.com
  clientConfig: {url: "${wh.url}${path}", caBundle: ${wh.caBundle}}
  rules: [{operations: [CREATE, UPDATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
  namespaceSelector: {matchLabels: {webhooks: "on"}}
  sideEffects: None
  admissionReviewVersions: [v1]
`;
    const r = await h.kubectl(['apply', '-f', '-'], `${hooks('ValidatingWebhookConfiguration', 'validate', '/validate')}---\n${hooks('MutatingWebhookConfiguration', 'mutate', '/mutate')}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await h.kubectl(['create', 'namespace', 'hooked'])).code, 0);
    assert.equal((await h.kubectl(['label', 'namespace', 'hooked', 'webhooks=on'])).code, 0);
  });
  after(async () => {
    await h.close();
    await wh.close();
  });

  it('lists the configurations', async () => {
    const r = await h.kubectl(['get', 'validatingwebhookconfigurations,mutatingwebhookconfigurations']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /validatingwebhookconfiguration.admissionregistration.k8s.io\/validate\s+1\s+\d+s/);
    assert.match(r.stdout, /mutatingwebhookconfiguration.admissionregistration.k8s.io\/mutate\s+1\s+\d+s/);
  });

  it('shows a denial as upstream does and prints the webhook\'s warnings', async () => {
    let r = await h.kubectl(['-n', 'hooked', 'create', 'configmap', 'bad', '--from-literal=forbidden=yes']);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim(), 'error: failed to create configmap: admission webhook "validate.example.com" denied the request: data.forbidden is not allowed here');
    r = await h.kubectl(['-n', 'hooked', 'apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {forbidden: "yes"}\n');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(Forbidden\): error when creating "STDIN": admission webhook "validate.example.com" denied the request: data.forbidden is not allowed here/);
    r = await h.kubectl(['-n', 'hooked', 'create', 'configmap', 'good', '--from-literal=a=b']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: checked by validate.example.com/);
    const cm = JSON.parse((await h.kubectl(['-n', 'hooked', 'get', 'configmap', 'good', '-o', 'json'])).stdout);
    assert.equal(cm.metadata.annotations['mutated-by'], 'mutate.example.com');
    // Outside the selected namespaces nothing is called.
    const before = wh.calls.length;
    assert.equal((await h.kubectl(['create', 'configmap', 'plain', '--from-literal=forbidden=yes'])).code, 0);
    assert.equal(wh.calls.length, before);
  });

  it('reads, lists and watches a webhook-converted custom resource in either version', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.conv.example.com}
spec:
  group: conv.example.com
  scope: Namespaced
  names: {plural: widgets, kind: Widget}
  conversion:
    strategy: Webhook
    webhook:
      clientConfig: {url: "${wh.url}/convert", caBundle: ${wh.caBundle}}
      conversionReviewVersions: [v1]
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {size: {type: string}}}}}}
  - name: v2
    served: true
    storage: false
    additionalPrinterColumns: [{name: Cm, type: integer, jsonPath: .spec.sizeCm}]
    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {sizeCm: {type: integer}}}}}}
`;
    let r = await h.kubectl(['apply', '-f', '-'], crd);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['apply', '-f', '-'], 'apiVersion: conv.example.com/v1\nkind: Widget\nmetadata: {name: small}\nspec: {size: 10cm}\n');
    assert.equal(r.code, 0, r.stderr);
    const v2 = JSON.parse((await h.kubectl(['get', 'widgets.v2.conv.example.com', 'small', '-o', 'json'])).stdout);
    assert.equal(v2.apiVersion, 'conv.example.com/v2');
    assert.deepEqual(v2.spec, { sizeCm: 10 });
    // Written back through v2, read in v1.
    r = await h.kubectl(['apply', '-f', '-'], 'apiVersion: conv.example.com/v2\nkind: Widget\nmetadata: {name: small}\nspec: {sizeCm: 12}\n');
    assert.equal(r.code, 0, r.stderr);
    const v1 = JSON.parse((await h.kubectl(['get', 'widgets.v1.conv.example.com', 'small', '-o', 'json'])).stdout);
    assert.deepEqual(v1.spec, { size: '12cm' });
    // The v2 Table prints v2's column from converted objects.
    r = await h.kubectl(['get', 'widgets.v2.conv.example.com']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+CM\nsmall\s+12\n/);
    const w = h.kubectlBg(['get', 'widgets.v2.conv.example.com', '-w', '-o', 'jsonpath={.metadata.name}={.spec.sizeCm}{"\\n"}']);
    await eventually(() => w.output().includes('small=12'), 10_000, 'the initial event');
    r = await h.kubectl(['apply', '-f', '-'], 'apiVersion: conv.example.com/v1\nkind: Widget\nmetadata: {name: large}\nspec: {size: 90cm}\n');
    assert.equal(r.code, 0, r.stderr);
    await eventually(() => w.output().includes('large=90'), 10_000, 'the converted live event');
    w.kill();
  });
});
