// Pure pieces of the cloud package: error classification, retry policy, the emulator
// name-resolution rule, user data encoding, options from the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { classify, CloudError } from './errors.js';
import { callWithRetry, type RetryPolicy } from './retry.js';
import { resolveSuffixTo, resolveSuffixToLoopback, redirectTargetOf } from './emulator-dns.js';

const redirected = (host: string) => redirectTargetOf(host) !== undefined;
import { buildUserData, decodeUserDataText, parseKubeletFlags } from './userdata.js';
import { alibabaCloudOptionsFromEnv, emulatorEndpoints, defaultEndpoints } from './factory.js';
import { staticCredentials, toProvider } from './credentials.js';

test('error codes map to kinds', () => {
  const cases: Array<[string, number | undefined, string]> = [
    ['InvalidCIDRBlock.Duplicate', 400, 'AlreadyExists'],
    ['VPC_ROUTE_ENTRY_CIDR_BLOCK_DUPLICATE', 400, 'AlreadyExists'],
    ['ProjectAlreadyExist', 400, 'AlreadyExists'],
    ['InvalidRouteTableId.NotFound', 404, 'NotFound'],
    ['LogStoreNotExist', 404, 'NotFound'],
    ['INSTANCE_NOT_EXIST', 404, 'NotFound'],
    ['SignatureDoesNotMatch', 400, 'Forbidden'],
    ['InvalidAccessKeyId.NotFound', 404, 'Forbidden'],
    ['InvalidSecurityToken.Expired', 403, 'Forbidden'],
    ['SignatureNotMatch', 401, 'Forbidden'],
    ['Forbidden.RAM', 403, 'Forbidden'],
    ['Throttling.User', 400, 'Throttled'],
    ['Throttling', 503, 'Throttled'],
    ['ExceedQuota', 429, 'Throttled'],
    // SLS throttles with 403 (not a RAM refusal): project QPS/traffic and shard limits
    ['WriteQuotaExceed', 403, 'Throttled'],
    ['ReadQuotaExceed', 403, 'Throttled'],
    ['ShardWriteQuotaExceed', 403, 'Throttled'],
    ['ShardReadQuotaExceed', 403, 'Throttled'],
    ['ProjectQuotaExceed', 403, 'QuotaExceeded'],
    ['QuotaExceed', 400, 'QuotaExceeded'],
    ['QuotaExceeded.VpcRouteEntryNum', 400, 'QuotaExceeded'],
    ['Forbbiden', 400, 'Forbidden'],
    ['Unauthorized', 401, 'Forbidden'],
    ['SystemBusy', 400, 'Unavailable'],
    ['OperationConflict', 400, 'Conflict'],
    ['IncorrectRouteEntryStatus', 400, 'Conflict'],
    ['TaskConflict', 400, 'Conflict'],
    ['ServiceUnavailable', 503, 'Unavailable'],
    ['ServerBusy', 503, 'Unavailable'],
    ['InternalError', 500, 'Unavailable'],
    ['ECONNREFUSED', undefined, 'Unavailable'],
    ['IncorrectCapacity.MinSize', 400, 'InvalidParameter'],
    ['InvalidParameter.DesiredCapacity', 400, 'InvalidParameter'],
    ['MissingParameter', 400, 'InvalidParameter'],
    ['SomethingElse', undefined, 'Unknown'],
  ];
  for (const [code, status, kind] of cases) assert.equal(classify(code, status), kind, `${code} ${status}`);
});

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2, budgetMs: 5000, timeoutMs: 1000 };
const err = (kind: CloudError['kind']) => new CloudError(kind, kind, 'x', 'vpc', 'Test');
const timeout = () => err('Timeout');

test('retries retryable kinds until success, never the others', async () => {
  let n = 0;
  assert.equal(await callWithRetry(policy, async () => { if (++n < 3) throw err('Throttled'); return 'ok'; }, timeout), 'ok');
  assert.equal(n, 3);
  n = 0;
  await assert.rejects(callWithRetry(policy, async () => { n++; throw err('NotFound'); }, timeout), (e: unknown) => e instanceof CloudError && e.kind === 'NotFound');
  assert.equal(n, 1);
  n = 0;
  await assert.rejects(callWithRetry(policy, async () => { n++; throw err('Unavailable'); }, timeout), (e: unknown) => e instanceof CloudError && e.kind === 'Unavailable');
  assert.equal(n, 5, 'bounded by maxAttempts');
  n = 0;
  // a call that never answers (the wire went silent): only the timeout ends it
  await assert.rejects(callWithRetry({ ...policy, timeoutMs: 20 }, async () => { n++; return new Promise<string>(() => undefined); }, timeout), (e: unknown) => e instanceof CloudError && e.kind === 'Timeout');
  assert.equal(n, 1, 'writes are not retried after a timeout');
  n = 0;
  await assert.rejects(callWithRetry({ ...policy, timeoutMs: 20 }, async () => { n++; return new Promise<string>(() => undefined); }, timeout, { idempotent: true }), (e: unknown) => e instanceof CloudError && e.kind === 'Timeout');
  assert.equal(n, 5, 'reads are');
});

