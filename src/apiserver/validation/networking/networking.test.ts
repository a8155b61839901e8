// networking.k8s.io/v1 (Ingress, IngressClass, NetworkPolicy) as kube-apiserver v1.32 serves it,
// driven through kubectl: discovery, printing, defaults, status, generation and validation (422s).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../semantics-testkit.js';

const INGRESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  tls: [{hosts: [a.example.com], secretName: tls}]
  rules:
  - host: a.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
  - host: b.example.com
    http: {paths: [{path: /api, pathType: Exact, backend: {service: {name: api, port: {name: http}}}}]}
`;

describe('networking.k8s.io/v1 (upstream v1.32 types, defaults and validation)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
  });
  after(async () => {
    await s.close();
  });

  it('is discovered with upstream short names and verbs', async () => {
    const r = await s.kubectl(['api-resources', '--api-group=networking.k8s.io', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ingressclasses\s+networking\.k8s\.io\/v1\s+false\s+IngressClass\s+create,delete,deletecollection,get,list,patch,update,watch/);
    assert.match(r.stdout, /ingresses\s+ing\s+networking\.k8s\.io\/v1\s+true\s+Ingress\s+create,delete,deletecollection,get,list,patch,update,watch/);
    assert.match(r.stdout, /networkpolicies\s+netpol\s+networking\.k8s\.io\/v1\s+true\s+NetworkPolicy/);
  });

  it('Ingress: created, printed as kubectl shows it, status written through /status, generation on spec changes', async () => {
    const c = await s.kubectl(['apply', '-f', '-'], INGRESS);
    assert.equal(c.code, 0, c.stderr);
    const got = JSON.parse((await s.kubectl(['get', 'ing', 'web', '-o', 'json'])).stdout);
    assert.deepEqual(got.status, { loadBalancer: {} });
    assert.equal(got.metadata.generation, 1);
    const table = await s.kubectl(['get', 'ingress', 'web']);
    assert.match(table.stdout, /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\n/);
    assert.match(table.stdout, /web\s+nginx\s+a\.example\.com,b\.example\.com\s+80, 443\s+\d+s/);
    const st = await s.kubectl(['patch', 'ingress', 'web', '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.5"}]}}}']);
    assert.equal(st.code, 0, st.stderr);
    assert.match((await s.kubectl(['get', 'ingress', 'web'])).stdout, /web\s+nginx\s+a\.example\.com,b\.example\.com\s+10\.0\.0\.5\s+80, 443/);
    // the main resource does not write status; a spec change bumps the generation
    await s.kubectl(['patch', 'ingress', 'web', '--type=merge', '-p', '{"spec":{"ingressClassName":"alb"},"status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.9"}]}}}']);
    const after = JSON.parse((await s.kubectl(['get', 'ingress', 'web', '-o', 'json'])).stdout);
    assert.equal(after.metadata.generation, 2);
    assert.deepEqual(after.status.loadBalancer.ingress, [{ ip: '10.0.0.5' }]);
    const d = await s.kubectl(['describe', 'ingress', 'web']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /Ingress Class:\s+alb/);
  });

  it('Ingress: rules, paths, pathType and backends are validated (ValidateIngressSpec, validateHTTPIngressPath, validateIngressBackend)', async () => {
    const none = await s.kubectl(['apply', '-f', '-'], 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: empty}\nspec: {}\n');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /The Ingress "empty" is invalid: spec: Invalid value: \[\]networking.IngressRule\(nil\): either `defaultBackend` or `rules` must be specified/);
    const bad = await s.kubectl(['apply', '-f', '-'], `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad}
spec:
  rules:
  - host: 10.0.0.1
    http:
      paths:
      - {path: /a, backend: {service: {name: web, port: {number: 80}}}}
      - {path: relative, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /x, pathType: Regex, backend: {service: {name: Web, port: {number: 80, name: http}}}}
      - {path: /y, pathType: Exact, backend: {service: {name: web}}}
      - {path: /z, pathType: Exact, backend: {}}
