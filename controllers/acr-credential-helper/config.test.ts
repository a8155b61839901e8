import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AcrConfigError, parseAcrConfig, parseAcrFlags, parseDuration } from './config.js';
import { ConfigState, mergePullSecrets, stuckImages, stuckPodVerdict } from './controller.js';
import { CredentialStore, dockerConfigJson } from './credentials.js';
import { acrMetrics } from './metrics.js';
import { webhookVerdict } from './webhook.js';
import { createRegistry } from 'kubeloop';
import type { AuthorizationToken, RegistryApi } from '../cloud/index.js';
import type { ConfigMapObject, PodObject, ServiceAccountObject } from 'kubeloop';

const bad = (data: Record<string, string>, key: string, re: RegExp) =>
  assert.throws(() => parseAcrConfig(data), (e: unknown) => e instanceof AcrConfigError && e.key === key && re.test(e.message));

describe('acr config', () => {
  it('defaults: namespace default, ServiceAccount default, 15m, the region\'s Personal Edition', () => {
    const c = parseAcrConfig({});
    assert.deepEqual(c.namespaces, ['default']);
    assert.deepEqual(c.serviceAccounts, ['default']);
    assert.equal(c.allNamespaces, false);
    assert.equal(c.expiringThresholdMs, 15 * 60_000);
    assert.deepEqual(c.registries, [{ domains: [] }]);
    assert.equal(c.apiVersion, '2018-12-01');
    assert.equal(c.webhook.enable, false);
  });

  it('all, *, comma lists, Go durations, registry list', () => {
    const c = parseAcrConfig({
      'watch-namespace': 'all', 'service-account': '*', 'expiring-threshold': '4.5s',
      'acr-registry-info': '- instanceId: cri-abc\n  regionId: cn-beijing\n  domains: [a.cr.aliyuncs.com, "b.cr.aliyuncs.com:5000"]\n  assumeRoleARN: acs:ram::123456:role/acr\n  expireDuration: 3600\n',
    });
    assert.equal(c.allNamespaces, true);
    assert.equal(c.allServiceAccounts, true);
    assert.equal(c.expiringThresholdMs, 4500);
    assert.deepEqual(c.registries, [{ instanceId: 'cri-abc', regionId: 'cn-beijing', domains: ['a.cr.aliyuncs.com', 'b.cr.aliyuncs.com:5000'],
      assumeRoleARN: 'acs:ram::123456:role/acr', expireDurationSeconds: 3600, customAccessKey: undefined, customAccessKeySecret: undefined,
      rrsaRoleARN: undefined, rrsaOIDCProviderRoleARN: undefined }]);
    assert.deepEqual(c.unknownKeys, []);
    const l = parseAcrConfig({ 'watch-namespace': ' ns-a, ns-b ,ns-a', 'service-account': 'default,robot' });
    assert.deepEqual(l.namespaces, ['ns-a', 'ns-b']);
    assert.deepEqual(l.serviceAccounts, ['default', 'robot']);
    assert.equal(parseDuration('1h30m'), 90 * 60_000);
    assert.equal(parseDuration('500ms'), 500);
  });

  it('accepts ACK\'s documented keys (RRSA fields, notify-email); an unknown key or field is listed, never a rejection', () => {
    const c = parseAcrConfig({
      'notify-email': 'ops@example.com', 'future-key': 'x',
      'acr-registry-info': '- instanceId: cri-b\n  assumeRoleARN: acs:ram::222:role/puller\n  rrsaRoleARN: acs:ram::111:role/cluster\n'
        + '  rrsaOIDCProviderRoleARN: acs:ram::111:oidc-provider/ack-rrsa-c123\n  instanceID: typo\n',
    });
    assert.equal(c.registries[0].rrsaRoleARN, 'acs:ram::111:role/cluster');
    assert.equal(c.registries[0].rrsaOIDCProviderRoleARN, 'acs:ram::111:oidc-provider/ack-rrsa-c123');
    assert.deepEqual(c.unknownKeys, ['future-key', 'acr-registry-info item 0: instanceID']);
  });

  it('names the bad key and never echoes a secret', () => {
    bad({ 'expiring-threshold': '15 minutes' }, 'expiring-threshold', /not a duration/);
    bad({ 'watch-namespace': 'Bad_NS' }, 'watch-namespace', /not a namespace name/);
    bad({ 'watch-namespace': 'all,ns-a' }, 'watch-namespace', /cannot be combined/);
    bad({ 'service-account': '*,robot' }, 'service-account', /cannot be combined/);
    bad({ 'acr-registry-info': 'instanceId: x' }, 'acr-registry-info', /YAML list/);
    bad({ 'acr-registry-info': '- [unclosed' }, 'acr-registry-info', /not valid YAML/);
    bad({ 'acr-registry-info': '- rrsaRoleARN: acs:ram::1:role/a' }, 'acr-registry-info', /must be set together/);
    bad({ 'acr-registry-info': '- rrsaRoleARN: acs:ram::1:role/a\n  rrsaOIDCProviderRoleARN: acs:ram::1:role/b' }, 'acr-registry-info', /not an OIDC provider ARN/);
    bad({ 'acr-registry-info': '- regionId: nowhere' }, 'acr-registry-info', /not a region id/);
    bad({ 'acr-registry-info': '- expireDuration: 60' }, 'acr-registry-info', /between 900 and 43200/);
    bad({ 'acr-registry-info': '- domains: ["https://x.io/path"]' }, 'acr-registry-info', /not a registry host name/);
    bad({ 'acr-api-version': '2016-06-07' }, 'acr-api-version', /not supported/);
    bad({ 'webhook-configuration': 'enable: maybe' }, 'webhook-configuration', /true or false/);
    bad({ 'webhook-configuration': '{enable: true, failure-policy: Sometimes}' }, 'webhook-configuration', /Ignore or Fail/);
    assert.throws(() => parseAcrConfig({ 'acr-registry-info': '- customAccessKeySecret: TOPSECRET' }), (e: unknown) => {
      assert.ok(e instanceof AcrConfigError);
      assert.doesNotMatch(e.message, /TOPSECRET/);
      return true;
    });
  });

  it('flags: defaults and validation', () => {
    const f = parseAcrFlags({});
    assert.equal(f.configMapName, 'acr-configuration');
    assert.equal(f.configMapNamespace, 'kube-system');
    assert.equal(f.recreateStuckPods, false);
    assert.equal(f.webhook, false);
    assert.equal(parseAcrFlags({ acrWebhook: true }).webhook, true);
    assert.throws(() => parseAcrFlags({ acrConfigmapNamespace: 'Kube System' }), /--acr-configmap-namespace/);
  });

  it('keeps the last good configuration; absence forgets it', () => {
    const st = new ConfigState();
    const cm = (rv: string, data: Record<string, string>): ConfigMapObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'kube-system', uid: 'u', resourceVersion: rv }, data });
    assert.equal(st.current(cm('1', { 'watch-namespace': 'Bad!' })).kind, 'unknown');
    const good = st.current(cm('2', { 'watch-namespace': 'ns-a' }));
    assert.equal(good.kind, 'active');
    const v = st.current(cm('3', { 'watch-namespace': 'ns-b', 'acr-registry-info': 'nope: [' }));
    assert.ok(v.kind === 'active' && v.stale && v.error?.key === 'acr-registry-info');
    assert.deepEqual(v.kind === 'active' && v.config.namespaces, ['ns-a']);
    assert.equal(st.current(undefined).kind, 'absent');
    assert.equal(st.current(cm('4', { 'watch-namespace': 'Bad!' })).kind, 'unknown');
  });
});

