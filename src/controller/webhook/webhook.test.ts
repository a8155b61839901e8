// The Manager's webhook server over TLS: AdmissionReview and ConversionReview JSON posted the
// way the API server posts them, checked against controller-runtime's answers; the serving
// certificate reloaded from a cert dir.
import 'reflect-metadata';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { connect, type PeerCertificate } from 'node:tls';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fjp from 'fast-json-patch';
import { newInvalid } from '../../api/index.js';
import { createRegistry } from '../../observability/index.js';
import type { Logger } from '../context.js';
import { defineCustomResource } from '../crd.js';
import type { ObjectOf } from '../kinds.js';
import { ContainerModule, inject } from 'inversify';
import { Manager, type ManagerOptions } from '../manager.js';
import { Controller } from '../metadata.js';
import { AdmissionDenied } from './admission.js';
import { selfSignedCert } from './certs.js';
import { Conversion, Webhook, webhookMetadata, type SpokeConversion } from './metadata.js';
import type { AdmissionRequestInfo, AdmissionReview, JsonPatchOperation } from './types.js';

const silent: Logger = { child: () => silent, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:1' } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`;

const schema = { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } as const;
const GadgetV1 = defineCustomResource({ group: 'wh.kubeloop.io', version: 'v1', kind: 'Gadget', plural: 'gadgets', storage: false, schema });
const GadgetV2 = defineCustomResource({ group: 'wh.kubeloop.io', version: 'v2', kind: 'Gadget', plural: 'gadgets', schema });
const GadgetV3 = defineCustomResource({ group: 'wh.kubeloop.io', version: 'v3', kind: 'Gadget', plural: 'gadgets', storage: false, schema });
type Gadget = ObjectOf<typeof GadgetV2>;

const ManagedBy = Symbol('greeting');

@Webhook({ for: GadgetV2 })
class GadgetWebhook {
  constructor(@inject(ManagedBy) private readonly managedBy: string) {}
  default(g: Gadget) {
    if ((g.spec as { boom?: boolean } | undefined)?.boom) (undefined as unknown as { x: number }).x = 1; // a bug: TypeError
    g.spec ??= {};
    g.spec.replicas ??= 1;
    delete g.spec.legacy;
    g.metadata.labels = { ...g.metadata.labels, 'app.kubernetes.io/managed-by': this.managedBy };
  }
  validateCreate(g: Gadget, req: AdmissionRequestInfo) {
    const n = Number(g.spec?.replicas ?? 0);
    if (n > 10) throw new Error(`replicas must be at most 10 (asked by ${req.userInfo.username})`);
    return n > 5 ? [`${n} replicas is a lot`] : undefined;
  }
  validateUpdate(old: Gadget, g: Gadget) {
    if (old.spec?.name !== g.spec?.name) {
      throw newInvalid('wh.kubeloop.io', 'Gadget', g.metadata.name!, [{ type: 'FieldValueForbidden', field: 'spec.name', message: 'is immutable' }]);
    }
  }
  validateDelete(g: Gadget) {
    if (g.metadata.labels?.protected) throw new AdmissionDenied('the gadget is protected', { warnings: ['remove the protected label first'] });
  }
}

@Webhook({ for: GadgetV1, failurePolicy: 'Ignore' })
class GadgetV1Validator {
  validateCreate() {
    return ['v1 is deprecated'];
  }
}

// v2 is the hub: v1 has `size` (a number of centimetres), v2 `size: { value, unit }`, v3 `sizeMm`.
@Conversion({ hub: GadgetV2, spoke: GadgetV1 })
class GadgetV1Conversion implements SpokeConversion<Gadget, Gadget> {
  toHub(g: Gadget): Gadget {
    if (g.spec?.size === 'huge') throw new Error('size "huge" has no v2 form');
    const { size, ...rest } = g.spec ?? {};
    return { ...g, spec: { ...rest, size: { value: size, unit: 'cm' } } };
  }
  fromHub(g: Gadget): Gadget {
    const { size, ...rest } = g.spec ?? {};
    return { ...g, spec: { ...rest, size: (size as { value: number }).value } };
  }
}

@Conversion({ hub: GadgetV2, spoke: GadgetV3 })
class GadgetV3Conversion implements SpokeConversion<Gadget, Gadget> {
  toHub(g: Gadget): Gadget {
    const { sizeMm, ...rest } = g.spec ?? {};
    return { apiVersion: 'ignored', metadata: g.metadata, spec: { ...rest, size: { value: Number(sizeMm) / 10, unit: 'cm' } } };
  }
  async fromHub(g: Gadget): Promise<Gadget> {
    const { size, ...rest } = g.spec ?? {};
    return { metadata: undefined as never, spec: { ...rest, sizeMm: (size as { value: number }).value * 10 } };
  }
}

const managers: Manager[] = [];
const dirs: string[] = [];
after(async () => {
  for (const m of managers) await m.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function startManager(
  webhook: ManagerOptions['webhook'],
  classes: Function[] = [GadgetWebhook, GadgetV1Validator, GadgetV1Conversion, GadgetV3Conversion],
  extra: ManagerOptions = {},
): Promise<Manager> {
  const m = new Manager({
    kubeconfig: KUBECONFIG, logger: silent, registry: createRegistry(), metricsBindAddress: false, handleSignals: false,
    modules: [new ContainerModule(({ bind }) => void bind(ManagedBy).toConstantValue('kubeloop'))],
    webhook,
    ...extra,
  });
  for (const c of classes) m.register(c);
  managers.push(m);
  await m.start();
  return m;
}

let shared: Promise<Manager> | undefined;
const manager = () => (shared ??= startManager({ port: 0, host: '127.0.0.1', selfSigned: true }));

/** POSTs `body` over TLS, trusting only the manager's CA bundle. */
async function post(m: Manager, path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ code: number; body: any }> {
  const s = m.webhookServer!;
  const data = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(s.url + path, { method: 'POST', ca: s.caBundle, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ code: res.statusCode!, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

function review(request: Record<string, unknown>, apiVersion = 'admission.k8s.io/v1'): AdmissionReview {
  return {
    apiVersion, kind: 'AdmissionReview',
    request: {
      uid: 'uid-1', kind: { group: 'wh.kubeloop.io', version: 'v2', kind: 'Gadget' }, resource: { group: 'wh.kubeloop.io', version: 'v2', resource: 'gadgets' },
      namespace: 'default', name: 'g1', operation: 'CREATE', userInfo: { username: 'alice' }, ...request,
    } as AdmissionReview['request'],
  };
}

const gadget = (spec: Record<string, unknown>, labels?: Record<string, string>, apiVersion = 'wh.kubeloop.io/v2'): Gadget => ({
  apiVersion, kind: 'Gadget', metadata: { name: 'g1', namespace: 'default', ...(labels ? { labels } : {}) }, spec,
});

const MUTATE = '/mutate-wh-kubeloop-io-v2-gadget';
const VALIDATE = '/validate-wh-kubeloop-io-v2-gadget';

test('declarations: paths, names and operations follow from the methods', () => {
  const m = webhookMetadata(GadgetWebhook);
  assert.deepEqual(m.mutating, { name: 'mgadget-v2.wh.kubeloop.io', path: MUTATE, operations: ['CREATE', 'UPDATE'] });
  assert.deepEqual(m.validating, { name: 'vgadget-v2.wh.kubeloop.io', path: VALIDATE, operations: ['CREATE', 'UPDATE', 'DELETE'] });
  assert.equal(m.failurePolicy, 'Fail');
  assert.equal(m.sideEffects, 'None');
  const v1 = webhookMetadata(GadgetV1Validator);
  assert.equal(v1.mutating, undefined);
  assert.deepEqual(v1.validating?.operations, ['CREATE']);
  assert.throws(() => Webhook({ for: GadgetV2 })(class Empty {}), /neither default\(\) nor validateCreate/);
  // kubebuilder's verbs=create: a defaulter of fields immutable after creation
  class CreateOnly { default() {} }
  Webhook({ for: GadgetV2, mutatingName: 'create-only.wh.kubeloop.io', mutatingOperations: ['CREATE'] })(CreateOnly);
  assert.deepEqual(webhookMetadata(CreateOnly).mutating?.operations, ['CREATE']);
  assert.throws(() => Webhook({ for: GadgetV2, mutatingOperations: ['DELETE' as 'CREATE'] })(class BadOps { default() {} }), /mutatingOperations must be a non-empty list of CREATE and\/or UPDATE/);
  assert.throws(() => Webhook({ for: GadgetV2, mutatingOperations: [] })(class NoOps { default() {} }), /mutatingOperations must be/);
  assert.throws(() => Webhook({ for: GadgetV2, mutatingOperations: ['CREATE'] })(class NoDefault { validateCreate() {} }), /mutatingOperations is set but the class has no default\(\)/);
  assert.throws(() => Conversion({ hub: GadgetV2, spoke: GadgetV2 })(class Same { toHub() {} fromHub() {} } as never), /both wh.kubeloop.io\/v2/);
});

test('defaulting: the response is the RFC 6902 patch from the request object to the defaulted one', async () => {
  const m = await manager();
  const object = gadget({ legacy: true, name: 'a' }, { team: 'x' });
  const r = await post(m, MUTATE, review({ object }));
  assert.equal(r.code, 200);
  assert.equal(r.body.apiVersion, 'admission.k8s.io/v1');
  assert.equal(r.body.kind, 'AdmissionReview');
  const res = r.body.response;
  assert.equal(res.uid, 'uid-1');
  assert.equal(res.allowed, true);
  assert.deepEqual(res.status, { code: 200 });
  assert.equal(res.patchType, 'JSONPatch');
  const patch = JSON.parse(Buffer.from(res.patch, 'base64').toString()) as JsonPatchOperation[];
  const sorted = [...patch].sort((a, b) => a.path.localeCompare(b.path));
  assert.deepEqual(sorted, [
    { op: 'add', path: '/metadata/labels/app.kubernetes.io~1managed-by', value: 'kubeloop' },
    { op: 'remove', path: '/spec/legacy' },
    { op: 'add', path: '/spec/replicas', value: 1 },
  ]);
  const patched = fjp.applyPatch(structuredClone(object), patch as fjp.Operation[], true).newDocument;
  assert.deepEqual(patched, gadget({ name: 'a', replicas: 1 }, { team: 'x', 'app.kubernetes.io/managed-by': 'kubeloop' }));

  // nothing to change: allowed, no patch
  const same = await post(m, MUTATE, review({ object: patched }));
  assert.deepEqual(same.body.response, { uid: 'uid-1', allowed: true, status: { code: 200 } });
  // DELETE is not defaulted
  const del = await post(m, MUTATE, review({ operation: 'DELETE', oldObject: object }));
  assert.deepEqual(del.body.response, { uid: 'uid-1', allowed: true, status: { code: 200 } });
  // a bug in default() is a 500, not a denial
  const boom = await post(m, MUTATE, review({ object: gadget({ boom: true }) }));
  assert.equal(boom.body.response.allowed, false);
  assert.equal(boom.body.response.status.code, 500);
  assert.match(boom.body.response.status.message, /^panic: .* \[recovered\]$/);
  // no object to decode
  const empty = await post(m, MUTATE, review({ object: null }));
  assert.deepEqual(empty.body.response.status.code, 400);
});

test('validating: warnings, denials with 403 or the thrown Status, per operation', async () => {
  const m = await manager();
  const ok = await post(m, VALIDATE, review({ object: gadget({ replicas: 3 }) }));
  assert.deepEqual(ok.body.response, { uid: 'uid-1', allowed: true, status: { code: 200 } });
  const warned = await post(m, VALIDATE, review({ object: gadget({ replicas: 7 }) }));
  assert.deepEqual(warned.body.response, { uid: 'uid-1', allowed: true, status: { code: 200 }, warnings: ['7 replicas is a lot'] });
  const denied = await post(m, VALIDATE, review({ object: gadget({ replicas: 11 }) }));
  assert.deepEqual(denied.body.response, {
    uid: 'uid-1', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'replicas must be at most 10 (asked by alice)' },
  });
  const immutable = await post(m, VALIDATE, review({ operation: 'UPDATE', oldObject: gadget({ name: 'a' }), object: gadget({ name: 'b' }) }));
  const st = immutable.body.response.status;
  assert.equal(immutable.body.response.allowed, false);
  assert.equal(st.code, 422);
  assert.equal(st.reason, 'Invalid');
  assert.equal(st.message, 'Gadget.wh.kubeloop.io "g1" is invalid: spec.name: Forbidden: is immutable');
  assert.deepEqual(st.details.causes, [{ reason: 'FieldValueForbidden', message: 'Forbidden: is immutable', field: 'spec.name' }]);
  assert.equal(st.kind, undefined, 'the status is a Status without kind/apiVersion');
  const update = await post(m, VALIDATE, review({ operation: 'UPDATE', oldObject: gadget({ name: 'a' }), object: gadget({ name: 'a', replicas: 2 }) }));
  assert.equal(update.body.response.allowed, true);
  const protectedDelete = await post(m, VALIDATE, review({ operation: 'DELETE', oldObject: gadget({}, { protected: 'yes' }) }));
  assert.deepEqual(protectedDelete.body.response, {
    uid: 'uid-1', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'the gadget is protected' }, warnings: ['remove the protected label first'],
  });
  const noOld = await post(m, VALIDATE, review({ operation: 'UPDATE', object: gadget({}) }));
  assert.equal(noOld.body.response.status.code, 400);
  // a webhook without validateUpdate allows updates
  const v1 = await post(m, '/validate-wh-kubeloop-io-v1-gadget', review({ operation: 'UPDATE', oldObject: gadget({}), object: gadget({}) }));
  assert.equal(v1.body.response.allowed, true);
  // v1beta1 reviews are answered in v1beta1
  const beta = await post(m, '/validate-wh-kubeloop-io-v1-gadget', review({ object: gadget({}) }, 'admission.k8s.io/v1beta1'));
  assert.equal(beta.body.apiVersion, 'admission.k8s.io/v1beta1');
  assert.deepEqual(beta.body.response.warnings, ['v1 is deprecated']);
});

test('the HTTP layer: content type, empty and oversized bodies, unknown paths, metrics', async () => {
  const m = await manager();
  const badType = await post(m, VALIDATE, review({ object: gadget({}) }), { 'content-type': 'text/plain' });
  assert.equal(badType.code, 200);
  assert.deepEqual(badType.body.response, { uid: '', allowed: false, status: { code: 400, message: 'contentType=text/plain, expected application/json' } });
  const empty = await post(m, VALIDATE, '');
  assert.equal(empty.body.response.status.code, 400);
  const garbage = await post(m, VALIDATE, '{not json');
  assert.equal(garbage.body.response.status.code, 400);
  const notReview = await post(m, VALIDATE, { apiVersion: 'v1', kind: 'Pod' });
  assert.equal(notReview.body.response.status.code, 400);
  const huge = await post(m, VALIDATE, Buffer.alloc(7 * 1024 * 1024 + 1, 'a'));
  assert.equal(huge.body.response.status.code, 413);
  const missing = await post(m, '/validate-nothing', review({}));
  assert.equal(missing.code, 404);
  const metrics = await m.registry.metrics();
  assert.match(metrics, new RegExp(`controller_runtime_webhook_requests_total\\{webhook="${VALIDATE}",code="200"\\} \\d+`));
  assert.match(metrics, new RegExp(`controller_runtime_webhook_requests_in_flight\\{webhook="${VALIDATE}"\\} 0`));
  assert.ok(m.webhookServer!.started);
});

test('conversion: a list of objects through the hub, in order; a failure fails the whole review', async () => {
  const m = await manager();
  const convert = (desiredAPIVersion: string, objects: unknown[]) =>
    post(m, '/convert', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request: { uid: 'c-1', desiredAPIVersion, objects } });
  const v1 = gadget({ size: 12, color: 'red' }, { a: 'b' }, 'wh.kubeloop.io/v1');
  const v2 = gadget({ size: { value: 3, unit: 'cm' } }, undefined, 'wh.kubeloop.io/v2');
  const v3 = gadget({ sizeMm: 50 }, undefined, 'wh.kubeloop.io/v3');
  const toHub = await convert('wh.kubeloop.io/v2', [v1, v3, v2]);
  assert.equal(toHub.code, 200);
  assert.equal(toHub.body.apiVersion, 'apiextensions.k8s.io/v1');
  assert.equal(toHub.body.kind, 'ConversionReview');
  assert.equal(toHub.body.request, undefined);
  assert.deepEqual(toHub.body.response, {
    uid: 'c-1',
    result: { status: 'Success' },
    convertedObjects: [
      gadget({ size: { value: 12, unit: 'cm' }, color: 'red' }, { a: 'b' }),
      gadget({ size: { value: 5, unit: 'cm' } }),
      v2,
    ],
  });
  // spoke to spoke goes through the hub; metadata is kept when a function leaves it out
  const toV3 = await convert('wh.kubeloop.io/v3', [v1]);
  assert.deepEqual(toV3.body.response.convertedObjects, [gadget({ sizeMm: 120, color: 'red' }, { a: 'b' }, 'wh.kubeloop.io/v3')]);
  const toV1 = await convert('wh.kubeloop.io/v1', [v3, v2]);
  assert.deepEqual(toV1.body.response.convertedObjects.map((o: Gadget) => [o.apiVersion, o.spec]), [['wh.kubeloop.io/v1', { size: 5 }], ['wh.kubeloop.io/v1', { size: 3 }]]);

  const failed = await convert('wh.kubeloop.io/v2', [v2, gadget({ size: 'huge' }, undefined, 'wh.kubeloop.io/v1')]);
  assert.deepEqual(failed.body.response, { uid: 'c-1', convertedObjects: [], result: { status: 'Failure', message: 'size "huge" has no v2 form' } });
  const unknownVersion = await convert('wh.kubeloop.io/v9', [v1]);
  assert.equal(unknownVersion.body.response.result.status, 'Failure');
  assert.match(unknownVersion.body.response.result.message, /no conversion between wh.kubeloop.io\/v9 and the hub wh.kubeloop.io\/v2/);
  const unknownKind = await convert('wh.kubeloop.io/v2', [{ ...v1, kind: 'Widget' }]);
  assert.match(unknownKind.body.response.result.message, /no conversion is registered for Widget.wh.kubeloop.io/);
  // a bug in a conversion function (v2 without spec.size: reading .value of undefined) is not shown to the client
  const panicked = await convert('wh.kubeloop.io/v1', [gadget({}, undefined, 'wh.kubeloop.io/v2')]);
  assert.deepEqual(panicked.body.response.result, { status: 'Failure', message: 'internal error occurred during conversion' });
  const bad = await post(m, '/convert', '{');
  assert.equal(bad.code, 400);
  const noRequest = await post(m, '/convert', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview' });
  assert.equal(noRequest.code, 400);
});

test('registration errors: two hubs, one class in two roles, a missing cert dir', async () => {
  @Conversion({ hub: GadgetV1, spoke: GadgetV3 })
  class OtherHub {
    toHub(g: Gadget) { return g; }
    fromHub(g: Gadget) { return g; }
  }
  await assert.rejects(startManager({ port: 0, selfSigned: true }, [GadgetV1Conversion, OtherHub]), /has two hubs, v2 and v1/);
  assert.throws(() => {
    @Webhook({ for: GadgetV2 })
    @Controller({ for: GadgetV2, name: 'both' })
    class Both {
      reconcile() {}
      validateCreate() {}
    }
    return Both;
  }, /@Webhook on Both: the class already carries @Controller, @Webhook or @Conversion/);
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-wh-'));
  dirs.push(dir);
  await assert.rejects(startManager({ port: 0, certDir: dir }, [GadgetV1Validator]), new RegExp(`webhook serving certificate ${dir}/tls.crt / ${dir}/tls.key: ENOENT`));
});

/** The certificate the server presents (its fingerprint), trusting `ca`. */
function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca }, () => {
      const cert: PeerCertificate = s.getPeerCertificate();
      s.end();
      resolve(cert.fingerprint256);
    });
    s.on('error', reject);
  });
}

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const fingerprintOf = async (pem: string) => new (await import('node:crypto')).X509Certificate(pem).fingerprint256;

