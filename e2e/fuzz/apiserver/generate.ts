/**
 * Request generation for the built-in API server: every route (resources, subresources,
 * reviews, discovery, OpenAPI, unknown paths), every verb, query parameters, Accept and
 * Content-Type headers, impersonation, and bodies that range from valid objects to mutated,
 * deeply nested, aliased YAML, corrupted protobuf, oversized and plain garbage.
 */
import { stringify as toYaml } from 'yaml';
import { deepJsonText, type Json, mutate, randomKey, randomString, randomValue } from '../mutate.js';
import type { Rng } from '../rng.js';
import type { FuzzRequest } from '../target.js';
import { crd, type Kind, KINDS, NAMESPACES } from './corpus.js';
import { protobufBody } from './protobuf.js';

const NAMES = Array.from({ length: 12 }, (_, i) => `f${i}`);
const NS_NAMES = [...NAMESPACES, 'fuzz-c', 'fuzz-d'];
const CRD_NAMES = ['widgets', 'gadget0s', 'gadget1s', 'gadget2s', 'gadget3s'];

const ACCEPTS = [
  'application/json', 'application/json', '*/*', 'application/json;as=Table;v=v1;g=meta.k8s.io', 'application/json;as=Table;v=v1;g=meta.k8s.io;includeObject=Object',
  'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io', 'application/vnd.kubernetes.protobuf',
  'application/yaml', 'text/html', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
  'application/json;as=Table', ',,;;==', 'application/*;q=0.1',
];
const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'text/plain', 'application/x-www-form-urlencoded', '', 'application/json; charset=utf-16', 'application/merge-patch+json'];
const PATCH_TYPES = ['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml', 'application/apply-patch+json', 'application/apply-patch+cbor', 'application/json'];

/** Percent-encodes the UTF-8 bytes of `s` (lone surrogates too, which encodeURIComponent refuses). */
function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** A path segment from a string: encoded so Node's client sends it, sometimes left raw. */
function segment(rng: Rng, s: string): string {
  const enc = pct(s);
  return rng.chance(0.1) ? enc.replace(/%2F/g, '/') : enc;
}

function name(rng: Rng): string {
  return rng.weighted<() => string>([[20, () => rng.pick(NAMES)], [1, () => segment(rng, randomString(rng)) || 'x']])();
}

function namespace(rng: Rng): string {
  return rng.weighted<() => string>([[10, () => rng.pick(NAMESPACES)], [2, () => 'default'], [1, () => rng.pick(NS_NAMES)], [1, () => 'missing'], [0.5, () => segment(rng, randomString(rng)) || 'x']])();
}

function collection(rng: Rng, k: Kind, ns = namespace(rng)): string {
  if (!k.namespaced) return `${k.prefix}/${k.resource}`;
  return rng.chance(0.05) ? `${k.prefix}/${k.resource}` : `${k.prefix}/namespaces/${ns}/${k.resource}`;
}

function objectName(rng: Rng, k: Kind): string {
  if (k.resource === 'namespaces') return rng.pick(NS_NAMES);
  if (k.resource === 'customresourcedefinitions') return `${rng.pick(CRD_NAMES)}.fuzz.example.com`;
  return name(rng);
}

function validObject(rng: Rng, k: Kind, n: string): Record<string, Json> {
  if (k.resource === 'customresourcedefinitions') return crd(n.split('.')[0]);
  return k.make(rng, n);
}

