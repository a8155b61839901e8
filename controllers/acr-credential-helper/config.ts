/**
 * The ACR credential helper's configuration: the ConfigMap `kube-system/acr-configuration`
 * (keys and defaults as Alibaba Cloud's aliyun-acr-credential-helper) and the plugin's flags.
 * Parsing is pure: a bad key becomes an `AcrConfigError` naming the key, so the controller
 * can keep the last good configuration and say why in an Event.
 */
import { Option } from '../shared/index.js';
import { parseYaml } from '../shared/index.js';
import { parseDuration as parseGoDuration } from '../shared/index.js';

/** One registry instance to log in to (an entry of `acr-registry-info`). */
export interface RegistryEntry {
  /** ACR Enterprise Edition instance id; empty = the region's Personal Edition registry (as ACK documents) */
  instanceId?: string;
  /** region of the instance; empty = the cluster's region (`--region-id`) */
  regionId?: string;
  /** registry domains to write into the Secret; empty = the instance's enabled internet + intranet endpoints (Personal Edition: registry[-vpc].<region>.aliyuncs.com) */
  domains: string[];
  /** obtain the token as this RAM role (STS AssumeRole); the token then expires no later than the role session */
  assumeRoleARN?: string;
  /** role session length for `assumeRoleARN`, in seconds (STS allows 900..43200; default 3600) */
  expireDurationSeconds?: number;
  /** AccessKey pair for this instance instead of the controller's own credentials */
  customAccessKey?: string;
  customAccessKeySecret?: string;
  /**
   * Cross-account pulls with RRSA (ACK's "Pull images across accounts"): the cluster's own RAM
   * role (account A) assumed with the pod's OIDC token through the cluster's OIDC provider
   * (STS AssumeRoleWithOIDC); `assumeRoleARN` (account B) is then assumed from that role.
   */
  rrsaRoleARN?: string;
  /** the ARN of the cluster's RRSA OIDC provider (`acs:ram::<account>:oidc-provider/ack-rrsa-<cluster-id>`) */
  rrsaOIDCProviderRoleARN?: string;
}

export interface WebhookConfig {
  enable: boolean;
  failurePolicy: 'Ignore' | 'Fail';
  timeoutSeconds: number;
}

export interface AcrConfig {
  /** `watch-namespace: all` */
  allNamespaces: boolean;
  /** the comma list of `watch-namespace` (empty when `all`) */
  namespaces: string[];
  /** `service-account: "*"` */
  allServiceAccounts: boolean;
  serviceAccounts: string[];
  /** `expiring-threshold` in ms */
  expiringThresholdMs: number;
  /** `acr-registry-info`; `[{ domains: [] }]` (the region's Personal Edition registry) when empty */
  registries: RegistryEntry[];
  apiVersion: string;
  webhook: WebhookConfig;
  /**
   * Keys (and acr-registry-info fields) this helper does not know: reported as a Warning Event,
   * never a reason to reject the ConfigMap (ACK's component may grow keys before this one does).
   */
  unknownKeys: string[];
}

