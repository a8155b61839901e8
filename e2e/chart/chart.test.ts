// charts/kubeloop rendered without helm (see harness.ts): values against values.schema.json,
// every object against the Kubernetes 1.32 definitions, and what each values switch must do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { builtinValidator, chartDefaults, chartDir, render, renderNotes, root, validateValues, coalesce, type Rendered, type RenderedObject, type Values } from './harness.js';
import { KUBELOOP_BIN } from '../support/bin.js';

const rrsa: Values = {
  cloud: {
    credentials: {
      mode: 'rrsa',
      rrsa: { roleArn: 'acs:ram::1234567890:role/kubeloop', oidcProviderArn: 'acs:ram::1234567890:oidc-provider/ack-rrsa-c1', roleName: 'kubeloop' },
    },
  },
};

/** The variants every structural check runs over. */
export const variants: Record<string, Values> = {
  default: {},
  cloudsim: { cloudsim: { enabled: true } },
  rrsa,
  replicas2: { replicaCount: 2 },
  serviceMonitor: { metrics: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } } },
  acrWebhook: { controllers: { acrCredentialHelper: { config: { webhook: { enable: true, timeoutSeconds: 5 } } } } },
  everything: {
    replicaCount: 3,
    podDisruptionBudget: { enabled: true, minAvailable: 2 },
    imagePullSecrets: [{ name: 'regcred' }],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }] } } },
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'kubeloop' } } }],
    podAnnotations: { 'example.com/team': 'infra' },
    priorityClassName: 'system-cluster-critical',
    extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=384' }],
    extraArgs: ['--kube-api-qps=50'],
    controllers: {
      acrCredentialHelper: { config: { watchNamespace: 'all', serviceAccount: '*', acrRegistryInfo: [{ instanceId: 'cri-abc', regionId: 'cn-beijing', domains: ['r.example.com'] }], webhook: { enable: true, failurePolicy: 'Fail' } } },
      route: { routeTableIDs: ['vtb-1', 'vtb-2'], dryRun: true, vpcId: 'vpc-1', clusterName: 'c1' },
      clusterAutoscaler: { nodes: [{ min: 1, max: 10, id: 'asg-a' }, { min: 0, max: 5, id: 'asg-b' }], expander: 'priority', priorities: { '10': ['asg-a'], '50': ['.*-b$'] } },
    },
    cloud: { endpoints: { vpc: 'vpc-vpc.cn-hangzhou.aliyuncs.com' } },
    metrics: { serviceMonitor: { enabled: true } },
  },
};

const cache = new Map<string, Rendered>();
function variant(name: string): Rendered {
  let r = cache.get(name);
  if (!r) {
    r = render({ values: variants[name] });
    cache.set(name, r);
  }
  return r;
}

function manager(r: Rendered): RenderedObject & { spec: any } {
  return r.find('Deployment', 'kubeloop') as unknown as RenderedObject & { spec: any };
}
function container(r: Rendered): any {
  return manager(r).spec.template.spec.containers[0];
}
function env(c: any): Map<string, any> {
  return new Map((c.env ?? []).map((e: any) => [e.name, e]));
}