/** Query parameters: mostly meaningful names with valid or odd values. */
function query(rng: Rng, names: string[]): string {
  const values: Record<string, () => string> = {
    labelSelector: () => rng.pick(['app=web', 'app!=web', 'app in (web,db)', 'tier notin (a)', 'app', '!app', 'a=b,c', '=', 'a==b==c', 'x in (', randomString(rng), 'a'.repeat(70) + '=b']),
    fieldSelector: () => rng.pick(['metadata.name=f1', 'metadata.namespace!=x', 'spec.nodeName=n', 'status.phase=Running', 'spec.unknown=x', 'metadata.name', '=', randomString(rng)]),
    limit: () => rng.pick(['1', '2', '500', '0', '-1', '99999999999999999999', 'x', '1.5']),
    continue: () => rng.pick(['', 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJmdXp6LWEvZjEifQ==', 'eyJydiI6LTEsInN0YXJ0IjoiIn0=', '!!!', Buffer.from(JSON.stringify({ rv: rng.int(1e6), start: randomString(rng) })).toString('base64'), randomString(rng)]),
    resourceVersion: () => rng.pick(['0', '', '1', String(rng.int(500)), '99999999999', '-5', 'x', '1.5']),
    resourceVersionMatch: () => rng.pick(['Exact', 'NotOlderThan', 'exact', '']),
    timeoutSeconds: () => rng.pick(['1', '0', '-1', 'x', '1']),
    allowWatchBookmarks: () => rng.pick(['true', 'false', '1', 'x']),
    sendInitialEvents: () => rng.pick(['true', 'false', 'x']),
    watch: () => rng.pick(['true', '1', 'false', '0', 'x']),
    dryRun: () => rng.pick(['All', 'all', 'x', '']),
    fieldManager: () => rng.pick(['fuzz', 'kubectl', 'm'.repeat(200), '', randomString(rng)]),
    fieldValidation: () => rng.pick(['Strict', 'Warn', 'Ignore', 'strict', '']),
    force: () => rng.pick(['true', 'false', 'x']),
    gracePeriodSeconds: () => rng.pick(['0', '1', '30', '-1', '9223372036854775807', 'x']),
    propagationPolicy: () => rng.pick(['Foreground', 'Background', 'Orphan', 'x']),
    orphanDependents: () => rng.pick(['true', 'false']),
    pretty: () => rng.pick(['true', '1']),
    includeObject: () => rng.pick(['Object', 'Metadata', 'None', 'x']),
    hash: () => randomString(rng),
  };
  const parts: string[] = [];
  for (const n of names) if (rng.chance(0.3)) parts.push(`${n}=${pct(values[n]?.() ?? randomString(rng))}`);
  if (rng.chance(0.05)) parts.push(`${pct(randomKey(rng))}=${pct(randomString(rng))}`);
  if (rng.chance(0.02)) parts.push(rng.pick(['%zz', '&&&', '=', 'a=%', 'limit=1&limit=2']));
  return parts.length ? `?${parts.join('&')}` : '';
}

const LIST_PARAMS = ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'pretty', 'includeObject', 'sendInitialEvents', 'timeoutSeconds'];
const WATCH_PARAMS = ['labelSelector', 'fieldSelector', 'resourceVersion', 'resourceVersionMatch', 'allowWatchBookmarks', 'sendInitialEvents', 'includeObject'];
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'];
const DELETE_PARAMS = ['dryRun', 'gracePeriodSeconds', 'propagationPolicy', 'orphanDependents', 'labelSelector', 'fieldSelector'];

function headers(rng: Rng, contentType?: string): Record<string, string> {
  const h: Record<string, string> = {};
  if (rng.chance(0.6)) h.Accept = rng.pick(ACCEPTS);
  if (contentType !== undefined) h['Content-Type'] = contentType;
  if (rng.chance(0.03)) h['Impersonate-User'] = rng.pick(['alice', 'system:serviceaccount:default:default', 'system:anonymous', '', 'x'.repeat(300)]);
  if (rng.chance(0.02)) h['Impersonate-Group'] = rng.pick(['system:masters', 'system:authenticated', 'devs']);
  if (rng.chance(0.01)) h['Impersonate-Extra-scopes'] = 'view';
  if (rng.chance(0.01)) h.Authorization = rng.pick(['Bearer x', 'Bearer ', 'Basic YTpi', 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.x']);
  if (rng.chance(0.01)) h['Content-Encoding'] = 'gzip';
  return h;
}

/** A document encoded as the request body: JSON mostly, YAML (with aliases sometimes), raw garbage rarely. */
function encode(rng: Rng, doc: Json): { body: Buffer; contentType: string } {
  return rng.weighted<() => { body: Buffer; contentType: string }>([
    [12, () => ({ body: Buffer.from(JSON.stringify(doc)), contentType: 'application/json' })],
    [3, () => ({ body: Buffer.from(yaml(doc)), contentType: rng.pick(['application/yaml', 'application/x-yaml', 'text/yaml']) })],
    [1, () => ({ body: Buffer.from(yamlWithAliases(rng, doc)), contentType: 'application/yaml' })],
    [1, () => ({ body: garbage(rng), contentType: rng.pick(BODY_TYPES) })],
    [0.2, () => ({ body: Buffer.from(JSON.stringify({ ...(doc as object), pad: 'x'.repeat(3 * 1024 * 1024) })), contentType: 'application/json' })],
  ])();
}

/** YAML text of a document (its JSON, itself YAML, when it is too deep for the YAML writer). */
function yaml(doc: Json): string {
  try {
    return toYaml(doc, { aliasDuplicateObjects: false });
  } catch {
    return JSON.stringify(doc);
  }
}

function yamlWithAliases(rng: Rng, doc: Json): string {
  const body = yaml(doc);
  return rng.pick([
    `x: &a [1, 2]\ny: *a\n${body}`,
    `metadata: &m {name: f1, labels: *m}\n`,
    `a: &a ["l","l","l","l","l","l","l","l","l"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n${body}`,
    `${body}\n---\n${body}`,
    `${body}\nextra: !!binary aGVsbG8=\nset: !!set {a, b}\nts: 2001-12-14t21:59:43.10-05:00\ninf: .inf\nnan: .nan\n`,
    `${body}\n${'  '.repeat(rng.int(5))}: bad indent\n`,
  ]);
}

function garbage(rng: Rng): Buffer {
  return rng.weighted<() => Buffer>([
    [3, () => rng.bytes(rng.int(200))],
    [2, () => Buffer.from(rng.pick(['', ' ', 'null', 'true', '1', '"s"', '[]', '{}', '[{}]', '{"a":', '{"metadata":null}', '{"metadata":[]}', '{"kind":1}', '{"apiVersion":{}}', '\ufeff{}', '{"a":1e400}', '{"a":-0}', '{"__proto__":{"x":1}}']))],
    [1, () => Buffer.from(`{"metadata":{"name":"f1"},"data":${deepJsonText(rng, rng.pick([999, 1001, 20_000, 500_000]))}}`)],
    [1, () => Buffer.from('k8s\0' + rng.string(rng.int(50)), 'binary')],
  ])();
}

function jsonPatchOps(rng: Rng): Json {
  const paths = ['/metadata/labels/x', '/metadata/labels', '/metadata/annotations/a~1b', '/metadata/finalizers/-', '/metadata/finalizers/0', '/spec/replicas', '/spec', '/data/a', '/spec/containers/0/image', '/spec/template/spec/containers/-', '/status', '/x/y/z', '', '/', '/-', '/metadata/name', '/kind', randomString(rng)];
  return Array.from({ length: 1 + rng.int(3) }, () => {
    const op = rng.pick(['add', 'remove', 'replace', 'move', 'copy', 'test', 'x']);
    const o: Record<string, Json> = { op, path: rng.pick(paths) };
    if (op === 'move' || op === 'copy') o.from = rng.pick(paths);
    if (op !== 'remove' || rng.chance(0.2)) o.value = randomValue(rng, 2);
    return rng.chance(0.9) ? o : mutate(rng, o);
  });
}

function strategicDirectives(rng: Rng, doc: Record<string, Json>): Json {
  const spec = (doc.spec ?? {}) as Record<string, Json>;
  return rng.pick<Json>([
    { $patch: rng.pick(['replace', 'delete', 'merge', 'x']) },
    { metadata: { labels: { $patch: 'replace', a: 'b' } } },
    { metadata: { $setElementOrder: { finalizers: ['a'] } as unknown as Json, finalizers: ['a'] } } as Json,
    { metadata: { $deleteFromPrimitiveList: { finalizers: ['fuzz.example.com/hold'] } } as unknown as Json },
    { '$deleteFromPrimitiveList/finalizers': ['x'] },
    { spec: { ...spec, $retainKeys: ['replicas'] } },
    { spec: { containers: [{ name: 'c', $patch: 'delete' }], '$setElementOrder/containers': [{ name: 'c' }] } },
    { spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }, { name: 'c', image: 'y' }] } } } },
  ]);
}

