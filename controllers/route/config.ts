/**
 * The route controller's flags (as the Alibaba cloud-controller-manager names them, plus
 * the cluster name and route table selection) and their validation. `parseRouteConfig`
 * turns commander's parsed values into a {@link RouteConfig} or throws an Error whose
 * message says how to fix the value.
 */
import { Option } from '../shared/index.js';
import { parseIpv4Cidr, isIpv6Cidr, type Ipv4Cidr } from './cidr.js';
import { parseDuration as parseGoDuration } from '../shared/index.js';

export interface RouteConfig {
  /** `--cluster-cidr` (required): pod CIDRs outside it are not routed */
  clusterCidrs: Ipv4Cidr[];
  /** `--configure-cloud-routes` (default true): false = the controller does nothing */
  configureCloudRoutes: boolean;
  /** `--route-reconciliation-period` (default 5m): full resync of every route table */
  reconciliationPeriodMs: number;
  /** `--route-reconcile-batch-size` (default 50): cloud writes per reconcile pass */
  batchSize: number;
  /** `--node-event-aggregation-wait-seconds` (default 1): node events are collected this long */
  aggregationWaitMs: number;
  /** `--dry-run` (default false): log the plan, write nothing (cloud or node conditions) */
  dryRun: boolean;
  /**
   * `--cluster-name`: marks the route entries this cluster owns. Unset = derived at start-up
   * from the UID of the cluster's kube-system namespace, unique per cluster and per reinstall.
   */
  clusterName?: string;
  /**
   * `--delete-conflicting-routes` (default true): delete entries without a kubeloop mark inside
   * `--cluster-cidr` that conflict with a node's pod CIDR or point at an instance that is no node
   * of the cluster (upstream's `conflictWithNodes`); false = report them, never delete.
   */
  deleteConflictingRoutes: boolean;
  /** `--route-sync-max-age` (default 3 x the reconciliation period): /readyz fails when a table's last full sync is older */
  syncMaxAgeMs: number;
  /** `--route-table-ids` (comma list); empty = discover the VPC's single route table */
  routeTableIds: string[];
  /** `--vpc-id`: the VPC whose route table is discovered (default: the region's only VPC) */
  vpcId?: string;
  /** Things worth a warning at start-up (e.g. a resync period below one minute). */
  warnings: string[];
}

export const DEFAULTS = {
  configureCloudRoutes: true,
  reconciliationPeriod: '5m',
  batchSize: 50,
  aggregationWaitSeconds: 1,
  deleteConflictingRoutes: true,
} as const;

/** How many reconciliation periods a table may go without a full sync before /readyz fails (default of --route-sync-max-age). */
export const SYNC_MAX_AGE_PERIODS = 3;

/** The production floor of the resync period (the original refuses less; we only warn). */
export const MIN_RECOMMENDED_PERIOD_MS = 60_000;

/**
 * Go duration syntax (`5m`, `1m30s`, `500ms`, `1.5h`) to milliseconds. Negative values are not durations here
 * (kept as this controller has always read them); the grammar lives in controllers/shared.
 */
export function parseDuration(text: string): number {
  return parseGoDuration(text, { allowNegative: false });
}

function parseBool(v: string): boolean {
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new Error(`"${v}" is not a boolean (true or false)`);
}

/** The plugin's flags; defaults are documented in the help text. */
export function routeFlags(): Option[] {
  return [
    new Option('--cluster-cidr <cidrs>', 'CIDR of the pods in the cluster (required for the route controller; comma list for dual-stack, IPv6 ranges are ignored)'),
    new Option('--configure-cloud-routes [bool]', 'create VPC routes for node pod CIDRs; false disables the route controller').default(true).argParser(parseBool),
    new Option('--route-reconciliation-period <duration>', 'full resync of the route tables (keep >= 1m in production)').default(DEFAULTS.reconciliationPeriod),
    new Option('--route-reconcile-batch-size <n>', 'at most this many route writes per reconcile pass').default(String(DEFAULTS.batchSize)),
    new Option('--node-event-aggregation-wait-seconds <seconds>', 'collect node events this long before syncing routes (fractions allowed)').default(String(DEFAULTS.aggregationWaitSeconds)),
    new Option('--dry-run', 'log the route changes that would be made, write nothing').default(false),
    new Option('--cluster-name <name>', 'identity marking the route entries this cluster owns (default: the UID of the kube-system namespace, unique per cluster)'),
    new Option('--delete-conflicting-routes [bool]', 'delete unmarked entries in --cluster-cidr that conflict with a node\'s pod CIDR or point at an instance that is no node (e.g. left by ACK\'s cloud-controller-manager); false only reports them')
      .default(DEFAULTS.deleteConflictingRoutes).argParser(parseBool),
    new Option('--route-sync-max-age <duration>', 'readiness fails when a route table has not been fully synced for this long (default: 3 x --route-reconciliation-period)'),
    new Option('--route-table-ids <ids>', 'comma list of route table ids (default: the single route table of the VPC)'),
    new Option('--vpc-id <id>', 'VPC whose route table is used when --route-table-ids is empty (default: the region\'s only VPC)'),
  ];
}