test('values.yaml satisfies values.schema.json (JSON Schema draft-07), and the schema refuses bad values', () => {
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8'));
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.deepEqual(validateValues(chartDefaults()), []);
  for (const v of Object.values(variants)) assert.deepEqual(validateValues(coalesce(chartDefaults(), v)), []);
  const bad = (v: Values) => validateValues(coalesce(chartDefaults(), v));
  assert.match(bad({ replicas: 2 }).join('\n'), /additional properties \(replicas\)/);
  assert.match(bad({ controllers: { clusterAutoscaler: { expander: 'cheapest' } } }).join('\n'), /clusterAutoscaler\/expander: must be equal to one of the allowed values/);
  assert.match(bad({ controllers: { route: { clusterCIDR: '10.0.0.0' } } }).join('\n'), /clusterCIDR: must match pattern/);
  assert.match(bad({ controllers: { acrCredentialHelper: { config: { expiringThreshold: '15 minutes' } } } }).join('\n'), /expiringThreshold: must match pattern/);
  // access keys have no place in a ConfigMap: the registry list refuses them
  assert.match(bad({ controllers: { acrCredentialHelper: { config: { acrRegistryInfo: [{ instanceId: 'cri-1', customAccessKey: 'LTAI', customAccessKeySecret: 'x' }] } } } }).join('\n'), /additional properties \(customAccessKey\)/);
  assert.match(bad({ cloud: { credentials: { mode: 'plain' } } }).join('\n'), /mode: must be equal to one of the allowed values/);
  assert.match(bad({ cloud: { credentials: { rrsa: { roleArn: 'kubeloop' } } } }).join('\n'), /roleArn: must match pattern/);
  // render refuses values the schema refuses, as helm install does
  assert.throws(() => render({ values: { replicaCount: -1 } }), /values don't meet the specifications of the schema\(s\):\n\/replicaCount: must be >= 0/);
});

test('every rendered object is valid for its kind (Kubernetes 1.32 definitions, unknown fields refused)', () => {
  const v = builtinValidator();
  // the validator itself: closed schemas, required fields, int-or-string and quantities
  const bogus = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 'http', targetPort: 'http' }], selectr: {} } };
  assert.deepEqual(v.validate(bogus as RenderedObject).sort(), ['Service s: /spec must NOT have additional properties (selectr)', 'Service s: /spec/ports/0/port must be integer'].sort());
  assert.deepEqual(v.validate({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: {} } as RenderedObject).sort(),
    ["Deployment d: /spec must have required property 'selector'", "Deployment d: /spec must have required property 'template'"]);
  assert.match(v.validate({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't' } })[0], /not a Kubernetes 1.32 built-in kind/);
  // deep inside a pod template: a misspelt field is caught
  const d = structuredClone(manager(variant('default'))) as any;
  delete d.source;
  d.spec.template.spec.containers[0].securityContext.runAsNonroot = true;
  d.spec.template.spec.volumes[0].emptyDir.sizeLimit = '1Gb';
  assert.deepEqual(v.validate(d), [
    'Deployment kubeloop: /spec/template/spec/containers/0/securityContext must NOT have additional properties (runAsNonroot)',
    'Deployment kubeloop: /spec/template/spec/volumes/0/emptyDir/sizeLimit must be number',
    'Deployment kubeloop: /spec/template/spec/volumes/0/emptyDir/sizeLimit must match pattern "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$"',
    'Deployment kubeloop: /spec/template/spec/volumes/0/emptyDir/sizeLimit must match a schema in anyOf',
  ]);
  for (const name of Object.keys(variants)) {
    const r = variant(name);
    assert.ok(r.objects.length >= 6, `${name}: ${r.objects.length} objects`);
    for (const obj of r.objects) {
      if (obj.kind === 'ServiceMonitor') continue; // not built in: checked on its own below
      const { source, ...plain } = obj;
      assert.deepEqual(v.validate(plain as RenderedObject), [], `${name}: ${source}`);
      assert.match(obj.metadata.name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `${name}: ${obj.kind} name`);
      assert.equal(obj.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm', `${name}: ${obj.kind} ${obj.metadata.name} labels`);
    }
  }
});

