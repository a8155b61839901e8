/**
 * How SLS stores a logtail config, so GetConfig answers the way the real service does:
 * the `inputDetail` of a file config comes back with every setting the service knows filled
 * in with its default, numbers and booleans as JSON numbers and booleans (also when they were
 * sent as strings), and keys in alphabetical order; `outputDetail` gains the project's
 * `endpoint` and `region`. The defaults and the shape are those of a real GetConfig answer
 * (the sample in ROS' ALIYUN::SLS::LogtailConfig `RawConfigData` documentation: a delimiter-mode
 * file config with `acceptNoEnoughKeys`, `advanced.force_multiconfig`, `autoExtend`, ...,
 * `topicFormat: "none"`, and `outputDetail: {endpoint: "cn-hangzhou-intranet.log.aliyuncs.com",
 * logstoreName, region}`).
 */

/** Settings of every file config, with the service's default. */
const FILE_DEFAULTS: Readonly<Record<string, unknown>> = {
  adjustTimezone: false, advanced: { force_multiconfig: false }, autoExtend: true, delayAlarmBytes: 0, delaySkipBytes: 0,
  discardNonUtf8: false, discardUnmatch: true, dockerExcludeEnv: {}, dockerExcludeLabel: {}, dockerFile: false, dockerIncludeEnv: {},
  dockerIncludeLabel: {}, enableRawLog: false, enableTag: false, fileEncoding: 'utf8', filterKey: [], filterRegex: [], localStorage: true,
  logTimezone: '', maxDepth: 10, maxSendRate: -1, mergeType: 'topic', preserve: true, preserveDepth: 1, priority: 0, sendRateExpire: 0,
  sensitive_keys: [], shardHashKey: [], tailExisted: false, timeFormat: '', timeKey: '', topicFormat: 'none',
};

/** Extra settings of some file log types. */
const LOG_TYPE_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  common_reg_log: { key: ['content'], logBeginRegex: '.*', regex: '(.*)' },
  delimiter_log: { acceptNoEnoughKeys: false },
};

const NUMBERS = new Set(['delayAlarmBytes', 'delaySkipBytes', 'maxDepth', 'maxSendRate', 'preserveDepth', 'priority', 'sendRateExpire']);
const BOOLEANS = new Set(['acceptNoEnoughKeys', 'adjustTimezone', 'autoExtend', 'discardNonUtf8', 'discardUnmatch', 'dockerFile', 'enableRawLog',
  'enableTag', 'localStorage', 'preserve', 'tailExisted']);

function typed(key: string, v: unknown): unknown {
  if (NUMBERS.has(key) && typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  if (BOOLEANS.has(key) && (v === 'true' || v === 'false')) return v === 'true';
  return v;
}

function sortedKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/** The `inputDetail` as SLS stores and returns it. Plugin configs are kept as sent (their defaults live in each plugin). */
export function storedInputDetail(inputType: string, detail: Record<string, unknown>): Record<string, unknown> {
  if (inputType !== 'file') return sortedKeys(detail);
  const logType = typeof detail.logType === 'string' ? detail.logType : 'common_reg_log';
  const given = Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, typed(k, v)]));
  return sortedKeys({ ...FILE_DEFAULTS, ...(LOG_TYPE_DEFAULTS[logType] ?? {}), logType, ...given });
}

/** The `outputDetail` as SLS returns it: the logstore, plus the project's intranet endpoint and region. */
export function storedOutputDetail(regionId: string, detail: { logstoreName: string }): { logstoreName: string; endpoint: string; region: string } {
  return { endpoint: `${regionId}-intranet.log.aliyuncs.com`, logstoreName: detail.logstoreName, region: regionId };
}
