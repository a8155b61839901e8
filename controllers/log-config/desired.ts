/**
 * Pure logic of the log-config controller: what an AliyunLogConfig wants in SLS (after the
 * cluster defaults), whether the remote logtail config drifted from it (compared
 * semantically), and which of several objects claiming one config wins.
 */
import type { LogStore, LogtailConfig, IndexConfig } from '../cloud/index.js';
import { SPEC_DEFAULTS, type AliyunLogConfig } from './types.js';

/** The cluster-wide defaults (ConfigMap `alibaba-log-configuration`). */
export interface ClusterDefaults {
  /** key `log-project` */
  project?: string;
  /** key `log-machine-group` */
  machineGroup?: string;
}

export const CONFIGMAP_PROJECT_KEY = 'log-project';
export const CONFIGMAP_MACHINE_GROUP_KEY = 'log-machine-group';

/** Reads the defaults from the ConfigMap's data (blank values count as unset). */
export function defaultsFromConfigMap(data: Record<string, string> | undefined): ClusterDefaults {
  const v = (k: string) => (data?.[k] ?? '').trim() || undefined;
  return { project: v(CONFIGMAP_PROJECT_KEY), machineGroup: v(CONFIGMAP_MACHINE_GROUP_KEY) };
}

/** Everything one object wants in SLS. */
export interface DesiredState {
  project: string;
  logstore: LogStore;
  config: LogtailConfig;
  machineGroups: string[];
}

/** A spec that cannot be acted on until the object or the cluster defaults change. */
export class SpecError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

/** Deep copy of JSON data (drops undefined), so nothing shares the cached object. */
function clone<T>(v: T): T {
  return v === undefined ? v : JSON.parse(JSON.stringify(v));
}

/**
 * The desired SLS state of `obj`, with the cluster defaults for project and machine groups.
 * Throws {@link SpecError} when no project or machine group can be determined.
 */
export function desiredState(obj: AliyunLogConfig, defaults: ClusterDefaults, configMapRef: string): DesiredState {
  const spec = obj.spec!;
  if (spec.productCode || spec.productLang) {
    // In ACK these name a product logstore: the dashboards, indexes and reports ACK's log
    // component sets up for its own products (e.g. Ingress access logs). This controller creates
    // no product resources; syncing the object as if the fields were absent would silently give
    // the user something else than asked, so it is refused.
    const what = spec.productCode ? `spec.productCode "${spec.productCode}"` : `spec.productLang "${spec.productLang}"`;
    throw new SpecError('ProductNotSupported', `${what}: product logstores (the dashboards ACK sets up for its own products) are not created by `
      + 'this controller; remove spec.productCode and spec.productLang to collect into a plain logstore, or let ACK\'s log component manage this product');
  }
  const project = spec.project || defaults.project;
  if (!project) {
    throw new SpecError('ProjectNotConfigured', `no SLS project: set spec.project, or key ${CONFIGMAP_PROJECT_KEY} of ConfigMap ${configMapRef}`);
  }
  const groups = spec.machineGroups?.length ? spec.machineGroups : defaults.machineGroup ? [defaults.machineGroup] : [];
  if (groups.length === 0) {
    throw new SpecError('MachineGroupNotConfigured', `no machine group: set spec.machineGroups, or key ${CONFIGMAP_MACHINE_GROUP_KEY} of ConfigMap ${configMapRef}`);
  }
  const lc = spec.logtailConfig;
  const logstore: LogStore = {
    logstoreName: spec.logstore,
    ttl: spec.lifeCycle ?? SPEC_DEFAULTS.lifeCycle,
    shardCount: spec.shardCount ?? SPEC_DEFAULTS.shardCount,
    autoSplit: true,
    maxSplitShard: 64,
    ...(spec.logstoreMode ? { mode: spec.logstoreMode } : {}),
  };
  const config: LogtailConfig = {
    configName: lc.configName,
    inputType: lc.inputType ?? SPEC_DEFAULTS.inputType,
    inputDetail: clone((lc.inputDetail ?? {}) as Record<string, unknown>),
    outputType: SPEC_DEFAULTS.outputType,
    outputDetail: { logstoreName: spec.logstore },
    ...(lc.logSample ? { logSample: lc.logSample } : {}),
  };
  return { project, logstore, config, machineGroups: [...new Set(groups)] };
}

/** The default full-text index of a new logstore (the console's default token set). */
export function defaultIndex(): IndexConfig {
  return {
    line: { token: [',', ' ', "'", '"', ';', '=', '(', ')', '[', ']', '{', '}', '?', '@', '&', '<', '>', '/', ':', '\n', '\t', '\r'], caseSensitive: false, chn: false },
  };
}

/**
 * Values SLS fills into `inputDetail` when a field is not given (what GetConfig returns for
 * a config created with only the required fields; a real answer is quoted in ROS'
 * ALIYUN::SLS::LogtailConfig `RawConfigData` documentation, with `acceptNoEnoughKeys`,
 * `advanced.force_multiconfig` and `autoExtend` besides the long-known ones). A field missing
 * on one side counts as having this value, so a remote config that differs only by these is
 * not drift.
 */