test('default values: one manager Deployment running all controllers, secure pod, probes, credentials from a Secret', () => {
  const r = variant('default');
  assert.deepEqual(r.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
    'ClusterRole/kubeloop', 'ClusterRoleBinding/kubeloop', 'ConfigMap/acr-configuration', 'ConfigMap/alibaba-log-configuration',
    'Deployment/kubeloop', 'Service/kubeloop-metrics', 'ServiceAccount/kubeloop',
  ]);
  const d = manager(r);
  assert.equal(d.metadata.namespace, 'kubeloop-system');
  assert.equal(d.spec.replicas, 1);
  const pod = d.spec.template.spec;
  assert.equal(pod.serviceAccountName, 'kubeloop');
  assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
  const c = container(r);
  assert.equal(c.image, 'kubeloop:0.1.0');
  assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
  assert.deepEqual(c.args.slice(0, 2), ['run', 'all']);
  assert.ok(!c.args.includes('--leader-elect'));
  assert.ok(c.args.includes('--metrics-bind-address=:8080') && c.args.includes('--health-probe-bind-address=:8081'));
  assert.ok(c.args.includes('--cluster-cidr=10.244.0.0/16'));
  assert.ok(c.args.includes('--expander=least-waste') && c.args.includes('--scale-down-unneeded-time=10m'));
  assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'probes' });
  assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'probes' });
  assert.deepEqual(c.ports.map((p: any) => [p.name, p.containerPort]), [['metrics', 8080], ['probes', 8081]]);
  assert.ok(c.resources.requests.cpu && c.resources.limits.memory);
  // read-only root: the only writable place is an emptyDir on /tmp
  assert.deepEqual(c.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }]);
  const e = env(c);
  assert.deepEqual(e.get('ALIBABA_CLOUD_ACCESS_KEY_ID').valueFrom, { secretKeyRef: { name: 'alibaba-cloud-credentials', key: 'access-key-id' } });
  assert.deepEqual(e.get('ALIBABA_CLOUD_ACCESS_KEY_SECRET').valueFrom, { secretKeyRef: { name: 'alibaba-cloud-credentials', key: 'access-key-secret' } });
  assert.equal(e.get('ALIBABA_CLOUD_REGION_ID').value, 'cn-hangzhou');
  assert.ok(!e.has('KUBELOOP_CLOUD_EMULATOR') && !e.has('ALIBABA_CLOUD_ROLE_ARN'));
  // the metrics Service selects the manager pods and targets a port they declare
  const svc = r.find('Service', 'kubeloop-metrics') as any;
  const podLabels = d.spec.template.metadata.labels;
  for (const [k, val] of Object.entries(svc.spec.selector)) assert.equal(podLabels[k], val, `selector ${k}`);
  for (const [k, val] of Object.entries(d.spec.selector.matchLabels)) assert.equal(podLabels[k], val, `Deployment selector ${k}`);
  assert.equal(d.spec.selector.matchLabels['app.kubernetes.io/component'], 'manager');
  assert.equal(svc.spec.ports[0].targetPort, 'metrics');
  // the pods roll when the settings change
  assert.match(d.spec.template.metadata.annotations['checksum/config'], /^[0-9a-f]{64}$/);
  const changed = render({ values: { controllers: { acrCredentialHelper: { config: { watchNamespace: 'all' } } } } });
  assert.notEqual(manager(changed).spec.template.metadata.annotations['checksum/config'], d.spec.template.metadata.annotations['checksum/config']);
});

test('the controllers\' ConfigMaps carry the keys the originals read, in kube-system, and no credentials', () => {
  const r = variant('everything');
  const acr = r.find('ConfigMap', 'acr-configuration') as any;
  assert.equal(acr.metadata.namespace, 'kube-system');
  assert.equal(acr.data['watch-namespace'], 'all');
  assert.equal(acr.data['service-account'], '*');
  assert.equal(acr.data['expiring-threshold'], '15m');
  assert.equal(acr.data['acr-api-version'], '2018-12-01');
  {
    const info = parseYaml(acr.data['acr-registry-info']);
    const webhook = parseYaml(acr.data['webhook-configuration']);
    assert.deepEqual(info, [{ instanceId: 'cri-abc', regionId: 'cn-beijing', domains: ['r.example.com'] }]);
    assert.deepEqual(webhook, { enable: true, 'failure-policy': 'Fail', 'timeout-seconds': 10 });
    const log = r.find('ConfigMap', 'alibaba-log-configuration') as any;
    assert.deepEqual(Object.keys(log.data).sort(), ['log-machine-group', 'log-project']);
    const prio = r.find('ConfigMap', 'cluster-autoscaler-priority-expander') as any;
    assert.equal(prio.metadata.namespace, 'kube-system');
    assert.deepEqual(parseYaml(prio.data.priorities), { 10: ['asg-a'], 50: ['.*-b$'] });
    // no access key anywhere in plain text, in any variant
    for (const name of Object.keys(variants)) {
      for (const o of variant(name).all('ConfigMap')) assert.doesNotMatch(JSON.stringify(o), /LTAI|AccessKey|access-key/i, `${name}: ${o.metadata.name}`);
      for (const e of container(variant(name)).env) {
        if (/ACCESS_KEY/.test(e.name)) assert.ok(e.valueFrom?.secretKeyRef && e.value === undefined, `${name}: ${e.name} must come from a Secret`);
      }
    }
    // flags of the route controller and the autoscaler
    const args: string[] = container(r).args;
    assert.ok(args.includes('--route-table-ids=vtb-1,vtb-2') && args.includes('--dry-run'));
    assert.ok(args.includes('--vpc-id=vpc-1') && args.includes('--cluster-name=c1'));
    assert.deepEqual(args.filter((a) => a.startsWith('--nodes=')), ['--nodes=1:10:asg-a', '--nodes=0:5:asg-b']);
    assert.ok(args.includes('--expander=priority'));
    assert.equal(args.at(-1), '--kube-api-qps=50');
    const e = env(container(r));
    assert.equal(e.get('ALIBABA_CLOUD_VPC_ENDPOINT').value, 'vpc-vpc.cn-hangzhou.aliyuncs.com');
    assert.equal(e.get('NODE_OPTIONS').value, '--max-old-space-size=384');
    const pod = manager(r).spec.template.spec;
    assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.equal(pod.tolerations[0].key, 'node-role.kubernetes.io/control-plane');
    assert.deepEqual(pod.affinity, variants.everything.affinity);
    assert.equal(pod.topologySpreadConstraints[0].topologyKey, 'kubernetes.io/hostname');
    assert.deepEqual(pod.imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(pod.priorityClassName, 'system-cluster-critical');
    assert.equal((r.find('PodDisruptionBudget') as any).spec.minAvailable, 2);
  }
});

test('replicas > 1 turn on leader election and a PodDisruptionBudget; one replica has neither unless asked', () => {
  const r = variant('replicas2');
  assert.equal(manager(r).spec.replicas, 2);
  const args: string[] = container(r).args;
  assert.ok(args.includes('--leader-elect'));
  assert.ok(args.includes('--leader-election-id=kubeloop-manager'));
  assert.ok(args.includes('--leader-election-namespace=$(POD_NAMESPACE)'));
  assert.ok(env(container(r)).get('POD_NAMESPACE').valueFrom.fieldRef.fieldPath === 'metadata.namespace');
  const pdb = r.find('PodDisruptionBudget', 'kubeloop') as any;
  assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: manager(r).spec.selector.matchLabels } });
  assert.equal(variant('default').all('PodDisruptionBudget').length, 0);
  const forced = render({ values: { leaderElection: { enabled: true }, podDisruptionBudget: { enabled: true } } });
  assert.ok(container(forced).args.includes('--leader-elect'));
  assert.equal(forced.all('PodDisruptionBudget').length, 1);
});

