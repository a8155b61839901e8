// kubectl 1.32 against the built-in API server (in-process, one per file).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, startHarness, type Harness } from './harness.js';

const DEPLOY = (image: string, replicas = 2) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: "${image}"}]}
`;
const CM = (v: string) => `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, labels: {tier: conf}}
data: {a: "${v}"}
`;

describe('kubectl against the built-in API server', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('reports v1.32 and lists API resources', async () => {
    const v = await h.kubectl(['version', '-o', 'json']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout).serverVersion.minor, '32');
    const r = await h.kubectl(['api-resources']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
    assert.match(r.stdout, /customresourcedefinitions\s+crd,crds\s+apiextensions.k8s.io\/v1\s+false/);
  });

  it('apply -f creates and then updates a Deployment and a ConfigMap', async () => {
    const f = h.file('app.yaml', DEPLOY('nginx:1.25') + '---\n' + CM('1'));
    let r = await h.kubectl(['apply', '-f', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment.apps\/web created/);
    assert.match(r.stdout, /configmap\/cfg created/);
    h.file('app.yaml', DEPLOY('nginx:1.26') + '---\n' + CM('2'));
    r = await h.kubectl(['apply', '-f', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment.apps\/web configured/);
    const cm = JSON.parse((await h.kubectl(['get', 'cm', 'cfg', '-o', 'json'])).stdout);
    assert.equal(cm.data.a, '2');
    const d = JSON.parse((await h.kubectl(['get', 'deploy', 'web', '-o', 'json'])).stdout);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.26');
    assert.equal(d.metadata.generation, 2);
    r = await h.kubectl(['apply', '-f', f]);
    assert.match(r.stdout, /unchanged/);
  });

  it('apply --server-side creates when absent and updates', async () => {
    const f = h.file('ssa.yaml', CM('ssa').replace('name: cfg', 'name: ssa'));
    let r = await h.kubectl(['apply', '--server-side', '-f', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap\/ssa serverside-applied/);
    h.file('ssa.yaml', CM('ssa2').replace('name: cfg', 'name: ssa'));
    r = await h.kubectl(['apply', '--server-side', '-f', f]);
    assert.equal(r.code, 0, r.stderr);
    const cm = JSON.parse((await h.kubectl(['get', 'cm', 'ssa', '-o', 'json', '--show-managed-fields'])).stdout);
    assert.equal(cm.data.a, 'ssa2');
    assert.ok(cm.metadata.managedFields.some((m: { manager: string; operation: string }) => m.manager === 'kubectl' && m.operation === 'Apply'));
  });

  it('get prints tables, wide, yaml, selectors and all namespaces', async () => {
    let r = await h.kubectl(['get', 'deploy']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
    assert.match(r.stdout, /web\s+0\/2\s+0\s+0\s+\d+s/);
    r = await h.kubectl(['get', 'deploy', '-o', 'wide']);
    assert.match(r.stdout, /CONTAINERS\s+IMAGES\s+SELECTOR/);
    assert.match(r.stdout, /nginx\s+nginx:1.26\s+app=web/);
    r = await h.kubectl(['get', 'cm', 'cfg', '-o', 'yaml']);
    assert.match(r.stdout, /kind: ConfigMap/);
    assert.match(r.stdout, /resourceVersion: "\d+"/);
    r = await h.kubectl(['get', 'cm', '-l', 'tier=conf', '-o', 'name']);
    assert.equal(r.stdout.trim().split('\n').sort().join(','), 'configmap/cfg,configmap/ssa');
    // only the root CA publisher's kube-root-ca.crt has no tier label
    r = await h.kubectl(['get', 'cm', '-l', 'tier!=conf', '-o', 'name']);
    assert.equal(r.stdout.trim(), 'configmap/kube-root-ca.crt');
    r = await h.kubectl(['get', 'cm', '--field-selector', 'metadata.name=cfg', '-o', 'name']);
    assert.equal(r.stdout.trim(), 'configmap/cfg');
    r = await h.kubectl(['get', 'ns']);
    assert.match(r.stdout, /kube-system\s+Active/);
    r = await h.kubectl(['get', 'cm', '-A']);
    assert.match(r.stdout, /^NAMESPACE\s+NAME\s+DATA\s+AGE/);
    assert.match(r.stdout, /default\s+cfg\s+1/);
    r = await h.kubectl(['get', 'pods', '--field-selector', 'spec.bogus=1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /field label not supported: spec.bogus/);
  });

  it('get svc/endpoints/endpointslices kubernetes: the API server Service, re-created when deleted', async () => {
    const port = h.server.port;
    let r = await h.kubectl(['get', 'svc', 'kubernetes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/);
    r = await h.kubectl(['get', 'svc', 'kubernetes', '-o', 'yaml']);
    assert.match(r.stdout, /component: apiserver/);
    assert.match(r.stdout, /provider: kubernetes/);
    assert.match(r.stdout, new RegExp(`name: https\\n\\s+port: 443\\n\\s+protocol: TCP\\n\\s+targetPort: ${port}`));
    r = await h.kubectl(['get', 'endpoints', 'kubernetes']);
    assert.match(r.stdout, new RegExp(`kubernetes\\s+127\\.0\\.0\\.1:${port}`));
    r = await h.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=kubernetes', '-o', 'jsonpath={.items[*].metadata.name} {.items[0].addressType} {.items[0].endpoints[0].addresses[0]}:{.items[0].ports[0].port}']);
    assert.equal(r.stdout, `kubernetes IPv4 127.0.0.1:${port}`);
    // printEndpointSlice's columns
    r = await h.kubectl(['get', 'endpointslices', 'kubernetes']);
    assert.match(r.stdout, new RegExp(`^NAME\\s+ADDRESSTYPE\\s+PORTS\\s+ENDPOINTS\\s+AGE\\nkubernetes\\s+IPv4\\s+${port}\\s+127\\.0\\.0\\.1\\s+\\d+s\\n$`));
    r = await h.kubectl(['delete', 'svc', 'kubernetes']);
    assert.equal(r.code, 0, r.stderr);
    await eventually(async () => (await h.kubectl(['get', 'svc', 'kubernetes', '-o', 'name'])).stdout.trim() === 'service/kubernetes', 10_000, 'service re-created');
  });

  it('auth can-i for a ServiceAccount bound to the bootstrap roles (metrics-server style)', async () => {
    const as = '--as=system:serviceaccount:default:aggregated';
    const canI = async (...args: string[]) => (await h.kubectl(['auth', 'can-i', ...args, as])).stdout.trim();
    assert.equal((await h.kubectl(['create', 'serviceaccount', 'aggregated'])).code, 0);
    assert.equal(await canI('create', 'tokenreviews.authentication.k8s.io'), 'no');
    assert.equal(await canI('get', 'configmap/extension-apiserver-authentication', '-n', 'kube-system'), 'no');
    let r = await h.kubectl(['create', 'clusterrolebinding', 'aggregated:auth-delegator', '--clusterrole=system:auth-delegator', '--serviceaccount=default:aggregated']);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['create', 'rolebinding', 'aggregated-auth-reader', '-n', 'kube-system', '--role=extension-apiserver-authentication-reader', '--serviceaccount=default:aggregated']);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['create', 'rolebinding', 'aggregated-view', '--clusterrole=view', '--serviceaccount=default:aggregated']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await canI('create', 'tokenreviews.authentication.k8s.io'), 'yes');
    assert.equal(await canI('create', 'subjectaccessreviews.authorization.k8s.io'), 'yes');
    assert.equal(await canI('get', 'configmap/extension-apiserver-authentication', '-n', 'kube-system'), 'yes');
    assert.equal(await canI('get', 'configmap/other', '-n', 'kube-system'), 'no');
    assert.equal(await canI('list', 'pods'), 'yes');
    assert.equal(await canI('list', 'secrets'), 'no');
    assert.equal(await canI('list', 'pods', '-n', 'kube-system'), 'no');
  });

  it('get -w receives a live change', async () => {
    const w = h.kubectlBg(['get', 'cm', 'cfg', '-w', '-o', 'jsonpath={.data.a}{"\\n"}']);
    await eventually(() => w.output().includes('2'), 10_000, 'initial watch output');
    const r = await h.kubectl(['patch', 'cm', 'cfg', '--type', 'merge', '-p', '{"data":{"a":"live"}}']);
    assert.equal(r.code, 0, r.stderr);
    await eventually(() => w.output().includes('live'), 10_000, 'watched change');
    w.kill();
    await w.done;
  });

  it('get -w in table mode and pod columns', async () => {
    const f = h.file('pod.yaml', `apiVersion: v1