`);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /spec.rules\[0\].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address/);
    assert.match(bad.stderr, /spec.rules\[0\].http.paths\[0\].pathType: Required value: pathType must be specified/);
    assert.match(bad.stderr, /spec.rules\[0\].http.paths\[1\].path: Invalid value: "relative": must be an absolute path/);
    assert.match(bad.stderr, /spec.rules\[0\].http.paths\[2\].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"/);
    assert.match(bad.stderr, /spec.rules\[0\].http.paths\[2\].backend.service.name: Invalid value: "Web": a DNS-1035 label/);
    assert.match(bad.stderr, /spec.rules\[0\].http.paths\[2\].backend: Invalid value: "": cannot set both port name & port number/);
    assert.match(bad.stderr, /spec.rules\[0\].http.paths\[3\].backend: Required value: port name or number is required/);
    assert.match(bad.stderr, /spec.rules\[0\].http.paths\[4\].backend: Invalid value: "": resource or service backend is required/);
    const both = await s.kubectl(['apply', '-f', '-'], 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: both}\nspec: {defaultBackend: {service: {name: a, port: {number: 80}}, resource: {kind: Bucket, name: b}}}\n');
    assert.match(both.stderr, /spec.defaultBackend: Invalid value: "": cannot set both resource and service backends/);
  });

  it('IngressClass: controller required, a domain-prefixed path, immutable; parameters scope defaulted to Cluster', async () => {
    const missing = await s.kubectl(['apply', '-f', '-'], 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: c}\nspec: {}\n');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /The IngressClass "c" is invalid: spec.controller: Required value/);
    const path = await s.kubectl(['apply', '-f', '-'], 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: c}\nspec: {controller: nginx}\n');
    assert.match(path.stderr, /spec.controller: Invalid value: "nginx": must be a domain-prefixed path \(such as "acme.io\/foo"\)/);
    const ok = await s.kubectl(['apply', '-f', '-'], 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: c}\nspec: {controller: k8s.io/ingress-nginx, parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: p}}\n');
    assert.equal(ok.code, 0, ok.stderr);
    const got = JSON.parse((await s.kubectl(['get', 'ingressclass', 'c', '-o', 'json'])).stdout);
    assert.equal(got.spec.parameters.scope, 'Cluster');
    assert.match((await s.kubectl(['get', 'ingressclass', 'c'])).stdout, /NAME\s+CONTROLLER\s+PARAMETERS\s+AGE\nc\s+k8s.io\/ingress-nginx\s+IngressParameters.k8s.example.com\/p\s+\d+s/);
    const upd = await s.kubectl(['patch', 'ingressclass', 'c', '--type=merge', '-p', '{"spec":{"controller":"example.com/other"}}']);
    assert.equal(upd.code, 1);
    assert.match(upd.stderr, /spec.controller: Invalid value: "example.com\/other": field is immutable/);
  });

  it('NetworkPolicy: policyTypes and port protocols defaulted; ports and peers validated', async () => {
    const ok = await s.kubectl(['apply', '-f', '-'], 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress: [{ports: [{port: 80}]}]\n  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}]\n');
    assert.equal(ok.code, 0, ok.stderr);
    const got = JSON.parse((await s.kubectl(['get', 'netpol', 'np', '-o', 'json'])).stdout);
    assert.deepEqual(got.spec.policyTypes, ['Ingress', 'Egress']);
    assert.equal(got.spec.ingress[0].ports[0].protocol, 'TCP');
    assert.equal(got.metadata.generation, 1);
    assert.match((await s.kubectl(['get', 'networkpolicy', 'np'])).stdout, /NAME\s+POD-SELECTOR\s+AGE\nnp\s+app=web\s+\d+s/);
    const bad = await s.kubectl(['apply', '-f', '-'], 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Sideways]\n  ingress: [{ports: [{port: 70000, protocol: ICMP}, {port: http, endPort: 90}], from: [{}, {ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]\n');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /spec.ingress\[0\].ports\[0\].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"/);
    assert.match(bad.stderr, /spec.ingress\[0\].ports\[0\].port: Invalid value: 70000: must be between 1 and 65535, inclusive/);
    assert.match(bad.stderr, /spec.ingress\[0\].ports\[1\].endPort: Invalid value: 90: may not be specified when `port` is non-numeric/);
    assert.match(bad.stderr, /spec.ingress\[0\].from\[0\]: Required value: must specify a peer/);
    assert.match(bad.stderr, /spec.ingress\[0\].from\[1\]: Forbidden: may not specify both ipBlock and another peer/);
    assert.match(bad.stderr, /spec.policyTypes\[1\]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"/);
  });
});
