// Pure parts of the simulated cluster: quantities, CIDR allocation, scheduling filters and messages, image references.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CidrAllocator, hostInCidr } from './cidr.js';
import { resolveIntOrPercent, templateHash } from './deployment.js';
import {
  filterNode, fitReasons, isPlainNode, isPlainPod, matchesNodeSelectorAndAffinity, scoreNode, tolerates, unschedulableMessage, REASON, type NodeInfo,
} from './predicates.js';
import { parseDockerConfig, parseImageRef } from './pull.js';
import { nonZeroRequests, parseQuantity, podRequests, toResourceList } from './quantity.js';
import type { NodeObject, PodObject } from '../controller/index.js';

const node = (name: string, labels: Record<string, string> = {}, extra: Partial<NodeObject['spec']> = {}, ready = true): NodeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { ...extra },
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const info = (n: NodeObject, requested: Record<string, number> = {}, podCount = 0): NodeInfo => ({
  node: n, allocatable: toResourceList(n.status!.allocatable as Record<string, string>), requested, nonZeroRequested: requested, podCount, pods: [],
});
const pod = (spec: Record<string, unknown> = {}): PodObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'c' }], ...spec } as PodObject['spec'],
});

describe('quantities', () => {
  it('parses decimal, binary and exponent forms', () => {
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('2'), 2);
    assert.equal(parseQuantity('1Gi'), 2 ** 30);
    assert.equal(parseQuantity('1k'), 1000);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.throws(() => parseQuantity('1 Gi'), /quantities must match/);
    assert.deepEqual(toResourceList({ cpu: '250m', memory: '1Mi' }), { cpu: 250, memory: 2 ** 20 });
  });

  it('sums container requests, takes the max of init containers and adds overhead; limits stand in for requests', () => {
    const p = pod({
      containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }, { name: 'b', resources: { limits: { cpu: '200m', memory: '1Gi' } } }],
      initContainers: [{ name: 'i', resources: { requests: { cpu: '1' } } }],
      overhead: { cpu: '10m' },
    });
    assert.deepEqual(podRequests(p), { cpu: 1010, memory: 2 ** 30 });
    assert.deepEqual(nonZeroRequests(pod()), { cpu: 100, memory: 200 * 2 ** 20 }, 'scoring defaults for best-effort pods');
  });
});

describe('CIDR allocator', () => {
  it('hands out distinct ranges, skips occupied ones, reuses released ones and fails when full', () => {
    const a = new CidrAllocator('10.0.0.0/22', 24);
    assert.equal(a.capacity, 4);
    assert.ok(a.occupy('10.0.1.0/24'));
    assert.equal(a.occupy('192.168.0.0/24'), false, 'outside the cluster CIDR');
    const got = [a.allocate(), a.allocate(), a.allocate()];
    assert.deepEqual(got, ['10.0.0.0/24', '10.0.2.0/24', '10.0.3.0/24']);
    assert.throws(() => a.allocate(), /no free \/24 range/);
    a.release('10.0.2.0/24');
    assert.equal(a.allocate(), '10.0.2.0/24');
  });

  it('validates its settings', () => {
    assert.throws(() => new CidrAllocator('10.0.0.0/24', 16), /mask size 16/);
    assert.throws(() => new CidrAllocator('10.0.0/24', 26), /invalid IPv4/);
    assert.equal(hostInCidr('172.16.3.0/24', 2), '172.16.3.2');
  });
});

