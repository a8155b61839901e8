// Pure parts of the simulated metrics-server and pod network: usage model, quantity forms,
// the metrics API's answers, Endpoints subsets, pod address reachability.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { NodeObject, PodObject } from '../controller/index.js';
import { endpointSliceContents, endpointSliceLabels, endpointSubsets, servicePodSelector } from './endpoints.js';
import { requestAttributes, serveMetricsApi, type MetricsSource } from './metrics-api.js';
import { MetricsServerController, requestHeaderExtra, securePort } from './metrics-server.js';
import { newNotFound } from '../api/index.js';
import { containerUsage, formatBinaryBytes, formatNanocores, goDuration, nodeUsage, parseUsageAnnotation } from './metrics-usage.js';
import { SimNetwork } from './network.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');

const node = (name: string, podCIDR?: string, labels: Record<string, string> = {}): NodeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels, creationTimestamp: '2026-11-30T00:00:00Z' }, spec: podCIDR ? { podCIDR } : {},
  status: { capacity: { cpu: '4', memory: '16Gi' }, allocatable: { cpu: '3900m', memory: '15Gi' } },
});

const pod = (name: string, o: { ns?: string; node?: string; labels?: Record<string, string>; annotations?: Record<string, string>; containers?: Record<string, unknown>[]; startedAt?: string; phase?: string; ip?: string; ready?: boolean } = {}): PodObject => {
  const containers = o.containers ?? [{ name: 'app', resources: { requests: { cpu: '250m', memory: '64Mi' } } }];
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: o.ns ?? 'default', uid: `uid-${name}`, labels: o.labels, annotations: o.annotations },
    spec: { nodeName: o.node ?? 'n1', containers } as PodObject['spec'],
    status: {
      phase: o.phase ?? 'Running', podIP: o.ip,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      containerStatuses: containers.map((c) => ({ name: c.name, state: { running: { startedAt: o.startedAt ?? '2026-11-30T23:00:00Z' } } })),
    } as PodObject['status'],
  };
};

describe('simulated usage', () => {
  it('a container uses its requests, its pod\'s annotation, or an idle minimum', () => {
    assert.deepEqual(containerUsage(pod('a')), [{ name: 'app', usage: { cpu: 250_000_000, memory: 64 * 2 ** 20 } }]);
    const p = pod('b', {
      annotations: { 'sim.kubeloop.io/usage': 'cpu=1500u; side:cpu=2,memory=1Gi' },
      containers: [{ name: 'app' }, { name: 'side' }, { name: 'bare', resources: {} }],
    });
    assert.deepEqual(containerUsage(p), [
      { name: 'app', usage: { cpu: 1_500_000, memory: 4 * 2 ** 20 } },
      { name: 'side', usage: { cpu: 2e9, memory: 2 ** 30 } },
      { name: 'bare', usage: { cpu: 1_500_000, memory: 4 * 2 ** 20 } },
    ]);
    assert.throws(() => parseUsageAnnotation('gpu=1'), /"gpu=1" is not cpu=<quantity> or memory=<quantity>/);
    // a bad annotation: as if there were none
    assert.equal(containerUsage(pod('c', { annotations: { 'sim.kubeloop.io/usage': 'cpu=lots' } }))[0].usage.cpu, 250_000_000);
    // an unreadable request (the built-in API server stores it unchecked): as if there were none
    assert.deepEqual(containerUsage(pod('d', { containers: [{ name: 'app', resources: { requests: { cpu: 'lots', memory: '64Mi' } } }] }))[0].usage, { cpu: 1_000_000, memory: 64 * 2 ** 20 });
  });

  it('a node uses its pods\' usage plus its reservation', () => {
    const u = nodeUsage(node('n1'), [pod('a'), pod('b')]);
    assert.deepEqual(u, { cpu: 100_000_000 + 500_000_000, memory: 2 ** 30 + 128 * 2 ** 20 });
  });

  it('prints quantities and durations as apimachinery and Go do', () => {
    assert.deepEqual([0, 250_000_000, 1_500_000, 123_456_789, 1e9, 2.5e9].map(formatNanocores), ['0', '250m', '1500u', '123456789n', '1', '2500m']);
    assert.deepEqual([0, 1000, 1024, 64 * 2 ** 20, 1536 * 1024, 12_345_678, 2 ** 30].map(formatBinaryBytes), ['0', '1000', '1Ki', '64Mi', '1536Ki', '12345678', '1Gi']);
    assert.deepEqual([15_000, 1_500, 60_000, 90_000, 250, 3_600_000].map(goDuration), ['15s', '1.5s', '1m0s', '1m30s', '250ms', '1h0m0s']);
  });
});

