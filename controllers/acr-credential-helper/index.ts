/**
 * The ACR credential helper plugin (`kubeloop run acr-credential-helper`): pull secrets for
 * Alibaba Cloud Container Registry in every watched namespace, kept fresh.
 * See docs/controllers/acr-credential-helper.md.
 */
import { ContainerModule, type Manager } from 'kubeloop';
import {
  alibabaCloudOptionsFromEnv, assumeRoleWithOidc, createAlibabaCloud, defaultEndpoints, emulatorEndpoints, type AlibabaCloud, type RegistryApi,
} from '../cloud/index.js';
import { metricsRegistry, type Registry } from 'kubeloop';
import { cloudFlags, cloudOf, validateCloudFlags, type AckPluginEnv, type ControllerPlugin } from '../shared/index.js';
import { acrFlags, accessKey, parseAcrFlags, FLAG_DEFAULTS, type RegistryEntry } from './config.js';
import { ACR_DEPS, AcrCredentialController, AcrStuckPodController, ConfigState, acrControllerClass, type AcrDeps } from './controller.js';
import { CredentialStore } from './credentials.js';
import { acrMetrics } from './metrics.js';
import { ACR_WEBHOOKS } from './webhook.js';

export {
  AcrCredentialController, AcrStuckPodController, ConfigState, ACR_DEPS, CONTROLLER_NAME, STUCK_POD_CONTROLLER_NAME, MANAGED_LABEL,
  DOCKER_CONFIG_KEY, SECRET_TYPE, acrControllerClass, mergePullSecrets, newPullSecret, stuckImages, stuckPodVerdict, registryHost,
} from './controller.js';
export type { AcrDeps, ConfigView, StuckPodVerdict, AcrCredentialControllerClass } from './controller.js';
export {
  parseAcrConfig, parseAcrFlags, parseDuration, acrFlags, namespaceWatched, serviceAccountSelected, AcrConfigError,
  CONFIG_KEYS, CONFIG_DEFAULTS, FLAG_DEFAULTS, SUPPORTED_API_VERSIONS,
} from './config.js';
export type { AcrConfig, AcrFlags, RegistryEntry, WebhookConfig, ConfigKey } from './config.js';
export { CredentialStore, dockerConfigJson } from './credentials.js';
export type { RegistryCredentials, ResolvedRegistry, CredentialStoreOptions } from './credentials.js';
export { acrMetrics, type AcrMetrics } from './metrics.js';
export { AcrPodWebhook, AcrServiceAccountWebhook, ACR_WEBHOOKS, CREDENTIALS_WAIT_MS, WEBHOOK_TIMEOUT_SECONDS, webhookVerdict, type WebhookVerdict } from './webhook.js';