describe('imagePullSecrets merging', () => {
  it('adds ours once, keeps the user entries and their order, removes only ours', () => {
    assert.deepEqual(mergePullSecrets(undefined, 'acr', true), [{ name: 'acr' }]);
    assert.deepEqual(mergePullSecrets([{ name: 'mine' }], 'acr', true), [{ name: 'mine' }, { name: 'acr' }]);
    assert.deepEqual(mergePullSecrets([{ name: 'acr' }, { name: 'mine' }, { name: 'acr' }], 'acr', true), [{ name: 'acr' }, { name: 'mine' }]);
    assert.deepEqual(mergePullSecrets([{ name: 'acr' }, { name: 'mine' }, { name: 'acr' }], 'acr', false), [{ name: 'mine' }]);
    assert.deepEqual(mergePullSecrets([], 'acr', false), []);
  });

  it('finds containers stuck on a pull', () => {
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
      spec: { containers: [{ name: 'a', image: 'r.io/x/a:1' }, { name: 'b', image: 'r.io/x/b:1' }] },
      status: { containerStatuses: [{ name: 'a', state: { waiting: { reason: 'ImagePullBackOff' } } }, { name: 'b', state: { running: {} } }] },
    } as unknown as PodObject;
    assert.deepEqual(stuckImages(pod), ['r.io/x/a:1']);
  });
});

