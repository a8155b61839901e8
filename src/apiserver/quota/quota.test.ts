// The ResourceQuota admission plugin and the quota controller, in process and through kubectl
// 1.32 (upstream sources in admission.ts, controller.ts, evaluators.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KubeObject, StatusError } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import { eventually, startTestServer, type TestServer } from '../semantics-testkit.js';

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
type Pod = KubeObject & { spec: Record<string, unknown> };
type Quota = KubeObject & { spec: Record<string, unknown>; status?: { hard?: Record<string, string>; used?: Record<string, string> } };
const pod = (name: string, resources?: Resources, spec: Record<string, unknown> = {}): Pod => ({
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'nginx', ...(resources ? { resources } : {}) }], ...spec },
});
const forbidden = (message: string) => (e: unknown) => {
  const st = (e as StatusError).status;
  assert.equal(st.code, 403, st.message);
  assert.equal(st.message, message);
  return true;
};

describe('ResourceQuota admission and the quota controller', () => {
  let s: TestServer;
  let pods: ResourceType;
  let quotas: ResourceType;
  let nsType: ResourceType;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
    pods = s.type('', 'v1', 'pods');
    quotas = s.type('', 'v1', 'resourcequotas');
    nsType = s.type('', 'v1', 'namespaces');
  });
  after(async () => {
    await s.close();
  });
  const namespace = async (name: string) => s.create(nsType, { metadata: { name } });
  const create = async (ns: string, p: Pod) => (await s.server.ops.create(pods, ns, p)).object as Pod;
  const status = (ns: string, name: string) => (s.get(quotas, ns, name) as Quota | undefined)?.status;
  /** Creates a quota and waits for the controller to have filled its status. */
  const quota = async (ns: string, name: string, spec: Record<string, unknown>) => {
    await s.create(quotas, { metadata: { name, namespace: ns }, spec } as KubeObject);
    return eventually(() => status(ns, name)?.used, `${name} status`);
  };

  it('the controller fills status.hard and status.used; kubectl describe and get show them', async () => {
    await namespace('compute');
    const used = await quota('compute', 'compute', { hard: { pods: '2', 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.cpu': '2', 'limits.memory': '2Gi' } });
    assert.deepEqual(used, { 'limits.cpu': '0', 'limits.memory': '0', pods: '0', 'requests.cpu': '0', 'requests.memory': '0' });
    assert.deepEqual(status('compute', 'compute')?.hard, { 'limits.cpu': '2', 'limits.memory': '2Gi', pods: '2', 'requests.cpu': '1', 'requests.memory': '1Gi' });
    const d = await s.kubectl(['describe', 'quota', 'compute', '-n', 'compute']);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(d.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)), [
      ['Name:', 'compute'], ['Namespace:', 'compute'], ['Resource', 'Used', 'Hard'], ['--------', '----', '----'],
      ['limits.cpu', '0', '2'], ['limits.memory', '0', '2Gi'], ['pods', '0', '2'], ['requests.cpu', '0', '1'], ['requests.memory', '0', '1Gi'],
    ]);
  });

  it('a pod is charged at admission (exact sums, canonical quantities) and refused past hard with upstream text', async () => {
    const r = { requests: { cpu: '300m', memory: '384Mi' }, limits: { cpu: '500m', memory: '512Mi' } };
    await create('compute', pod('a', r));
    // charged by the create itself, before any controller pass
    assert.deepEqual(status('compute', 'compute')?.used, { 'limits.cpu': '500m', 'limits.memory': '512Mi', pods: '1', 'requests.cpu': '300m', 'requests.memory': '384Mi' });
    await create('compute', pod('b', r));
    assert.deepEqual(status('compute', 'compute')?.used, { 'limits.cpu': '1', 'limits.memory': '1Gi', pods: '2', 'requests.cpu': '600m', 'requests.memory': '768Mi' });
    await assert.rejects(create('compute', pod('c', r)), forbidden('pods "c" is forbidden: exceeded quota: compute, requested: pods=1,requests.memory=384Mi, used: pods=2,requests.memory=768Mi, limited: pods=2,requests.memory=1Gi'));
    const k = await s.kubectl(['run', 'k', '-n', 'compute', '--image=nginx', '--overrides={"spec":{"containers":[{"name":"k","image":"nginx","resources":{"limits":{"cpu":"1500m","memory":"64Mi"}}}]}}']);
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /Error from server \(Forbidden\): pods "k" is forbidden: exceeded quota: compute, requested: limits.cpu=1500m,pods=1,requests.cpu=1500m, used: limits.cpu=1,pods=2,requests.cpu=600m, limited: limits.cpu=2,pods=2,requests.cpu=1/);
    // a dry run is checked but not charged
    await s.server.ops.delete(pods, 'compute', 'b');
    await eventually(() => status('compute', 'compute')?.used?.pods === '1', 'replenished');
    await s.server.ops.create(pods, 'compute', pod('dry', r), { dryRun: true });
    assert.equal(status('compute', 'compute')?.used?.pods, '1');
    const g = await s.kubectl(['get', 'quota', '-n', 'compute']);
    assert.match(g.stdout, /^NAME\s+AGE\s+REQUEST\s+LIMIT\ncompute\s+\S+\s+pods: 1\/2, requests.cpu: 300m\/1, requests.memory: 384Mi\/1Gi\s+limits.cpu: 500m\/2, limits.memory: 512Mi\/2Gi\n$/);
  });

  it('a quota on cpu/memory needs every container to name them (failed quota)', async () => {
    await assert.rejects(create('compute', pod('bare')), forbidden('pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: c; limits.memory for: c; requests.cpu for: c; requests.memory for: c'));
    await assert.rejects(create('compute', pod('half', { limits: { cpu: '100m' } })), forbidden('pods "half" is forbidden: failed quota: compute: must specify limits.memory for: c; requests.memory for: c'));
  });

  it('deleted and terminated pods are released by the controller', async () => {
    await namespace('release');
    await quota('release', 'q', { hard: { pods: '1', 'count/pods': '5' } });
    await create('release', pod('one'));
    await assert.rejects(create('release', pod('two')), forbidden('pods "two" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1'));
    // a terminal pod still exists (count/pods) but no longer uses `pods`
    const one = s.get(pods, 'release', 'one')!;
    await s.server.ops.update(pods, 'release', 'one', { ...one, status: { phase: 'Succeeded' } }, { subresource: 'status' });
    await eventually(() => status('release', 'q')?.used?.pods === '0', 'terminal pod released');
    assert.equal(status('release', 'q')?.used?.['count/pods'], '1');
    await create('release', pod('two'));
    await s.server.ops.delete(pods, 'release', 'one');
    await eventually(() => status('release', 'q')?.used?.['count/pods'] === '1' && status('release', 'q')?.used?.pods === '1', 'deleted pod released');
  });

  it('scopes: BestEffort / NotBestEffort, Terminating / NotTerminating, PriorityClass selectors', async () => {
    await namespace('scoped');
    await quota('scoped', 'besteffort', { hard: { pods: '1' }, scopes: ['BestEffort'] });
    await quota('scoped', 'burstable', { hard: { pods: '5', 'requests.cpu': '1' }, scopes: ['NotBestEffort', 'NotTerminating'] });
    await quota('scoped', 'batch', { hard: { pods: '1' }, scopes: ['Terminating'] });
    await s.create(s.type('scheduling.k8s.io', 'v1', 'priorityclasses'), { metadata: { name: 'gold' }, value: 100 } as KubeObject);
    await quota('scoped', 'gold', { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['gold'] }] } });
    await create('scoped', pod('be1'));
    await assert.rejects(create('scoped', pod('be2')), forbidden('pods "be2" is forbidden: exceeded quota: besteffort, requested: pods=1, used: pods=1, limited: pods=1'));
    await create('scoped', pod('bu1', { requests: { cpu: '600m' } }));
    await assert.rejects(create('scoped', pod('bu2', { requests: { cpu: '600m' } })), forbidden('pods "bu2" is forbidden: exceeded quota: burstable, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1'));
    // a terminating (activeDeadlineSeconds) burstable pod is outside `burstable` but inside `batch`
    await create('scoped', pod('job1', { requests: { cpu: '600m' } }, { activeDeadlineSeconds: 60 }));
    await assert.rejects(create('scoped', pod('job2', { requests: { cpu: '1m' } }, { activeDeadlineSeconds: 60 })), forbidden('pods "job2" is forbidden: exceeded quota: batch, requested: pods=1, used: pods=1, limited: pods=1'));
    await create('scoped', pod('g1', { requests: { cpu: '1m' } }, { priorityClassName: 'gold' }));
    await assert.rejects(create('scoped', pod('g2', { requests: { cpu: '1m' } }, { priorityClassName: 'gold' })), forbidden('pods "g2" is forbidden: exceeded quota: gold, requested: pods=1, used: pods=1, limited: pods=1'));
    assert.deepEqual(status('scoped', 'burstable')?.used, { pods: '2', 'requests.cpu': '601m' });
    // the controller's recount agrees with what admission charged
    await s.server.ops.delete(pods, 'scoped', 'g1');
    await eventually(() => status('scoped', 'burstable')?.used?.pods === '1', 'recount');
    assert.deepEqual(status('scoped', 'burstable')?.used, { pods: '1', 'requests.cpu': '600m' });
    assert.deepEqual(status('scoped', 'besteffort')?.used, { pods: '1' });
    assert.deepEqual(status('scoped', 'gold')?.used, { pods: '0' });
  });

  it('object counts: configmaps, secrets, count/<resource>.<group>, services with node ports and load balancers', async () => {
    await namespace('objects');
    const used = await quota('objects', 'objects', { hard: { configmaps: '1', 'count/secrets': '1', 'count/deployments.apps': '0', services: '5', 'services.nodeports': '2', 'services.loadbalancers': '1' } });
    assert.deepEqual(used, { configmaps: '0', 'count/deployments.apps': '0', 'count/secrets': '0', services: '0', 'services.loadbalancers': '0', 'services.nodeports': '0' });
    assert.equal((await s.kubectl(['create', 'configmap', 'one', '-n', 'objects'])).code, 0);
    const two = await s.kubectl(['create', 'configmap', 'two', '-n', 'objects']);
    assert.match(two.stderr, /configmaps "two" is forbidden: exceeded quota: objects, requested: configmaps=1, used: configmaps=1, limited: configmaps=1/);
    assert.equal((await s.kubectl(['create', 'secret', 'generic', 's1', '-n', 'objects'])).code, 0);
    assert.match((await s.kubectl(['create', 'secret', 'generic', 's2', '-n', 'objects'])).stderr, /secrets "s2" is forbidden: exceeded quota: objects, requested: count\/secrets=1, used: count\/secrets=1, limited: count\/secrets=1/);
    assert.match((await s.kubectl(['create', 'deployment', 'web', '-n', 'objects', '--image=nginx'])).stderr, /deployments.apps "web" is forbidden: exceeded quota: objects, requested: count\/deployments.apps=1, used: count\/deployments.apps=0, limited: count\/deployments.apps=0/);
    assert.equal((await s.kubectl(['create', 'service', 'nodeport', 'np', '-n', 'objects', '--tcp=80:80'])).code, 0);
    assert.match((await s.kubectl(['create', 'service', 'loadbalancer', 'lb', '-n', 'objects', '--tcp=80:80', '--tcp=443:443'])).stderr, /services "lb" is forbidden: exceeded quota: objects, requested: services.nodeports=2, used: services.nodeports=1, limited: services.nodeports=2/);
    assert.equal((await s.kubectl(['create', 'service', 'loadbalancer', 'lb', '-n', 'objects', '--tcp=443:443'])).code, 0);
    assert.deepEqual(status('objects', 'objects')?.used, { configmaps: '1', 'count/deployments.apps': '0', 'count/secrets': '1', services: '2', 'services.loadbalancers': '1', 'services.nodeports': '2' });
  });

  it('a changed spec.hard is copied to status.hard with a recount', async () => {
    const q = s.get(quotas, 'objects', 'objects') as Quota;
    await s.server.ops.update(quotas, 'objects', 'objects', { ...q, spec: { hard: { configmaps: '3', 'requests.storage': '10Gi' } } });
    await eventually(() => status('objects', 'objects')?.hard?.configmaps === '3', 'status.hard');
    assert.deepEqual(status('objects', 'objects'), { hard: { configmaps: '3', 'requests.storage': '10Gi' }, used: { configmaps: '1', 'requests.storage': '0' } });
    assert.equal((await s.kubectl(['create', 'configmap', 'two', '-n', 'objects'])).code, 0);
  });

  it('a resource the write does not use is not checked, even where the quota is already over (RemoveZeros)', async () => {
    // checkRequest drops zero usage before masking with hard (plugin/pkg/admission/resourcequota/controller.go
    // `deltaUsage = quota.RemoveZeros(deltaUsage)`): a ClusterIP service uses no node port, so a
    // quota whose node ports are over its (lowered) hard does not refuse it; an update that only
    // adds node ports is not held to the service count either.
    const svcs = s.type('', 'v1', 'services');
    await namespace('zeros');
    await quota('zeros', 'zeros', { hard: { services: '5', 'services.nodeports': '2' } });
    const np = (name: string) => ({ metadata: { name, namespace: 'zeros' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } }) as KubeObject;
    await s.server.ops.create(svcs, 'zeros', np('a'));
    await s.server.ops.create(svcs, 'zeros', np('b'));
    const q = s.get(quotas, 'zeros', 'zeros') as Quota;
    await s.server.ops.update(quotas, 'zeros', 'zeros', { ...q, spec: { hard: { services: '2', 'services.nodeports': '1' } } });
    await eventually(() => status('zeros', 'zeros')?.hard?.services === '2', 'status.hard');
    // services: 2 used of 2, node ports 2 of 1: a ClusterIP service asks for a service and no node port
    await assert.rejects(s.server.ops.create(svcs, 'zeros', { metadata: { name: 'c' }, spec: { ports: [{ port: 80 }] } } as KubeObject),
      forbidden('services "c" is forbidden: exceeded quota: zeros, requested: services=1, used: services=2, limited: services=2'));
    await s.server.ops.update(quotas, 'zeros', 'zeros', { ...(s.get(quotas, 'zeros', 'zeros') as Quota), spec: { hard: { services: '3', 'services.nodeports': '1' } } });
    await eventually(() => status('zeros', 'zeros')?.hard?.services === '3', 'status.hard');
    await s.server.ops.create(svcs, 'zeros', { metadata: { name: 'c' }, spec: { ports: [{ port: 80 }] } } as KubeObject);
    assert.deepEqual(status('zeros', 'zeros')?.used, { services: '3', 'services.nodeports': '2' });
    // services lowered below use: a relabel changes no usage; turning a service into a NodePort asks
    // for a node port only, so it is refused for that one, not for the service count
    await s.server.ops.update(quotas, 'zeros', 'zeros', { ...(s.get(quotas, 'zeros', 'zeros') as Quota), spec: { hard: { services: '1', 'services.nodeports': '1' } } });
    await eventually(() => status('zeros', 'zeros')?.hard?.services === '1', 'status.hard');
    const c = s.get(svcs, 'zeros', 'c') as KubeObject & { spec: Record<string, unknown> };
    await s.server.ops.update(svcs, 'zeros', 'c', { ...c, metadata: { ...c.metadata, labels: { a: 'b' } } });
    const c2 = s.get(svcs, 'zeros', 'c') as KubeObject & { spec: Record<string, unknown> };
    await assert.rejects(s.server.ops.update(svcs, 'zeros', 'c', { ...c2, spec: { ...c2.spec, type: 'NodePort' } }),
      forbidden('services "c" is forbidden: exceeded quota: zeros, requested: services.nodeports=1, used: services.nodeports=2, limited: services.nodeports=1'));
    await s.server.ops.update(quotas, 'zeros', 'zeros', { ...(s.get(quotas, 'zeros', 'zeros') as Quota), spec: { hard: { services: '1', 'services.nodeports': '3' } } });
    await eventually(() => status('zeros', 'zeros')?.hard?.['services.nodeports'] === '3', 'status.hard');
    await s.server.ops.update(svcs, 'zeros', 'c', { ...c2, spec: { ...c2.spec, type: 'NodePort' } });
    assert.deepEqual(status('zeros', 'zeros')?.used, { services: '3', 'services.nodeports': '3' });
  });

  it('a quota applies by its status.hard: none yet, it tracks nothing; hard without used refuses (status unknown)', async () => {
    await namespace('fresh');
    await quota('fresh', 'fresh', { hard: { pods: '3', 'count/pods': '3' } });
    const plugin = s.server.admission.list().find((p) => p.name === 'ResourceQuota')!;
    const admit = (name: string) => plugin.validate!({ operation: 'CREATE', type: pods, namespace: 'fresh', name, object: pod(name), dryRun: true });
    // before the controller's next pass (a later turn): without status.hard the quota matches nothing...
    const cleared = s.server.ops.guaranteedUpdate(quotas, 'fresh', 'fresh', (o) => {
      delete (o as Quota).status;
      return true;
    });
    assert.equal(admit('early'), undefined);
    await cleared;
    await eventually(() => status('fresh', 'fresh')?.used, 'synced');
    // ...with hard but no usage for what it tracks, it refuses
    const halved = s.server.ops.guaranteedUpdate(quotas, 'fresh', 'fresh', (o) => {
      (o as Quota).status = { hard: { pods: '3', 'count/pods': '3' }, used: {} };
      return true;
    });
    assert.throws(() => admit('early'), forbidden('pods "early" is forbidden: status unknown for quota: fresh, resources: count/pods,pods'));
    await halved;
    await eventually(() => status('fresh', 'fresh')?.used?.pods, 'synced again');
    await create('fresh', pod('later'));
    assert.deepEqual(status('fresh', 'fresh')?.used, { 'count/pods': '1', pods: '1' });
  });

  it('the CrossNamespacePodAffinity scope (GA since 1.24): accepted, Exists only, pod resources only; counts pods with cross-namespace terms', async () => {
    // helper.IsStandardResourceQuotaScope and IsResourceQuotaScopeValidForResource (pkg/apis/core/helper),
    // validateScopedResourceSelectorRequirement (pkg/apis/core/validation): the scope kube-apiserver
    // offers to cap pods whose (anti-)affinity reaches other namespaces
    const invalid = (message: string) => (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 422, st.message);
      assert.equal(st.message, message);
      return true;
    };
    await namespace('xns');
    await quota('xns', 'xns', { hard: { pods: '0' }, scopes: ['CrossNamespacePodAffinity'] });
    const affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { a: 'b' } }, namespaces: ['other'] }] } };
    await assert.rejects(create('xns', pod('cross', undefined, { affinity })), forbidden('pods "cross" is forbidden: exceeded quota: xns, requested: pods=1, used: pods=0, limited: pods=0'));
    await create('xns', pod('local'));
    await assert.rejects(s.server.ops.create(quotas, 'xns', { metadata: { name: 'op' }, spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'CrossNamespacePodAffinity', operator: 'In', values: ['x'] }] } } }),
      invalid('ResourceQuota "op" is invalid: spec.scopeSelector.matchExpressions.operator: Invalid value: "In": must be \'Exist\' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity'));
    await assert.rejects(s.server.ops.create(quotas, 'xns', { metadata: { name: 'cm' }, spec: { hard: { configmaps: '1' }, scopes: ['CrossNamespacePodAffinity'] } }),
      invalid('ResourceQuota "cm" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{"CrossNamespacePodAffinity"}: unsupported scope applied to resource'));
  });

  it('huge quantities are exact (inf.Dec): 1e100 pods is no limit at all, -1e100 is negative', async () => {
    // resource.ParseQuantity keeps a decimal exponent beyond int64 as an exact inf.Dec (only a
    // BinarySI magnitude is capped), so such a hard limit is never reached, and a negative one is
    // refused (printed canonical, as Quantity.String: -10e99)
    await namespace('huge');
    await quota('huge', 'huge', { hard: { pods: '1e100', 'limits.cpu': '1e100' } });
    await create('huge', pod('p', { limits: { cpu: '2' } }));
    assert.equal(status('huge', 'huge')?.used?.pods, '1');
    await assert.rejects(s.server.ops.create(quotas, 'huge', { metadata: { name: 'neg' }, spec: { hard: { pods: '-1e100' } } }), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 422, st.message);
      assert.match(st.message ?? '', /spec\.hard\[pods\]: Invalid value: "-10e99": must be greater than or equal to 0/);
      return true;
    });
  });

  it('validation refuses bad hard resources and scopes (422, upstream texts)', async () => {
    const invalid = (message: string) => (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 422, st.message);
      assert.equal(st.message, message);
      return true;
    };
    await assert.rejects(s.server.ops.create(quotas, 'default', { metadata: { name: 'neg' }, spec: { hard: { pods: '-1', gpus: '1', configmaps: '1500m' } } }),
      invalid('ResourceQuota "neg" is invalid: [spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0, spec.hard[gpus]: Invalid value: "gpus": must be a standard resource type or fully qualified, '
        + 'spec.hard[gpus]: Invalid value: "gpus": must be a standard resource for quota, spec.hard[configmaps]: Invalid value: resource.Quantity{i:resource.int64Amount{value:1500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"1500m", Format:"DecimalSI"}: must be an integer]'));
    await assert.rejects(s.server.ops.create(quotas, 'default', { metadata: { name: 'sc' }, spec: { hard: { pods: '1', 'requests.cpu': '1' }, scopes: ['BestEffort', 'NotBestEffort'] } }),
      invalid('ResourceQuota "sc" is invalid: [spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: unsupported scope applied to resource, spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes]'));
    const r = await s.kubectl(['create', 'quota', 'bad', '--hard=pods=1', '--scopes=Forever']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ResourceQuota "bad" is invalid: spec.scopes: Invalid value: \[\]core.ResourceQuotaScope\{"Forever"\}: unsupported scope/);
    await s.create(quotas, { metadata: { name: 'ok', namespace: 'default' }, spec: { hard: { pods: '1' }, scopes: ['NotTerminating'] } } as KubeObject);
    const ok = s.get(quotas, 'default', 'ok') as Quota;
    await assert.rejects(s.server.ops.update(quotas, 'default', 'ok', { ...ok, spec: { hard: { pods: '1' }, scopes: ['Terminating'] } }),
      invalid('ResourceQuota "ok" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating"}: field is immutable'));
  });
});