describe('the metrics API', () => {
  const nodes = [node('n1', undefined, { zone: 'a' }), node('n2', undefined, { zone: 'b' }), node('n3')];
  const pods = [
    pod('web-1', { labels: { app: 'web' } }), pod('web-2', { labels: { app: 'web' }, startedAt: '2026-11-30T23:59:58Z' }),
    pod('db', { ns: 'data' }), pod('job', { phase: 'Succeeded' }), pod('on-n3', { node: 'n3' }),
  ];
  const src: MetricsSource = {
    nodes: () => nodes, pods: (ns) => pods.filter((p) => ns === undefined || p.metadata.namespace === ns),
    scrapable: (n) => n !== 'n3', resolutionMs: 15_000, now: () => T0 + 7_000,
  };
  const get = (path: string, accept?: string) => {
    const [p, q] = path.split('?');
    const r = serveMetricsApi({ method: 'GET', path: p, query: new URLSearchParams(q), accept }, src);
    return { ...r, json: JSON.parse(r.body) as Record<string, any> };
  };

  it('serves its discovery as metrics-server does (legacy and aggregated)', () => {
    const rl = get('/apis/metrics.k8s.io/v1beta1').json;
    assert.deepEqual(rl.resources, [
      { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
      { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
    ]);
    assert.equal(get('/apis').json.kind, 'APIGroupList');
    const agg = get('/apis', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json');
    assert.equal(agg.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.deepEqual(agg.json.items[0].versions[0].resources.map((r: { resource: string; scope: string }) => [r.resource, r.scope]), [['nodes', 'Cluster'], ['pods', 'Namespaced']]);
    assert.equal(get('/apis/metrics.k8s.io').json.preferredVersion.groupVersion, 'metrics.k8s.io/v1beta1');
    assert.deepEqual([get('/apis/other').status, get('/apis/other').json.message], [404, 'the server could not find the requested resource']);
  });

  it('lists node metrics of scraped nodes, sorted, with labels, the last scrape and the window', () => {
    const l = get('/apis/metrics.k8s.io/v1beta1/nodes').json;
    assert.equal(l.kind, 'NodeMetricsList');
    assert.deepEqual(l.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['n1', 'n2']);
    assert.deepEqual(l.items[0].metadata.labels, { zone: 'a' });
    assert.equal(l.items[0].timestamp, '2026-12-01T00:00:00Z');
    assert.equal(l.items[0].window, '15s');
    // reservation 100m / 1Gi + web-1, web-2 (not scraped yet, but running) and db; job is terminal
    assert.deepEqual(l.items[0].usage, { cpu: '850m', memory: '1216Mi' });
    assert.deepEqual(get('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Db').json.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['n2']);
    assert.equal(get('/apis/metrics.k8s.io/v1beta1/nodes/n1').json.kind, 'NodeMetrics');
  });

  it('lists pod metrics with namespaces and selectors; not yet scraped pods are left out', () => {
    const all = get('/apis/metrics.k8s.io/v1beta1/pods').json;
    assert.deepEqual(all.items.map((i: { metadata: { namespace: string; name: string } }) => `${i.metadata.namespace}/${i.metadata.name}`), ['data/db', 'default/web-1']);
    assert.deepEqual(all.items[1].containers, [{ name: 'app', usage: { cpu: '250m', memory: '64Mi' } }]);
    assert.equal(get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb').json.items.length, 1);
    assert.equal(get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb-1').json.items.length, 1);
    assert.equal(get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?fieldSelector=metadata.name%3Ddb').json.items.length, 0);
    const bad = get('/apis/metrics.k8s.io/v1beta1/pods?labelSelector=a%20in%20(');
    assert.equal(bad.status, 400);
  });

  it('answers get, watch and writes as metrics-server does', () => {
    const nf = (path: string) => { const r = get(path); return [r.status, r.json.message]; };
    assert.deepEqual(nf('/apis/metrics.k8s.io/v1beta1/nodes/nope'), [404, 'node "nope" not found']);
    assert.deepEqual(nf('/apis/metrics.k8s.io/v1beta1/nodes/n3'), [404, 'nodemetrics.metrics.k8s.io "n3" not found']);
    assert.deepEqual(nf('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope'), [404, 'pods "nope" not found']);
    assert.deepEqual(nf('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-2'), [404, 'podmetrics.metrics.k8s.io "default/web-2" not found']);
    assert.deepEqual(nf('/apis/metrics.k8s.io/v1beta1/pods?watch=true'), [405, 'watch is not supported on resources of kind "pods.metrics.k8s.io"']);
    const del = serveMetricsApi({ method: 'DELETE', path: '/apis/metrics.k8s.io/v1beta1/nodes/n1', query: new URLSearchParams() }, src);
    assert.equal(del.status, 405);
    const t = get('/apis/metrics.k8s.io/v1beta1/nodes', 'application/json;as=Table;v=v1;g=meta.k8s.io').json;
    assert.deepEqual(t.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'cpu', 'memory', 'Window']);
    assert.deepEqual(t.rows[0].cells, ['n1', '850m', '1216Mi', '15s']);
  });

  it('names the authorization attributes of a request', () => {
    const q = new URLSearchParams();
    assert.deepEqual(requestAttributes('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/x/pods', q), { kind: 'resource', verb: 'list', resource: 'pods', namespace: 'x', name: undefined });
    assert.deepEqual(requestAttributes('GET', '/apis/metrics.k8s.io/v1beta1/nodes/n1', q), { kind: 'resource', verb: 'get', resource: 'nodes', namespace: undefined, name: 'n1' });
    assert.deepEqual(requestAttributes('GET', '/apis/metrics.k8s.io/v1beta1', q), { kind: 'path', verb: 'get', path: '/apis/metrics.k8s.io/v1beta1' });
  });

  it('answers a malformed percent-encoding in a name with 400, not an internal error', () => {
    const q = new URLSearchParams();
    for (const path of ['/apis/metrics.k8s.io/v1beta1/namespaces/%zz/pods', '/apis/metrics.k8s.io/v1beta1/nodes/%E0']) {
      assert.doesNotThrow(() => requestAttributes('GET', path, q), path);
      const r = get(path);
      assert.equal(r.status, 400, path);
      assert.equal(r.json.reason, 'BadRequest', path);
      assert.match(r.json.message, /invalid URL escape/, path);
    }
  });

  it('reads the user\'s extra from X-Remote-Extra-* as requestheader does: unescaped, a malformed key kept as sent', () => {
    const headers = { 'x-remote-extra-scopes': ['a', 'b'], 'x-remote-extra-acme.com%2fteam': ['x'], 'x-remote-extra-100%': ['y'], 'x-remote-extra-': ['z'], 'x-remote-user': ['bob'] };
    assert.deepEqual(requestHeaderExtra(headers, ['X-Remote-Extra-']), { scopes: ['a', 'b'], 'acme.com/team': ['x'], '100%': ['y'] });
  });

  it('serves on the container\'s --secure-port, else 443', () => {
    assert.equal(securePort(pod('a')), 443);
    assert.equal(securePort(pod('b', { containers: [{ name: 'm', args: ['--cert-dir=/tmp', '--secure-port=10250'] }] })), 10250);
    assert.equal(securePort(pod('c', { containers: [{ name: 'm', command: ['/metrics-server', '--secure-port', '4443'] }] })), 4443);
  });
});

describe('endpoints', () => {
  const svc = (ports: Record<string, unknown>[], publishNotReadyAddresses = false) => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { selector: { app: 'web' }, ports, publishNotReadyAddresses },
  }) as unknown as Parameters<typeof endpointSubsets>[0];

  it('lists ready and not-ready pods with their ports, named ports looked up per pod', () => {
    const named = [{ name: 'm', ports: [{ name: 'https', containerPort: 10250 }] }];
    const subsets = endpointSubsets(svc([{ name: 'https', port: 443, targetPort: 'https' }]), [
      pod('a', { ip: '172.16.0.3', containers: named }), pod('b', { ip: '172.16.0.2', containers: named, ready: false }),
      pod('c', { ip: '172.16.0.4' }), pod('d', { containers: named }), pod('e', { ip: '172.16.0.5', containers: named, phase: 'Failed' }),
    ]);
    assert.deepEqual(subsets, [{
      ports: [{ name: 'https', port: 10250, protocol: 'TCP' }],
      addresses: [{ ip: '172.16.0.3', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }],
      notReadyAddresses: [{ ip: '172.16.0.2', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } }],
    }]);
    // slices keep a terminating pod, neither ready nor (once unready) serving
    const going = { ...pod('g', { ip: '172.16.0.6', containers: named }), metadata: { ...pod('g').metadata, deletionTimestamp: '2026-12-01T00:00:00Z' } };
    const slices = endpointSliceContents(svc([{ name: 'https', port: 443, targetPort: 'https' }]), [pod('a', { ip: '172.16.0.3', containers: named }), going]);
    assert.deepEqual(slices.map((x) => [x.ports, x.endpoints.map((e) => [e.addresses[0], e.conditions])]), [[
      [{ name: 'https', port: 10250, protocol: 'TCP' }],
      [['172.16.0.3', { ready: true, serving: true, terminating: false }], ['172.16.0.6', { ready: false, serving: true, terminating: true }]],
    ]]);
    const numeric = endpointSubsets(svc([{ port: 443, targetPort: 443 }], true), [pod('b', { ip: '172.16.0.2', ready: false })]);
    assert.deepEqual(numeric[0].ports, [{ port: 443, protocol: 'TCP' }]);
    assert.equal(numeric[0].addresses?.length, 1);
  });

  it('a Service with an empty selector has none: its Endpoints are someone else\'s, not every pod of the namespace', () => {
    const with_ = (selector: unknown) => ({ ...svc([]), spec: { selector } }) as Parameters<typeof servicePodSelector>[0];
    assert.equal(servicePodSelector(with_({})), undefined);
    assert.equal(servicePodSelector(with_(null)), undefined);
    assert.equal(servicePodSelector(with_(undefined)), undefined);
    assert.deepEqual(servicePodSelector(with_({ app: 'web' })), { app: 'web' });
  });

  it('slices carry the Service\'s labels, the reserved ones set by the controller (headless for clusterIP None)', () => {
    const labelled = (clusterIP: string, labels: Record<string, string>) => ({ ...svc([]), metadata: { name: 's', namespace: 'default', labels }, spec: { selector: { app: 'web' }, clusterIP } }) as Parameters<typeof endpointSliceLabels>[0];
    const reserved = { 'kubernetes.io/service-name': 'x', 'endpointslice.kubernetes.io/managed-by': 'me', 'service.kubernetes.io/headless': '' };
    assert.deepEqual(endpointSliceLabels(labelled('None', { app: 'web', ...reserved })), {
      app: 'web', 'kubernetes.io/service-name': 's', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'service.kubernetes.io/headless': '',
    });
    assert.deepEqual(endpointSliceLabels(labelled('10.96.0.10', { app: 'web', ...reserved })), {
      app: 'web', 'kubernetes.io/service-name': 's', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
  });

  it('slices of a Service publishing not-ready addresses mark every endpoint ready, terminating ones too (endpointslice podToEndpoint)', () => {
    const going = { ...pod('g', { ip: '172.16.0.6' }), metadata: { ...pod('g').metadata, deletionTimestamp: '2026-12-01T00:00:00Z' } };
    const slices = endpointSliceContents(svc([{ port: 443, targetPort: 443 }], true), [pod('b', { ip: '172.16.0.2', ready: false }), going]);
    assert.deepEqual(slices[0].endpoints.map((e) => [e.addresses[0], e.conditions]), [
      ['172.16.0.2', { ready: true, serving: false, terminating: false }],
      ['172.16.0.6', { ready: true, serving: true, terminating: true }],
    ]);
  });
});

describe('the simulated pod network', () => {
  const nodes = [node('n1', '172.16.1.0/24'), node('n2', '172.16.2.0/24')];
  nodes[0].status = { ...nodes[0].status, addresses: [{ type: 'InternalIP', address: '192.168.0.7' }] };

  it('routes pod addresses through their node, as the cloud says', async () => {
    const routed = new Set(['n1']);
    const net = new SimNetwork('172.16.0.0/16', () => nodes, ({ node: n }) => routed.has(n.metadata.name!));
    assert.deepEqual(net.path('127.0.0.1'), { kind: 'host' });
    assert.deepEqual(net.path('172.16.1.7'), { kind: 'pod', node: 'n1', reachable: true });
    assert.deepEqual(net.path('172.16.2.7'), { kind: 'pod', node: 'n2', reachable: false });
    assert.deepEqual(net.path('172.16.9.7'), { kind: 'pod', reachable: false });
    // a node's own address is simulated too (hostNetwork pods): never the real network
    assert.deepEqual(net.path('192.168.0.7'), { kind: 'node', node: 'n1' });
    await assert.rejects(net.dial('192.168.0.7', 10250), { code: 'ECONNREFUSED' });
    // without a cloud every pod on a node is reachable
    assert.deepEqual(new SimNetwork('172.16.0.0/16', () => nodes).path('172.16.2.7'), { kind: 'pod', node: 'n2', reachable: true });

    let accepted = 0;
    const backend = createServer((s) => {
      accepted++;
      s.end('hello');
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    try {
      const stop = net.serve('172.16.1.7', 443, { host: '127.0.0.1', port: (backend.address() as { port: number }).port });
      const s = await net.dial('172.16.1.7', 443);
      const text = await new Promise<string>((r) => { let t = ''; s.on('data', (b: Buffer) => { t += b; }); s.on('end', () => r(t)); });
      assert.equal(text, 'hello');
      await assert.rejects(net.dial('172.16.1.7', 80), { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 172.16.1.7:80' });
      // a dropped packet: the dial never settles (the caller's timeout ends it). The unreachable
      // pod is served by the backend too, so a dial that went out would reach it; a dial to a
      // reachable pod made afterwards gets there, and is the only new connection the backend saw.
      const backendAt = { host: '127.0.0.1', port: (backend.address() as { port: number }).port };
      const stopUnreachable = net.serve('172.16.2.7', 443, backendAt);
      let settled = false;
      void net.dial('172.16.2.7', 443).then((sock) => { settled = true; sock.destroy(); }, () => (settled = true));
      const before = accepted;
      const after = await net.dial('172.16.1.7', 443);
      await new Promise<void>((r) => { after.resume(); after.on('end', () => r()); });
      assert.equal(accepted, before + 1, 'the dropped dial never reached the backend');
      assert.equal(settled, false, 'the dropped dial is still pending');
      stopUnreachable();
      stop();
      await assert.rejects(net.dial('172.16.1.7', 443), { code: 'ECONNREFUSED' });
    } finally {
      backend.close();
    }
  });

  it('says where a dial goes, for a dialer on another thread (kubeloop dev\'s API server)', () => {
    const routed = new Set(['n1']);
    const net = new SimNetwork('172.16.0.0/16', () => nodes, ({ node: n }) => routed.has(n.metadata.name!));
    net.serve('172.16.1.7', 443, { host: '127.0.0.1', port: 40443 });
    net.serve('172.16.2.7', 443, { host: '127.0.0.1', port: 40444 });
    assert.deepEqual(net.route('127.0.0.1', 6443), { host: '127.0.0.1', port: 6443 }); // the host network: itself
    assert.deepEqual(net.route('172.16.1.7', 443), { host: '127.0.0.1', port: 40443 }); // a served pod port
    assert.deepEqual(net.route('172.16.1.7', 80), { refused: true }); // nothing listens there
    assert.deepEqual(net.route('172.16.2.7', 443), { dropped: true }); // no route to n2's pods
    assert.deepEqual(net.route('192.168.0.7', 10250), { refused: true }); // a node's address, not served
    routed.add('n2'); // asked at every dial: the route table's change counts at once
    assert.deepEqual(net.route('172.16.2.7', 443), { host: '127.0.0.1', port: 40444 });
  });
});

describe('the simulated metrics-server controller', () => {
  it('a server still starting when the controller stops is stopped too, not left listening', async () => {
    const network = new SimNetwork('172.16.0.0/16', () => [node('n1', '172.16.0.0/24')]);
    const log = { info() {}, warn() {}, debug() {}, error() {}, child() { return log; } };
    const sim = { config: { log, timings: { metricResolutionMs: 15_000 } }, pool: { hosts: () => true, isAlive: () => true }, network };
    const controller = new MetricsServerController(sim as never);
    const abort = new AbortController();
    controller.sources({ signal: abort.signal, cache: () => ({ list: () => [] }) } as never);
    // the reconcile asks for extension-apiserver-authentication and waits for the answer
    let answer!: (err: Error) => void;
    let asked!: () => void;
    const trustAsked = new Promise<void>((r) => { asked = r; });
    const client = { get: () => { asked(); return new Promise((_, reject) => { answer = reject; }); } };
    const ms = pod('metrics-server', { ns: 'kube-system', ip: '172.16.0.9', annotations: { 'sim.kubeloop.io/simulate': 'metrics-server' } });
    const reconciled = controller.reconcile(ms, { client, log, signal: abort.signal } as never);
    await trustAsked;
    abort.abort(); // the controller stops meanwhile (its reconcile outlived the drain)
    answer(newNotFound({ group: '', resource: 'configmaps' }, 'extension-apiserver-authentication'));
    await reconciled;
    await assert.rejects(network.dial('172.16.0.9', 443), /ECONNREFUSED/, 'nothing serves the pod address once the controller stopped');
  });
});