describe('credential store', () => {
  function fakeApi(lifetimeMs: number, clock: { now: number }, fail: { n: number } = { n: 0 }) {
    const calls = { token: 0, list: 0, endpoints: 0, personal: 0 };
    const api: RegistryApi = {
      async listInstances() { calls.list++; return [{ instanceId: 'cri-1', instanceName: 'x', regionId: 'cn-hangzhou', instanceStatus: 'RUNNING', instanceSpecification: 'Standard' }]; },
      async listInstanceEndpoints() {
        calls.endpoints++;
        return [{ endpointType: 'internet', enabled: true, domains: ['x.cr.io'] }, { endpointType: 'intranet', enabled: true, domains: ['x-vpc.cr.io'] }, { endpointType: 'internet', enabled: false, domains: ['off.cr.io'] }];
      },
      async registryDomains() { return []; },
      async getAuthorizationToken(): Promise<AuthorizationToken> {
        calls.token++;
        if (fail.n > 0) { fail.n--; throw new Error('Throttling.User'); }
        return { tempUsername: 'cr_temp_user', authorizationToken: `tok-${calls.token}`, expireTime: clock.now + lifetimeMs };
      },
      async getPersonalAuthorizationToken(): Promise<AuthorizationToken> {
        calls.personal++;
        return { tempUsername: 'cr_temp_user', authorizationToken: `personal-${calls.personal}`, expireTime: clock.now + lifetimeMs };
      },
    };
    return { api, calls };
  }

  it('one token per instance for concurrent callers; refresh at ExpireTime - threshold', async () => {
    const clock = { now: 1_000_000 };
    const { api, calls } = fakeApi(60_000, clock);
    const reg = createRegistry();
    const store = new CredentialStore({ apiFor: () => api, defaultRegion: 'cn-hangzhou', metrics: acrMetrics(reg), now: () => clock.now });
    const entry = { instanceId: 'cri-1', domains: [] };
    const all = await Promise.all([1, 2, 3, 4].map(() => store.credentials(entry, 45_000)));
    assert.equal(calls.token, 1);
    assert.equal(calls.endpoints, 1);
    assert.deepEqual(all[0].registry.domains, ['x-vpc.cr.io', 'x.cr.io']);
    assert.equal(all[0].refreshAt, clock.now + 15_000);
    clock.now += 14_000;
    assert.equal((await store.credentials(entry, 45_000)).password, 'tok-1');
    clock.now += 2_000;
    assert.equal((await store.credentials(entry, 45_000)).password, 'tok-2');
    const json = JSON.parse(dockerConfigJson([await store.credentials(entry, 45_000)]));
    assert.deepEqual(Object.keys(json.auths), ['x-vpc.cr.io', 'x.cr.io']);
    assert.equal(Buffer.from(json.auths['x.cr.io'].auth, 'base64').toString(), 'cr_temp_user:tok-2');
    const metrics = await reg.metrics();
    assert.match(metrics, /acr_credential_refresh_total 2/);
    assert.match(metrics, /acr_credential_expiry_timestamp_seconds\{registry="x.cr.io",instance="cri-1"\} 1076/);
  });

  it('a threshold longer than the token life does not loop', async () => {
    const clock = { now: 0 };
    const { api, calls } = fakeApi(10_000, clock);
    const store = new CredentialStore({ apiFor: () => api, defaultRegion: 'r', metrics: acrMetrics(createRegistry()), now: () => clock.now });
    const c = await store.credentials({ instanceId: 'cri-1', domains: ['d'] }, 60_000);
    assert.equal(c.refreshAt, 1_000);
    await store.credentials({ instanceId: 'cri-1', domains: ['d'] }, 60_000);
    assert.equal(calls.token, 1);
  });

  it('no instanceId: the region\'s Personal Edition registry, its own token call, never an Enterprise instance', async () => {
    const clock = { now: 0 };
    const { api, calls } = fakeApi(60_000, clock);
    const reg = createRegistry();
    const store = new CredentialStore({ apiFor: () => api, defaultRegion: 'cn-hangzhou', metrics: acrMetrics(reg), now: () => clock.now });
    const c = await store.credentials({ domains: [] }, 15_000);
    assert.deepEqual(c.registry.domains, ['registry-vpc.cn-hangzhou.aliyuncs.com', 'registry.cn-hangzhou.aliyuncs.com']);
    assert.equal(c.password, 'personal-1');
    assert.deepEqual([calls.personal, calls.token, calls.list, calls.endpoints], [1, 0, 0, 0]);
    assert.equal((await store.credentials({ regionId: 'cn-beijing', domains: [] }, 15_000)).registry.domains[0], 'registry-vpc.cn-beijing.aliyuncs.com');
    assert.match(await reg.metrics(), /acr_credential_expiry_timestamp_seconds\{registry="registry.cn-hangzhou.aliyuncs.com",instance="personal\/cn-hangzhou"\} 60/);
  });

  it('a failed refresh keeps the valid token, backs off, and counts the failure', async () => {
    const clock = { now: 0 };
    const fail = { n: 0 };
    const { api, calls } = fakeApi(10_000, clock, fail);
    const reg = createRegistry();
    const store = new CredentialStore({ apiFor: () => api, defaultRegion: 'r', metrics: acrMetrics(reg), now: () => clock.now, baseBackoffMs: 1_000 });
    await store.credentials({ domains: ['d'], instanceId: 'cri-9' }, 5_000);
    clock.now = 6_000;
    fail.n = 2;
    const s = await store.credentials({ domains: ['d'], instanceId: 'cri-9' }, 5_000);
    assert.equal(s.stale, true);
    assert.equal(s.password, 'tok-1');
    assert.equal(s.refreshAt, 7_000);
    await store.credentials({ domains: ['d'], instanceId: 'cri-9' }, 5_000); // within the back-off: no call
    assert.equal(calls.token, 2);
    clock.now = 7_000;
    assert.equal((await store.credentials({ domains: ['d'], instanceId: 'cri-9' }, 5_000)).stale, true);
    clock.now = 9_000;
    const fresh = await store.credentials({ domains: ['d'], instanceId: 'cri-9' }, 5_000);
    assert.equal(fresh.stale, false);
    assert.equal(fresh.password, 'tok-4');
    assert.match(await reg.metrics(), /acr_credential_refresh_failures_total\{instance="cri-9"\} 2/);
    // expired and failing: an error naming the instance, no token text
    clock.now = 100_000;
    fail.n = 1;
    await assert.rejects(store.credentials({ domains: ['d'], instanceId: 'cri-9' }, 5_000), (e: Error) => /cri-9/.test(e.message) && !/tok-/.test(e.message));
  });
});