test('cert dir: files replaced in place and a Secret volume\'s ..data swap are both picked up; a bad pair is ignored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-wh-'));
  dirs.push(dir);
  const first = selfSignedCert(['localhost', '127.0.0.1']);
  // laid out as the kubelet mounts a Secret: files are symlinks into ..data, itself a symlink to a timestamped folder
  const writeVersion = (name: string, c: { certPem: string; keyPem: string; caPem?: string }) => {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'tls.crt'), c.certPem);
    writeFileSync(join(dir, name, 'tls.key'), c.keyPem);
    writeFileSync(join(dir, name, 'ca.crt'), c.caPem!);
    symlinkSync(name, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  };
  writeVersion('..v1', first);
  for (const f of ['tls.crt', 'tls.key', 'ca.crt']) symlinkSync(join('..data', f), join(dir, f));
  // a long poll interval: the folder watch must notice
  const m = await startManager({ port: 0, host: '127.0.0.1', certDir: dir, certPollIntervalMs: 3_600_000 }, [GadgetV1Validator]);
  const port = m.webhookServer!.port!;
  assert.equal(m.webhookServer!.caBundle, first.caPem);
  assert.equal(await servedFingerprint(port, first.caPem!), await fingerprintOf(first.certPem));

  const second = selfSignedCert(['localhost', '127.0.0.1']);
  writeVersion('..v2', second);
  const want2 = await fingerprintOf(second.certPem);
  await until('the rotated certificate served', async () => (await servedFingerprint(port, second.caPem!)) === want2);
  assert.equal(m.webhookServer!.caBundle, second.caPem);

  // a key that does not match its certificate is not loaded: the current pair stays
  const third = selfSignedCert(['localhost', '127.0.0.1']);
  mkdirSync(join(dir, '..v3'));
  writeFileSync(join(dir, '..v3', 'tls.crt'), third.certPem);
  writeFileSync(join(dir, '..v3', 'tls.key'), second.keyPem);
  writeFileSync(join(dir, '..v3', 'ca.crt'), third.caPem!);
  symlinkSync('..v3', join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  // then plain files written over the symlinks (a hostPath or an emptyDir rotated by a sidecar) fix it
  const fourth = selfSignedCert(['localhost', '127.0.0.1']);
  for (const [f, content] of [['tls.key', fourth.keyPem], ['tls.crt', fourth.certPem]] as const) {
    writeFileSync(join(dir, `${f}.tmp`), content);
    renameSync(join(dir, `${f}.tmp`), join(dir, f));
  }
  const want4 = await fingerprintOf(fourth.certPem);
  await until('the certificate written in place served', async () => (await servedFingerprint(port, fourth.caPem!)) === want4);
  // ca.crt still points at ..v3's CA
  assert.equal(m.webhookServer!.caBundle, third.caPem);
});