describe('scheduling filters', () => {
  it('matches tolerations like upstream (Exists, Equal, empty key, effect)', () => {
    const t = { key: 'k', value: 'v', effect: 'NoSchedule' };
    assert.ok(tolerates([{ key: 'k', operator: 'Exists' }], t));
    assert.ok(tolerates([{ key: 'k', value: 'v' }], t));
    assert.ok(!tolerates([{ key: 'k', value: 'w' }], t));
    assert.ok(tolerates([{ operator: 'Exists' }], t));
    assert.ok(!tolerates([{ key: 'k', operator: 'Exists', effect: 'NoExecute' }], t));
  });

  it('evaluates node affinity operators and nodeSelector', () => {
    const n = node('n1', { zone: 'a', gen: '7' });
    const req = (op: string, values?: string[], key = 'gen') => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: op, values }] }] } } } });
    assert.ok(matchesNodeSelectorAndAffinity(req('In', ['7', '8']), n));
    assert.ok(!matchesNodeSelectorAndAffinity(req('NotIn', ['7']), n));
    assert.ok(matchesNodeSelectorAndAffinity(req('Exists'), n));
    assert.ok(matchesNodeSelectorAndAffinity(req('DoesNotExist', undefined, 'gpu'), n));
    assert.ok(matchesNodeSelectorAndAffinity(req('Gt', ['6']), n));
    assert.ok(!matchesNodeSelectorAndAffinity(req('Lt', ['7']), n));
    assert.ok(!matchesNodeSelectorAndAffinity({ nodeSelector: { zone: 'b' } }, n));
    assert.ok(matchesNodeSelectorAndAffinity({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } } }, n));
    assert.ok(!matchesNodeSelectorAndAffinity({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } }, n), 'an empty term matches nothing');
  });

  it('reports every missing resource, cordons, untolerated taints and NotReady nodes', () => {
    const p = pod();
    assert.deepEqual(filterNode(p, { cpu: 5000, memory: 2 ** 40 }, info(node('n'))), ['Insufficient cpu', 'Insufficient memory']);
    assert.deepEqual(filterNode(p, {}, info(node('n'), {}, 110)), [REASON.tooManyPods]);
    assert.deepEqual(filterNode(p, {}, info(node('n', {}, { unschedulable: true }))), [REASON.unschedulable]);
    assert.deepEqual(filterNode(p, {}, info(node('n', {}, { taints: [{ key: 'a', value: 'b', effect: 'NoExecute' }] }))), ['node(s) had untolerated taint {a: b}']);
    assert.deepEqual(filterNode(p, {}, info(node('n', {}, {}, false))), ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']);
    assert.deepEqual(filterNode(p, { cpu: 100 }, info(node('n'))), []);
    assert.deepEqual(filterNode(pod({ nodeName: 'other' }), {}, info(node('n'))), [REASON.nodeName]);
  });

  it('scores emptier nodes, preferred affinity and PreferNoSchedule', () => {
    const p = pod({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } }] } } });
    assert.ok(scoreNode(p, {}, info(node('a'))) > scoreNode(p, {}, info(node('b'), { cpu: 3000 })));
    assert.ok(scoreNode(p, {}, info(node('a', { ssd: '' }), { cpu: 3000 })) > scoreNode(p, {}, info(node('b'))));
    assert.ok(scoreNode(p, {}, info(node('a', {}, { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }))) < scoreNode(p, {}, info(node('b'))));
    assert.ok(scoreNode(p, {}, info(node('a')), 1) < scoreNode(p, {}, info(node('b'), { cpu: 500 })), 'a replica of the same owner weighs more than some load');
  });

  it('checks a plain pod on a plain node for resources only, as filterNode would', () => {
    const nodes = [
      node('plain'), node('tainted', {}, { taints: [{ key: 'a', effect: 'NoSchedule' }] }), node('soft', {}, { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] }),
      node('cordoned', {}, { unschedulable: true }), node('notready', {}, {}, false), node('zoned', { zone: 'a' }),
    ];
    const pods = [
      pod(), pod({ nodeSelector: {} }), pod({ nodeSelector: { zone: 'b' } }), pod({ nodeName: 'other' }),
      pod({ tolerations: [{ operator: 'Exists' }] }), pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } }),
      pod({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } }] } } }),
    ];
    let plain = 0;
    for (const n of nodes) {
      for (const p of pods) {
        if (!isPlainNode(n) || !isPlainPod(p)) continue;
        plain++;
        for (const [req, used, count] of [[{ cpu: 100 }, {}, 0], [{ cpu: 5000, memory: 2 ** 40 }, {}, 0], [{}, {}, 110], [{ cpu: 100 }, { cpu: 3950 }, 3]] as const) {
          const i = info(n, { ...used }, count);
          assert.deepEqual(fitReasons(req, i), filterNode(p, req, i), `${p.spec?.nodeName ?? JSON.stringify(p.spec)} on ${n.metadata.name}`);
          assert.equal(scoreNode(p, {}, i), scoreNode(pod(), {}, i), 'no score term but least-allocated applies');
        }
      }
    }
    assert.deepEqual([nodes.filter(isPlainNode).map((n) => n.metadata.name), pods.filter(isPlainPod).length, plain], [['plain', 'zoned'], 3, 6]);
  });

  it("words the unschedulable message like kube-scheduler's FitError", () => {
    const m = new Map([['a', ['Insufficient memory']], ['b', [REASON.affinity]], ['c', [REASON.affinity]], ['d', ['Insufficient cpu', 'Insufficient memory']]]);
    assert.equal(unschedulableMessage(4, m),
      "0/4 nodes are available: 1 Insufficient cpu, 2 Insufficient memory, 2 node(s) didn't match Pod's node affinity/selector. " +
      'preemption: 0/4 nodes are available: 2 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.');
    assert.equal(unschedulableMessage(0, new Map()), 'no nodes available to schedule pods');
  });
});

describe('workload helpers', () => {
  it('resolves int-or-percent like upstream (surge up, unavailable down)', () => {
    assert.equal(resolveIntOrPercent('25%', 3, true, '25%'), 1);
    assert.equal(resolveIntOrPercent('25%', 3, false, '25%'), 0);
    assert.equal(resolveIntOrPercent(2, 3, false, '25%'), 2);
    assert.equal(resolveIntOrPercent(undefined, 8, false, '25%'), 2);
    assert.throws(() => resolveIntOrPercent('x%', 3, true, '0'), /not a percentage/);
  });

  it('hashes pod templates stably and differently per template', () => {
    const t = { metadata: { labels: { b: '1', a: '2' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    const same = { spec: { containers: [{ image: 'x', name: 'c' }] }, metadata: { labels: { a: '2', b: '1' } } };
    assert.equal(templateHash(t), templateHash(same));
    assert.notEqual(templateHash(t), templateHash({ ...t, spec: { containers: [{ name: 'c', image: 'y' }] } }));
    assert.match(templateHash(t), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });
});

describe('image references and pull secrets', () => {
  it('parses references with and without registry, tag and digest', () => {
    assert.deepEqual(parseImageRef('nginx'), { host: 'docker.io', repository: 'library/nginx', reference: 'latest', raw: 'nginx' });
    assert.deepEqual(parseImageRef('reg.example.com:5000/ns/app:v1'), { host: 'reg.example.com:5000', repository: 'ns/app', reference: 'v1', raw: 'reg.example.com:5000/ns/app:v1' });
    assert.equal(parseImageRef('ns/app@sha256:abc').reference, 'sha256:abc');
    assert.throws(() => parseImageRef('bad image'), /invalid image reference/);
  });

  it('reads dockerconfigjson and legacy dockercfg documents', () => {
    assert.deepEqual(parseDockerConfig('{"auths":{"r.io":{"username":"u","password":"p"}}}'), { 'r.io': { username: 'u', password: 'p' } });
    assert.deepEqual(parseDockerConfig('{"r.io":{"auth":"dTpw"}}'), { 'r.io': { auth: 'dTpw' } });
    assert.deepEqual(parseDockerConfig('not json'), {});
  });
});

