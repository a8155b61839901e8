// The LimitRanger admission plugin and LimitRange validation, in process and through kubectl
// 1.32 (upstream sources in admission.ts, validation.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KubeObject, StatusError } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import { startTestServer, type TestServer } from '../semantics-testkit.js';

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
type Container = { name: string; image: string; resources?: Resources; restartPolicy?: string };
type Pod = KubeObject & { spec: { containers: Container[]; initContainers?: Container[] } };
const pod = (name: string, containers: Partial<Container>[], initContainers?: Partial<Container>[]): Pod => ({
  metadata: { name },
  spec: { containers: containers.map((c, i) => ({ name: `c${i}`, image: 'nginx', ...c })), ...(initContainers ? { initContainers: initContainers.map((c, i) => ({ name: `i${i}`, image: 'busybox', ...c })) } : {}) },
});
const forbidden = (message: string) => (e: unknown) => {
  const st = (e as StatusError).status;
  assert.equal(st.code, 403, st.message);
  assert.equal(st.message, message);
  return true;
};

describe('LimitRanger admission and LimitRange validation', () => {
  let s: TestServer;
  let pods: ResourceType;
  let pvcs: ResourceType;
  let lrs: ResourceType;
  let nsType: ResourceType;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
    pods = s.type('', 'v1', 'pods');
    pvcs = s.type('', 'v1', 'persistentvolumeclaims');
    lrs = s.type('', 'v1', 'limitranges');
    nsType = s.type('', 'v1', 'namespaces');
  });
  after(async () => {
    await s.close();
  });
  const namespace = async (name: string) => s.create(nsType, { metadata: { name } });
  const create = async (ns: string, p: Pod) => (await s.server.ops.create(pods, ns, p)).object as Pod;

  it('a namespace without a LimitRange leaves pods as sent', async () => {
    const p = await create('default', pod('plain', [{}]));
    assert.deepEqual(p.spec.containers[0]!.resources, {});
    assert.equal(p.metadata.annotations, undefined);
  });

  it('Container defaults fill missing requests and limits, with the annotation saying what was set', async () => {
    await namespace('defaults');
    await s.create(lrs, { metadata: { name: 'lr', namespace: 'defaults' }, spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '250m', memory: '128Mi' } }] } } as KubeObject);
    const r = await s.kubectl(['run', 'web', '-n', 'defaults', '--image=nginx', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const web = JSON.parse(r.stdout) as Pod;
    assert.deepEqual(web.spec.containers[0]!.resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m', memory: '128Mi' } });
    assert.equal(web.metadata.annotations?.['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web');
    // the QoS class is the defaulted pod's (upstream's PrepareForCreate runs after admission)
    assert.equal((web as Pod & { status?: { qosClass?: string } }).status?.qosClass, 'Burstable');
    // a container with a limit already has that request (pod defaulting ran first); init containers are "init container"
    const p = await create('defaults', pod('mixed', [{ resources: { limits: { cpu: '1' } } }], [{}]));
    assert.deepEqual(p.spec.containers[0]!.resources, { limits: { cpu: '1', memory: '256Mi' }, requests: { cpu: '1', memory: '128Mi' } });
    assert.deepEqual(p.spec.initContainers![0]!.resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m', memory: '128Mi' } });
    assert.equal(p.metadata.annotations?.['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: memory request for container c0; memory limit for container c0; cpu, memory request for init container i0; cpu, memory limit for init container i0');
  });

  it('a LimitRange defaults from max, and default request from default then min (SetDefaults_LimitRangeItem)', async () => {
    const lr = await s.create(lrs, { metadata: { name: 'derived', namespace: 'default' }, spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }] } } as KubeObject) as KubeObject & { spec: { limits: Record<string, unknown>[] } };
    assert.deepEqual(lr.spec.limits[0], { type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' }, default: { cpu: '2' }, defaultRequest: { cpu: '2', memory: '64Mi' } });
    await s.server.ops.delete(lrs, 'default', 'derived');
  });

  it('min, max and maxLimitRequestRatio per Container and per Pod refuse with upstream texts', async () => {
    await namespace('bounds');
    await s.create(lrs, {
      metadata: { name: 'bounds', namespace: 'bounds' },
      spec: { limits: [
        { type: 'Container', max: { cpu: '1', memory: '1Gi' }, min: { cpu: '100m' }, maxLimitRequestRatio: { memory: '2' } },
        { type: 'Pod', max: { cpu: '1500m' } },
      ] },
    } as KubeObject);
    await assert.rejects(create('bounds', pod('big', [{ resources: { limits: { cpu: '2', memory: '512Mi' } } }])), forbidden('pods "big" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum cpu usage per Pod is 1500m, but limit is 2]'));
    await assert.rejects(create('bounds', pod('small', [{ resources: { requests: { cpu: '50m', memory: '100Mi' }, limits: { cpu: '50m', memory: '200Mi' } } }])), forbidden('pods "small" is forbidden: minimum cpu usage per Container is 100m, but request is 50m'));
    await assert.rejects(create('bounds', pod('bursty', [{ resources: { requests: { cpu: '500m', memory: '100Mi' }, limits: { cpu: '500m', memory: '300Mi' } } }])), forbidden('pods "bursty" is forbidden: memory max limit to request ratio per Container is 2, but provided ratio is 3.000000'));
    // max with no default: the defaulted limit is the max, so a request-only container passes the container bounds...
    const ok = await create('bounds', pod('fits', [{ resources: { requests: { cpu: '200m', memory: '600Mi' } } }]));
    assert.deepEqual(ok.spec.containers[0]!.resources, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '200m', memory: '600Mi' } });
    // ...and two of them exceed the Pod max through their summed limits
    await assert.rejects(create('bounds', pod('two', [{ resources: { requests: { cpu: '200m', memory: '600Mi' } } }, { resources: { requests: { cpu: '200m', memory: '600Mi' } } }])), forbidden('pods "two" is forbidden: maximum cpu usage per Pod is 1500m, but limit is 2'));
    const r = await s.kubectl(['run', 'k', '-n', 'bounds', '--image=nginx', '--overrides={"spec":{"containers":[{"name":"k","image":"nginx","resources":{"limits":{"cpu":"3"}}}]}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(Forbidden\): pods "k" is forbidden: \[maximum cpu usage per Container is 1, but limit is 3, maximum cpu usage per Pod is 1500m, but limit is 3\]/);
  });

  it('PersistentVolumeClaim min/max apply to the requested storage', async () => {
    await namespace('claims');
    await s.create(lrs, { metadata: { name: 'storage', namespace: 'claims' }, spec: { limits: [{ type: 'PersistentVolumeClaim', max: { storage: '2Gi' }, min: { storage: '1Gi' } }] } } as KubeObject);
    const claim = (name: string, storage: string) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } }) as KubeObject;
    await assert.rejects(s.server.ops.create(pvcs, 'claims', claim('huge', '5Gi')), forbidden('persistentvolumeclaims "huge" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi'));
    await assert.rejects(s.server.ops.create(pvcs, 'claims', claim('tiny', '500Mi')), forbidden('persistentvolumeclaims "tiny" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi'));
    await s.server.ops.create(pvcs, 'claims', claim('right', '1536Mi'));
  });

  it('validation refuses inconsistent LimitRanges (422, Go-printed quantities)', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: LimitRange\nmetadata: {name: bad}\nspec:\n  limits:\n  - type: Container\n    max: {cpu: "1"}\n    min: {cpu: "2"}\n');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The LimitRange "bad" is invalid: /);
    assert.ok(r.stderr.includes('spec.limits[0].min[cpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:2, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"2", Format:"DecimalSI"}: min value 2 is greater than max value 1'), r.stderr);
    assert.ok(r.stderr.includes('spec.limits[0].default[cpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:2, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"2", Format:"DecimalSI"}: min value 2 is greater than default value 1'), r.stderr);
    await assert.rejects(s.server.ops.create(lrs, 'default', { metadata: { name: 'p' }, spec: { limits: [{ type: 'Pod', default: { cpu: '1' } }, { type: 'Pod' }] } }), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 422);
      assert.equal(st.message, 'LimitRange "p" is invalid: [spec.limits[0].default: Forbidden: may not be specified when `type` is \'Pod\', spec.limits[1].type: Duplicate value: "Pod"]');
      return true;
    });
    await assert.rejects(s.server.ops.create(lrs, 'default', { metadata: { name: 'r' }, spec: { limits: [{ type: 'Container', defaultRequest: { memory: '1Gi' }, default: { memory: '512Mi' }, maxLimitRequestRatio: { cpu: '500m' } }] } }), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 422);
      assert.equal(st.message, 'LimitRange "r" is invalid: [spec.limits[0].defaultRequest[memory]: Invalid value: resource.Quantity{i:resource.int64Amount{value:1073741824, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"1Gi", Format:"BinarySI"}: default request value 1Gi is greater than default limit value 512Mi, '
        + 'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"500m", Format:"DecimalSI"}: ratio 500m is less than 1]');
      return true;
    });
  });

  it('kubectl describe limitrange shows the defaulted items', async () => {
    const r = await s.kubectl(['describe', 'limitrange', 'bounds', '-n', 'bounds']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    assert.deepEqual(lines.slice(2, 4), [
      ['Type', 'Resource', 'Min', 'Max', 'Default', 'Request', 'Default', 'Limit', 'Max', 'Limit/Request', 'Ratio'],
      ['----', '--------', '---', '---', '---------------', '-------------', '-----------------------'],
    ]);
    // kubectl's describer ranges over Go maps of resources (describe.go describeLimitRangeSpec):
    // the rows of one limit come in any order
    assert.deepEqual(lines.slice(4).map((l) => l.join(' ')).sort(), [
      'Container cpu 100m 1 1 1 -',
      'Container memory - 1Gi 1Gi 1Gi 2',
      'Pod cpu - 1500m - - -',
    ]);
    const g = await s.kubectl(['get', 'limitrange', '-n', 'bounds']);
    assert.match(g.stdout, /^NAME\s+CREATED AT\nbounds\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
  });
});
