import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SpecError, claimWinner, configDrift, defaultsFromConfigMap, desiredState, logstoreDrift, semanticEqual,
} from './desired.js';
import { backoffDelay, parseDuration, parseLogConfigFlags } from './config.js';
import type { AliyunLogConfig } from './types.js';
import type { LogtailConfig } from '../cloud/index.js';

const obj = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}, status?: Record<string, unknown>): AliyunLogConfig => ({
  apiVersion: 'log.alibabacloud.com/v1alpha1', kind: 'AliyunLogConfig',
  metadata: { name: 'a', namespace: 'default', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z', ...meta },
  spec: { logstore: 'app-store', logtailConfig: { configName: 'app' }, ...spec } as AliyunLogConfig['spec'],
  ...(status ? { status } : {}),
}) as AliyunLogConfig;

test('desiredState applies spec defaults and cluster defaults, spec first', () => {
  const d = desiredState(obj({}), { project: 'p-default', machineGroup: 'g-default' }, 'kube-system/cm');
  assert.equal(d.project, 'p-default');
  assert.deepEqual(d.machineGroups, ['g-default']);
  assert.deepEqual(d.logstore, { logstoreName: 'app-store', ttl: 90, shardCount: 2, autoSplit: true, maxSplitShard: 64 });
  assert.deepEqual(d.config, { configName: 'app', inputType: 'file', inputDetail: {}, outputType: 'LogService', outputDetail: { logstoreName: 'app-store' } });

  const e = desiredState(obj({ project: 'mine', machineGroups: ['g1', 'g2', 'g1'], lifeCycle: 7, shardCount: 4, logstoreMode: 'query' }),
    { project: 'p-default', machineGroup: 'g-default' }, 'kube-system/cm');
  assert.equal(e.project, 'mine');
  assert.deepEqual(e.machineGroups, ['g1', 'g2']);
  assert.equal(e.logstore.ttl, 7);
  assert.equal(e.logstore.shardCount, 4);
  assert.equal(e.logstore.mode, 'query');
});

test('desiredState says which setting is missing', () => {
  assert.throws(() => desiredState(obj({}), { machineGroup: 'g' }, 'kube-system/cm'), (e: unknown) => e instanceof SpecError && e.code === 'ProjectNotConfigured' && /log-project of ConfigMap kube-system\/cm/.test(e.message));
  assert.throws(() => desiredState(obj({ project: 'p1' }), {}, 'ns/cm'), (e: unknown) => e instanceof SpecError && e.code === 'MachineGroupNotConfigured' && /spec\.machineGroups/.test(e.message));
});

test('defaultsFromConfigMap reads the two keys; blank counts as unset', () => {
  assert.deepEqual(defaultsFromConfigMap({ 'log-project': ' p ', 'log-machine-group': '' }), { project: 'p', machineGroup: undefined });
  assert.deepEqual(defaultsFromConfigMap(undefined), { project: undefined, machineGroup: undefined });
});

const cfg = (inputDetail: Record<string, unknown>, extra: Partial<LogtailConfig> = {}): LogtailConfig => ({
  configName: 'app', inputType: 'file', inputDetail, outputType: 'LogService', outputDetail: { logstoreName: 'app-store' }, ...extra,
});

test('configDrift ignores key order, service defaults and service-owned output fields', () => {
  const desired = cfg({ logPath: '/var/log', filePattern: '*.log', dockerIncludeLabel: { app: 'x', tier: 'web' } });
  const remote = cfg({
    dockerIncludeLabel: { tier: 'web', app: 'x' }, filePattern: '*.log', logPath: '/var/log',
    topicFormat: 'none', maxDepth: 10, localStorage: true, preserve: true, filterKey: [], logType: 'common_reg_log',
  }, { outputDetail: { logstoreName: 'app-store', endpoint: 'cn-hangzhou-intranet.log.aliyuncs.com', region: 'cn-hangzhou' }, createTime: 1, lastModifyTime: 2, logSample: '' });
  assert.deepEqual(configDrift(desired, remote), []);
});

test('configDrift reports every real difference', () => {
  const desired = cfg({ logPath: '/var/log', filePattern: '*.log', plugin: { processors: [{ type: 'a' }, { type: 'b' }] } });
  assert.deepEqual(configDrift(desired, cfg({ logPath: '/tmp', filePattern: '*.log', plugin: { processors: [{ type: 'a' }, { type: 'b' }] } })), ['inputDetail.logPath']);
  // a console-added non-default field, a changed default and reordered processors
  assert.deepEqual(configDrift(desired, cfg({ logPath: '/var/log', filePattern: '*.log', filterKey: ['level'], maxDepth: 3, plugin: { processors: [{ type: 'b' }, { type: 'a' }] } })),
    ['inputDetail.filterKey', 'inputDetail.maxDepth', 'inputDetail.plugin']);
  assert.deepEqual(configDrift(desired, cfg(desired.inputDetail, { inputType: 'plugin', outputDetail: { logstoreName: 'other' } })), ['inputType', 'outputDetail.logstoreName']);
  assert.deepEqual(configDrift(cfg({}, { logSample: 'x' }), cfg({}, { logSample: 'y' })), ['logSample']);
});

test('semanticEqual: objects by keys, arrays by order, numbers and booleans as their strings', () => {
  assert.ok(semanticEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }));
  assert.ok(semanticEqual({ a: true }, { a: 'true' }));
  assert.ok(!semanticEqual({ a: false }, { a: 'true' }));
  assert.ok(!semanticEqual([1, 2], [2, 1]));
  assert.ok(semanticEqual({ a: 10 }, { a: '10' }));
  assert.ok(semanticEqual({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(!semanticEqual({ a: {} }, { a: [] }));
  assert.ok(!semanticEqual({ a: null }, { a: 0 }));
});

test('logstoreDrift: ttl, mode when set, auto split; never the shard count', () => {
  const want = { logstoreName: 's', ttl: 30, shardCount: 2, autoSplit: true, maxSplitShard: 64, mode: 'query' };
  assert.deepEqual(logstoreDrift(want, { ...want, shardCount: 7 }), []);
  assert.deepEqual(logstoreDrift(want, { ...want, ttl: 90, mode: 'standard', autoSplit: false }), ['ttl', 'mode', 'autoSplit']);
  const { mode: _m, ...noMode } = want;
  assert.deepEqual(logstoreDrift(noMode, { ...want, mode: 'query' }), []);
});

test('claimWinner: the current holder, then the oldest, then the smallest uid', () => {
  const a = obj({}, { uid: 'b', creationTimestamp: '2026-01-01T00:00:01Z' });
  const b = obj({}, { uid: 'a', creationTimestamp: '2026-01-01T00:00:01Z' });
  const c = obj({}, { uid: 'c', creationTimestamp: '2026-01-01T00:00:00Z' });
  assert.equal(claimWinner([a, b], 'p', 'app'), b);
  assert.equal(claimWinner([a, b, c], 'p', 'app'), c);
  const holder = obj({}, { uid: 'z', creationTimestamp: '2026-06-01T00:00:00Z' }, { statusCode: 200, project: 'p', configName: 'app' });
  assert.equal(claimWinner([a, b, c, holder], 'p', 'app'), holder);
  assert.equal(claimWinner([a, b, c, holder], 'other', 'app'), c, 'holding another project is no claim here');
});

test('flags: defaults, validation messages, backoff', () => {
  const s = parseLogConfigFlags({});
  assert.deepEqual(s, { configMapName: 'alibaba-log-configuration', configMapNamespace: 'kube-system', driftCheckPeriodMs: 300_000, backoffBaseMs: 10_000, backoffMaxMs: 900_000, maxConcurrentReconciles: 2 });
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.throws(() => parseLogConfigFlags({ logConfigDriftCheckPeriod: 'soon' }), /--log-config-drift-check-period: "soon" is not a duration/);
  assert.throws(() => parseLogConfigFlags({ logConfigBackoffBase: '0' }), /--log-config-backoff-base must be positive/);
  assert.throws(() => parseLogConfigFlags({ logConfigBackoffBase: '20m' }), /must not be below --log-config-backoff-base/);
  assert.throws(() => parseLogConfigFlags({ logConfigMaxConcurrentReconciles: 'x' }), /integer from 1 to 64/);
  assert.throws(() => parseLogConfigFlags({ logConfigConfigmapNamespace: 'Kube_System' }), /not a valid namespace/);
  assert.equal(backoffDelay(s, 1), 10_000);
  assert.equal(backoffDelay(s, 3), 30_000);
  assert.equal(backoffDelay(s, 500), 900_000);
});