function patchRequest(rng: Rng, k: Kind, base: string, n: string, sub = ''): FuzzRequest {
  const type = rng.pick(PATCH_TYPES);
  const doc = validObject(rng, k, n);
  let patch: Json;
  if (type === 'application/json-patch+json') patch = jsonPatchOps(rng);
  else if (type === 'application/strategic-merge-patch+json' && rng.chance(0.5)) patch = strategicDirectives(rng, doc);
  else if (type.startsWith('application/apply-patch')) patch = rng.chance(0.6) ? doc : mutate(rng, doc);
  else patch = rng.chance(0.3) ? { metadata: { labels: { app: 'db' } } } : mutate(rng, rng.chance(0.5) ? doc : { spec: doc.spec ?? {}, metadata: { labels: { a: 'b' } } });
  const enc = rng.chance(0.9) ? { body: Buffer.from(JSON.stringify(patch)) } : { body: rng.chance(0.5) ? garbage(rng) : Buffer.from(yaml(patch)) };
  const params = [...WRITE_PARAMS, 'force'];
  let q = query(rng, params);
  if (type.startsWith('application/apply') && rng.chance(0.8) && !q.includes('fieldManager')) q += `${q ? '&' : '?'}fieldManager=fuzz`;
  return { method: 'PATCH', path: `${base}/${n}${sub}${q}`, headers: headers(rng, type), body: enc.body, label: `patch ${k.resource}${sub} ${type}` };
}