test('cert dir: the poll finds a change the watch cannot see', async () => {
  const root = mkdtempSync(join(tmpdir(), 'kubeloop-wh-'));
  dirs.push(root);
  const a = join(root, 'a');
  const b = join(root, 'b');
  const first = selfSignedCert(['127.0.0.1']);
  const second = selfSignedCert(['127.0.0.1']);
  for (const [d, c] of [[a, first], [b, second]] as const) {
    mkdirSync(d);
    writeFileSync(join(d, 'tls.crt'), c.certPem);
    writeFileSync(join(d, 'tls.key'), c.keyPem);
  }
  // the cert dir is a symlink; swapping its target changes nothing inside the watched folder
  const dir = join(root, 'certs');
  symlinkSync(a, dir);
  const m = await startManager({ port: 0, host: '127.0.0.1', certDir: dir, certPollIntervalMs: 50 }, [GadgetV1Validator], { healthProbeBindAddress: 0 });
  assert.equal(m.webhookServer!.caBundle, undefined, 'no ca.crt: no bundle');
  const readyz = await (await fetch(`${m.healthProbeUrl}/readyz?verbose`)).text();
  assert.match(readyz, /\[\+\]webhook ok/, 'the webhook server is a readiness check');
  symlinkSync(b, join(root, 'tmp'));
  renameSync(join(root, 'tmp'), dir);
  const want = await fingerprintOf(second.certPem);
  await until('the new certificate served', async () => (await servedFingerprint(m.webhookServer!.port!, second.caPem!)) === want);
});