test('the reserved suffix resolves to loopback; other names are untouched', async () => {
  resolveSuffixToLoopback('kubeloop.local');
  assert.ok(redirected('proj.sls.kubeloop.local'));
  assert.ok(redirected('kubeloop.local'));
  assert.ok(!redirected('kubeloop.local.example.com'));
  assert.ok(!redirected('notkubeloop.local'));
  const lookup = (host: string, opts: dns.LookupOptions = {}) => new Promise<unknown>((resolve, reject) => {
    dns.lookup(host, opts, (e, address, family) => (e ? reject(e) : resolve(opts.all ? address : { address, family })));
  });
  assert.deepEqual(await lookup('my-project.sls.kubeloop.local'), { address: '127.0.0.1', family: 4 });
  assert.deepEqual(await lookup('x.kubeloop.local', { all: true }), [{ address: '127.0.0.1', family: 4 }]);
  const local = await lookup('localhost') as { address: string };
  assert.ok(['127.0.0.1', '::1'].includes(local.address));
  // In a cluster the emulator is a Service: its names resolve to wherever that name does
  // (looked up with the original resolver), or straight to an IP target.
  resolveSuffixTo('emu.test', 'localhost');
  assert.ok(['127.0.0.1', '::1'].includes(((await lookup('p.sls.emu.test')) as { address: string }).address));
  resolveSuffixTo('emu.test', '10.96.0.42');
  assert.deepEqual(await lookup('p.sls.emu.test'), { address: '10.96.0.42', family: 4 });
  resolveSuffixToLoopback('emu.test'); // does not take back a suffix pointed elsewhere
  assert.deepEqual(await lookup('p.sls.emu.test', { all: true }), [{ address: '10.96.0.42', family: 4 }]);
  resolveSuffixTo('emu6.test', '[::1]');
  assert.deepEqual(await lookup('x.emu6.test'), { address: '::1', family: 6 });
});

test('user data carries node labels and taints as kubelet flags', () => {
  const ud = buildUserData({ 'node.kubernetes.io/pool': 'gpu', team: 'a' }, [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }, { key: 'dedicated', effect: 'NoExecute' }]);
  const text = decodeUserDataText(ud);
  assert.ok(text.startsWith('#!/bin/bash\n'));
  assert.deepEqual(parseKubeletFlags(text), {
    labels: { 'node.kubernetes.io/pool': 'gpu', team: 'a' },
    taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }, { key: 'dedicated', effect: 'NoExecute' }],
  });
  // ACK-style scripts quote the flag values or separate them with a space
  assert.deepEqual(parseKubeletFlags(`#!/bin/bash\ncurl x | bash -s -- --node-labels "a=b,c=d" --register-with-taints='k=v:NoSchedule'`), {
    labels: { a: 'b', c: 'd' }, taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }],
  });
  assert.deepEqual(parseKubeletFlags(''), { labels: {}, taints: [] });
});

test('options from the environment', () => {
  assert.throws(() => alibabaCloudOptionsFromEnv({}), /ALIBABA_CLOUD_REGION_ID/);
  const o = alibabaCloudOptionsFromEnv({
    ALIBABA_CLOUD_REGION_ID: 'cn-beijing', KUBELOOP_CLOUD_EMULATOR: 'http://127.0.0.1:9000',
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'ak', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'sk', ALIBABA_CLOUD_SLS_ENDPOINT: 'cn-beijing-intranet.log.aliyuncs.com',
  });
  assert.equal(o.regionId, 'cn-beijing');
  assert.equal(o.emulator, 'http://127.0.0.1:9000');
  assert.deepEqual(o.credentials, { accessKeyId: 'ak', accessKeySecret: 'sk', securityToken: undefined });
  assert.equal(o.endpoints?.sls, 'cn-beijing-intranet.log.aliyuncs.com');
  const real = alibabaCloudOptionsFromEnv({ ALIBABA_CLOUD_REGION_ID: 'cn-shanghai', ALIBABA_CLOUD_ACCESS_KEY_ID: 'ak', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'sk' });
  assert.equal(real.credentials, undefined, 'the real cloud uses the credential chain, which reads the same variables');
  assert.deepEqual(emulatorEndpoints('http://127.0.0.1:9000'), { vpc: 'http://127.0.0.1:9000', ess: 'http://127.0.0.1:9000', ecs: 'http://127.0.0.1:9000', cr: 'http://127.0.0.1:9000', sts: 'http://127.0.0.1:9000', sls: 'http://sls.kubeloop.local:9000' });
  assert.equal(defaultEndpoints('cn-shanghai').sls, 'cn-shanghai.log.aliyuncs.com');
  assert.equal(real.endpoints?.sls, undefined, 'outside a cluster: the public endpoint');
});

test('inside the cluster SLS defaults to the intranet endpoint; the public one only when configured', () => {
  const inPod = { ALIBABA_CLOUD_REGION_ID: 'cn-hangzhou', KUBERNETES_SERVICE_HOST: '172.21.0.1' };
  assert.equal(alibabaCloudOptionsFromEnv(inPod).endpoints?.sls, 'cn-hangzhou-intranet.log.aliyuncs.com');
  assert.equal(alibabaCloudOptionsFromEnv({ ...inPod, ALIBABA_CLOUD_SLS_ENDPOINT: 'cn-hangzhou.log.aliyuncs.com' }).endpoints?.sls, 'cn-hangzhou.log.aliyuncs.com');
  // with the emulator (chart cloudsim.enabled) its own SLS endpoint stays
  assert.equal(alibabaCloudOptionsFromEnv({ ...inPod, KUBELOOP_CLOUD_EMULATOR: 'http://cloudsim:8090' }).endpoints?.sls, undefined);
});

test('credentials: static keys must be complete; a provider passes through', async () => {
  assert.throws(() => staticCredentials({ accessKeyId: 'a', accessKeySecret: '' }), /accessKeySecret/);
  const p = { getCredentials: async () => ({ accessKeyId: 'x', accessKeySecret: 'y' }) };
  assert.equal(toProvider(p), p);
  assert.deepEqual(await toProvider({ accessKeyId: 'a', accessKeySecret: 'b', securityToken: 't' }).getCredentials(), { accessKeyId: 'a', accessKeySecret: 'b', securityToken: 't' });
});