kind: Pod
metadata: {name: pod1}
spec: {nodeName: node-a, containers: [{name: c, image: busybox}]}
`);
    const w = h.kubectlBg(['get', 'pods', '-w']);
    await eventually(() => w.output().includes('NAME') || w.output() === '', 10_000, 'watch start');
    let r = await h.kubectl(['create', '-f', f]);
    assert.equal(r.code, 0, r.stderr);
    await eventually(() => /pod1\s+0\/1\s+Pending\s+0\s+\d+s/.test(w.output()), 10_000, 'pod row in the watch');
    w.kill();
    await w.done;
    r = await h.kubectl(['get', 'pods', '-o', 'wide']);
    assert.match(r.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
    assert.match(r.stdout, /pod1\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+node-a\s+<none>\s+<none>/);
    r = await h.kubectl(['delete', 'pod', 'pod1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pod "pod1" deleted/);
  });

  it('patch (merge, json, strategic), label, annotate, scale', async () => {
    let r = await h.kubectl(['patch', 'cm', 'cfg', '--type', 'json', '-p', '[{"op":"add","path":"/data/b","value":"x"}]']);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}']);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['label', 'cm', 'cfg', 'color=blue']);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['annotate', 'cm', 'cfg', 'note=hi']);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['scale', 'deploy', 'web', '--replicas=4']);
    assert.equal(r.code, 0, r.stderr);
    const cm = JSON.parse((await h.kubectl(['get', 'cm', 'cfg', '-o', 'json'])).stdout);
    assert.deepEqual(cm.data, { a: 'live', b: 'x' });
    assert.equal(cm.metadata.labels.color, 'blue');
    assert.equal(cm.metadata.annotations.note, 'hi');
    const d = JSON.parse((await h.kubectl(['get', 'deploy', 'web', '-o', 'json'])).stdout);
    assert.equal(d.spec.template.spec.containers.length, 1);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.27');
    assert.equal(d.spec.replicas, 4);
  });

  it('describe shows the object and its events', async () => {
    const d = JSON.parse((await h.kubectl(['get', 'deploy', 'web', '-o', 'json'])).stdout);
    const ev = h.file('ev.yaml', `apiVersion: v1
