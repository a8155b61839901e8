// The aggregation layer with kubectl 1.32: APIServices, availability conditions, proxying to a
// tiny HTTPS aggregated API server (behind a Service with manual Endpoints on 127.0.0.1),
// discovery, and what an unavailable aggregated API does to clients and namespace deletion.
import assert from 'node:assert/strict';
import { createServer as createHttps, type Server } from 'node:https';
import { connect, createServer as createTcp } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/index.js';
import { generatePki } from '../../src/apiserver/pki/index.js';
import { eventually, startHarness, type Harness } from './harness.js';

type Condition = { type: string; status: string; reason?: string; message?: string };

const RESOURCES = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'metrics.k8s.io/v1beta1',
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
};

const WARDLE = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'wardle.example.com/v1alpha1',
  resources: [{ name: 'flunders', singularName: 'flunder', namespaced: true, kind: 'Flunder', verbs: ['create', 'delete', 'get', 'list'] }],
};

/** A free loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createTcp();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('aggregated APIs (apiregistration.k8s.io/v1)', () => {
  let h: Harness;
  let backend: Server;
  let backendPort: number;
  let caBundle: string;
  const seen: IncomingHttpHeaders[] = [];
  /** The client certificate of each request (CN, and whether it verifies against the request-header CA). */
  const clients: { cn: string; authorized: boolean }[] = [];
  /** The backend's flunders: `namespace/name` -> finalizers (deleted ones with finalizers stay, marked). */
  const flunders = new Map<string, { finalizers: string[]; deleting?: boolean }>();

  before(async () => {
    h = await startHarness({ namespaceDeletionGracePeriodMs: 0, aggregator: { dialTimeoutMs: 300 } });
    // The backend's certificate names metrics-server.kube-system.svc, as the aggregator checks.
    const pki = generatePki('metrics-server.kube-system.svc');
    caBundle = Buffer.from(pki.ca.certPem).toString('base64');
    // As an aggregated server built on k8s.io/apiserver, the backend trusts the client CA that
    // kube-system/extension-apiserver-authentication publishes for request-header authentication.
    const trust = h.server.ops.get(h.server.registry.get('', 'v1', 'configmaps')!, 'kube-system', 'extension-apiserver-authentication').obj as KubeObject & { data: Record<string, string> };
    backend = createHttps({ key: pki.server.keyPem, cert: pki.server.certPem, requestCert: true, rejectUnauthorized: false, ca: trust.data['requestheader-client-ca-file'] }, (req, res) => {
      seen.push(req.headers);
      const socket = req.socket as TLSSocket;
      clients.push({ cn: String(socket.getPeerCertificate().subject?.CN), authorized: socket.authorized });
      const json = (code: number, body: unknown) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const url = (req.url ?? '').split('?')[0];
      if (url === '/apis/wardle.example.com/v1alpha1') return json(200, WARDLE);
      const f = /^\/apis\/wardle\.example\.com\/v1alpha1\/namespaces\/([^/]+)\/flunders(?:\/([^/]+))?$/.exec(url);
      if (f && req.method === 'GET' && !f[2]) {
        const items = [...flunders].filter(([k]) => k.startsWith(`${f[1]}/`)).map(([k, v]) => ({ metadata: { name: k.split('/')[1], namespace: f[1], finalizers: v.finalizers } }));
        return json(200, { kind: 'FlunderList', apiVersion: 'wardle.example.com/v1alpha1', metadata: {}, items });
      }
      if (f && req.method === 'DELETE' && f[2]) {
        const key = `${f[1]}/${f[2]}`;
        const o = flunders.get(key);
        if (!o) return json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
        if (o.finalizers.length) o.deleting = true;
        else flunders.delete(key);
        return json(200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
      }
      const gv = /^\/apis\/metrics\.k8s\.io\/(v1alpha1|v1beta1)$/.exec(req.url ?? '');
      if (gv) return json(200, { ...RESOURCES, groupVersion: `metrics.k8s.io/${gv[1]}` });
      if (req.url?.startsWith('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods')) {
        return json(200, { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: [{ metadata: { name: 'web', namespace: 'default' }, containers: [] }] });
      }
      json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    backendPort = (backend.address() as { port: number }).port;
  });
  after(async () => {
    await h.close();
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  const apiService = () => h.server.ops.get(h.server.registry.get('apiregistration.k8s.io', 'v1', 'apiservices')!, undefined, 'v1beta1.metrics.k8s.io').obj as KubeObject & { status?: { conditions?: Condition[] } };
  const available = () => apiService().status?.conditions?.find((c) => c.type === 'Available');
  const waitAvailable = async (reason: string): Promise<Condition> => (await eventually(() => (available()?.reason === reason ? available() : undefined), 10_000, `Available reason ${reason}`))!;
  const endpoints = (port: number | undefined) => `apiVersion: v1
kind: Endpoints
metadata: {name: metrics-server, namespace: kube-system}
subsets: ${port ? `[{addresses: [{ip: 127.0.0.1}], ports: [{name: https, port: ${port}}]}]` : '[]'}
`;
  const apply = async (yaml: string) => {
    const r = await h.kubectl(['apply', '-f', '-'], yaml);
    assert.equal(r.code, 0, r.stderr);
  };

  it('publishes extension-apiserver-authentication for request-header authentication', async () => {
    const r = await h.kubectl(['get', 'configmap', 'extension-apiserver-authentication', '-n', 'kube-system', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const data = (JSON.parse(r.stdout) as { data: Record<string, string> }).data;
    assert.equal(data['client-ca-file'], h.server.caPem);
    assert.match(data['requestheader-client-ca-file'], /^-----BEGIN CERTIFICATE-----/);
    assert.deepEqual(
      [data['requestheader-allowed-names'], data['requestheader-username-headers'], data['requestheader-group-headers'], data['requestheader-extra-headers-prefix']],
      ['["front-proxy-client"]', '["X-Remote-User"]', '["X-Remote-Group"]', '["X-Remote-Extra-"]'],
    );
  });

  it('serves local APIServices for the built-in group-versions, Available as Local', async () => {
    const r = await h.kubectl(['get', 'apiservices']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+SERVICE\s+AVAILABLE\s+AGE$/m);
    assert.match(r.stdout, /^v1\.\s+Local\s+True\s+\d+s$/m);
    assert.match(r.stdout, /^v1\.apps\s+Local\s+True\s+\d+s$/m);
    const y = JSON.parse((await h.kubectl(['get', 'apiservice', 'v1.apps', '-o', 'json'])).stdout) as { metadata: { labels: Record<string, string> }; spec: Record<string, unknown>; status: { conditions: Condition[] } };
    assert.equal(y.metadata.labels['kube-aggregator.kubernetes.io/automanaged'], 'onstart');
    assert.deepEqual(y.spec, { group: 'apps', version: 'v1', groupPriorityMinimum: 17800, versionPriority: 15 });
    assert.deepEqual({ ...y.status.conditions[0], lastTransitionTime: undefined }, { type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available', lastTransitionTime: undefined });
  });

  it('validates APIServices as upstream', async () => {
    const r = await h.kubectl(['apply', '-f', '-'], `apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1.wrong.example.com}
spec: {group: example.com, version: v1, groupPriorityMinimum: 0, versionPriority: 10, service: {namespace: default, name: x}, insecureSkipTLSVerify: true, caBundle: ${caBundle}}
`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The APIService "v1.wrong.example.com" is invalid:/);
    assert.match(r.stderr, /metadata.name: Invalid value: "v1.wrong.example.com": must be `spec.version\+"."\+spec.group`: "v1.example.com"/);
    assert.match(r.stderr, /spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000/);
    assert.match(r.stderr, /spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present/);
  });

  it('reports why a remote APIService is unavailable, then Passed once its endpoint answers', async () => {
    await apply(`apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  service: {namespace: kube-system, name: metrics-server}
  caBundle: ${caBundle}
`);
    assert.equal((apiService() as unknown as { spec: { service: { port: number } } }).spec.service.port, 443);
    let c = await waitAvailable('ServiceNotFound');
    assert.equal(c.status, 'False');
    assert.equal(c.message, 'service/metrics-server in "kube-system" is not present');
    await apply(`apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system}
spec: {ports: [{name: https, port: 443, targetPort: 10250}]}
`);
    c = await waitAvailable('EndpointsNotFound');
    assert.equal(c.message, 'cannot find endpoints for service/metrics-server in "kube-system"');
    await apply(endpoints(backendPort));
    c = await waitAvailable('Passed');
    assert.deepEqual([c.status, c.message], ['True', 'all checks passed']);
    const r = await h.kubectl(['get', 'apiservices']);
    assert.match(r.stdout, /^v1beta1\.metrics\.k8s\.io\s+kube-system\/metrics-server\s+True\s+\d+s$/m);
  });

  it('proxies requests with the caller in X-Remote-* headers, and serves its discovery', async () => {
    seen.length = 0;
    const r = await h.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { items: KubeObject[] }).items[0].metadata.name, 'web');
    const hdr = seen.find((x) => x['x-remote-user'])!;
    assert.equal(hdr['x-remote-user'], 'kubernetes-admin');
    assert.match(String(hdr['x-remote-group']), /system:masters/);
    assert.equal(hdr.authorization, undefined);
    assert.deepEqual(clients.at(-1), { cn: 'front-proxy-client', authorized: true });

    const res = await h.kubectl(['api-resources', '--api-group=metrics.k8s.io']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^pods\s+metrics.k8s.io\/v1beta1\s+true\s+PodMetrics$/m);
    assert.match(res.stdout, /^nodes\s+metrics.k8s.io\/v1beta1\s+false\s+NodeMetrics$/m);
    const legacy = JSON.parse((await h.kubectl(['get', '--raw', '/apis/metrics.k8s.io'])).stdout) as { preferredVersion: { groupVersion: string } };
    assert.equal(legacy.preferredVersion.groupVersion, 'metrics.k8s.io/v1beta1');
  });

  it('reaches backends through the server\'s dialer: one that never connects ends in a 503 i/o timeout', async () => {
    const dialed: string[] = [];
    h.server.setDialer(async (host, port) => {
      dialed.push(`${host}:${port}`);
      return connect({ host, port });
    });
    try {
      const ok = await h.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
      assert.equal(ok.status, 200, ok.body);
      assert.deepEqual(dialed, [`127.0.0.1:${backendPort}`]);
      // packets dropped: the dial hangs until kube-apiserver's dial timeout (300 ms here)
      h.server.setDialer(() => new Promise(() => undefined));
      const hung = await h.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
      assert.deepEqual([hung.status, hung.body], [503, `error trying to reach service: dial tcp 127.0.0.1:${backendPort}: i/o timeout\n`]);
    } finally {
      h.server.setDialer(undefined);
    }
  });

  it('an endpoint that goes away: MissingEndpoints, 503, stale discovery; a refused connection: FailedDiscoveryCheck', async () => {
    await apply(endpoints(undefined));
    let c = await waitAvailable('MissingEndpoints');
    assert.equal(c.message, 'endpoints for service/metrics-server in "kube-system" have no addresses with port name "https"');
    const r = await h.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(ServiceUnavailable\): the server is currently unable to handle the request/);
    const raw = await h.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
    assert.deepEqual([raw.status, raw.body, raw.type], [503, 'service unavailable\n', 'text/plain; charset=utf-8']);

    // Aggregated discovery keeps the group-version, stale and without resources; legacy /apis lists it.
    const agg = await eventually(async () => {
      const d = await h.request('GET', '/apis', { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
      const g = (JSON.parse(d.body) as { items: { metadata: { name: string }; versions: { version: string; freshness: string; resources?: unknown[] }[] }[] }).items.find((x) => x.metadata.name === 'metrics.k8s.io');
      return g?.versions[0].freshness === 'Stale' ? g : undefined;
    }, 10_000, 'stale discovery');
    assert.deepEqual(agg!.versions, [{ version: 'v1beta1', freshness: 'Stale' }]);
    assert.ok((JSON.parse((await h.request('GET', '/apis')).body) as { groups: { name: string }[] }).groups.some((g) => g.name === 'metrics.k8s.io'));
    // kubectl 1.32 (client-go's aggregated discovery) drops a stale group-version from what it
    // knows, silently for api-resources; its resources are unknown types. (With legacy discovery
    // it would print "couldn't get resource list for metrics.k8s.io/v1beta1: the server is
    // currently unable to handle the request"; kube-apiserver 1.32 serves aggregated discovery.)
    // A fresh discovery cache: kubectl would otherwise answer from what it cached while the API was up.
    const cache = ['--cache-dir', `${h.dir}/cache-outage`];
    const ar = await h.kubectl(['api-resources', ...cache]);
    assert.equal(ar.code, 0, ar.stderr);
    assert.doesNotMatch(ar.stdout, /metrics\.k8s\.io/);
    assert.match(ar.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    const get = await h.kubectl(['get', 'pods.metrics.k8s.io', ...cache]);
    assert.match(get.stderr, /error: the server doesn't have a resource type "pods"/);
    const top = await h.kubectl(['top', 'pods', ...cache]);
    assert.match(top.stderr, /error: Metrics API not available/);

    const dead = await closedPort();
    await apply(endpoints(dead));
    c = await waitAvailable('FailedDiscoveryCheck');
    const url = `https://127.0.0.1:${dead}/apis/metrics.k8s.io/v1beta1`;
    assert.equal(c.message, `failing or missing response from ${url}: Get "${url}": dial tcp 127.0.0.1:${dead}: connect: connection refused`);
    const shown = await h.kubectl(['get', 'apiservice', 'v1beta1.metrics.k8s.io']);
    assert.match(shown.stdout, /^v1beta1\.metrics\.k8s\.io\s+kube-system\/metrics-server\s+False \(FailedDiscoveryCheck\)\s+\d+s$/m);
  });

  it('a namespace stays Terminating while the aggregated API cannot be discovered, and goes once it is back', async () => {
    await apply('apiVersion: v1\nkind: Namespace\nmetadata: {name: doomed}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: doomed}\n');
    const del = await h.kubectl(['delete', 'namespace', 'doomed', '--wait=false']);
    assert.equal(del.code, 0, del.stderr);
    type Ns = KubeObject & { spec: { finalizers?: string[] }; status: { phase: string; conditions?: Condition[] } };
    const nsType = h.server.registry.get('', 'v1', 'namespaces')!;
    const ns = () => {
      try {
        return h.server.ops.get(nsType, undefined, 'doomed').obj as Ns;
      } catch {
        return undefined;
      }
    };
    const blocked = (await eventually(() => (ns()?.status.conditions?.some((c) => c.type === 'NamespaceDeletionDiscoveryFailure' && c.status === 'True') ? ns() : undefined), 10_000, 'discovery failure condition'))!;
    const cond = (t: string) => blocked.status.conditions!.find((c) => c.type === t)!;
    assert.equal(blocked.status.phase, 'Terminating');
    assert.deepEqual(blocked.spec.finalizers, ['kubernetes']);
    assert.equal(cond('NamespaceDeletionDiscoveryFailure').reason, 'DiscoveryFailed');
    assert.equal(cond('NamespaceDeletionDiscoveryFailure').message,
      'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: stale GroupVersion discovery: metrics.k8s.io/v1beta1');
    assert.deepEqual([cond('NamespaceContentRemaining').status, cond('NamespaceContentRemaining').reason], ['False', 'ContentRemoved']);
    const cm = await h.kubectl(['get', 'configmap', 'c', '-n', 'doomed']);
    assert.match(cm.stderr, /configmaps "c" not found/);

    await apply(endpoints(backendPort));
    await waitAvailable('Passed');
    await eventually(() => !ns(), 15_000, 'namespace gone');
  });

  it('the proxy checks the backend certificate against caBundle (the availability check does not)', async () => {
    await apply(`apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1alpha1.metrics.k8s.io}
spec: {group: metrics.k8s.io, version: v1alpha1, groupPriorityMinimum: 100, versionPriority: 50, service: {namespace: kube-system, name: metrics-server}}
`);
    const t = h.server.registry.get('apiregistration.k8s.io', 'v1', 'apiservices')!;
    const cond = () => (h.server.ops.get(t, undefined, 'v1alpha1.metrics.k8s.io').obj as { status?: { conditions?: Condition[] } }).status?.conditions?.[0];
    await eventually(() => cond()?.reason === 'Passed', 10_000, 'v1alpha1 Passed');
    const refused = await h.request('GET', '/apis/metrics.k8s.io/v1alpha1');
    assert.deepEqual([refused.status, refused.body], [503, 'error trying to reach service: tls: failed to verify certificate: x509: certificate signed by unknown authority\n']);
    await apply(`apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1alpha1.metrics.k8s.io}
spec: {group: metrics.k8s.io, version: v1alpha1, groupPriorityMinimum: 100, versionPriority: 50, service: {namespace: kube-system, name: metrics-server}, insecureSkipTLSVerify: true}
`);
    const ok = await h.request('GET', '/apis/metrics.k8s.io/v1alpha1');
    assert.equal(ok.status, 200, ok.body);
    // Legacy discovery orders the group's versions by versionPriority.
    const group = JSON.parse((await h.request('GET', '/apis/metrics.k8s.io')).body) as { versions: { version: string }[] };
    assert.deepEqual(group.versions.map((v) => v.version), ['v1beta1', 'v1alpha1']);
  });

  it('CustomResourceDefinition group-versions get local APIServices, removed with the CRD', async () => {
    await apply(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`);
    const t = h.server.registry.get('apiregistration.k8s.io', 'v1', 'apiservices')!;
    const get = () => {
      try {
        return h.server.ops.get(t, undefined, 'v1.example.com').obj as KubeObject & { spec: Record<string, unknown>; status?: { conditions?: Condition[] } };
      } catch {
        return undefined;
      }
    };
    const a = (await eventually(() => (get()?.status?.conditions?.[0]?.reason === 'Local' ? get() : undefined), 10_000, 'CRD APIService'))!;
    assert.equal(a.metadata.labels?.['kube-aggregator.kubernetes.io/automanaged'], 'true');
    assert.deepEqual(a.spec, { group: 'example.com', version: 'v1', groupPriorityMinimum: 1000, versionPriority: 100 });
    const r = await h.kubectl(['delete', 'crd', 'widgets.example.com']);
    assert.equal(r.code, 0, r.stderr);
    await eventually(() => !get(), 10_000, 'CRD APIService removed');
  });

  it('the content of a terminating namespace in an aggregated API is deleted through it, finalizers respected', async () => {
    await apply(`apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1alpha1.wardle.example.com}
spec: {group: wardle.example.com, version: v1alpha1, groupPriorityMinimum: 1000, versionPriority: 15, service: {namespace: kube-system, name: metrics-server}, caBundle: ${caBundle}}
`);
    const t = h.server.registry.get('apiregistration.k8s.io', 'v1', 'apiservices')!;
    await eventually(() => (h.server.ops.get(t, undefined, 'v1alpha1.wardle.example.com').obj as { status?: { conditions?: Condition[] } }).status?.conditions?.[0]?.reason === 'Passed', 10_000, 'wardle Passed');
    await eventually(async () => (await h.kubectl(['api-resources', '--api-group=wardle.example.com'])).stdout.includes('Flunder'), 10_000, 'wardle discovered');
    await apply('apiVersion: v1\nkind: Namespace\nmetadata: {name: wardle-ns}\n');
    flunders.set('wardle-ns/plain', { finalizers: [] });
    flunders.set('wardle-ns/held', { finalizers: ['example.com/hold'] });
    seen.length = 0;
    const del = await h.kubectl(['delete', 'namespace', 'wardle-ns', '--wait=false']);
    assert.equal(del.code, 0, del.stderr);
    const nsType = h.server.registry.get('', 'v1', 'namespaces')!;
    const ns = () => {
      try {
        return h.server.ops.get(nsType, undefined, 'wardle-ns').obj as KubeObject & { status?: { conditions?: Condition[] } };
      } catch {
        return undefined;
      }
    };
    const waiting = (await eventually(() => (ns()?.status?.conditions?.some((c) => c.type === 'NamespaceFinalizersRemaining' && c.status === 'True') ? ns() : undefined), 10_000, 'finalizers remaining'))!;
    const cond = (type: string) => waiting.status!.conditions!.find((c) => c.type === type)!;
    assert.equal(cond('NamespaceContentRemaining').message, 'Some resources are remaining: flunders.wardle.example.com has 1 resource instances');
    assert.equal(cond('NamespaceFinalizersRemaining').message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    assert.deepEqual([...flunders.keys()], ['wardle-ns/held']);
    assert.equal(seen.find((x) => x['x-remote-user']?.includes('namespace-controller'))?.['x-remote-user'], 'system:serviceaccount:kube-system:namespace-controller');
    // Its finalizer done, the backend removes it; the controller's next retry finds nothing left.
    flunders.delete('wardle-ns/held');
    await eventually(() => !ns(), 15_000, 'namespace gone');
  });
});