test('ServiceMonitor only when enabled, selecting the metrics Service by its labels and port', () => {
  assert.equal(variant('default').all('ServiceMonitor').length, 0);
  const r = variant('serviceMonitor');
  const sm = r.find('ServiceMonitor', 'kubeloop') as any;
  assert.equal(sm.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(sm.metadata.labels.release, 'prom');
  const svc = r.find('Service', 'kubeloop-metrics') as any;
  for (const [k, val] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svc.metadata.labels[k], val, `label ${k}`);
  assert.deepEqual(sm.spec.namespaceSelector, { matchNames: ['kubeloop-system'] });
  assert.deepEqual(sm.spec.endpoints, [{ port: svc.spec.ports[0].name, path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
  assert.throws(() => render({ values: { metrics: { serviceMonitor: { enabled: true }, service: { enabled: false } } } }), /serviceMonitor.enabled needs metrics.service.enabled/);
});

test('cloudsim.enabled: emulator Deployment + Service, a generated AccessKey Secret, the controllers pointed at it', () => {
  const r = variant('cloudsim');
  const secret = r.find('Secret', 'kubeloop-cloudsim-credentials') as any;
  const id = Buffer.from(secret.data['access-key-id'], 'base64').toString();
  const key = Buffer.from(secret.data['access-key-secret'], 'base64').toString();
  assert.match(id, /^LTAIsim[A-Za-z0-9]{17}$/);
  assert.match(key, /^[A-Za-z0-9]{30}$/);
  const sim = r.find('Deployment', 'kubeloop-cloudsim') as any;
  assert.equal(sim.spec.replicas, 1);
  const sc = sim.spec.template.spec.containers[0];
  assert.equal(sc.args[0], 'cloudsim');
  assert.ok(sc.args.includes('--host=0.0.0.0') && sc.args.includes('--port=8090') && sc.args.includes('--region=cn-hangzhou'));
  assert.ok(sc.args.includes('--access-key-id=$(ALIBABA_CLOUD_ACCESS_KEY_ID)'));
  assert.ok(!JSON.stringify(sim).includes(key), 'the secret never appears in the pod spec');
  assert.deepEqual(env(sc).get('ALIBABA_CLOUD_ACCESS_KEY_SECRET').valueFrom.secretKeyRef, { name: 'kubeloop-cloudsim-credentials', key: 'access-key-secret' });
  assert.equal(sc.securityContext.readOnlyRootFilesystem, true);
  const svc = r.find('Service', 'kubeloop-cloudsim') as any;
  const simLabels = sim.spec.template.metadata.labels;
  for (const [k, val] of Object.entries(svc.spec.selector)) assert.equal(simLabels[k], val);
  // the two Deployments' selectors do not overlap, nor does the metrics Service pick the emulator
  const metrics = r.find('Service', 'kubeloop-metrics') as any;
  assert.ok(Object.entries(metrics.spec.selector).some(([k, val]) => simLabels[k] !== val));
  assert.notDeepEqual(sim.spec.selector.matchLabels, manager(r).spec.selector.matchLabels);
  const e = env(container(r));
  // the manager reaches the emulator's Service directly: the cloud adapters resolve the SLS host
  // names (<project>.sls.kubeloop.local) to the emulator URL's host
  assert.equal(e.get('KUBELOOP_CLOUD_EMULATOR').value, 'http://kubeloop-cloudsim.kubeloop-system.svc:8090');
  assert.equal(manager(r).spec.template.spec.containers.length, 1);
  // optional: a loopback proxy sidecar, for adapters that cannot resolve those names themselves
  const proxied = render({ values: { cloudsim: { enabled: true, localProxy: true } } });
  assert.equal(env(container(proxied)).get('KUBELOOP_CLOUD_EMULATOR').value, 'http://127.0.0.1:8090');
  const proxy = manager(proxied).spec.template.spec.containers[1];
  assert.equal(proxy.name, 'cloudsim-proxy');
  assert.deepEqual(proxy.command.slice(0, 2), ['node', '-e']);
  assert.equal(env(proxy).get('UPSTREAM_HOST').value, 'kubeloop-cloudsim.kubeloop-system.svc');
  assert.equal(env(proxy).get('PROXY_PORT').value, '8090');
  assert.equal(proxy.securityContext.readOnlyRootFilesystem, true);
  assert.equal(manager(variant('default')).spec.template.spec.containers.length, 1);
  assert.deepEqual(e.get('ALIBABA_CLOUD_ACCESS_KEY_ID').valueFrom.secretKeyRef, { name: 'kubeloop-cloudsim-credentials', key: 'access-key-id' });
  assert.equal(svc.spec.ports[0].port, 8090);
  // only the release's pods reach the emulator's unauthenticated API
  const np = r.find('NetworkPolicy', 'kubeloop-cloudsim') as any;
  assert.deepEqual(np.spec.podSelector.matchLabels, sim.spec.selector.matchLabels);
  assert.deepEqual(np.spec.ingress, [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'kubeloop' } } }], ports: [{ port: 'http', protocol: 'TCP' }] }]);
  for (const [k, v] of Object.entries(np.spec.ingress[0].from[0].podSelector.matchLabels)) assert.equal(manager(r).spec.template.metadata.labels[k], v);
  const open = render({ values: { cloudsim: { enabled: true, networkPolicy: { enabled: false } } } });
  assert.equal(open.all('NetworkPolicy').length, 0);
  const extra = render({ values: { cloudsim: { enabled: true, networkPolicy: { extraFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'e2e' } } }] } } } });
  assert.equal((extra.find('NetworkPolicy') as any).spec.ingress[0].from.length, 2);
  assert.deepEqual(builtinValidator().validate(extra.find('NetworkPolicy')), []);
});