describe('stuck pods (--recreate-stuck-pods)', () => {
  const config = parseAcrConfig({ 'watch-namespace': 'ns-a', 'service-account': '*' });
  const served = new Set(['r.cr.io']);
  const sa = (refs: string[]): ServiceAccountObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'ns-a' }, imagePullSecrets: refs.map((name) => ({ name })) });
  const pod = (o: { image?: string; refs?: string[]; owner?: boolean; ns?: string } = {}): PodObject => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: o.ns ?? 'ns-a', uid: 'u', ownerReferences: o.owner === false ? undefined : [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'r', controller: true }] },
    spec: { serviceAccountName: 'default', containers: [{ name: 'c', image: o.image ?? 'r.cr.io/team/app:v1' }], ...(o.refs ? { imagePullSecrets: o.refs.map((name) => ({ name })) } : {}) },
    status: { containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ErrImagePull' } } }] },
  } as unknown as PodObject);
  const verdict = (p: PodObject, s = sa(['acr']), secretExists = true) => stuckPodVerdict({ pod: p, config, secretName: 'acr', served, serviceAccount: s, secretExists }).verdict;

  it('recreates a controller-owned pod created before the reference, once the reference is there', () => {
    assert.equal(verdict(pod()), 'recreate');
    assert.equal(verdict(pod({ refs: ['mine'] }), sa(['mine', 'acr'])), 'recreate'); // its list is a copy of the SA's old one
    assert.equal(verdict(pod(), sa([])), 'wait');
    assert.equal(verdict(pod(), sa(['acr']), false), 'wait');
  });

  it('leaves alone what recreating would not fix or would lose', () => {
    assert.equal(verdict(pod({ owner: false })), 'skip');
    assert.equal(verdict(pod({ refs: ['acr'] })), 'skip');
    assert.equal(verdict(pod({ refs: ['explicit'] })), 'skip');
    assert.equal(verdict(pod({ image: 'docker.io/library/nginx:1' })), 'skip');
    assert.equal(verdict(pod({ ns: 'ns-b' })), 'skip');
    assert.equal(stuckPodVerdict({ pod: pod(), config: undefined, secretName: 'acr', served, serviceAccount: sa(['acr']), secretExists: true }).verdict, 'skip');
  });
});