kind: Event
metadata: {name: web.1}
involvedObject: {kind: Deployment, name: web, namespace: default, apiVersion: apps/v1, uid: ${d.metadata.uid}}
reason: Testing
message: hello from the test
type: Normal
count: 1
`);
    let r = await h.kubectl(['create', '-f', ev]);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['describe', 'deploy', 'web']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Name:\s+web/);
    assert.match(r.stdout, /Normal\s+Testing\s+.*hello from the test/);
  });

  it('refuses unknown fields (kubectl validates strictly by default)', async () => {
    const f = h.file('typo.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo}\ndta: {a: "1"}\n');
    const r = await h.kubectl(['apply', '-f', f]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /strict decoding error: unknown field "dta"/);
  });

  it('explain reads the OpenAPI documents', async () => {
    const r = await h.kubectl(['explain', 'deployment.spec.replicas']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FIELD: replicas <integer>/);
  });

  it('prints upstream errors', async () => {
    let r = await h.kubectl(['get', 'cm', 'missing']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(NotFound\): configmaps "missing" not found/);
    r = await h.kubectl(['create', '-f', h.file('dup.yaml', CM('1'))]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(AlreadyExists\).*configmaps "cfg" already exists/);
  });

  it('typed create subcommands (protobuf bodies)', async () => {
    let r = await h.kubectl(['create', 'namespace', 'typed']);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['create', 'configmap', 'typed', '-n', 'typed', '--from-literal=a=b']);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['create', 'secret', 'generic', 'typed', '-n', 'typed', '--from-literal=user=admin']);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['create', 'deployment', 'typed', '-n', 'typed', '--image=nginx:1.25', '--replicas=2']);
    assert.equal(r.code, 0, r.stderr);
    r = await h.kubectl(['create', 'serviceaccount', 'typed', '-n', 'typed']);
    assert.equal(r.code, 0, r.stderr);
    const cm = JSON.parse((await h.kubectl(['get', 'cm', 'typed', '-n', 'typed', '-o', 'json'])).stdout);
    assert.deepEqual(cm.data, { a: 'b' });
    const sec = JSON.parse((await h.kubectl(['get', 'secret', 'typed', '-n', 'typed', '-o', 'json'])).stdout);
    assert.equal(Buffer.from(sec.data.user, 'base64').toString(), 'admin');
    const d = JSON.parse((await h.kubectl(['get', 'deploy', 'typed', '-n', 'typed', '-o', 'json'])).stdout);
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.25');
  });

  it('wait --for=condition and --for=delete', async () => {
    const f = h.file('job.yaml', `apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