const CLUSTER_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/** Validates the parsed flags (keys as commander's camelCase attribute names). */
export function parseRouteConfig(flags: Readonly<Record<string, unknown>>): RouteConfig {
  const str = (k: string): string | undefined => {
    const v = flags[k];
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const warnings: string[] = [];

  const configure = flags.configureCloudRoutes;
  const configureCloudRoutes = configure === undefined ? DEFAULTS.configureCloudRoutes
    : typeof configure === 'boolean' ? configure : parseBool(String(configure));

  const cidrText = str('clusterCidr');
  const clusterCidrs: Ipv4Cidr[] = [];
  if (configureCloudRoutes) {
    if (!cidrText) {
      throw new Error('--cluster-cidr is required (the pod CIDR of the cluster, e.g. --cluster-cidr=172.20.0.0/16; '
        + 'or --configure-cloud-routes=false to turn the route controller off)');
    }
    for (const part of cidrText.split(',').map((x) => x.trim()).filter(Boolean)) {
      if (isIpv6Cidr(part)) continue;
      const c = parseIpv4Cidr(part);
      if (!c) throw new Error(`--cluster-cidr: "${part}" is not an IPv4 network in CIDR notation (e.g. 172.20.0.0/16, host bits zero)`);
      clusterCidrs.push(c);
    }
    if (clusterCidrs.length === 0) throw new Error(`--cluster-cidr "${cidrText}" has no IPv4 range; VPC routes are IPv4`);
  }

  let reconciliationPeriodMs: number;
  try {
    reconciliationPeriodMs = parseDuration(str('routeReconciliationPeriod') ?? DEFAULTS.reconciliationPeriod);
  } catch (err) {
    throw new Error(`--route-reconciliation-period: ${(err as Error).message}`);
  }
  if (reconciliationPeriodMs <= 0) throw new Error('--route-reconciliation-period must be positive (default 5m)');
  if (reconciliationPeriodMs < MIN_RECOMMENDED_PERIOD_MS) {
    warnings.push(`--route-reconciliation-period ${str('routeReconciliationPeriod')} is below 1m: fine for tests, but production should keep >= 1m to stay within the VPC API rate limits`);
  }

  const batch = Number(str('routeReconcileBatchSize') ?? DEFAULTS.batchSize);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--route-reconcile-batch-size must be a positive integer, got "${str('routeReconcileBatchSize')}"`);

  const waitText = str('nodeEventAggregationWaitSeconds') ?? String(DEFAULTS.aggregationWaitSeconds);
  const wait = Number(waitText);
  if (!Number.isFinite(wait) || wait < 0) throw new Error(`--node-event-aggregation-wait-seconds must be a number of seconds >= 0, got "${waitText}"`);

  const clusterName = str('clusterName');
  if (clusterName !== undefined && !CLUSTER_NAME.test(clusterName)) {
    throw new Error(`--cluster-name "${clusterName}" must be 1-63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`);
  }

  const routeTableIds = [...new Set((str('routeTableIds') ?? '').split(',').map((x) => x.trim()).filter(Boolean))];
  for (const id of routeTableIds) {
    if (!/^[A-Za-z0-9-]+$/.test(id)) throw new Error(`--route-table-ids: "${id}" is not a route table id (e.g. vtb-bp1abc...)`);
  }

  const del = flags.deleteConflictingRoutes;
  const deleteConflictingRoutes = del === undefined ? DEFAULTS.deleteConflictingRoutes : typeof del === 'boolean' ? del : parseBool(String(del));
  let syncMaxAgeMs = reconciliationPeriodMs * SYNC_MAX_AGE_PERIODS;
  const maxAge = str('routeSyncMaxAge');
  if (maxAge !== undefined) {
    try {
      syncMaxAgeMs = parseDuration(maxAge);
    } catch (err) {
      throw new Error(`--route-sync-max-age: ${(err as Error).message}`);
    }
    if (syncMaxAgeMs <= 0) throw new Error('--route-sync-max-age must be positive (default 3 x --route-reconciliation-period)');
  }
  return {
    clusterCidrs,
    configureCloudRoutes,
    reconciliationPeriodMs,
    batchSize: batch,
    aggregationWaitMs: Math.round(wait * 1000),
    dryRun: flags.dryRun === true || flags.dryRun === 'true',
    clusterName,
    deleteConflictingRoutes,
    syncMaxAgeMs,
    routeTableIds,
    vpcId: str('vpcId'),
    warnings,
  };
}
