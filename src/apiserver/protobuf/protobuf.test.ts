// Bodies below were produced by kubectl 1.32 typed create subcommands (captured with -v=9).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/index.js';
import { decodeProtobufObject } from './index.js';

const fixture = (b64: string) => Buffer.from(b64, 'base64');

// kubectl create deployment web2 --image=nginx:1.25 --replicas=3 --port=8080
const DEPLOYMENT = fixture('azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EsIBCiEKBHdlYjISABoAIgAqADIAOABCAFoLCgNhcHASBHdlYjISjgEIAxINCgsKA2FwcBIEd2ViMhpzCh0KABIAGgAiACoAMgA4AEIAWgsKA2FwcBIEd2ViMhJSEjQKBW5naW54EgpuZ2lueDoxLjI1KgAyCwoAEAAYkD8iACoAQgBqAHIAgAEAiAEAkAEAogEAGgAyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBACICCgAoADgAGgwIABAAGAAgACgAOAAaACIA');
// kubectl create secret docker-registry regcred2 --docker-server=r.example.com --docker-username=u --docker-password=p
const DOCKER_SECRET = fixture('azhzAAoMCgJ2MRIGU2VjcmV0EpoBChgKCHJlZ2NyZWQyEgAaACIAKgAyADgAQgASXgoRLmRvY2tlcmNvbmZpZ2pzb24SSXsiYXV0aHMiOnsici5leGFtcGxlLmNvbSI6eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAiLCJhdXRoIjoiZFRwdyJ9fX0aHmt1YmVybmV0ZXMuaW8vZG9ja2VyY29uZmlnanNvbhoAIgA=');
// kubectl create rolebinding rb2 --role=r1 --user=alice
const ROLEBINDING = fixture('azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtSb2xlQmluZGluZxJoChMKA3JiMhIAGgAiACoAMgA4AEIAEioKBFVzZXISGXJiYWMuYXV0aG9yaXphdGlvbi5rOHMuaW8aBWFsaWNlIgAaJQoZcmJhYy5hdXRob3JpemF0aW9uLms4cy5pbxIEUm9sZRoCcjEaACIA');
// kubectl create poddisruptionbudget pdb2 --selector=app=web --min-available=1
const PDB = fixture('azhzAAogCglwb2xpY3kvdjESE1BvZERpc3J1cHRpb25CdWRnZXQSOgoUCgRwZGIyEgAaACIAKgAyADgAQgASFgoGCAAQARoAEgwKCgoDYXBwEgN3ZWIaCggAGAAgACgAMAAaACIA');
// kubectl create ingress web2 --class=nginx --rule="foo.com/bar*=svc1:8080,tls=my-cert" --default-backend=defsvc:http
const INGRESS = fixture('azhzAAofChRuZXR3b3JraW5nLms4cy5pby92MRIHSW5ncmVzcxJ9ChQKBHdlYjISABoAIgAqADIAOABCABJhChQiEgoGZGVmc3ZjEggKBGh0dHAQABISCgdmb28uY29tEgdteS1jZXJ0Gi4KB2Zvby5jb20SIwohCh8KBC9iYXISDyINCgRzdmMxEgUKABCQPxoGUHJlZml4IgVuZ2lueBoCCgAaACIA');

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
const ld = (field: number, payload: Buffer) => Buffer.from([...varint((field << 3) | 2), ...varint(payload.length), ...payload]);

describe('protobuf bodies of typed kubectl create', () => {
  it('decodes a Deployment (nested messages, pointer ints, maps, repeated messages)', () => {
    const d = decodeProtobufObject(DEPLOYMENT) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(d.apiVersion, 'apps/v1');
    assert.equal(d.kind, 'Deployment');
    assert.deepEqual(d.metadata, { name: 'web2', labels: { app: 'web2' } });
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.spec.selector, { matchLabels: { app: 'web2' } });
    assert.deepEqual(d.spec.template.metadata, { labels: { app: 'web2' } });
    assert.deepEqual(d.spec.template.spec.containers, [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 8080 }], resources: {} }]);
  });

  it('decodes Secret bytes as base64 data, RoleBinding subjects, PDB IntOrString', () => {
    const s = decodeProtobufObject(DOCKER_SECRET) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(s.type, 'kubernetes.io/dockerconfigjson');
    assert.deepEqual(JSON.parse(Buffer.from(s.data['.dockerconfigjson'], 'base64').toString()), { auths: { 'r.example.com': { username: 'u', password: 'p', auth: 'dTpw' } } });
    const rb = decodeProtobufObject(ROLEBINDING) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(rb.subjects, [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }]);
    assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r1' });
    const pdb = decodeProtobufObject(PDB) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(pdb.spec.minAvailable, 1);
    assert.deepEqual(pdb.spec.selector, { matchLabels: { app: 'web' } });
  });

  it('decodes an Ingress (IngressRuleValue inlined into its rule, as Go\'s json inline)', () => {
    const ing = decodeProtobufObject(INGRESS) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(ing.apiVersion, 'networking.k8s.io/v1');
    assert.deepEqual(ing.metadata, { name: 'web2' });
    assert.deepEqual(ing.spec, {
      defaultBackend: { service: { name: 'defsvc', port: { name: 'http' } } },
      tls: [{ hosts: ['foo.com'], secretName: 'my-cert' }],
      rules: [{ host: 'foo.com', http: { paths: [{ path: '/bar', backend: { service: { name: 'svc1', port: { number: 8080 } } }, pathType: 'Prefix' }] } }],
      ingressClassName: 'nginx',
    });
  });

  it('refuses other kinds and unknown non-empty fields with 415, garbage with 400', () => {
    const magic = Buffer.from('k8s\0', 'binary');
    const typeMeta = (av: string, kind: string) => ld(1, Buffer.concat([ld(1, Buffer.from(av)), ld(2, Buffer.from(kind))]));
    const pod = Buffer.concat([magic, typeMeta('v1', 'Pod'), ld(2, Buffer.alloc(0))]);
    assert.throws(() => decodeProtobufObject(pod), (e: unknown) => e instanceof StatusError && e.code === 415 && /v1, Kind=Pod/.test(e.message));
    // ConfigMap with an unknown field 9 holding a value.
    const cm = Buffer.concat([magic, typeMeta('v1', 'ConfigMap'), ld(2, Buffer.concat([ld(1, ld(1, Buffer.from('x'))), ld(9, Buffer.from('?'))]))]);
    assert.throws(() => decodeProtobufObject(cm), (e: unknown) => e instanceof StatusError && e.code === 415 && /field 9 of ConfigMap/.test(e.message));
    assert.throws(() => decodeProtobufObject(Buffer.concat([magic, Buffer.from([0x0a, 0x50, 0x01])])), (e: unknown) => e instanceof StatusError && e.code === 400);
    assert.throws(() => decodeProtobufObject(Buffer.from('{}')), (e: unknown) => e instanceof StatusError && e.code === 400);
  });
});