export interface AcrSetupOptions {
  /**
   * The Container Registry API for a registry entry. Default: `env.cloud.registry` for entries
   * in the cluster's region without their own role or keys; otherwise a client for the entry's
   * region built from the same environment (emulator URL, credential chain), with the
   * entry's `customAccessKey` pair, or its `rrsaRoleARN` assumed with the pod's RRSA OIDC token
   * (`ALIBABA_CLOUD_OIDC_TOKEN_FILE`, which ACK mounts when RRSA is on), and/or acting as its
   * `assumeRoleARN`.
   */
  apiFor?: (entry: RegistryEntry) => RegistryApi;
  /** back-off after a failed token refresh (default 1 s doubling to 30 s) */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

function defaultApiFor(cloud: AlibabaCloud, flags: Readonly<Record<string, unknown>>): (entry: RegistryEntry) => RegistryApi {
  const clients = new Map<string, RegistryApi>();
  return (entry) => {
    const region = entry.regionId ?? cloud.regionId;
    if (region === cloud.regionId && !entry.assumeRoleARN && !entry.customAccessKey && !entry.rrsaRoleARN) return cloud.registry;
    const key = accessKey(entry, cloud.regionId);
    let api = clients.get(key);
    if (!api) {
      const emulator = typeof flags.cloudEmulator === 'string' && flags.cloudEmulator ? flags.cloudEmulator : undefined;
      const base = alibabaCloudOptionsFromEnv(process.env, { regionId: region, ...(emulator ? { emulator } : {}) });
      const sts = base.endpoints?.sts || (base.emulator ? emulatorEndpoints(base.emulator) : defaultEndpoints(region)).sts;
      api = createAlibabaCloud({
        ...base,
        regionId: region,
        credentials: entry.customAccessKey ? { accessKeyId: entry.customAccessKey, accessKeySecret: entry.customAccessKeySecret! }
          : entry.rrsaRoleARN ? assumeRoleWithOidc({
            roleArn: entry.rrsaRoleARN, oidcProviderArn: entry.rrsaOIDCProviderRoleARN!, tokenFile: rrsaTokenFile(),
            roleSessionName: 'kubeloop-acr-credential-helper', endpoint: sts, regionId: region,
          })
            : base.credentials,
        assumeRole: entry.assumeRoleARN
          ? { roleArn: entry.assumeRoleARN, roleSessionName: 'kubeloop-acr-credential-helper', durationSeconds: entry.expireDurationSeconds }
          : undefined,
      }).registry;
      clients.set(key, api);
    }
    return api;
  };
}

/** The RRSA OIDC token ACK mounts into pods of clusters with RRSA enabled (the error says what is missing). */
function rrsaTokenFile(): string {
  const f = process.env.ALIBABA_CLOUD_OIDC_TOKEN_FILE;
  if (!f) throw new Error('rrsaRoleARN needs RRSA: ALIBABA_CLOUD_OIDC_TOKEN_FILE is not set in this pod (enable RRSA for the cluster and the controller\'s ServiceAccount)');
  return f;
}

/** `setup` with test seams (how registry APIs are made, back-off). */
export async function setupAcrCredentialHelper(manager: Manager, env: AckPluginEnv, opts: AcrSetupOptions = {}): Promise<void> {
  const flags = parseAcrFlags(env.flags);
  const cloud = opts.apiFor ? env.cloud : cloudOf(env, 'the ACR credential helper');
  const log = env.logger.child({ component: 'acr-credential-helper' });
  const registry: Registry = manager.registry ?? metricsRegistry;
  const defaultRegion = cloud?.regionId ?? flags.regionId ?? '';
  const store = new CredentialStore({
    apiFor: opts.apiFor ?? defaultApiFor(cloud!, env.flags),
    defaultRegion,
    metrics: acrMetrics(registry),
    baseBackoffMs: opts.baseBackoffMs,
    maxBackoffMs: opts.maxBackoffMs,
  });
  const deps: AcrDeps = { flags, store, state: new ConfigState(), log };
  const module = () => new ContainerModule(({ bind }) => { bind(ACR_DEPS).toConstantValue(deps); });
  const sameLocation = flags.configMapName === FLAG_DEFAULTS.configMapName && flags.configMapNamespace === FLAG_DEFAULTS.configMapNamespace;
  const main = sameLocation ? AcrCredentialController : acrControllerClass({ namespace: flags.configMapNamespace, name: flags.configMapName });
  manager.register(main, module());
  if (flags.recreateStuckPods) manager.register(AcrStuckPodController, module());
  if (flags.webhook) for (const w of ACR_WEBHOOKS) manager.register(w, module());
  log.info({
    configMap: `${flags.configMapNamespace}/${flags.configMapName}`, secretName: flags.secretName, recreateStuckPods: flags.recreateStuckPods, webhook: flags.webhook, region: defaultRegion,
  }, 'ACR credential helper configured');
}

export const plugin: ControllerPlugin = {
  name: 'acr-credential-helper',
  description: 'keep ACR pull secrets with fresh temporary credentials in watched namespaces and their ServiceAccounts',
  flags: () => [...acrFlags(), ...cloudFlags()],
  validateFlags: (flags) => {
    parseAcrFlags(flags);
    validateCloudFlags(flags);
  },
  controllers: [AcrCredentialController, AcrStuckPodController],
  webhooks: [...ACR_WEBHOOKS],
  setup: (manager, env) => setupAcrCredentialHelper(manager, env),
};
