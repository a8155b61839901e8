/**
 * The log-config controller's flags and their validation. `parseLogConfigFlags` turns
 * commander's parsed values into a {@link LogConfigSettings} or throws an Error whose message
 * says how to fix the value.
 */
import { Option } from '../shared/index.js';
import { parseDuration as parseGoDuration } from '../shared/index.js';

export interface LogConfigSettings {
  /** `--log-config-configmap` (default `alibaba-log-configuration`): cluster defaults */
  configMapName: string;
  /** `--log-config-configmap-namespace` (default `kube-system`) */
  configMapNamespace: string;
  /** `--log-config-drift-check-period` (default 5m): in-sync objects are compared with SLS this often */
  driftCheckPeriodMs: number;
  /** `--log-config-backoff-base` (default 10s): a failing object waits base x consecutive failures */
  backoffBaseMs: number;
  /** `--log-config-backoff-max` (default 900s): the longest wait after failures */
  backoffMaxMs: number;
  /** `--log-config-max-concurrent-reconciles` (default 2) */
  maxConcurrentReconciles: number;
}

export const DEFAULTS = {
  configMapName: 'alibaba-log-configuration',
  configMapNamespace: 'kube-system',
  driftCheckPeriod: '5m',
  backoffBase: '10s',
  backoffMax: '900s',
  maxConcurrentReconciles: 2,
} as const;

/**
 * Go duration syntax (`5m`, `1m30s`, `500ms`) to milliseconds. Negative values are not durations here
 * (kept as this controller has always read them); the grammar lives in controllers/shared.
 */
export function parseDuration(text: string): number {
  return parseGoDuration(text, { allowNegative: false });
}

/** The plugin's flags; defaults in the help text. Names are prefixed: `run all` shares one command line. */
export function logConfigFlags(): Option[] {
  return [
    new Option('--log-config-configmap <name>', 'ConfigMap with the cluster defaults (keys log-project, log-machine-group)').default(DEFAULTS.configMapName),
    new Option('--log-config-configmap-namespace <ns>', 'namespace of that ConfigMap').default(DEFAULTS.configMapNamespace),
    new Option('--log-config-drift-check-period <duration>', 'compare in-sync AliyunLogConfigs with SLS this often and repair drift').default(DEFAULTS.driftCheckPeriod),
    new Option('--log-config-backoff-base <duration>', 'a failing AliyunLogConfig is retried after base x consecutive failures').default(DEFAULTS.backoffBase),
    new Option('--log-config-backoff-max <duration>', 'the longest wait between retries of a failing AliyunLogConfig').default(DEFAULTS.backoffMax),
    new Option('--log-config-max-concurrent-reconciles <n>', 'AliyunLogConfigs reconciled in parallel').default(String(DEFAULTS.maxConcurrentReconciles)),
  ];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Validates the parsed flags (keys as commander's camelCase attribute names). */
export function parseLogConfigFlags(flags: Readonly<Record<string, unknown>>): LogConfigSettings {
  const str = (k: string, def: string | number): string => {
    const v = flags[k];
    return v === undefined || v === null || v === '' ? String(def) : String(v);
  };
  const duration = (flag: string, key: string, def: string, allowZero = false): number => {
    let ms: number;
    try {
      ms = parseDuration(str(key, def));
    } catch (err) {
      throw new Error(`${flag}: ${(err as Error).message}`);
    }
    if (ms < 0 || (!allowZero && ms === 0)) throw new Error(`${flag} must be positive (default ${def})`);
    return ms;
  };
  const configMapName = str('logConfigConfigmap', DEFAULTS.configMapName);
  if (!DNS_SUBDOMAIN.test(configMapName) || configMapName.length > 253) throw new Error(`--log-config-configmap "${configMapName}" is not a valid ConfigMap name`);
  const configMapNamespace = str('logConfigConfigmapNamespace', DEFAULTS.configMapNamespace);
  if (!DNS_LABEL.test(configMapNamespace)) throw new Error(`--log-config-configmap-namespace "${configMapNamespace}" is not a valid namespace name`);
  const driftCheckPeriodMs = duration('--log-config-drift-check-period', 'logConfigDriftCheckPeriod', DEFAULTS.driftCheckPeriod);
  const backoffBaseMs = duration('--log-config-backoff-base', 'logConfigBackoffBase', DEFAULTS.backoffBase);
  const backoffMaxMs = duration('--log-config-backoff-max', 'logConfigBackoffMax', DEFAULTS.backoffMax);
  if (backoffMaxMs < backoffBaseMs) throw new Error(`--log-config-backoff-max (${str('logConfigBackoffMax', DEFAULTS.backoffMax)}) must not be below --log-config-backoff-base (${str('logConfigBackoffBase', DEFAULTS.backoffBase)})`);
  const mcrText = str('logConfigMaxConcurrentReconciles', DEFAULTS.maxConcurrentReconciles);
  const maxConcurrentReconciles = Number(mcrText);
  if (!Number.isInteger(maxConcurrentReconciles) || maxConcurrentReconciles < 1 || maxConcurrentReconciles > 64) {
    throw new Error(`--log-config-max-concurrent-reconciles must be an integer from 1 to 64, got "${mcrText}"`);
  }
  return { configMapName, configMapNamespace, driftCheckPeriodMs, backoffBaseMs, backoffMaxMs, maxConcurrentReconciles };
}

/** The wait before retrying after `failures` consecutive failures (>= 1): base x failures, capped. */
export function backoffDelay(settings: Pick<LogConfigSettings, 'backoffBaseMs' | 'backoffMaxMs'>, failures: number): number {
  return Math.min(settings.backoffMaxMs, settings.backoffBaseMs * Math.max(1, failures));
}