describe('acr webhook verdict', () => {
  const config = (data: Record<string, string>) => parseAcrConfig({ 'watch-namespace': 'ns-a', 'service-account': 'default,robot', ...data });
  const on = config({ 'webhook-configuration': 'enable: true' });
  const v = (a: Partial<Parameters<typeof webhookVerdict>[0]>) => webhookVerdict({ config: on, namespace: 'ns-a', serviceAccount: 'robot', current: undefined, secretName: 's', ...a });

  it('adds where the ServiceAccount path would, once the ConfigMap enables it', () => {
    assert.deepEqual(v({}), { verdict: 'add' });
    assert.deepEqual(v({ current: [{ name: 'mine' }] }), { verdict: 'add' });
    assert.deepEqual(v({ config: config({}) }), { verdict: 'skip', reason: 'webhook-configuration.enable is false' });
    assert.deepEqual(v({ config: undefined }), { verdict: 'skip', reason: 'no valid configuration' });
    assert.deepEqual(v({ namespace: 'ns-b' }), { verdict: 'skip', reason: 'namespace not watched' });
    assert.deepEqual(v({ namespace: undefined }), { verdict: 'skip', reason: 'namespace not watched' });
    assert.deepEqual(v({ serviceAccount: 'other' }), { verdict: 'skip', reason: 'ServiceAccount not selected' });
    assert.deepEqual(v({ current: [{ name: 'mine' }, { name: 's' }] }), { verdict: 'skip', reason: 'has our Secret already' });
    assert.deepEqual(v({ config: config({ 'watch-namespace': 'all', 'service-account': '*', 'webhook-configuration': 'enable: true' }), namespace: 'x', serviceAccount: 'y' }), { verdict: 'add' });
  });
});
