/**
 * The cluster autoscaler plugin (`kubeloop run cluster-autoscaler --nodes 1:10:<group>`):
 * grows ESS scaling groups for unschedulable pods and removes unneeded nodes.
 * See docs/controllers/cluster-autoscaler.md.
 */
import { ContainerModule, type Manager } from 'kubeloop';
import { metricsRegistry, type Registry } from 'kubeloop';
import { cloudFlags, cloudOf, validateCloudFlags, type AckPluginEnv, type ControllerPlugin, type PluginHandle } from '../shared/index.js';
import { autoscalerFlags, parseAutoscalerConfig } from './config.js';
import { AUTOSCALER_DEPS, ClusterAutoscalerController, type AutoscalerDeps } from './controller.js';
import { autoscalerMetrics } from './metrics.js';

export {
  ClusterAutoscalerController, AutoscalerState, AUTOSCALER_DEPS, CONTROLLER_NAME, LOOP_KEY, type AutoscalerDeps,
} from './controller.js';
export {
  autoscalerFlags, parseAutoscalerConfig, parseDuration, parseRange, parseNodeGroupSpec, parseAutoDiscovery, DEFAULTS, PRIORITY_CONFIGMAP,
  type AutoscalerConfig, type StaticGroupSpec,
} from './config.js';
export {
  planScaleUp, planScaleDown, binpack, expand, wasteScore, groupPriority, parsePriorities, noScaleUpMessage, utilizationOf, upcomingCount, usageByNode,
  EXPANDERS, type ExpanderName, type PlannerOptions, type ScaleUpPlan, type ScaleUpOption, type ScaleDownPlan, type NodeToRemove, type UnremovableReason, type Range,
} from './planner.js';
export { drainability, pdbsFor, BLOCK_MESSAGES, type BlockReason, type DrainVerdict } from './drain.js';
export {
  podInfo, nodeInfo, pdbInfo, templateNode, podRequests, parseQuantity, instanceIdFromProviderId,
  TO_BE_DELETED_TAINT, SCALE_DOWN_DISABLED_ANNOTATION, SAFE_TO_EVICT_ANNOTATION, MIRROR_ANNOTATION, EXPENDABLE_PRIORITY_CUTOFF,
  type ClusterSnapshot, type PodInfo, type NodeInfo, type PdbInfo, type GroupInfo, type Res, type TemplateInput,
} from './model.js';
export { staticMismatch, matchesNodeSelector, tolerates, FitCache } from './predicates.js';
export { NodeGroupSource, type GroupState } from './groups.js';
export { StatusTracker, healthOf, type ClusterStatus, type GroupStatus, type NodeCounts } from './status.js';
export { autoscalerMetrics, type AutoscalerMetrics } from './metrics.js';

async function setup(manager: Manager, env: AckPluginEnv): Promise<PluginHandle> {
  const config = parseAutoscalerConfig(env.flags);
  const cloud = cloudOf(env, 'the cluster autoscaler');
  const log = env.logger.child({ component: 'cluster-autoscaler' });
  const registry: Registry = manager.registry ?? metricsRegistry;
  const deps: AutoscalerDeps = { config, ess: cloud.scaling, region: cloud.regionId, metrics: autoscalerMetrics(registry), log };
  log.info({
    nodes: config.nodes.map((n) => `${n.min}:${n.max}:${n.id}`), autoDiscovery: config.autoDiscovery, expander: config.expander,
    scanIntervalMs: config.scanIntervalMs, scaleDownEnabled: config.scaleDownEnabled,
  }, 'cluster autoscaler configured');
  manager.register(ClusterAutoscalerController, new ContainerModule(({ bind }) => { bind(AUTOSCALER_DEPS).toConstantValue(deps); }));
  return { async stop() { await deps.controller?.idle(); } };
}

export const plugin: ControllerPlugin = {
  name: 'cluster-autoscaler',
  description: 'add nodes to ESS scaling groups for unschedulable pods and remove unneeded nodes',
  flags: () => [...autoscalerFlags(), ...cloudFlags()],
  validateFlags: (flags) => {
    parseAutoscalerConfig(flags);
    validateCloudFlags(flags);
  },
  controllers: [ClusterAutoscalerController],
  setup,
};