export const CONFIG_KEYS = ['watch-namespace', 'service-account', 'expiring-threshold', 'acr-registry-info', 'acr-api-version', 'webhook-configuration'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
/**
 * Keys ACK documents that need nothing from this helper: `notify-email` ("No configuration is
 * required"). Accepted without a warning.
 */
export const IGNORED_CONFIG_KEYS = ['notify-email'] as const;
/** The fields of an `acr-registry-info` item, as ACK documents them (plus the AccessKey pair of the self-managed edition). */
export const REGISTRY_FIELDS = [
  'instanceId', 'regionId', 'domains', 'assumeRoleARN', 'expireDuration', 'rrsaRoleARN', 'rrsaOIDCProviderRoleARN', 'customAccessKey', 'customAccessKeySecret',
] as const;

export const CONFIG_DEFAULTS = {
  watchNamespace: 'default',
  serviceAccount: 'default',
  expiringThreshold: '15m',
  apiVersion: '2018-12-01',
} as const;

/** The only Container Registry API version the adapter speaks (Enterprise Edition). */
export const SUPPORTED_API_VERSIONS = ['2018-12-01'];

/** A ConfigMap key whose value cannot be used; the message never contains the value of a secret field. */
export class AcrConfigError extends Error {
  override readonly name = 'AcrConfigError';
  constructor(readonly key: ConfigKey, readonly reason: string) {
    super(`${key}: ${reason}`);
  }
}

/**
 * Go `time.ParseDuration` syntax (`15m`, `1h30m`, `4.5s`, `500ms`) to milliseconds. Negative values are not durations here
 * (kept as this controller has always read them); the grammar lives in controllers/shared.
 */
export function parseDuration(text: string): number {
  return parseGoDuration(text, { allowNegative: false });
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function commaList(v: string): string[] {
  return [...new Set(v.split(',').map((x) => x.trim()).filter(Boolean))];
}

function str(v: unknown, field: string, i: number): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') throw new AcrConfigError('acr-registry-info', `item ${i}: ${field} must be a string`);
  return v.trim() || undefined;
}

function parseRegistryInfo(text: string, unknown: string[]): RegistryEntry[] {
  if (!text.trim()) return [{ domains: [] }];
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AcrConfigError('acr-registry-info', `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return [{ domains: [] }];
  if (!Array.isArray(doc)) throw new AcrConfigError('acr-registry-info', 'must be a YAML list of {instanceId, regionId, domains, ...}');
  const known = new Set<string>(REGISTRY_FIELDS);
  const out: RegistryEntry[] = [];
  doc.forEach((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new AcrConfigError('acr-registry-info', `item ${i} must be a map`);
    const o = item as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!known.has(k)) unknown.push(`acr-registry-info item ${i}: ${k}`);
    let domains: string[] = [];
    if (Array.isArray(o.domains)) {
      domains = o.domains.map((d, j) => {
        if (typeof d !== 'string' || !d.trim()) throw new AcrConfigError('acr-registry-info', `item ${i}: domains[${j}] must be a non-empty string`);
        return d.trim();
      });
    } else if (typeof o.domains === 'string') domains = commaList(o.domains);
    else if (o.domains !== undefined && o.domains !== null) throw new AcrConfigError('acr-registry-info', `item ${i}: domains must be a list of registry host names`);
    for (const d of domains) {
      if (/[/\s]/.test(d)) throw new AcrConfigError('acr-registry-info', `item ${i}: "${d}" is not a registry host name (host or host:port, no scheme or path)`);
    }
    const e: RegistryEntry = {
      instanceId: str(o.instanceId, 'instanceId', i), regionId: str(o.regionId, 'regionId', i), domains,
      assumeRoleARN: str(o.assumeRoleARN, 'assumeRoleARN', i),
      customAccessKey: str(o.customAccessKey, 'customAccessKey', i), customAccessKeySecret: str(o.customAccessKeySecret, 'customAccessKeySecret', i),
      rrsaRoleARN: str(o.rrsaRoleARN, 'rrsaRoleARN', i), rrsaOIDCProviderRoleARN: str(o.rrsaOIDCProviderRoleARN, 'rrsaOIDCProviderRoleARN', i),
    };
    if (e.instanceId && !/^[A-Za-z0-9_-]+$/.test(e.instanceId)) throw new AcrConfigError('acr-registry-info', `item ${i}: instanceId "${e.instanceId}" is not an instance id (e.g. cri-xxxxxxxx)`);
    if (e.regionId && !/^[a-z]{2}(-[a-z0-9]+)+$/.test(e.regionId)) throw new AcrConfigError('acr-registry-info', `item ${i}: regionId "${e.regionId}" is not a region id (e.g. cn-hangzhou)`);
    if (e.assumeRoleARN && !/^acs:ram::\d+:role\/.+$/.test(e.assumeRoleARN)) {
      throw new AcrConfigError('acr-registry-info', `item ${i}: assumeRoleARN "${e.assumeRoleARN}" is not a role ARN (acs:ram::<account>:role/<name>)`);
    }
    if (e.rrsaRoleARN && !/^acs:ram::\d+:role\/.+$/.test(e.rrsaRoleARN)) {
      throw new AcrConfigError('acr-registry-info', `item ${i}: rrsaRoleARN "${e.rrsaRoleARN}" is not a role ARN (acs:ram::<account>:role/<name>)`);
    }
    if (e.rrsaOIDCProviderRoleARN && !/^acs:ram::\d+:oidc-provider\/.+$/.test(e.rrsaOIDCProviderRoleARN)) {
      throw new AcrConfigError('acr-registry-info', `item ${i}: rrsaOIDCProviderRoleARN "${e.rrsaOIDCProviderRoleARN}" is not an OIDC provider ARN (acs:ram::<account>:oidc-provider/<name>)`);
    }
    if (!!e.rrsaRoleARN !== !!e.rrsaOIDCProviderRoleARN) {
      throw new AcrConfigError('acr-registry-info', `item ${i}: rrsaRoleARN and rrsaOIDCProviderRoleARN must be set together (the cluster's role and its RRSA OIDC provider)`);
    }
    if (e.rrsaRoleARN && e.customAccessKey) {
      throw new AcrConfigError('acr-registry-info', `item ${i}: rrsaRoleARN and customAccessKey are two ways to authenticate; set one`);
    }
    if (!!e.customAccessKey !== !!e.customAccessKeySecret) {
      // never echo either value: one of them is a secret
      throw new AcrConfigError('acr-registry-info', `item ${i}: customAccessKey and customAccessKeySecret must be set together`);
    }
    if (o.expireDuration !== undefined && o.expireDuration !== null && o.expireDuration !== '') {
      let secs: number;
      if (typeof o.expireDuration === 'number') secs = o.expireDuration;
      else if (typeof o.expireDuration === 'string' && /^\d+$/.test(o.expireDuration.trim())) secs = Number(o.expireDuration);
      else if (typeof o.expireDuration === 'string') {
        try { secs = parseDuration(o.expireDuration) / 1000; } catch (err) { throw new AcrConfigError('acr-registry-info', `item ${i}: expireDuration ${(err as Error).message}`); }
      } else throw new AcrConfigError('acr-registry-info', `item ${i}: expireDuration must be seconds or a duration`);
      if (!Number.isInteger(secs) || secs < 900 || secs > 43200) {
        throw new AcrConfigError('acr-registry-info', `item ${i}: expireDuration must be a whole number of seconds between 900 and 43200 (the STS role session limits), got ${o.expireDuration}`);
      }
      e.expireDurationSeconds = secs;
    }
    out.push(e);
  });
  return out.length ? out : [{ domains: [] }];
}