`);
    let r = await h.kubectl(['create', '-f', f]);
    assert.equal(r.code, 0, r.stderr);
    // -v=6 logs each request as its answer arrives: once the watch is answered, kubectl waits on it
    const watching = (bg: { errors(): string }) => /GET https:\/\/\S+\/jobs\?\S*watch=true\S* 200 OK/.test(bg.errors());
    const w = h.kubectlBg(['wait', '--for=condition=Complete', 'job/j', '--timeout=20s', '-v=6']);
    await eventually(() => watching(w), 10_000, 'kubectl wait watching the Job');
    const jobs = h.server.registry.get('batch', 'v1', 'jobs')!;
    const cur = h.server.ops.get(jobs, 'default', 'j').obj;
    await h.server.ops.update(jobs, 'default', 'j', { ...cur, status: { conditions: [{ type: 'Complete', status: 'True' }], succeeded: 1 } }, { subresource: 'status' });
    r = await w.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /job.batch\/j condition met/);
    // Already true: returns at once.
    r = await h.kubectl(['wait', '--for=condition=Complete', 'job/j', '--timeout=5s']);
    assert.equal(r.code, 0, r.stderr);
    const del = h.kubectlBg(['wait', '--for=delete', 'job/j', '--timeout=20s', '-v=6']);
    await eventually(() => watching(del), 10_000, 'kubectl wait --for=delete watching the Job');
    r = await h.kubectl(['delete', 'job', 'j']);
    assert.equal(r.code, 0, r.stderr);
    r = await del.done;
    assert.equal(r.code, 0, r.stderr);
  });

  it('delete waits for finalizers to be removed', async () => {
    let r = await h.kubectl(['create', '-f', h.file('fin.yaml', `apiVersion: v1
kind: ConfigMap
metadata: {name: fin, finalizers: [example.com/hold]}
`)]);
    assert.equal(r.code, 0, r.stderr);
    const del = h.kubectlBg(['delete', 'cm', 'fin', '--timeout=20s']);
    const cms = h.server.registry.get('', 'v1', 'configmaps')!;
    await eventually(() => h.server.ops.get(cms, 'default', 'fin').obj.metadata.deletionTimestamp, 10_000, 'deletionTimestamp');
    const marked = h.server.ops.get(cms, 'default', 'fin').obj;
    assert.equal(marked.metadata.deletionGracePeriodSeconds, 0);
    r = await h.kubectl(['get', 'cm', 'fin', '-o', 'name']);
    assert.equal(r.stdout.trim(), 'configmap/fin', 'still there while the finalizer is set');
    r = await h.kubectl(['patch', 'cm', 'fin', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    assert.equal(r.code, 0, r.stderr);
    r = await del.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap "fin" deleted/);
    r = await h.kubectl(['get', 'cm', 'fin']);
    assert.match(r.stderr, /NotFound/);
  });

  it('delete --wait removes a plain object', async () => {
    const r = await h.kubectl(['delete', 'deploy', 'web', '--wait=true']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment.apps "web" deleted/);
    assert.match((await h.kubectl(['get', 'deploy'])).stderr, /No resources found/);
  });
});