function writeBody(rng: Rng, k: Kind, n: string): { body: Buffer; contentType: string; label: string } {
  if (rng.chance(0.04)) return { body: protobufBody(rng, k.kind, n), contentType: 'application/vnd.kubernetes.protobuf', label: 'protobuf' };
  const doc = validObject(rng, k, n);
  const v = rng.weighted<[string, () => Json]>([[4, ['valid', () => doc]], [6, ['mutated', () => mutate(rng, doc)]], [1, ['random', () => randomValue(rng)]]]);
  const enc = encode(rng, v[1]());
  return { ...enc, label: v[0] };
}

function resourceRequest(rng: Rng): FuzzRequest {
  const k = rng.pick(KINDS);
  const ns = namespace(rng);
  const base = collection(rng, k, ns);
  const n = objectName(rng, k);
  const verb = rng.weighted<string>([[6, 'create'], [4, 'update'], [5, 'patch'], [4, 'get'], [4, 'list'], [1, 'watch'], [2, 'delete'], [0.5, 'deletecollection'], [3, 'subresource'], [0.5, 'other']]);
  switch (verb) {
    case 'create': {
      const w = writeBody(rng, k, n);
      return { method: 'POST', path: `${base}${query(rng, WRITE_PARAMS)}`, headers: headers(rng, w.contentType), body: w.body, label: `create ${k.resource} ${w.label}` };
    }
    case 'update': {
      const w = writeBody(rng, k, n);
      return { method: 'PUT', path: `${base}/${n}${query(rng, WRITE_PARAMS)}`, headers: headers(rng, w.contentType), body: w.body, label: `update ${k.resource} ${w.label}` };
    }
    case 'patch':
      return patchRequest(rng, k, base, n);
    case 'get':
      return { method: 'GET', path: `${base}/${n}${query(rng, ['pretty', 'resourceVersion'])}`, headers: headers(rng), label: `get ${k.resource}` };
    case 'list':
      return { method: 'GET', path: `${base}${query(rng, LIST_PARAMS)}`, headers: headers(rng), label: `list ${k.resource}` };
    case 'watch': {
      const legacy = rng.chance(0.2);
      const path = legacy ? base.replace(/^(\/api\/v1|\/apis\/[^/]+\/[^/]+)/, '$1/watch') : base;
      const q = query(rng, WATCH_PARAMS);
      return { method: 'GET', path: `${path}${q}${legacy ? '' : `${q ? '&' : '?'}watch=true`}`, headers: headers(rng), label: `watch ${k.resource}`, streaming: true };
    }
    case 'delete': {
      const opts = rng.weighted<() => Json | undefined>([[4, () => undefined], [2, () => ({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: rng.pick([0, 1, 30]), propagationPolicy: rng.pick(['Foreground', 'Background', 'Orphan']) })], [3, () => mutate(rng, { gracePeriodSeconds: 0, propagationPolicy: 'Background', preconditions: { uid: 'u', resourceVersion: '1' }, dryRun: ['All'], orphanDependents: false })]])();
      return { method: 'DELETE', path: `${base}/${n}${query(rng, DELETE_PARAMS)}`, headers: headers(rng, opts === undefined ? undefined : 'application/json'), body: opts === undefined ? undefined : Buffer.from(JSON.stringify(opts)), label: `delete ${k.resource}` };
    }
    case 'deletecollection': {
      const opts = rng.chance(0.5) ? Buffer.from(JSON.stringify(mutate(rng, { gracePeriodSeconds: 0 }))) : undefined;
      return { method: 'DELETE', path: `${base}${query(rng, DELETE_PARAMS)}`, headers: headers(rng, opts ? 'application/json' : undefined), body: opts, label: `deletecollection ${k.resource}` };
    }
    case 'subresource':
      return subresourceRequest(rng, k, base, n);
    default: {
      const method = rng.pick(['POST', 'PUT', 'OPTIONS', 'HEAD', 'CONNECT', 'TRACE', 'PROPFIND', 'patch']);
      return { method, path: `${base}${rng.chance(0.5) ? `/${n}` : ''}`, headers: headers(rng), label: `${method} ${k.resource}` };
    }
  }
}