export const SERVICE_INPUT_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  common: {
    adjustTimezone: false, enableRawLog: false, enableTag: false, filterKey: [], filterRegex: [], localStorage: true,
    logTimezone: '', maxSendRate: -1, mergeType: 'topic', priority: 0, sendRateExpire: 0, sensitive_keys: [],
    shardHashKey: [], topicFormat: 'none', delayAlarmBytes: 0, delaySkipBytes: 0, discardNonUtf8: false,
  },
  file: {
    logType: 'common_reg_log', fileEncoding: 'utf8', maxDepth: 10, preserve: true, preserveDepth: 1, tailExisted: false,
    discardUnmatch: true, dockerFile: false, dockerExcludeEnv: {}, dockerExcludeLabel: {}, dockerIncludeEnv: {}, dockerIncludeLabel: {},
    acceptNoEnoughKeys: false, advanced: { force_multiconfig: false }, autoExtend: true,
    key: ['content'], regex: '(.*)', logBeginRegex: '.*', timeFormat: '', timeKey: '',
  },
  plugin: {},
};

function withDefaults(detail: Record<string, unknown>, inputType: string): Record<string, unknown> {
  return { ...SERVICE_INPUT_DEFAULTS.common, ...(SERVICE_INPUT_DEFAULTS[inputType] ?? {}), ...detail };
}

/**
 * JSON equality ignoring object key order (array order counts: plugin processors run in order).
 * A number or boolean equals its text: users quote them in YAML, SLS stores and returns them typed.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === 'number' || typeof a === 'boolean') && typeof b === 'string') return String(a) === b;
  if (typeof a === 'string' && (typeof b === 'number' || typeof b === 'boolean')) return a === String(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => semanticEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)].filter((k) => ao[k] !== undefined || bo[k] !== undefined));
  for (const k of keys) if (!semanticEqual(ao[k], bo[k])) return false;
  return true;
}

/**
 * Where the remote logtail config differs from the desired one, as readable field paths
 * (empty: in sync). inputDetail is compared with the service's defaults filled in on both
 * sides, ignoring key order; outputDetail only by logstore (endpoint and region are the
 * service's); logSample only when the spec sets one.
 */
export function configDrift(desired: LogtailConfig, remote: LogtailConfig): string[] {
  const out: string[] = [];
  if (desired.inputType !== remote.inputType) out.push('inputType');
  if (desired.outputType !== remote.outputType) out.push('outputType');
  if ((desired.outputDetail.logstoreName ?? '') !== (remote.outputDetail?.logstoreName ?? '')) out.push('outputDetail.logstoreName');
  if (desired.logSample !== undefined && desired.logSample !== (remote.logSample ?? '')) out.push('logSample');
  const d = withDefaults(desired.inputDetail ?? {}, desired.inputType);
  const r = withDefaults((remote.inputDetail ?? {}) as Record<string, unknown>, desired.inputType);
  for (const k of [...new Set([...Object.keys(d), ...Object.keys(r)])].sort()) {
    if (!semanticEqual(d[k], r[k])) out.push(`inputDetail.${k}`);
  }
  return out;
}

/** What to change on an existing logstore (shards are never changed: SLS splits them itself). */
export function logstoreDrift(desired: LogStore, remote: LogStore): string[] {
  const out: string[] = [];
  if (desired.ttl !== remote.ttl) out.push('ttl');
  if (desired.mode && desired.mode !== (remote.mode || 'standard')) out.push('mode');
  if (desired.autoSplit && !remote.autoSplit) out.push('autoSplit');
  return out;
}

/** Whether `o` last synced (project, configName) successfully: it holds that claim now. */
export function holdsClaim(o: AliyunLogConfig, project: string, configName: string): boolean {
  return o.status?.statusCode === 200 && o.status.project === project && o.status.configName === configName;
}

/**
 * Orders objects claiming the same (project, configName): the one holding it now first (so
 * a working object is never displaced, even by an older one whose claim only became valid
 * later), then the oldest (creationTimestamp), then by uid — the same answer on every
 * replica and every reconcile.
 */
export function compareClaims(a: AliyunLogConfig, b: AliyunLogConfig, project: string, configName: string): number {
  const ha = holdsClaim(a, project, configName);
  const hb = holdsClaim(b, project, configName);
  if (ha !== hb) return ha ? -1 : 1;
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.uid ?? '').localeCompare(b.metadata.uid ?? '');
}

/** The winner among claimants of (project, configName) (non-empty), by {@link compareClaims}. */
export function claimWinner(claimants: readonly AliyunLogConfig[], project: string, configName: string): AliyunLogConfig {
  return [...claimants].sort((a, b) => compareClaims(a, b, project, configName))[0];
}

/** `namespace/name` of an object. */
export function refOf(obj: AliyunLogConfig): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}
