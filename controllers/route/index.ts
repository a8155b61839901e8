/**
 * The route controller plugin (`kubeloop run route`): VPC routes for node pod CIDRs.
 * See docs/controllers/route.md.
 */
import { ContainerModule, Namespace, Node, type Manager, type NamespaceObject, type NodeObject } from 'kubeloop';
import type { ScalingApi, VpcRouteApi } from '../cloud/index.js';
import { metricsRegistry, type Registry } from 'kubeloop';
import { cloudFlags, cloudOf, validateCloudFlags, type AckPluginEnv, type ControllerPlugin } from '../shared/index.js';
import { parseRouteConfig, routeFlags, type RouteConfig } from './config.js';
import { Reports, RouteController, RouteTableController, ROUTE_DEPS, type RouteDeps } from './controller.js';
import { routeMetrics } from './metrics.js';
import { RouteState } from './state.js';
import { instanceIdFromProviderId } from './planner.js';

export { RouteController, RouteTableController, Reports, ROUTE_DEPS, CONTROLLER_NAME, TABLES_CONTROLLER_NAME, routeRelevantChange, isTransient } from './controller.js';
export type { RouteDeps } from './controller.js';
export { parseRouteConfig, parseDuration, routeFlags, DEFAULTS, MIN_RECOMMENDED_PERIOD_MS } from './config.js';
export type { RouteConfig } from './config.js';
export {
  plan, desiredRoutes, nodeRoutes, nodeCondition, podCidrs, instanceIdFromProviderId, isOwned, isKubeloopMarked, ownerDescription, routeEntryName,
  exclusion, takeoverNode, takeoverReason,
  EXCLUDE_NODE_LABEL, EXCLUDE_NODE_LABEL_DEPRECATED, HYBRID_PROVIDER_ID_PREFIX, EDGE_WORKER_LABEL, CONDITION_TYPE, REASON_CREATED, REASON_NOT_CREATED, MESSAGE_CREATED,
} from './planner.js';
export type { DesiredRoute, RoutePlan, OwnerMark, NodeRoutes, TableVerdict, ConditionValue, Takeover } from './planner.js';
export { parseIpv4Cidr, cidrContains } from './cidr.js';
export { routeMetrics, type RouteMetrics } from './metrics.js';
export { RouteState } from './state.js';

/**
 * The VPCs the cluster's nodes are in: their ECS instances' `VpcAttributes.VpcId`
 * (DescribeInstances). Upstream reads the VPC from the instance metadata of the node it runs
 * on; a controller that may run anywhere asks ECS about the nodes instead.
 */
export async function nodeVpcs(ecs: Pick<ScalingApi, 'describeInstances'>, nodes: readonly NodeObject[]): Promise<string[]> {
  const ids = [...new Set(nodes.map((n) => instanceIdFromProviderId(n.spec?.providerID)).filter((x): x is string => !!x))];
  if (ids.length === 0) return [];
  return [...new Set((await ecs.describeInstances({ instanceIds: ids })).map((i) => i.vpcId).filter(Boolean))];
}

/**
 * The route tables to keep: `--route-table-ids` (each must exist), else the single route
 * table of `--vpc-id`, else of the VPC the nodes' instances are in (`vpcsOfNodes`), else of
 * the region's only VPC. Errors say what to set.
 */
export async function resolveRouteTables(vpc: VpcRouteApi, config: Pick<RouteConfig, 'routeTableIds' | 'vpcId'>, vpcsOfNodes: () => Promise<string[]> = async () => []): Promise<string[]> {
  if (config.routeTableIds.length) {
    for (const id of config.routeTableIds) {
      const found = await vpc.listRouteTables({ routeTableId: id });
      if (!found.some((t) => t.routeTableId === id)) throw new Error(`--route-table-ids: route table ${id} does not exist in this region`);
    }
    return [...config.routeTableIds];
  }
  let vpcId = config.vpcId;
  if (!vpcId) {
    const ofNodes = await vpcsOfNodes();
    if (ofNodes.length > 1) throw new Error(`the nodes' instances are in ${ofNodes.length} VPCs (${ofNodes.join(', ')}); set --vpc-id or --route-table-ids`);
    vpcId = ofNodes[0];
  }
  if (!vpcId) {
    const vpcs = await vpc.describeVpcs();
    if (vpcs.length !== 1) {
      throw new Error(`found ${vpcs.length} VPCs in the region (${vpcs.map((v) => v.vpcId).join(', ') || 'none'}) and no node whose instance names one; set --vpc-id or --route-table-ids`);
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
  const tables = await resolveRouteTables(cloud.vpc, config,
    async () => nodeVpcs(cloud.scaling, (await manager.client.list<NodeObject>(Node)).items));
  // The identity marking this cluster's entries: --cluster-name, else the kube-system namespace's UID
  // (created with the cluster, so unique per cluster and per reinstall, and the same for every replica)
  const kubeSystem = await manager.client.get<NamespaceObject>(Namespace, 'kube-system');
  const identity = config.clusterName ?? kubeSystem.metadata.uid;
  if (!identity) throw new Error('the kube-system namespace has no UID to derive the cluster\'s identity from; set --cluster-name');
  log.info({ routeTables: tables, clusterCidr: config.clusterCidrs.map((c) => c.text), cluster: identity, dryRun: config.dryRun }, 'route controller configured');
  const registry: Registry = manager.registry ?? metricsRegistry;
  const state = new RouteState(tables);
  const metrics = routeMetrics(registry);
  for (const t of tables) metrics.lastFullSync.set({ route_table: t }, 0);
  const deps: RouteDeps = {
    config, owner: { clusterName: identity }, vpc: cloud.vpc, tables, state, metrics, log, reports: new Reports(log, config.dryRun),
    clusterRef: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', uid: kubeSystem.metadata.uid } },
  };
  const module = new ContainerModule(({ bind }) => { bind(ROUTE_DEPS).toConstantValue(deps); });
  manager.register(RouteController, module).register(RouteTableController, module);
  manager.addReadyCheck('route-sync', () => {
    const stale = state.staleTables(config.syncMaxAgeMs);
    if (stale.length) throw new Error(`no full sync of route table(s) ${stale.join(', ')} within --route-sync-max-age`);
    return true;
  });
}

export const plugin: ControllerPlugin = {
  name: 'route',
  description: 'route every node\'s pod CIDR to its ECS instance in the VPC route table(s)',
  flags: () => [...routeFlags(), ...cloudFlags()],
  validateFlags: (flags) => {
    parseRouteConfig(flags);
    validateCloudFlags(flags);
  },
  controllers: [RouteController, RouteTableController],
  setup,
};