function subresourceRequest(rng: Rng, k: Kind, base: string, n: string): FuzzRequest {
  const sub = k.subresources.length && rng.chance(0.9) ? rng.pick(k.subresources) : rng.pick(['status', 'scale', 'x', 'log', 'exec', 'proxy', 'status/x']);
  const path = `${base}/${n}/${sub}`;
  const bodies: Record<string, () => Json> = {
    status: () => ({ ...validObject(rng, k, n), status: rng.chance(0.7) ? { phase: 'Running', replicas: 1, size: 1 } : randomValue(rng, 2) }),
    scale: () => ({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: n }, spec: { replicas: rng.pick<Json>([0, 3, -1, 'x', 1.5, null]) } }),
    binding: () => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name: n }, target: { apiVersion: 'v1', kind: rng.pick(['Node', 'Pod']), name: rng.pick(['node-1', '']) } }),
    eviction: () => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: n }, deleteOptions: { gracePeriodSeconds: rng.pick([0, 30]) } }),
    finalize: () => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n }, spec: { finalizers: rng.chance(0.5) ? [] : ['kubernetes'] } }),
    token: () => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: rng.pick([600, 3600, 1, -1]) } }),
  };
  const method = rng.weighted<string>([[3, sub === 'binding' || sub === 'eviction' || sub === 'token' ? 'POST' : 'PUT'], [2, 'GET'], [2, 'PATCH'], [0.5, 'DELETE'], [0.5, 'POST']]);
  if (method === 'PATCH') return patchRequest(rng, k, base, n, `/${sub}`);
  if (method === 'GET' || method === 'DELETE') return { method, path, headers: headers(rng), label: `${method} ${k.resource}/${sub}` };
  const doc = Object.hasOwn(bodies, sub) ? bodies[sub]() : randomValue(rng);
  const enc = encode(rng, rng.chance(0.5) ? doc : mutate(rng, doc));
  return { method, path: `${path}${query(rng, WRITE_PARAMS)}`, headers: headers(rng, enc.contentType), body: enc.body, label: `${method} ${k.resource}/${sub}` };
}