test('RRSA: ServiceAccount annotation, projected OIDC token, role/provider/token-file env and no AccessKey', () => {
  const r = variant('rrsa');
  const sa = r.find('ServiceAccount', 'kubeloop') as any;
  assert.equal(sa.metadata.annotations['pod-identity.alibabacloud.com/role-name'], 'kubeloop');
  const c = container(r);
  const e = env(c);
  assert.equal(e.get('ALIBABA_CLOUD_ROLE_ARN').value, 'acs:ram::1234567890:role/kubeloop');
  assert.equal(e.get('ALIBABA_CLOUD_OIDC_PROVIDER_ARN').value, 'acs:ram::1234567890:oidc-provider/ack-rrsa-c1');
  const tokenFile: string = e.get('ALIBABA_CLOUD_OIDC_TOKEN_FILE').value;
  assert.ok(!e.has('ALIBABA_CLOUD_ACCESS_KEY_ID') && !e.has('ALIBABA_CLOUD_ACCESS_KEY_SECRET'));
  const vol = manager(r).spec.template.spec.volumes.find((v: any) => v.name === 'rrsa-oidc-token');
  assert.deepEqual(vol.projected.sources, [{ serviceAccountToken: { path: 'token', audience: 'sts.aliyuncs.com', expirationSeconds: 3600 } }]);
  const mount = c.volumeMounts.find((m: any) => m.name === 'rrsa-oidc-token');
  assert.equal(tokenFile, `${mount.mountPath}/token`);
  assert.equal(mount.readOnly, true);
  assert.throws(() => render({ values: { cloud: { credentials: { mode: 'rrsa' } } } }), /cloud.credentials.rrsa.roleArn is required/);
  // mode none: the SDK's default chain (instance RAM role), no credential env at all
  const none = env(container(render({ values: { cloud: { credentials: { mode: 'none' } } } })));
  assert.deepEqual([...none.keys()].filter((k) => k.startsWith('ALIBABA_CLOUD_')), ['ALIBABA_CLOUD_REGION_ID']);
});

