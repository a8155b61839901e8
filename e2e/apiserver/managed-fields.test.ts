// metadata.managedFields on every write, as kube-apiserver records them: the manager is the
// request's fieldManager, else its User-Agent's product (create.go managerOrUserAgent).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './harness.js';

/** FieldsV1 without the `.` members of maps (which upstream sets on a map the write added; see patch/README.md). */
function withoutDots(f: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (k !== '.') out[k] = withoutDots(v as Record<string, unknown>);
  return out;
}

interface Entry { manager?: string; operation: string; apiVersion: string; time: string; fieldsType: string; fieldsV1: Record<string, unknown>; subresource?: string }

describe('managedFields on writes without server-side apply', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const managed = async (args: string[]): Promise<Entry[]> => {
    const r = await h.kubectl(['get', ...args, '-o', 'json', '--show-managed-fields']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).metadata.managedFields ?? [];
  };

  it('kubectl create records an Update entry of kubectl-create owning what it set', async () => {
    const r = await h.kubectl(['create', 'configmap', 'made', '--from-literal=a=1']);
    assert.equal(r.code, 0, r.stderr);
    const yaml = await h.kubectl(['get', 'cm', 'made', '-o', 'yaml', '--show-managed-fields']);
    assert.match(yaml.stdout, /manager: kubectl-create/);
    const [e, ...rest] = await managed(['cm', 'made']);
    assert.deepEqual(rest, []);
    assert.equal(e.manager, 'kubectl-create');
    assert.equal(e.operation, 'Update');
    assert.equal(e.apiVersion, 'v1');
    assert.equal(e.fieldsType, 'FieldsV1');
    assert.deepEqual(withoutDots(e.fieldsV1), { 'f:data': { 'f:a': {} } });
    assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('a deployment created by kubectl owns its defaulted fields but not the status, and kubectl scale adds a scale entry', async () => {
    let r = await h.kubectl(['create', 'deployment', 'web', '--image=nginx:1.25']);
    assert.equal(r.code, 0, r.stderr);
    let entries = await managed(['deploy', 'web']);
    assert.deepEqual(entries.map((e) => e.manager), ['kubectl-create']);
    const f = entries[0].fieldsV1 as Record<string, Record<string, unknown>>;
    assert.ok(f['f:spec']['f:replicas'], 'the defaulted replicas are the creator\'s, as upstream decodes defaults before the field manager');
    assert.equal(f['f:status'], undefined, 'status is reset by the strategy: nobody\'s');
    r = await h.kubectl(['scale', 'deploy', 'web', '--replicas=3']);
    assert.equal(r.code, 0, r.stderr);
    entries = await managed(['deploy', 'web']);
    const scale = entries.find((e) => e.subresource === 'scale');
    assert.ok(scale, JSON.stringify(entries));
    assert.equal(scale.manager, 'kubectl');
    assert.deepEqual(scale.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    const creator = entries.find((e) => e.manager === 'kubectl-create')!;
    assert.equal((creator.fieldsV1 as Record<string, Record<string, unknown>>)['f:spec']['f:replicas'], undefined, 'replicas moved to the scale entry');
  });

  it('a create is recorded before admission: kubectl run\'s entry has the pod\'s defaults but not the service-account volume or tolerations admission adds', async () => {
    const r = await h.kubectl(['run', 'runpod', '--image=nginx']);
    assert.equal(r.code, 0, r.stderr);
    const pod = JSON.parse((await h.kubectl(['get', 'pod', 'runpod', '-o', 'json', '--show-managed-fields'])).stdout);
    assert.ok(pod.spec.volumes?.length, 'admission added the service-account volume (else this proves nothing)');
    const entries = pod.metadata.managedFields as Entry[];
    const run = entries.find((e) => e.manager === 'kubectl-run');
    assert.ok(run, JSON.stringify(entries));
    const spec = (run.fieldsV1 as Record<string, Record<string, unknown>>)['f:spec'];
    assert.ok(spec['f:containers'] && spec['f:dnsPolicy'] && spec['f:restartPolicy'], JSON.stringify(spec));
    assert.equal(spec['f:volumes'], undefined);
    assert.equal(spec['f:tolerations'], undefined);
    assert.equal((run.fieldsV1 as Record<string, unknown>)['f:status'], undefined);
  });

  it('the server\'s own objects are kube-apiserver\'s, the controller-manager stand-ins\' kube-controller-manager\'s', async () => {
    assert.deepEqual((await managed(['clusterrole', 'cluster-admin'])).map((e) => [e.manager, e.operation]), [['kube-apiserver', 'Update']]);
    assert.deepEqual((await managed(['cm', 'kube-root-ca.crt'])).map((e) => [e.manager, e.operation]), [['kube-controller-manager', 'Update']]);
  });

  it('a client without a fieldManager is named by its User-Agent (foo/1.0 -> foo); none at all, an entry without a manager', async () => {
    const body = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });
    let r = await h.request('POST', '/api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json', 'User-Agent': 'foo/1.0 (linux/amd64) x/y' }, body('ua'));
    assert.equal(r.status, 201, r.body);
    let e = JSON.parse(r.body).metadata.managedFields as Entry[];
    assert.deepEqual(e.map((x) => [x.manager, x.operation]), [['foo', 'Update']]);
    // an update by a controller's client-go agent: the changed field moves to it
    r = await h.request('PUT', '/api/v1/namespaces/default/configmaps/ua', { 'Content-Type': 'application/json', 'User-Agent': 'kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:x' },
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ua' }, data: { k: 'v', j: 'w' } }));
    assert.equal(r.status, 200, r.body);
    e = JSON.parse(r.body).metadata.managedFields as Entry[];
    assert.deepEqual(e.map((x) => [x.manager, withoutDots(x.fieldsV1)]), [
      ['foo', { 'f:data': { 'f:k': {} } }],
      ['kube-controller-manager', { 'f:data': { 'f:j': {} } }],
    ]);
    // a merge patch is recorded as an update: foo's only field moves to bar, and foo's entry goes
    r = await h.request('PATCH', '/api/v1/namespaces/default/configmaps/ua', { 'Content-Type': 'application/merge-patch+json', 'User-Agent': 'bar/2' }, JSON.stringify({ data: { k: 'v2' } }));
    assert.equal(r.status, 200, r.body);
    e = JSON.parse(r.body).metadata.managedFields as Entry[];
    // (entries by time, then manager: the order of two in one second is by name)
    assert.deepEqual(e.map((x) => [x.manager, x.operation, withoutDots(x.fieldsV1)]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))), [
      ['bar', 'Update', { 'f:data': { 'f:k': {} } }],
      ['kube-controller-manager', 'Update', { 'f:data': { 'f:j': {} } }],
    ]);
    // a request with no User-Agent header at all
    r = await h.request('POST', '/api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json' }, body('noua'));
    assert.equal(r.status, 201, r.body);
    e = JSON.parse(r.body).metadata.managedFields as Entry[];
    assert.equal(e.length, 1);
    assert.equal('manager' in e[0], false, JSON.stringify(e));
    assert.equal(e[0].operation, 'Update');
  });

  it('an update may set managedFields: [] clears them, a list that decodes replaces them, a bad manager name is 422 (upstream decodeLiveOrNew, ValidateManagedFields)', async () => {
    const put = (body: unknown) => h.request('PUT', '/api/v1/namespaces/default/configmaps/own', { 'Content-Type': 'application/json', 'User-Agent': 'putter/1' }, JSON.stringify(body));
    let r = await h.request('POST', '/api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json', 'User-Agent': 'maker/1' }, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'own' }, data: { k: 'v' } }));
    assert.equal(r.status, 201, r.body);
    const cm = (managedFields?: unknown) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'own', ...(managedFields === undefined ? {} : { managedFields }) }, data: { k: 'v' } });
    // a list of entries that decode: stored as given
    const mine = [{ manager: 'someone', operation: 'Update', apiVersion: 'v1', time: '2026-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:k': {} } } }];
    r = await put(cm(mine));
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body).metadata.managedFields, mine);
    // none given: the stored ones stay
    r = await put(cm());
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body).metadata.managedFields, mine);
    // an entry naming a manager that does not print: 422 on metadata.managedFields[0].manager, nothing written
    r = await put(cm([{ ...mine[0], manager: 'bad\u0007name' }]));
    assert.equal(r.status, 422, r.body);
    assert.deepEqual(JSON.parse(r.body).details.causes.map((c: { field: string }) => c.field), ['metadata.managedFields[0].manager']);
    // an empty list clears them
    r = await put(cm([]));
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body).metadata.managedFields, undefined);
    assert.equal((await managed(['cm', 'own'])).length, 0);
  });

  it('server-side apply conflicts with the fields kubectl create set (409 naming kubectl-create)', async () => {
    let r = await h.kubectl(['create', 'cm', 'x', '--from-literal=a=1']);
    assert.equal(r.code, 0, r.stderr);
    const f = h.file('x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: "2"}\n');
    r = await h.kubectl(['apply', '--server-side', '--field-manager=other', '-f', f]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /conflict with "kubectl-create"/);
    assert.match(r.stderr, /\.data\.a/);
    const raw = await h.request('PATCH', '/api/v1/namespaces/default/configmaps/x?fieldManager=other', { 'Content-Type': 'application/apply-patch+yaml' },
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: "2"}\n');
    assert.equal(raw.status, 409, raw.body);
    assert.match(JSON.parse(raw.body).message, /conflict with "kubectl-create" using v1: \.data\.a/);
    r = await h.kubectl(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', f]);
    assert.equal(r.code, 0, r.stderr);
  });

  it('server-side apply conflicts with the fields a controller set without a fieldManager (named by its User-Agent)', async () => {
    const made = await h.request('POST', '/api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json', 'User-Agent': 'kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/abc' },
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'byctl' }, data: { a: '1' } }));
    assert.equal(made.status, 201, made.body);
    const f = h.file('byctl.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: byctl}\ndata: {a: "2"}\n');
    const r = await h.kubectl(['apply', '--server-side', '-f', f]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /conflict with "kube-controller-manager" using v1/);
  });
});