const REVIEWS: [string, Json][] = [
  ['/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'abc', audiences: ['x'] } }],
  ['/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }],
  ['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' } } }],
  ['/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'alice', groups: ['g'], nonResourceAttributes: { path: '/healthz', verb: 'get' } } }],
  ['/apis/authorization.k8s.io/v1/namespaces/fuzz-a/localsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user: 'alice', resourceAttributes: { verb: 'list', resource: 'configmaps', namespace: 'fuzz-a' } } }],
  ['/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'fuzz-a' } }],
];

function reviewRequest(rng: Rng): FuzzRequest {
  const [path, doc] = rng.pick(REVIEWS);
  const enc = encode(rng, rng.chance(0.3) ? doc : mutate(rng, doc));
  return { method: rng.chance(0.9) ? 'POST' : rng.pick(['GET', 'PUT', 'DELETE']), path, headers: headers(rng, enc.contentType), body: enc.body, label: `review ${path.split('/').pop()}` };
}

const MISC = ['/', '//', '/api', '/api/', '/apis', '/apis/', '/api/v1', '/api/v2', '/apis/apps', '/apis/apps/v1', '/apis/apps/v9', '/apis/nope', '/apis/fuzz.example.com/v1', '/version', '/healthz', '/livez', '/readyz', '/healthz/x', '/readyz/etcd', '/openapi/v3', '/openapi/v3/api/v1', '/openapi/v3/apis/apps/v1', '/openapi/v3/apis/fuzz.example.com/v1', '/openapi/v3/x', '/openapi/v2', '/metrics', '/logs', '/.well-known/openid-configuration', '/api/v1/namespaces', '/api/v1/namespaces/default', '/api/v1/namespaces/default/configmaps/f1/x/y/z', '/api/v1/watch', '/api/v1/watch/namespaces/fuzz-a', '/apis/apps/v1/watch/deployments', '/api/v1/namespaces//configmaps', '/api/v1/namespaces/%2e%2e/configmaps', '/api/v1/namespaces/fuzz-a/configmaps/%00', '/api/v1/namespaces/fuzz-a/configmaps/a%2Fb', '/api/v1/../v1/pods', '/api/v1/pods/../../version', '/%zz', '/api/v1/%', '/api/v1/namespaces/fuzz-a/pods/f1/status/../binding'];

function miscRequest(rng: Rng): FuzzRequest {
  let path = rng.pick(MISC);
  if (rng.chance(0.3)) path += `/${Array.from({ length: 1 + rng.int(6) }, () => (rng.chance(0.7) ? rng.pick(['api', 'apis', 'v1', 'namespaces', 'fuzz-a', 'pods', 'watch', 'status', '', '..', '.']) : segment(rng, randomString(rng)))).join('/')}`;
  if (rng.chance(0.02)) path += `/${'a'.repeat(rng.pick([300, 9000]))}`;
  const method = rng.weighted<string>([[8, 'GET'], [1, 'POST'], [1, 'PUT'], [1, 'DELETE'], [1, 'PATCH'], [0.5, 'HEAD'], [0.5, 'OPTIONS']]);
  const withBody = method !== 'GET' && method !== 'HEAD' && rng.chance(0.7);
  const enc = withBody ? encode(rng, randomValue(rng)) : undefined;
  const full = `${path}${query(rng, [...LIST_PARAMS, 'watch', 'hash'])}`;
  return { method, path: full, headers: headers(rng, enc?.contentType), body: enc?.body, label: `misc ${method}`, streaming: /watch/.test(full) };
}

export function generateRequest(rng: Rng): FuzzRequest {
  return rng.weighted<() => FuzzRequest>([[20, () => resourceRequest(rng)], [1.5, () => reviewRequest(rng)], [2, () => miscRequest(rng)]])();
}