test('layouts: single runs `run all` or `run <name>`; perController one Deployment per controller with only its flags', () => {
  const only = render({ values: { controllers: { acrCredentialHelper: { enabled: false }, logConfig: { enabled: false }, clusterAutoscaler: { enabled: false } } } });
  const args: string[] = container(only).args;
  assert.deepEqual(args.slice(0, 2), ['run', 'route']);
  assert.ok(args.includes('--cluster-cidr=10.244.0.0/16'));
  assert.ok(!args.some((a) => a.startsWith('--expander')), 'no flags of controllers that do not run');
  assert.deepEqual(only.all('ConfigMap').map((c) => c.metadata.name), []);
  assert.throws(() => render({ values: { controllers: { acrCredentialHelper: { enabled: false }, clusterAutoscaler: { enabled: false } } } }),
    /layout=single runs all four controllers \(`kubeloop run all`\) or exactly one; route, log-config are enabled: set layout=perController/);

  const per = render({ values: { layout: 'perController', replicaCount: 2, controllers: { logConfig: { enabled: false }, route: { configureCloudRoutes: false }, clusterAutoscaler: { scaleDown: { enabled: false } } } } });
  const deps = per.all('Deployment') as any[];
  assert.deepEqual(deps.map((d) => d.metadata.name), ['kubeloop-acr-credential-helper', 'kubeloop-route', 'kubeloop-cluster-autoscaler']);
  const byName = new Map(deps.map((d) => [d.metadata.name, d.spec.template.spec.containers[0].args as string[]]));
  assert.deepEqual(byName.get('kubeloop-acr-credential-helper')!.slice(0, 2), ['run', 'acr-credential-helper']);
  assert.ok(!byName.get('kubeloop-acr-credential-helper')!.some((a) => a.startsWith('--cluster-cidr') || a.startsWith('--expander')));
  assert.ok(byName.get('kubeloop-route')!.includes('--configure-cloud-routes=false'));
  assert.ok(!byName.get('kubeloop-route')!.some((a) => a.startsWith('--expander')));
  assert.ok(byName.get('kubeloop-cluster-autoscaler')!.includes('--scale-down-enabled=false'));
  // one Lease and one PDB per Deployment; selectors never overlap
  const leases = deps.map((d) => d.spec.template.spec.containers[0].args.find((a: string) => a.startsWith('--leader-election-id=')));
  assert.equal(new Set(leases).size, 3);
  const pdbs = per.all('PodDisruptionBudget') as any[];
  assert.deepEqual(pdbs.map((p) => p.spec.selector.matchLabels), deps.map((d) => d.spec.selector.matchLabels));
  for (const d of deps) {
    const matching = deps.filter((o) => Object.entries(d.spec.selector.matchLabels).every(([k, v]) => o.spec.template.metadata.labels[k] === v));
    assert.equal(matching.length, 1, `${d.metadata.name} selects only its own pods`);
  }
  // the metrics Service scrapes all of them
  const svc = per.find('Service', 'kubeloop-metrics') as any;
  for (const d of deps) for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(d.spec.template.metadata.labels[k], v);
  const v = builtinValidator();
  for (const o of per.objects) assert.deepEqual(v.validate(o), [], o.source);

  assert.throws(() => render({ values: { controllers: { route: { clusterCIDR: '' } } } }), /controllers.route.clusterCIDR is required/);
  assert.ok(container(variant('default')).args.includes('--node-group-auto-discovery=tag:k8s.io/cluster-autoscaler/enabled=true'));
  assert.throws(() => render({ values: { controllers: { clusterAutoscaler: { nodeGroupAutoDiscovery: [] } } } }), /controllers.clusterAutoscaler needs node groups/);
  assert.throws(() => render({ values: { controllers: { clusterAutoscaler: { nodeGroupAutoDiscovery: ['k8s.io/cluster-autoscaler/enabled'] } } } }), /nodeGroupAutoDiscovery\/0: must match pattern/);
  assert.throws(() => render({ values: { cloud: { credentials: { secret: { name: '' } } } } }), /cloud.credentials.secret.name is required/);
  assert.throws(() => render({ values: { controllers: { acrCredentialHelper: { enabled: false }, route: { enabled: false }, logConfig: { enabled: false }, clusterAutoscaler: { enabled: false } } } }), /no controller is enabled/);
  // names follow the release; the ConfigMaps keep the fixed names the controllers read
  const other = render({ name: 'prod', namespace: 'ops' });
  assert.ok(other.find('Deployment', 'prod-kubeloop'));
  assert.equal((other.find('ClusterRoleBinding', 'prod-kubeloop') as any).subjects[0].namespace, 'ops');
  assert.ok(other.find('ConfigMap', 'acr-configuration'));
});

