/**
 * The route controller plugin (`kubeloop run route`): VPC routes for node pod CIDRs.
 * See docs/controllers/route.md.
 */
import { ContainerModule, type Manager } from 'kubeloop';
import type { VpcRouteApi } from '../cloud/index.js';
import { metricsRegistry, type Registry } from 'kubeloop';
import { cloudFlags, cloudOf, validateCloudFlags, type AckPluginEnv, type ControllerPlugin } from '../shared/index.js';
import { parseRouteConfig, routeFlags, type RouteConfig } from './config.js';
import { RouteController, ROUTE_DEPS, type RouteDeps } from './controller.js';
import { routeMetrics } from './metrics.js';
import { RouteState } from './state.js';

export { RouteController, ROUTE_DEPS, TABLE_KEY_NAMESPACE, CONTROLLER_NAME, routeRelevantChange, tableKey, isTransient } from './controller.js';
export type { RouteDeps } from './controller.js';
export { parseRouteConfig, parseDuration, routeFlags, DEFAULTS, MIN_RECOMMENDED_PERIOD_MS } from './config.js';
export type { RouteConfig } from './config.js';
export {
  plan, desiredRoutes, nodeRoutes, nodeCondition, podCidrs, instanceIdFromProviderId, isOwned, ownerDescription, routeEntryName,
  EXCLUDE_NODE_LABEL, CONDITION_TYPE, REASON_CREATED, REASON_NOT_CREATED, MESSAGE_CREATED,
} from './planner.js';
export type { DesiredRoute, RoutePlan, OwnerMark, NodeRoutes, TableVerdict, ConditionValue } from './planner.js';
export { parseIpv4Cidr, cidrContains } from './cidr.js';
export { routeMetrics, type RouteMetrics } from './metrics.js';
export { RouteState } from './state.js';

/**
 * The route tables to keep: `--route-table-ids` (each must exist), else the single route
 * table of `--vpc-id` (default: the region's only VPC). Errors say what to set.
 */
export async function resolveRouteTables(vpc: VpcRouteApi, config: Pick<RouteConfig, 'routeTableIds' | 'vpcId'>): Promise<string[]> {
  if (config.routeTableIds.length) {
    for (const id of config.routeTableIds) {
      const found = await vpc.listRouteTables({ routeTableId: id });
      if (!found.some((t) => t.routeTableId === id)) throw new Error(`--route-table-ids: route table ${id} does not exist in this region`);
    }
    return [...config.routeTableIds];
  }
  let vpcId = config.vpcId;
  if (!vpcId) {
    const vpcs = await vpc.describeVpcs();
    if (vpcs.length !== 1) {
      throw new Error(`found ${vpcs.length} VPCs in the region (${vpcs.map((v) => v.vpcId).join(', ') || 'none'}); set --vpc-id or --route-table-ids`);
    }
    vpcId = vpcs[0].vpcId;
  }
  const tables = await vpc.listRouteTables({ vpcId });
  if (tables.length === 0) throw new Error(`VPC ${vpcId} has no route table (does the VPC exist in this region?); set --route-table-ids`);
  if (tables.length > 1) {
    throw new Error(`VPC ${vpcId} has ${tables.length} route tables (${tables.map((t) => t.routeTableId).join(', ')}); `
      + 'choose with --route-table-ids (a comma list to keep several)');
  }
  return [tables[0].routeTableId];
}

async function setup(manager: Manager, env: AckPluginEnv): Promise<void> {
  const config = parseRouteConfig(env.flags);
  const log = env.logger.child({ component: 'route' });
  if (!config.configureCloudRoutes) {
    log.info({}, '--configure-cloud-routes=false: the route controller does nothing');
    return;
  }
  const cloud = cloudOf(env, 'the route controller');
  for (const w of config.warnings) log.warn({}, w);
  const tables = await resolveRouteTables(cloud.vpc, config);
  log.info({ routeTables: tables, clusterCidr: config.clusterCidrs.map((c) => c.text), cluster: config.clusterName, dryRun: config.dryRun }, 'route controller configured');
  const registry: Registry = manager.registry ?? metricsRegistry;
  const deps: RouteDeps = { config, vpc: cloud.vpc, tables, state: new RouteState(tables), metrics: routeMetrics(registry), log };
  manager.register(RouteController, new ContainerModule(({ bind }) => { bind(ROUTE_DEPS).toConstantValue(deps); }));
}

export const plugin: ControllerPlugin = {
  name: 'route',
  description: 'route every node\'s pod CIDR to its ECS instance in the VPC route table(s)',
  flags: () => [...routeFlags(), ...cloudFlags()],
  validateFlags: (flags) => {
    parseRouteConfig(flags);
    validateCloudFlags(flags);
  },
  controllers: [RouteController],
  setup,
};