function parseWebhook(text: string | undefined): WebhookConfig {
  const def: WebhookConfig = { enable: false, failurePolicy: 'Ignore', timeoutSeconds: 10 };
  if (!text?.trim()) return def;
  let doc: unknown;
  try { doc = parseYaml(text); } catch (err) {
    throw new AcrConfigError('webhook-configuration', `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return def;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new AcrConfigError('webhook-configuration', 'must be a YAML map {enable, failure-policy, timeout-seconds}');
  const o = doc as Record<string, unknown>;
  const enable = o.enable === undefined ? false : o.enable === true || o.enable === 'true' ? true : o.enable === false || o.enable === 'false' ? false : undefined;
  if (enable === undefined) throw new AcrConfigError('webhook-configuration', 'enable must be true or false');
  const fp = o['failure-policy'] ?? 'Ignore';
  if (fp !== 'Ignore' && fp !== 'Fail') throw new AcrConfigError('webhook-configuration', `failure-policy must be Ignore or Fail, got "${String(fp)}"`);
  const ts = o['timeout-seconds'] ?? 10;
  const t = Number(ts);
  if (!Number.isInteger(t) || t < 1 || t > 30) throw new AcrConfigError('webhook-configuration', `timeout-seconds must be an integer from 1 to 30, got "${String(ts)}"`);
  return { enable, failurePolicy: fp, timeoutSeconds: t };
}

/** Parses the ConfigMap's data; throws `AcrConfigError` naming the first bad key. */
export function parseAcrConfig(data: Readonly<Record<string, string>> | undefined): AcrConfig {
  const d = data ?? {};
  const get = (k: ConfigKey) => (typeof d[k] === 'string' ? d[k].trim() : undefined);

  const wn = get('watch-namespace') || CONFIG_DEFAULTS.watchNamespace;
  const allNamespaces = wn === 'all';
  const namespaces = allNamespaces ? [] : commaList(wn);
  if (!allNamespaces) {
    if (!namespaces.length) throw new AcrConfigError('watch-namespace', 'must be "all" or a comma list of namespaces');
    for (const n of namespaces) {
      if (n === 'all') throw new AcrConfigError('watch-namespace', '"all" cannot be combined with namespace names');
      if (!DNS_LABEL.test(n)) throw new AcrConfigError('watch-namespace', `"${n}" is not a namespace name`);
    }
  }

  const sa = get('service-account') || CONFIG_DEFAULTS.serviceAccount;
  const allServiceAccounts = sa === '*';
  const serviceAccounts = allServiceAccounts ? [] : commaList(sa);
  if (!allServiceAccounts) {
    if (!serviceAccounts.length) throw new AcrConfigError('service-account', 'must be "*" or a comma list of ServiceAccount names');
    for (const n of serviceAccounts) {
      if (n === '*') throw new AcrConfigError('service-account', '"*" cannot be combined with ServiceAccount names');
      if (!DNS_SUBDOMAIN.test(n)) throw new AcrConfigError('service-account', `"${n}" is not a ServiceAccount name`);
    }
  }

  let expiringThresholdMs: number;
  try {
    expiringThresholdMs = parseDuration(get('expiring-threshold') || CONFIG_DEFAULTS.expiringThreshold);
  } catch (err) {
    throw new AcrConfigError('expiring-threshold', (err as Error).message);
  }
  if (expiringThresholdMs < 0) throw new AcrConfigError('expiring-threshold', 'must not be negative');

  const unknownKeys = Object.keys(d).filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k) && !(IGNORED_CONFIG_KEYS as readonly string[]).includes(k));
  const registries = parseRegistryInfo(get('acr-registry-info') ?? '', unknownKeys);
  const apiVersion = get('acr-api-version') || CONFIG_DEFAULTS.apiVersion;
  if (!SUPPORTED_API_VERSIONS.includes(apiVersion)) {
    throw new AcrConfigError('acr-api-version', `"${apiVersion}" is not supported (supported: ${SUPPORTED_API_VERSIONS.join(', ')}, the Enterprise Edition API)`);
  }
  const webhook = parseWebhook(get('webhook-configuration'));
  return { allNamespaces, namespaces, allServiceAccounts, serviceAccounts, expiringThresholdMs, registries, apiVersion, webhook, unknownKeys };
}

export function namespaceWatched(c: AcrConfig, ns: string): boolean {
  return c.allNamespaces || c.namespaces.includes(ns);
}

export function serviceAccountSelected(c: AcrConfig, name: string): boolean {
  return c.allServiceAccounts || c.serviceAccounts.includes(name);
}

/** Stable identity of a registry entry's cloud access (region, role, key): entries sharing it share a client. */
export function accessKey(e: RegistryEntry, defaultRegion: string): string {
  return [e.regionId ?? defaultRegion, e.assumeRoleARN ?? '', e.expireDurationSeconds ?? '', e.customAccessKey ?? '', e.rrsaRoleARN ?? '', e.rrsaOIDCProviderRoleARN ?? ''].join('|');
}

// ---------------- flags ----------------

export const FLAG_DEFAULTS = {
  configMapName: 'acr-configuration',
  configMapNamespace: 'kube-system',
  secretName: 'acr-credential-kubeloop',
} as const;

export interface AcrFlags {
  configMapName: string;
  configMapNamespace: string;
  secretName: string;
  recreateStuckPods: boolean;
  /** `--acr-webhook`: serve the mutating admission webhook (Pods, ServiceAccounts); it acts while the ConfigMap's `webhook-configuration` has `enable: true` */
  webhook: boolean;
  regionId?: string;
}

function parseBool(v: string): boolean {
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new Error(`"${v}" is not a boolean (true or false)`);
}

export function acrFlags(): Option[] {
  return [
    new Option('--acr-configmap-name <name>', 'name of the ConfigMap with the ACR credential helper configuration').default(FLAG_DEFAULTS.configMapName),
    new Option('--acr-configmap-namespace <ns>', 'namespace of that ConfigMap').default(FLAG_DEFAULTS.configMapNamespace),
    new Option('--acr-secret-name <name>', 'name of the kubernetes.io/dockerconfigjson Secret kept in every watched namespace').default(FLAG_DEFAULTS.secretName),
    new Option('--recreate-stuck-pods [bool]', 'delete pods (owned by a controller such as a ReplicaSet) stuck in ErrImagePull/ImagePullBackOff for a registry we serve because they were created before their ServiceAccount referenced our Secret; their owner recreates them with it')
      .default(false).argParser(parseBool),
    new Option('--acr-webhook [bool]', 'serve the mutating admission webhook that gives pods and ServiceAccounts created in watched namespaces the pull Secret at creation (it acts while the ConfigMap\'s webhook-configuration has enable: true; register it with a MutatingWebhookConfiguration, as the chart does)')
      .default(false).argParser(parseBool),
  ];
}

/** Validates the plugin's flags (commander's camelCase names). */
export function parseAcrFlags(flags: Readonly<Record<string, unknown>>): AcrFlags {
  const s = (k: string, def: string) => {
    const v = flags[k];
    return typeof v === 'string' && v.trim() ? v.trim() : def;
  };
  const out: AcrFlags = {
    configMapName: s('acrConfigmapName', FLAG_DEFAULTS.configMapName),
    configMapNamespace: s('acrConfigmapNamespace', FLAG_DEFAULTS.configMapNamespace),
    secretName: s('acrSecretName', FLAG_DEFAULTS.secretName),
    recreateStuckPods: flags.recreateStuckPods === true || flags.recreateStuckPods === 'true',
    webhook: flags.acrWebhook === true || flags.acrWebhook === 'true',
    regionId: typeof flags.regionId === 'string' && flags.regionId ? flags.regionId : undefined,
  };
  if (!DNS_SUBDOMAIN.test(out.configMapName)) throw new Error(`--acr-configmap-name: "${out.configMapName}" is not a ConfigMap name`);
  if (!DNS_LABEL.test(out.configMapNamespace)) throw new Error(`--acr-configmap-namespace: "${out.configMapNamespace}" is not a namespace name`);
  if (!DNS_SUBDOMAIN.test(out.secretName)) throw new Error(`--acr-secret-name: "${out.secretName}" is not a Secret name`);
  return out;
}