test('ACR webhook mode: the generated MutatingWebhookConfiguration pointed at a Service of the helper\'s pods, with a certificate it trusts', () => {
  // off by default: nothing of it
  const off = variant('default');
  assert.equal(off.all('MutatingWebhookConfiguration').length, 0);
  assert.ok(!manager(off).spec.template.spec.containers[0].args.includes('--acr-webhook'));

  const generated = parseYaml(readFileSync(join(chartDir, 'files/webhook/manifests.yaml'), 'utf8').replace(/^#.*\n---\n/, ''));
  for (const [r, ns, deployment, run] of [
    [render({ values: variants.acrWebhook, namespace: 'ack' }), 'ack', 'kubeloop', 'all'],
    [render({ values: { ...variants.acrWebhook, layout: 'perController' }, namespace: 'ack' }), 'ack', 'kubeloop-acr-credential-helper', 'acr-credential-helper'],
  ] as const) {
    const mwc = r.find('MutatingWebhookConfiguration', 'kubeloop-acr-webhook') as any;
    assert.deepEqual(mwc.webhooks.map((w: any) => w.name), generated.webhooks.map((w: any) => w.name));
    const svc = r.find('Service', 'kubeloop-acr-webhook') as any;
    const secret = r.find('Secret', 'kubeloop-acr-webhook-tls') as any;
    assert.equal(secret.type, 'kubernetes.io/tls');
    for (const [i, w] of mwc.webhooks.entries()) {
      const g = generated.webhooks[i];
      // rules, paths, side effects and review versions as the declarations say; policy and timeout from values
      assert.deepEqual(w.rules, g.rules);
      assert.equal(w.sideEffects, 'NoneOnDryRun');
      assert.deepEqual(w.admissionReviewVersions, ['v1']);
      assert.equal(w.failurePolicy, 'Ignore');
      assert.equal(w.timeoutSeconds, 5);
      assert.deepEqual(w.clientConfig.service, { name: svc.metadata.name, namespace: ns, path: g.clientConfig.service.path, port: 443 });
      assert.equal(w.clientConfig.caBundle, secret.data['ca.crt']);
      assert.deepEqual(w.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [ns] }] });
    }
    // the Service reaches the pods that run the helper, on their webhook port
    const d = r.find('Deployment', deployment) as any;
    const pod = d.spec.template;
    for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(pod.metadata.labels[k], v, `selector ${k}`);
    assert.equal(svc.spec.selector['kubeloop.io/run'], run);
    const c = pod.spec.containers[0];
    assert.ok(c.ports.some((p: any) => p.name === 'webhook' && p.containerPort === 9443));
    assert.ok(c.args.includes('--acr-webhook'));
    const certDir = c.args.find((a: string) => a.startsWith('--webhook-cert-dir=')).split('=')[1];
    const mount = c.volumeMounts.find((m: any) => m.mountPath === certDir);
    assert.equal(pod.spec.volumes.find((v: any) => v.name === mount.name).secret.secretName, secret.metadata.name);
    // the serving certificate is for the Service's DNS name and signed by the caBundle's CA
    const cert = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
    const ca = new X509Certificate(Buffer.from(secret.data['ca.crt'], 'base64'));
    assert.ok(cert.verify(ca.publicKey), 'tls.crt is signed by ca.crt');
    assert.equal(cert.checkHost(`kubeloop-acr-webhook.${ns}.svc`), `kubeloop-acr-webhook.${ns}.svc`);
    // the key matches the certificate
    assert.ok(createPrivateKey(Buffer.from(secret.data['tls.key'], 'base64')).asymmetricKeyType);
    // the other Deployments of perController do not serve it
    for (const other of r.all('Deployment').filter((o) => o.metadata.name !== deployment && o.metadata.name !== 'kubeloop-cloudsim')) {
      assert.ok(!(other as any).spec.template.spec.containers[0].args.includes('--acr-webhook'), other.metadata.name);
    }
  }
});

