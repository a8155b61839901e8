/**
 * The log-config controller plugin (`kubeloop run log-config`): AliyunLogConfig objects
 * become SLS projects, logstores, indexes, logtail configs and machine group bindings.
 * See docs/controllers/log-config.md.
 */
import { ContainerModule, type Manager } from 'kubeloop';
import { metricsRegistry, type Registry } from 'kubeloop';
import { cloudFlags, cloudOf, validateCloudFlags, type AckPluginEnv, type ControllerPlugin } from '../shared/index.js';
import { logConfigFlags, parseLogConfigFlags } from './config.js';
import { LOG_CONFIG_DEPS, LogConfigController, controllerFor, type LogConfigDeps } from './controller.js';
import { logConfigMetrics } from './metrics.js';

export { AliyunLogConfig, SPEC_DEFAULTS, PROJECT_NAME_PATTERN, SLS_NAME_PATTERN } from './types.js';
export type { AliyunLogConfigSpec, AliyunLogConfigStatus } from './types.js';
export {
  LogConfigController, controllerFor, controllerOptions, claimChanged, StepError, LOG_CONFIG_DEPS, CONTROLLER_NAME, FINALIZER,
  CONFIG_NAME_INDEX, PEERS_NAMESPACE, DEFAULTS_REQUEST, MANAGED_TAG, EVENT_PREFIX, CONDITION_READY, CONFLICT_CODE,
  SKIP_CLEANUP_ANNOTATION,
} from './controller.js';
export type { LogConfigDeps } from './controller.js';
export { logConfigFlags, parseLogConfigFlags, parseDuration, backoffDelay, DEFAULTS } from './config.js';
export type { LogConfigSettings } from './config.js';
export {
  desiredState, configDrift, logstoreDrift, semanticEqual, defaultIndex, defaultsFromConfigMap, claimWinner, compareClaims, holdsClaim,
  SpecError, SERVICE_INPUT_DEFAULTS, CONFIGMAP_PROJECT_KEY, CONFIGMAP_MACHINE_GROUP_KEY,
} from './desired.js';
export type { ClusterDefaults, DesiredState } from './desired.js';
export { logConfigMetrics, type LogConfigMetrics } from './metrics.js';

function setup(manager: Manager, env: AckPluginEnv): void {
  const settings = parseLogConfigFlags(env.flags);
  const cloud = cloudOf(env, 'the log-config controller');
  const log = env.logger.child({ component: 'log-config' });
  const registry: Registry = manager.registry ?? metricsRegistry;
  const deps: LogConfigDeps = { settings, sls: cloud.sls, metrics: logConfigMetrics(registry), log };
  log.info({
    configMap: `${settings.configMapNamespace}/${settings.configMapName}`, driftCheckPeriodMs: settings.driftCheckPeriodMs,
    backoffBaseMs: settings.backoffBaseMs, backoffMaxMs: settings.backoffMaxMs, workers: settings.maxConcurrentReconciles,
  }, 'log-config controller configured');
  manager.register(controllerFor(settings), new ContainerModule(({ bind }) => { bind(LOG_CONFIG_DEPS).toConstantValue(deps); }));
}

export const plugin: ControllerPlugin = {
  name: 'log-config',
  description: 'AliyunLogConfig objects -> SLS project, logstore, index, logtail config and machine groups',
  flags: () => [...logConfigFlags(), ...cloudFlags()],
  validateFlags: (flags) => {
    parseLogConfigFlags(flags);
    validateCloudFlags(flags);
  },
  controllers: [LogConfigController],
  setup,
};
