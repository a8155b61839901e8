// ConfigMap and Secret validation as kube-apiserver v1.32 answers it (ValidateConfigMap,
// ValidateSecret, ValidateSecretUpdate; configdata.ts), through kubectl 1.32 and in process.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StatusError } from '../../../api/index.js';
import type { ResourceType } from '../../resources/index.js';
import { startTestServer, type TestServer } from '../../semantics-testkit.js';

function causes(stderr: string): string[] {
  const lines = stderr.trim().split('\n');
  if (lines.length === 1) return [lines[0].replace(/^.* is invalid: /, '')];
  return lines.filter((l) => l.startsWith('* ')).map((l) => l.slice(2));
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('ConfigMap and Secret validation (upstream v1.32 rules and messages)', () => {
  let s: TestServer;
  let configMaps: ResourceType;
  let secrets: ResourceType;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
    configMaps = s.type('', 'v1', 'configmaps');
    secrets = s.type('', 'v1', 'secrets');
  });
  after(async () => {
    await s.close();
  });

  it('ConfigMap keys are config keys, in only one of data and binaryData', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: ConfigMap
metadata: {name: bad-keys}
data: {"a/b": "x", "..hidden": "y", ok.key_-1: "z", both: "w"}
binaryData: {both: ${b64('w')}, ".": ${b64('v')}}
`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /The ConfigMap "bad-keys" is invalid:/);
    const keyMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
    assert.deepEqual(causes(r.stderr).sort(), [
      `data[a/b]: Invalid value: "a/b": ${keyMsg}`,
      'data[..hidden]: Invalid value: "..hidden": must not start with \'..\'',
      'data[both]: Invalid value: "both": duplicate of key present in binaryData',
      'binaryData[.]: Invalid value: ".": must not be \'.\'',
      'binaryData[both]: Invalid value: "both": duplicate of key present in data',
    ].sort());
    const ok = await s.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good}\ndata: {ok.key_-1: "z", KEY: "v"}\n');
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('a ConfigMap holds at most 1 MiB, counted in UTF-8 bytes (data) and decoded bytes (binaryData)', async () => {
    const half = 'x'.repeat(512 * 1024);
    // exactly 1 MiB: accepted
    await s.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'full', namespace: 'default' }, data: { a: half }, binaryData: { b: Buffer.alloc(512 * 1024).toString('base64') } } as never);
    // one byte more: refused at the empty path, as upstream's field.TooLong(field.NewPath(""), ...)
    await assert.rejects(s.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'over', namespace: 'default' }, data: { a: half, c: 'y' }, binaryData: { b: Buffer.alloc(512 * 1024).toString('base64') } } as never), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.status.code, 422);
      assert.equal(e.status.message, 'ConfigMap "over" is invalid: : Too long: may not be more than 1048576 bytes');
      return true;
    });
    // 400 000 three-byte characters are 1.2 MB in UTF-8 though 400 000 UTF-16 units
    await assert.rejects(s.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wide', namespace: 'default' }, data: { a: '€'.repeat(400_000) } } as never), /Too long: may not be more than 1048576 bytes/);
    await s.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wide-ok', namespace: 'default' }, data: { a: '€'.repeat(300_000) } } as never);
  });

  it('Secret keys and size; the type-specific keys of each built-in type', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], `---
{apiVersion: v1, kind: Secret, metadata: {name: keys}, data: {"a b": ${b64('x')}}}
---
{apiVersion: v1, kind: Secret, metadata: {name: tls}, type: kubernetes.io/tls, data: {tls.crt: ${b64('c')}}}
---
{apiVersion: v1, kind: Secret, metadata: {name: basic}, type: kubernetes.io/basic-auth, data: {other: ${b64('x')}}}
---
{apiVersion: v1, kind: Secret, metadata: {name: ssh}, type: kubernetes.io/ssh-auth, data: {ssh-privatekey: ""}}
---
{apiVersion: v1, kind: Secret, metadata: {name: sa}, type: kubernetes.io/service-account-token}
---
{apiVersion: v1, kind: Secret, metadata: {name: cfg}, type: kubernetes.io/dockercfg, data: {x: ${b64('{}')}}}
---
{apiVersion: v1, kind: Secret, metadata: {name: pull}, type: kubernetes.io/dockerconfigjson, data: {.dockerconfigjson: ${b64('{"auths": {"r.example.com": {"auth": "dTpw"}')}}}
---
{apiVersion: v1, kind: Secret, metadata: {name: pull-array}, type: kubernetes.io/dockerconfigjson, stringData: {.dockerconfigjson: "[]"}}
`);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    const errorFor = (name: string) => lines.filter((l) => l.includes(`"${name}" is invalid`)).map((l) => l.replace(/^.* is invalid: /, ''));
    assert.deepEqual(errorFor('keys'), ["data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]);
    assert.deepEqual(errorFor('tls'), ['data[tls.key]: Required value']);
    assert.deepEqual(errorFor('basic'), ['[data[%s][username]: Required value, data[%s][password]: Required value]']);
    assert.deepEqual(errorFor('ssh'), ['data[%s][ssh-privatekey]: Required value']);
    assert.deepEqual(errorFor('sa'), ['metadata.annotations[kubernetes.io/service-account.name]: Required value']);
    assert.deepEqual(errorFor('cfg'), ['data[.dockercfg]: Required value']);
    assert.deepEqual(errorFor('pull'), ['data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": unexpected end of JSON input']);
    assert.deepEqual(errorFor('pull-array'), ['data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}']);

    const ok = await s.kubectl(['apply', '-f', '-'], `---
{apiVersion: v1, kind: Secret, metadata: {name: tls}, type: kubernetes.io/tls, data: {tls.crt: "", tls.key: ""}}
---
{apiVersion: v1, kind: Secret, metadata: {name: basic}, type: kubernetes.io/basic-auth, stringData: {password: p}}
---
{apiVersion: v1, kind: Secret, metadata: {name: sa, annotations: {kubernetes.io/service-account.name: default}}, type: kubernetes.io/service-account-token}
---
{apiVersion: v1, kind: Secret, metadata: {name: pull}, type: kubernetes.io/dockerconfigjson, stringData: {.dockerconfigjson: '{"auths":{}}'}}
---
{apiVersion: v1, kind: Secret, metadata: {name: custom}, type: example.com/anything, data: {k: ""}}
`);
    assert.equal(ok.code, 0, ok.stderr);
    await assert.rejects(s.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'big', namespace: 'default' }, data: { a: Buffer.alloc(1024 * 1024 + 1).toString('base64') } } as never), /Secret "big" is invalid: data: Too long: may not be more than 1048576 bytes/);
  });

  it('a Secret keeps its type; the immutable rules come after it', async () => {
    const r = await s.kubectl(['create', 'secret', 'generic', 'typed', '--from-literal=a=b']);
    assert.equal(r.code, 0, r.stderr);
    const change = await s.kubectl(['patch', 'secret', 'typed', '-p', '{"type":"kubernetes.io/tls","data":{"tls.crt":"","tls.key":""}}']);
    assert.equal(change.code, 1);
    assert.match(change.stderr, /The Secret "typed" is invalid: type: Invalid value: "kubernetes.io\/tls": field is immutable/);
    await s.kubectl(['patch', 'secret', 'typed', '-p', '{"immutable":true}']);
    const both = await s.kubectl(['patch', 'secret', 'typed', '-p', '{"type":"x/y","data":{"a":"Yw=="}}']);
    assert.deepEqual(causes(both.stderr), ['type: Invalid value: "x/y": field is immutable', 'data: Forbidden: field is immutable when `immutable` is set']);
  });
});