test('files/webhook/manifests.yaml is what `make chart-webhooks` (kubeloop generate webhooks) writes', () => {
  const r = spawnSync(process.execPath, [KUBELOOP_BIN, 'generate', 'webhooks', '--out', join(chartDir, 'files/webhook'),
    '--name', 'kubeloop-acr-webhook', '--service', 'kubeloop-acr-webhook', '--namespace', 'kubeloop-system', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `kubeloop generate webhooks --check failed (when stale: run \`make chart-webhooks\`):\n${r.stderr}`);
});

test('the chart\'s crds/ are identical to the generated crds/ (make chart-crds)', () => {
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort() : []);
  const top = list(join(root, 'crds'));
  const chart = list(join(chartDir, 'crds'));
  assert.deepEqual(chart, top, 'run `make chart-crds`');
  for (const f of top) assert.equal(readFileSync(join(chartDir, 'crds', f), 'utf8'), readFileSync(join(root, 'crds', f), 'utf8'), `${f}: run \`make chart-crds\``);
});

test('NOTES.txt tells what was installed and how to look at it', () => {
  const notes = renderNotes({ values: { replicaCount: 2 } });
  assert.match(notes, /^kubeloop 0\.1\.0 is installed in namespace kubeloop-system\./);
  assert.match(notes, /kubeloop: kubeloop run all \(leader election on Lease kubeloop-system\/kubeloop-manager\)/);
  assert.match(notes, /credentials: secret \(Secret alibaba-cloud-credentials\)/);
  const sim = renderNotes({ values: { cloudsim: { enabled: true }, layout: 'perController', controllers: { logConfig: { enabled: false } } } });
  assert.match(sim, /kubeloop-route: kubeloop run route\n/);
  assert.match(sim, /the emulator at http:\/\/kubeloop-cloudsim\.kubeloop-system\.svc:8090/);
  assert.match(sim, /port-forward svc\/kubeloop-cloudsim 8090/);
});

test('the cloudsim proxy sidecar forwards loopback connections to the emulator', async () => {
  // run the sidecar's program as rendered, against a local echo server standing in for the emulator
  const { createServer } = await import('node:net');
  const { spawn } = await import('node:child_process');
  const upstream = createServer((c) => c.on('data', (d) => c.end(`echo:${d}`)));
  await new Promise<void>((res) => upstream.listen(0, '127.0.0.1', () => res()));
  const port = (upstream.address() as { port: number }).port;
  const proxy = manager(render({ values: { cloudsim: { enabled: true, localProxy: true } } })).spec.template.spec.containers[1];
  // the proxy listens on the port it forwards to: run it in a network namespace of its own is not
  // possible here, so point it at the echo server's port on another loopback address
  const child = spawn(process.execPath, ['-e', proxy.command[2].replace("'127.0.0.1', ()", "'127.0.0.2', ()")], {
    env: { ...process.env, PROXY_PORT: String(port), UPSTREAM_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((res, rej) => {
      child.stdout!.once('data', (d: Buffer) => (/cloudsim proxy 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+/.test(d.toString()) ? res() : rej(new Error(d.toString()))));
      child.once('exit', (code) => rej(new Error(`proxy exited ${code}`)));
    });
    const { connect } = await import('node:net');
    const reply = await new Promise<string>((res, rej) => {
      const c = connect(port, '127.0.0.2', () => c.write('ping'));
      let buf = '';
      c.on('data', (d) => (buf += d));
      c.on('end', () => res(buf));
      c.on('error', rej);
    });
    assert.equal(reply, 'echo:ping');
  } finally {
    child.kill('SIGTERM');
    await new Promise((res) => child.once('exit', res));
    await new Promise((res) => upstream.close(res));
  }
});
